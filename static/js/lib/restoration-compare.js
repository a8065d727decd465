/**
 * Virtual restoration in the artifact viewer: a before/after split of the 3D view, the
 * generated regions on demand, and, for curators, requests, live progress and review.
 *
 * The panel (#restoration-panel, templates/museum/artifact.html) reads the restorations the
 * user may see from its data-restorations-url (visitors: accepted ones only) and stays hidden
 * without any (curators always see it, to request one). The restored GLB is loaded into the
 * viewer's scene next to the original, in the same coordinates; each frame is drawn twice with
 * renderer.setScissor/setViewport: the original left of the divider, the restoration right of
 * it. The divider is dragged directly on the stage or moved with the range input.
 * Generated regions: surface restorations tint the texels of the generated-regions mask
 * (emissive map), shape restorations tint the mesh node named GENERATED.
 */
import * as THREE from 'three';
import { format } from './format.js';
import { postTo } from './http.js';
import { disposeObject, loadModel } from './lod-loader.js';

const GENERATED = 'mouseion-generated'; // restoration/restoration_files.py GENERATED_NODE
const TINT = new THREE.Color(0xff2bd6);
const POLL_MS = 1000;

/** The panel's translated word for a value: data-str-kind-surface is strKindSurface. */
function wordFor(strings, prefix, value) {
  return strings[prefix + value.charAt(0).toUpperCase() + value.slice(1)] ?? value;
}

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

function loadTexture(url) {
  return new THREE.TextureLoader().loadAsync(url).then((texture) => {
    texture.flipY = false; // glTF UV convention
    return texture;
  });
}

export class RestorationCompare {
  constructor(viewer, panel) {
    this.viewer = viewer;
    this.panel = panel;
    this.divider = document.getElementById('restoration-divider');
    this.range = panel.querySelector('#restoration-split');
    this.generatedBox = panel.querySelector('#restoration-generated');
    this.choice = panel.querySelector('#restoration-choice');
    this.status = panel.querySelector('#restoration-status');
    this.progress = panel.querySelector('#restoration-progress');
    this.review = panel.querySelector('#restoration-review');
    this.canRequest = panel.dataset.canRequest === 'true';
    this.restorations = [];
    this.current = null; // the restoration shown on the right
    this.group = new THREE.Group();
    this.group.name = 'restoration';
    this.group.visible = false;
    this.split = 0.5;
    this.showGenerated = false;
    this.originals = new Map(); // mesh -> material, while generated regions are tinted
    this.mask = null;
    this.renders = 0;
    this.loading = Promise.resolve();
  }

  get active() {
    return Boolean(this.current && this.group.children.length && this.viewer.model);
  }

  async init() {
    this.viewer.scene.add(this.group);
    this.bindControls();
    await this.refreshList();
    return this.active || !this.panel.hidden;
  }

  async refreshList(preferId = null) {
    let data;
    try {
      data = await getJSON(this.panel.dataset.restorationsUrl);
    } catch (error) {
      console.warn('Mouseion restoration:', error);
      return;
    }
    this.restorations = data.restorations.filter((r) => r.status === 'done' && r.restored_model_url);
    this.panel.hidden = !this.restorations.length && !this.canRequest;
    this.fillChoice();
    const pick = this.restorations.find((r) => r.id === preferId)
      ?? this.restorations.find((r) => r.review === 'accepted')
      ?? this.restorations[0];
    const running = data.restorations.find((r) => r.status === 'queued' || r.status === 'running');
    if (running && this.status) this.poll(running.job_url);
    if (pick) await this.show(pick.id);
  }

  fillChoice() {
    if (!this.choice) return;
    this.choice.replaceChildren(...this.restorations.map((r) => {
      const option = document.createElement('option');
      option.value = String(r.id);
      option.textContent = `#${r.id} ${this.describe(r)}`;
      return option;
    }));
    document.getElementById('restoration-choice-label').hidden = this.restorations.length < 2;
  }

