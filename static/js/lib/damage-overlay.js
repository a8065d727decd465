/**
 * Damage overlay of the artifact viewer: the condition check's per-class masks, probability map
 * or Grad-CAM explanation drawn on the 3D model through its texture UVs.
 *
 * The panel (#damage-panel, templates/museum/artifact.html) reads the newest condition record
 * from its data-condition-url (GET /api/artifacts/<id>/condition) and stays hidden without one.
 * Showing the overlay swaps each textured mesh's material for a clone whose base colour is mixed
 * with an overlay texture sampled with the base-colour map's UVs and transform; hiding it puts
 * the original materials back. It is re-applied after a LOD swap.
 *
 * With the inspection tools' render modes (inspect-render-modes.js), which also swap materials:
 * the overlay shows over the Colour mode only. Turning it on switches the tools back to Colour
 * (its radio shows it); choosing another mode turns it off (its button shows it, setActive).
 */
import * as THREE from 'three';

const MIX = 0.85; // how strongly the overlay replaces the surface colour where it is opaque
const MAX_SIDE = 2048; // overlay textures are drawn at most this large (GPU memory)

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.decoding = 'async';
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error(`cannot load ${url}`));
    image.src = url;
  });
}

function canvasOf(width, height) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(width * scale));
  canvas.height = Math.max(1, Math.round(height * scale));
  return canvas;
}

