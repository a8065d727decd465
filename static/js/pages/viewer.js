/**
 * Orbit viewer of one artifact: loads its glTF (Draco and meshopt supported), frames it,
 * lights it with the prefiltered room environment, and drives hotspots, view buttons and WebXR.
 *
 * Configuration comes from the json_script element #viewer-config (see museum/views.py).
 * Renders on demand: nothing is drawn while the view is still, to keep idle CPU near zero.
 * Loads progressively when the artifact has LODs (lod-loader.js): thumb, then web in place;
 * `?lod=<label>` forces one LOD. Test hook: window.mouseionViewer (ready and fullLod promises,
 * camera getters, state, current LOD, timings relative to navigation start, measureBetween).
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { CameraTween, dollyPosition, frameObject, orbitPosition } from '../lib/camera-rig.js';
import { setupDamageOverlay } from '../lib/damage-overlay.js';
import { format } from '../lib/format.js';
import { Hotspots } from '../lib/hotspots.js';
import { configureRenderer, keyLight, loadRoomEnvironment, meterExposure } from '../lib/scene-lighting.js';
import { setupInspectTools } from '../lib/inspect-tools.js';
import { ModelSlot, countResources, loadModel, lodPlan } from '../lib/lod-loader.js';
import { createMeasureTool } from '../lib/measure.js';
import { exportUsdz, setupQuickLook } from '../lib/quick-look.js';
import { anchorRegions, setupRegionLayers, viewOf } from '../lib/region-layers.js';
import { setupRestorationCompare } from '../lib/restoration-compare.js';
import { testHook } from '../lib/viewer-hooks.js';
import { setupXRButtons } from '../lib/xr-buttons.js';
import { addControllerModels, controllerModelFactory } from '../lib/xr-controllers.js';
import { placeForXR } from '../lib/xr-placement.js';

const BACKGROUND = 0x17181c;

/** A named moment of the loading (performance.mark: the benchmark prints them as phases). */
function mark(name) {
  performance.mark(name);
}
const ROTATE_STEP = THREE.MathUtils.degToRad(20);
const ZOOM_STEP = 0.8;