  bindControls() {
    this.range.addEventListener('input', () => this.setSplit(Number(this.range.value) / 100));
    this.generatedBox.addEventListener('change', () => this.setGenerated(this.generatedBox.checked));
    this.choice?.addEventListener('change', () => this.show(Number(this.choice.value)));
    // Dragging the divider on the stage (pointer capture keeps it while the pointer leaves).
    const stage = this.viewer.stage;
    const move = (event) => {
      const box = stage.getBoundingClientRect();
      this.setSplit((event.clientX - box.left) / box.width);
    };
    this.divider.addEventListener('pointerdown', (event) => {
      event.preventDefault();
      event.stopPropagation(); // not an orbit drag
      this.divider.setPointerCapture(event.pointerId);
      this.divider.dataset.dragging = 'true';
      move(event);
    });
    this.divider.addEventListener('pointermove', (event) => {
      if (this.divider.dataset.dragging === 'true') move(event);
    });
    const end = (event) => {
      delete this.divider.dataset.dragging;
      if (this.divider.hasPointerCapture(event.pointerId)) this.divider.releasePointerCapture(event.pointerId);
    };
    this.divider.addEventListener('pointerup', end);
    this.divider.addEventListener('pointercancel', end);
    for (const button of this.panel.querySelectorAll('[data-restore-kind]')) {
      button.addEventListener('click', () => this.request(button.dataset.restoreKind));
    }
    for (const button of this.panel.querySelectorAll('[data-review]')) {
      button.addEventListener('click', () => this.submitReview(button.dataset.review));
    }
  }

  setSplit(fraction) {
    this.split = Math.min(1, Math.max(0, fraction));
    const percent = Math.round(this.split * 100);
    this.range.value = String(percent);
    this.range.setAttribute('aria-valuetext', `${percent} %`);
    this.divider.style.left = `${this.split * 100}%`;
    this.divider.dataset.split = this.split.toFixed(3);
    this.viewer.requestRender();
  }

  /** Load restoration `id` as the right-hand model (the previous one is freed). */
  show(id) {
    this.loading = this.loading.then(() => this.load(id)).catch((error) => {
      console.warn('Mouseion restoration:', error);
    });
    return this.loading;
  }

  async load(id) {
    const restoration = this.restorations.find((r) => r.id === id);
    if (!restoration || restoration.id === this.current?.id) return;
    await this.viewer.ready;
    const model = await loadModel(restoration.restored_model_url, this.viewer.config.dracoDecoderPath);
    this.setGenerated(false);
    for (const child of [...this.group.children]) {
      this.group.remove(child);
      disposeObject(child);
    }
    this.mask?.dispose();
    this.mask = restoration.generated_mask_url && restoration.kind === 'surface'
      ? await loadTexture(restoration.generated_mask_url) : null;
    this.group.add(model);
    this.current = restoration;
    if (this.choice) this.choice.value = String(id);
    this.panel.querySelector('#restoration-compare').hidden = false;
    this.panel.hidden = false;
    this.divider.hidden = false;
    this.panel.querySelector('#restoration-meta').textContent = this.describe(restoration);
    if (this.review) this.review.hidden = false;
    // Compile now (compile() skips hidden objects) so the first split frame does not stall.
    this.group.visible = true;
    this.viewer.renderer.compile(this.viewer.scene, this.viewer.camera);
    this.group.visible = false;
    this.setSplit(this.split);
  }

  /** Plain words for visitors ("Surface restoration · 2 restored areas"); the methods, the
   *  lowest region confidence and the review state only for staff (#22 item 9). Strings: the
   *  panel's data-str-*. */
  describe(restoration) {
    const strings = this.panel.dataset;
    const regions = restoration.regions.length;
    const parts = [
      wordFor(strings, 'strKind', restoration.kind),
      regions === 1 ? strings.strAreasOne : strings.strAreasMany.replace('{count}', String(regions)),
    ];
    if (strings.showMethods === 'true') {
      const methods = [...new Set(restoration.regions.map((r) => r.method))].join(', ');
      if (methods) parts.push(strings.strMethods.replace('{methods}', methods));
      // The weakest region's calibrated confidence (regions without one say nothing).
      const known = restoration.regions
        .map((r) => r.confidence)
        .filter((c) => typeof c === 'number');
      if (known.length) {
        const percent = String(Math.round(Math.min(...known) * 100));
        parts.push(strings.strConfidence.replace('{percent}', percent));
      }
    }
    if (restoration.review !== 'accepted') {
      parts.push(wordFor(strings, 'strReview', restoration.review));
    }
    return parts.join(' · ');
  }

  /** Tint the generated regions of the restored model (or put its materials back). */
  setGenerated(on) {
    this.showGenerated = on;
    this.generatedBox.checked = on;
    for (const [mesh, material] of this.originals) {
      for (const clone of [mesh.material].flat()) clone.dispose();
      mesh.material = material;
    }
    this.originals.clear();
    if (on) {
      this.group.traverse((object) => {
        if (!object.isMesh) return;
        const generatedNode = object.name === GENERATED || object.parent?.name === GENERATED;
        const tinted = [object.material].flat().map((material) => {
          if (generatedNode) return this.tinted(material, null);
          if (this.mask && material.map && 'emissive' in material) return this.tinted(material, material.map);
          return material;
        });
        if (tinted.some((material, i) => material !== [object.material].flat()[i])) {
          this.originals.set(object, object.material);
          object.material = Array.isArray(object.material) ? tinted : tinted[0];
        }
      });
    }
    this.viewer.requestRender();
  }