function hexToRgb(hex) {
  const value = parseInt(hex.replace('#', ''), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/** Overlay pictures of one condition record (one texture), loaded on first use. */
class RecordLayers {
  constructor(record, classes) {
    this.record = record;
    this.colours = Object.fromEntries(classes.map((c) => [c.name, hexToRgb(c.colour)]));
    this.masks = null; // class -> Uint8ClampedArray of the red channel, at canvas size
    this.textures = new Map(); // key -> THREE.CanvasTexture
  }

  async loadMasks() {
    if (this.masks) return this.masks;
    const size = canvasOf(this.record.width_px, this.record.height_px);
    const masks = {};
    await Promise.all(this.record.findings.map(async (finding) => {
      const image = await loadImage(finding.mask_url);
      const canvas = canvasOf(this.record.width_px, this.record.height_px);
      const context = canvas.getContext('2d', { willReadFrequently: true });
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      masks[finding.damage_class] = context.getImageData(0, 0, canvas.width, canvas.height).data;
    }));
    this.size = [size.width, size.height];
    this.masks = masks;
    return masks;
  }

  /** The class masks painted in their colours (transparent elsewhere). */
  async maskTexture(enabled) {
    const key = `masks:${[...enabled].sort().join(',')}`;
    if (this.textures.has(key)) return this.textures.get(key);
    const masks = await this.loadMasks();
    const canvas = canvasOf(this.record.width_px, this.record.height_px);
    const context = canvas.getContext('2d');
    const picture = context.createImageData(canvas.width, canvas.height);
    const out = picture.data;
    for (const name of Object.keys(masks)) {
      if (!enabled.has(name)) continue;
      const mask = masks[name];
      const [r, g, b] = this.colours[name] ?? [255, 255, 255];
      for (let i = 0; i < out.length; i += 4) {
        if (mask[i] > 127) {
          out[i] = r; out[i + 1] = g; out[i + 2] = b; out[i + 3] = 255;
        }
      }
    }
    context.putImageData(picture, 0, 0);
    return this.remember(key, canvas);
  }

  /** The probability or explanation picture, opaque. */
  async pictureTexture(kind) {
    const url = kind === 'probability' ? this.record.probability_url : this.record.explanation_url;
    if (!url) return null;
    if (this.textures.has(kind)) return this.textures.get(kind);
    const image = await loadImage(url);
    const canvas = canvasOf(image.naturalWidth, image.naturalHeight);
    canvas.getContext('2d').drawImage(image, 0, 0, canvas.width, canvas.height);
    return this.remember(kind, canvas);
  }

  remember(key, canvas) {
    // A canvas, not an ImageBitmap: a LOD swap disposes the old model's textures and closes
    // bitmaps, and this texture outlives that model.
    const texture = new THREE.CanvasTexture(canvas);
    texture.flipY = false; // glTF UV convention
    texture.colorSpace = THREE.SRGBColorSpace;
    this.textures.set(key, texture);
    return texture;
  }
}

/** A clone of `material` whose base colour is mixed with `overlay` (sampled like its map). */
function overlayMaterial(material, overlay) {
  const clone = material.clone();
  const texture = overlay.clone();
  texture.needsUpdate = true;
  const map = material.map;
  if (map) {
    // Same UV set and KHR_texture_transform as the base colour.
    texture.channel = map.channel;
    texture.offset.copy(map.offset);
    texture.repeat.copy(map.repeat);
    texture.rotation = map.rotation;
    texture.center.copy(map.center);
  }
  // The emissive map slot gives the shader a UV varying with this texture's transform;
  // emissive stays black so it adds no light, and the map is read in the colour stage instead.
  // The section plane moves the shared list (a clone would copy the planes and stay uncut).
  clone.clippingPlanes = material.clippingPlanes;
  clone.emissiveMap = texture;
  clone.emissive = new THREE.Color(0x000000);
  clone.userData.damageOverlay = true;
  clone.onBeforeCompile = (shader) => {
    shader.fragmentShader = shader.fragmentShader.replace(
      '#include <map_fragment>',
      `#include <map_fragment>
      vec4 damageOverlay = texture2D( emissiveMap, vEmissiveMapUv );
      diffuseColor.rgb = mix( diffuseColor.rgb, damageOverlay.rgb, damageOverlay.a * ${MIX.toFixed(2)} );`,
    );
  };
  clone.customProgramCacheKey = () => 'mouseion-damage-overlay';
  return clone;
}

export class DamageOverlay {
  constructor(viewer, panel) {
    this.viewer = viewer;
    this.panel = panel;
    this.active = false;
    this.mode = 'masks';
    this.enabled = new Set();
    this.layers = [];
    this.originals = new Map(); // mesh -> its material(s) before the overlay
    this.clones = []; // the overlay's materials now made (freed by restore, wherever they are)
    this.applied = 0;
    this.data = null;
    this.pending = Promise.resolve();
  }

  async init() {
    let response;
    try {
      response = await fetch(this.panel.dataset.conditionUrl, { headers: { Accept: 'application/json' } });
    } catch {
      return false;
    }
    if (!response.ok) return false;
    this.data = await response.json();
    if (!this.data.records?.length) return false;
    this.layers = this.data.records.map((record) => new RecordLayers(record, this.data.classes));
    this.enabled = new Set(this.data.classes.map((c) => c.name));
    this.buildPanel();
    this.panel.hidden = false;
    this.viewer.root.addEventListener('mouseion:lod', () => {
      if (this.active) this.refresh();
    });
    return true;
  }

  buildPanel() {
    const list = this.panel.querySelector('#damage-classes');
    const shares = {};
    for (const record of this.data.records) {
      for (const finding of record.findings) {
        shares[finding.damage_class] = Math.max(shares[finding.damage_class] ?? 0, finding.pixel_share);
      }
    }
    for (const entry of this.data.classes) {
      const label = document.createElement('label');
      label.className = 'damage-class';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = true;
      box.value = entry.name;
      box.addEventListener('change', () => {
        if (box.checked) this.enabled.add(entry.name);
        else this.enabled.delete(entry.name);
        if (this.active && this.mode === 'masks') this.refresh();
      });
      const swatch = document.createElement('span');
      swatch.className = 'condition-swatch';
      swatch.style.setProperty('--swatch', entry.colour);
      const share = ((shares[entry.name] ?? 0) * 100).toFixed(2);
      label.append(box, swatch, ` ${entry.label} (${share} %)`);
      list.append(label);
    }
    // Staff only (the template leaves it out for visitors: #22 item 9).
    const version = this.panel.querySelector('#damage-model-version');
    if (version) version.textContent = this.data.model_version;
    const toggle = this.panel.querySelector('#damage-toggle');
    const options = this.panel.querySelector('#damage-options');
    this.toggle = toggle;
    this.options = options;
    toggle.addEventListener('click', () => this.setActive(toggle.getAttribute('aria-pressed') !== 'true'));
    for (const radio of this.panel.querySelectorAll('input[name="damage-view"]')) {
      radio.addEventListener('change', () => {
        if (!radio.checked) return;
        this.mode = radio.value;
        if (this.active) this.refresh();
      });
    }
  }

  /** Show or hide the overlay, its button and options in step (also when a render mode turns it off). */
  setActive(on) {
    this.active = on;
    if (this.toggle) {
      this.toggle.setAttribute('aria-pressed', String(on));
      this.options.hidden = !on;
    }
    const tools = this.viewer.tools;
    if (on && tools && tools.modes.mode !== 'standard') tools.setRenderMode('standard');
    return this.refresh();
  }

  /** Serialised so that quick clicks never interleave two applications. */
  refresh() {
    this.pending = this.pending.then(() => this.apply()).catch((error) => {
      console.warn('Mouseion damage overlay:', error);
    });
    return this.pending;
  }

  recordFor(material) {
    if (this.layers.length === 1) return this.layers[0];
    return this.layers.find((layer) => layer.record.material_names.includes(material.name)) ?? null;
  }

  async apply() {
    this.restore();
    const model = this.viewer.model;
    if (!this.active || !model) {
      this.viewer.requestRender();
      return;
    }
    const meshes = [];
    model.traverse((object) => {
      if (object.isMesh && object.geometry?.attributes?.uv) meshes.push(object);
    });
    let applied = 0;
    for (const mesh of meshes) {
      const materials = [mesh.material].flat();
      const replaced = [];
      for (const material of materials) {
        // Only base-colour-textured standard materials: the overlay follows that texture's UVs.
        const layer = material.map && 'emissive' in material ? this.recordFor(material) : null;
        const overlay = layer && (this.mode === 'masks'
          ? await layer.maskTexture(this.enabled)
          : await layer.pictureTexture(this.mode));
        const clone = overlay ? overlayMaterial(material, overlay) : null;
        if (clone) this.clones.push(clone);
        replaced.push(clone ?? material);
      }
      if (replaced.some((material, index) => material !== materials[index])) {
        this.originals.set(mesh, mesh.material);
        mesh.material = Array.isArray(mesh.material) ? replaced : replaced[0];
        applied += 1;
      }
    }
    this.applied = applied;
    this.viewer.requestRender();
  }

  /** Put the original materials back and free the clones (not the shared overlay images). */
  restore() {
    for (const [mesh, original] of this.originals) {
      // Only where the overlay's material is still worn: a render mode may have re-dressed it.
      if ([mesh.material].flat().some((material) => material.userData.damageOverlay)) mesh.material = original;
    }
    for (const clone of this.clones) {
      clone.emissiveMap?.dispose();
      clone.dispose();
    }
    this.clones = [];
    this.originals.clear();
    this.applied = 0;
  }

  /** Plain data for the test hook. */
  state() {
    const materials = [];
    this.viewer.model?.traverse((object) => {
      if (object.isMesh) {
        for (const material of [object.material].flat()) {
          materials.push({ uuid: material.uuid, overlay: Boolean(material.userData.damageOverlay) });
        }
      }
    });
    return {
      available: Boolean(this.data?.records?.length),
      active: this.active,
      mode: this.mode,
      classes: this.data?.classes.map((c) => c.name) ?? [],
      enabled: [...this.enabled],
      modelVersion: this.data?.model_version ?? null,
      appliedMeshes: this.applied,
      materials,
    };
  }
}

/** The overlay of the page's viewer, or null when the page has no damage panel. */
export function setupDamageOverlay(viewer) {
  const panel = document.getElementById('damage-panel');
  if (!panel) return null;
  const overlay = new DamageOverlay(viewer, panel);
  overlay.ready = viewer.ready.then(() => overlay.init());
  return overlay;
}