class ArtifactViewer {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.strings = config.strings;
    this.stage = root.querySelector('#viewer-stage');
    this.canvas = root.querySelector('#viewer-canvas');
    this.statusText = root.querySelector('#viewer-status-text');
    this.progress = root.querySelector('#viewer-progress');
    this.status = root.querySelector('#viewer-status');
    this.frameRequested = false;
    this.renderCount = 0;
    this.home = null;
    this.plan = lodPlan(config);
    this.timings = { firstFrame: null, fullLod: null };
    this.lodHistory = [];
    this.ready = new Promise((resolve) => { this.resolveReady = resolve; });
    this.fullLod = new Promise((resolve) => { this.resolveFull = resolve; });
  }

  get model() {
    return this.slot?.model ?? null;
  }

  /** Build renderer, scene and controls; false when WebGL is unavailable. */
  init() {
    try {
      this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: true, preserveDrawingBuffer: false });
    } catch (error) {
      this.fail(this.strings.noWebGL, error);
      return false;
    }
    const renderer = this.renderer;
    renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    configureRenderer(renderer);
    renderer.xr.enabled = true;

    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(BACKGROUND);
    // The room environment downloads beside the first model; until the LOD swap (which applies
    // it, so the model's shaders compile once more, not twice) a sky light stands in for it.
    this.environment = loadRoomEnvironment(renderer);
    this.fillLight = new THREE.HemisphereLight(0xffffff, 0x6b6760, 1.7);
    this.scene.add(this.fillLight);
    this.scene.add(keyLight());
    this.slot = new ModelSlot(this.scene);

    this.camera = new THREE.PerspectiveCamera(40, 1, 0.01, 1000);
    // The dolly carries the camera; it only moves in XR, to bring the model to real size.
    this.dolly = new THREE.Group();
    this.dolly.add(this.camera);
    this.scene.add(this.dolly);

    this.controls = new OrbitControls(this.camera, this.canvas);
    this.controls.enableDamping = true;
    this.controls.dampingFactor = 0.12;
    this.controls.listenToKeyEvents(this.stage);
    this.controls.addEventListener('change', () => this.requestRender());
    this.controls.addEventListener('start', () => {
      this.tween.cancel();
      this.hotspots?.setActive(-1);
    });
    this.tween = new CameraTween(this.camera, this.controls);

    new ResizeObserver(() => this.resize()).observe(this.stage);
    this.resize();
    return true;
  }

  resize() {
    const { clientWidth: width, clientHeight: height } = this.stage;
    if (!width || !height || this.renderer.xr.isPresenting) return;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  requestRender() {
    if (this.frameRequested || this.renderer.xr.isPresenting) return;
    this.frameRequested = true;
    requestAnimationFrame((now) => this.frame(now));
  }

  frame(now) {
    this.frameRequested = false;
    const moving = this.tween.step(now);
    const damping = this.controls.update();
    // The before/after restoration split draws the frame itself (restoration-compare.js).
    if (!this.compare?.render(this.scene, this.camera)) this.renderer.render(this.scene, this.camera);
    this.renderCount += 1;
    this.hotspots?.update(this.camera, this.stage.clientWidth, this.stage.clientHeight);
    this.measure?.update(this.camera, this.stage.clientWidth, this.stage.clientHeight);
    this.tools?.update(this.camera, this.stage.clientWidth, this.stage.clientHeight);
    if (moving || damping) this.requestRender();
  }

  setStatus(text, { progress = null, state = null } = {}) {
    if (this.statusText) this.statusText.textContent = text;
    if (this.progress) {
      if (progress === null) this.progress.removeAttribute('value');
      else this.progress.value = progress;
    }
    if (state) this.root.dataset.state = state;
  }

  fail(message, error) {
    console.warn('Mouseion viewer:', error);
    this.root.dataset.state = 'error';
    this.status.setAttribute('role', 'alert');
    this.status.classList.add('is-error');
    if (this.statusText) this.statusText.textContent = message;
    this.progress?.remove();
    this.resolveReady({ state: 'error', message });
    this.resolveFull({ state: 'error', message });
  }

  /** Start fetching the first model; may run before init() so that both overlap. */
  prefetch() {
    const first = this.plan.steps[0];
    this.firstModel = loadModel(first.url, this.config.dracoDecoderPath, (percent) => {
      if (this.root.dataset.state !== 'loading') return;
      this.setStatus(format(this.strings.loadingProgress, { percent }), { progress: percent });
    });
    this.firstModel.catch(() => {}); // handled in load()
  }

  /**
   * Light the scene with the environment instead of the stand-in sky light. Done together with
   * the LOD swap: each lighting change recompiles the model's shaders (seconds on SwiftShader).
   */
  async applyEnvironment({ render = true } = {}) {
    const texture = await this.environment;
    if (this.scene.environment === texture) return;
    this.scene.environment = texture;
    this.scene.remove(this.fillLight);
    this.fillLight.dispose();
    if (render) this.requestRender();
  }

  async load() {
    const [first, ...rest] = this.plan.steps;
    this.setStatus(this.strings.loading, { state: 'loading' });
    let model;
    try {
      model = await this.firstModel;
    } catch (error) {
      this.fail(this.strings.error, error);
      return;
    }
    mark(`lod:${first.label}:parsed`);
    this.slot.swap(model, first.label);

    // Regions (#23) get a hotspot point; one may have no saved view.
    const annotations = anchorRegions(this.config.annotations);
    const viewpoints = annotations.filter((a) => a.cameraPosition?.length === 3)
      .map((a) => new THREE.Vector3().fromArray(a.cameraPosition));
    const framing = frameObject(this.camera, this.controls, this.model, viewpoints);
    this.home = framing.home;
    this.bounds = framing.box;
    this.radius = framing.sphere.radius;
    this.setupHotspots();
    this.regions = setupRegionLayers(this, this.radius);
    this.setupToolbar();

    // Wait for the first frame to be drawn before telling anyone the model is visible.
    this.renderer.compile(this.scene, this.camera);
    await this.drawn();
    this.timings.firstFrame = performance.now();
    mark(`lod:${first.label}:drawn`);
    this.status.hidden = true;
    this.setStatus(this.strings.loaded, { state: 'loaded' });
    this.recordLod(first.label);
    this.resolveReady({ state: 'loaded' });
    this.emit('firstframe', { label: first.label, time: this.timings.firstFrame });
    this.setupXR();
    this.setupMeasure(framing.sphere.radius);
    this.tools = setupInspectTools(this, framing.sphere);

    // The next LOD downloads (preloaded by the page; upgrade() starts the request). "Full": the
    // finest automatic LOD drawn with the final lighting, its exposure metered on that LOD (a
    // coarser one may lack the occlusion map that darkens it).
    // The last swap meters before its first frame, so that frame is the full one: one frame
    // sooner than metering after it (two frames of SwiftShader at 1280×900), and no jump in
    // brightness after the swap.
    const meter = () => {
      this.exposure = meterExposure(this.renderer, this.scene, this.camera);
      mark('lod:metered');
    };
    const upgrade = (step, index) => this.upgrade(step, this.strings.loadingDetail, {
      beforeDraw: index === rest.length - 1 ? meter : null,
    });
    const [next, ...later] = rest;
    const upgrading = next ? upgrade(next, 0) : Promise.resolve(true);
    let ok = await upgrading;
    for (const [index, step] of later.entries()) {
      if (ok) ok = await upgrade(step, index + 1);
    }
    if (!ok || !rest.length) {
      // No swap metered (a single LOD, or a finer one failed): meter what is shown.
      await this.applyEnvironment();
      meter();
      await this.drawn();
    }
    this.timings.fullLod = performance.now();
    mark('lod:full');
    this.root.dataset.lodComplete = 'true';
    this.resolveFull({ state: 'loaded', label: this.slot.label, time: this.timings.fullLod });
    this.emit('fulllod', { label: this.slot.label, time: this.timings.fullLod });
    this.setupInspect();
  }

  /** Resolves once the frame showing the current scene has been drawn. */
  drawn() {
    this.requestRender();
    return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  }

  emit(name, detail) {
    this.root.dispatchEvent(new CustomEvent(`mouseion:${name}`, { detail, bubbles: true }));
  }

  recordLod(label) {
    this.root.dataset.lod = label;
    const entry = {
      label,
      time: performance.now(),
      camera: this.cameraState(),
      memory: { ...this.renderer.info.memory },
      model: countResources(this.model),
    };
    this.lodHistory.push(entry);
    this.emit('lod', entry);
  }

  /**
   * Load a finer LOD and swap it in without touching the camera; false if it failed (the
   * current model stays). `beforeDraw` runs after the swap, before its first frame.
   */
  async upgrade(step, template, { beforeDraw = null } = {}) {
    this.status.hidden = false;
    this.setStatus(format(template, { percent: 0 }), { progress: 0 });
    const loading = loadModel(step.url, this.config.dracoDecoderPath, (percent) => {
      this.setStatus(format(template, { percent }), { progress: percent });
      // Downloaded: the card goes (compiling the finer model takes seconds on a phone, and a
      // "100 %" card over the model looked like a stalled load).
      if (percent >= 100) this.status.hidden = true;
    });
    let model;
    try {
      model = await loading;
      mark(`lod:${step.label}:parsed`);
      this.status.hidden = true;
      // Compile (with the final lighting) before the swap, so no frame lacks the model.
      await this.applyEnvironment({ render: false }); // the swap below draws
      // Compile off the main thread where possible; without the extension (SwiftShader)
      // compileAsync only added a stall (about 1.5 s on the web LOD swap, measured).
      if (this.renderer.extensions.has('KHR_parallel_shader_compile')) {
        await this.renderer.compileAsync(model, this.camera, this.scene);
      }
    } catch (error) {
      console.warn('Mouseion viewer: LOD', step.label, error);
      this.status.hidden = false;
      this.setStatus(this.strings.detailError);
      return false;
    }
    this.slot.swap(model, step.label);
    this.bounds = this.slot.bounds();
    beforeDraw?.();
    await this.drawn();
    mark(`lod:${step.label}:drawn`);
    this.recordLod(step.label);
    this.setStatus(this.strings.detailLoaded);
    this.status.hidden = true;
    return true;
  }

  setupInspect() {
    const button = this.root.querySelector('#viewer-inspect');
    const url = this.config.lods?.inspection;
    if (!button || !url || this.slot.label === 'inspection') return;
    button.hidden = false;
    button.addEventListener('click', async () => {
      if (button.getAttribute('aria-disabled') === 'true') return;
      button.setAttribute('aria-disabled', 'true');
      const ok = await this.upgrade({ label: 'inspection', url }, this.strings.inspectLoading);
      if (ok) button.textContent = this.strings.inspectShown;
      else button.removeAttribute('aria-disabled');
    });
  }

  setupMeasure(radius) {
    if (!this.plan.metric) return;
    this.measure = createMeasureTool(this, radius);
  }

  setupHotspots() {
    const annotations = this.config.annotations;
    if (!annotations.length) return;
    this.hotspots = new Hotspots({
      layer: this.root.querySelector('#viewer-hotspots'),
      listButtons: [...document.querySelectorAll('.annotation-button')],
      detail: document.getElementById('annotation-detail'),
      annotations,
      labelTemplate: this.strings.hotspot,
      onActivate: (index) => this.showAnnotation(index),
    });
  }

  showAnnotation(index) {
    const annotation = this.config.annotations[index];
    if (annotation.cameraPosition?.length !== 3) {
      const view = viewOf(annotation, this.radius);
      return this.moveTo(view.position, view.target);
    }
    const position = new THREE.Vector3().fromArray(annotation.cameraPosition);
    const target = new THREE.Vector3().fromArray(annotation.cameraTarget);
    return this.moveTo(position, target);
  }

  moveTo(position, target) {
    const done = this.tween.to(position, target);
    this.requestRender();
    return done;
  }

  setupToolbar() {
    const actions = {
      'rotate-left': () => this.moveTo(orbitPosition(this.camera, this.controls.target, -ROTATE_STEP), this.controls.target, 400),
      'rotate-right': () => this.moveTo(orbitPosition(this.camera, this.controls.target, ROTATE_STEP), this.controls.target, 400),
      'zoom-in': () => this.moveTo(dollyPosition(this.camera, this.controls, ZOOM_STEP), this.controls.target, 300),
      'zoom-out': () => this.moveTo(dollyPosition(this.camera, this.controls, 1 / ZOOM_STEP), this.controls.target, 300),
      reset: () => {
        this.hotspots?.setActive(-1);
        return this.moveTo(this.home.position, this.home.target);
      },
    };
    for (const button of this.root.querySelectorAll('[data-action]')) {
      button.addEventListener('click', () => actions[button.dataset.action]?.());
    }
  }

  setupXR() {
    const container = this.root.querySelector('#viewer-xr');
    if (!container) return;
    // In VR each controller is drawn as its model, as in the gallery (xr-controllers.js).
    if (container.dataset.xrProfiles) {
      this.controllerModels = controllerModelFactory(container.dataset.xrProfiles);
      addControllerModels({ renderer: this.renderer, parent: this.dolly, factory: this.controllerModels });
    }
    let saved = null;
    const xrModes = setupXRButtons({
      container,
      note: this.root.querySelector('#viewer-xr-note'),
      renderer: this.renderer,
      strings: this.strings,
      onStart: (mode) => {
        saved = placeForXR({ mode, dolly: this.dolly, camera: this.camera, box: this.bounds, heightM: this.config.heightM });
        if (mode === 'immersive-ar') this.scene.background = null;
        this.hotspots?.setVisible(false);
        this.measure?.setVisible(false);
        this.renderer.setAnimationLoop(() => this.renderer.render(this.scene, this.camera));
      },
      onEnd: () => {
        this.renderer.setAnimationLoop(null);
        saved?.restore();
        this.scene.background = new THREE.Color(BACKGROUND);
        this.hotspots?.setVisible(true);
        this.measure?.setVisible(true);
        this.resize();
        this.requestRender();
      },
    });
    this.quickLook = xrModes.then((modes) => setupQuickLook({
      link: container.querySelector('#viewer-quicklook'),
      arButton: container.querySelector('[data-xr-mode="immersive-ar"]'),
      xrModes: modes,
      // Quick Look shows the model's own materials, whatever inspection mode is on.
      makeUsdz: () => this.tools?.modes.withOwnMaterials(this.model, () => exportUsdz(this.model)) ?? exportUsdz(this.model),
      title: this.config.title,
      root: this.root,
    }));
  }

  /** Camera state for tests and future features (plain arrays). */
  cameraState() {
    return {
      position: this.camera.position.toArray(),
      target: this.controls.target.toArray(),
    };
  }
}

function main() {
  const root = document.getElementById('viewer');
  const configElement = document.getElementById('viewer-config');
  if (!root || !configElement) return;
  const config = JSON.parse(configElement.textContent);
  const viewer = new ArtifactViewer(root, config);
  viewer.damage = setupDamageOverlay(viewer);
  viewer.compare = setupRestorationCompare(viewer);
  window.mouseionViewer = testHook(viewer, root);
  if (!viewer.plan.steps.length) return;
  viewer.prefetch();
  if (viewer.init()) viewer.load();
}

main();