  tinted(material, map) {
    const clone = material.clone();
    clone.emissive = TINT.clone();
    clone.emissiveIntensity = 0.85;
    if (map) {
      // The mask is in the base-colour texture's space: same UV set and transform.
      const mask = this.mask.clone();
      mask.channel = map.channel;
      mask.offset.copy(map.offset);
      mask.repeat.copy(map.repeat);
      mask.rotation = map.rotation;
      mask.center.copy(map.center);
      mask.needsUpdate = true;
      clone.emissiveMap = mask;
    }
    clone.userData.restorationTint = true;
    return clone;
  }

  /** Called by the viewer for every frame; false when there is nothing to compare. */
  render(scene, camera) {
    if (!this.active) return false;
    const renderer = this.viewer.renderer;
    const size = renderer.getSize(new THREE.Vector2());
    const split = Math.round(size.x * this.split);
    const original = this.viewer.slot.group;
    renderer.setViewport(0, 0, size.x, size.y);
    renderer.setScissorTest(true);
    original.visible = true;
    this.group.visible = false;
    renderer.setScissor(0, 0, split, size.y);
    renderer.render(scene, camera);
    original.visible = false;
    this.group.visible = true;
    renderer.setScissor(split, 0, size.x - split, size.y);
    renderer.render(scene, camera);
    this.group.visible = false; // XR and other passes see the original only
    original.visible = true;
    renderer.setScissorTest(false);
    this.renders += 1;
    return true;
  }

  // ------------------------------------------------------------------ curators

  async post(url, body) {
    const response = await postTo(url, { json: body, scope: this.panel });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error?.message ?? `${response.status}`);
    return data;
  }

  async request(kind) {
    try {
      const job = await this.post(this.panel.dataset.restorationsUrl, { kind });
      this.poll(job.job_url);
    } catch (error) {
      this.status.textContent = error.message;
    }
  }

  /** Poll a job every second while it is queued or running; show it when done. */
  async poll(url) {
    if (this.polling === url) return;
    this.polling = url;
    this.progress.hidden = false;
    for (;;) {
      let job;
      try {
        job = await getJSON(url);
      } catch (error) {
        this.status.textContent = error.message;
        break;
      }
      this.progress.value = job.progress;
      this.panel.dataset.jobStatus = job.status;
      const strings = this.panel.dataset;
      const kind = wordFor(strings, 'strKind', job.kind);
      this.status.textContent = format(strings.strJobProgress, {
        kind, status: wordFor(strings, 'strStatus', job.status), progress: `${job.progress} %`, stage: job.stage,
      });
      if (job.status === 'failed') {
        this.status.textContent = `${kind}: ${job.error}`;
        break;
      }
      if (job.status === 'done') {
        this.status.textContent = format(strings.strJobDone, { kind, device: job.device });
        await this.refreshList(job.id);
        break;
      }
      await new Promise((resolve) => window.setTimeout(resolve, POLL_MS));
    }
    this.progress.hidden = true;
    this.polling = null;
  }

  async submitReview(action) {
    if (!this.current) return;
    const note = this.panel.querySelector('#restoration-note')?.value ?? '';
    try {
      const job = await this.post(this.current[`${action}_url`], { note });
      this.status.textContent = `#${job.id}: ${wordFor(this.panel.dataset, 'strReview', job.review)}`;
      const id = this.current.id;
      this.current = null;
      await this.refreshList(id);
    } catch (error) {
      this.status.textContent = error.message;
    }
  }

  /** Plain data for the test hook. */
  state() {
    return {
      available: this.restorations.map((r) => ({ id: r.id, kind: r.kind, review: r.review })),
      current: this.current?.id ?? null,
      active: this.active,
      split: this.split,
      generated: this.showGenerated,
      tinted: this.originals.size,
      renders: this.renders,
    };
  }
}

/** The comparison of the page's viewer, or null when the page has no restoration panel. */
export function setupRestorationCompare(viewer) {
  const panel = document.getElementById('restoration-panel');
  if (!panel) return null;
  const compare = new RestorationCompare(viewer, panel);
  compare.ready = viewer.ready.then(() => compare.init());
  return compare;
}
