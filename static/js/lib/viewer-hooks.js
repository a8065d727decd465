/**
 * window.mouseionViewer: the viewer's test and debugging hook (plain data and promises).
 *
 * Times are performance.now() values, i.e. milliseconds since navigation start.
 */
import * as THREE from 'three';
import { countResources } from './lod-loader.js';
import { loadControllerModel } from './xr-controllers.js';

/**
 * @param {object} viewer the ArtifactViewer
 * @param {HTMLElement} root the #viewer element
 */
export function testHook(viewer, root) {
  return {
    ready: viewer.ready,
    get state() { return root.dataset.state; },
    get renderCount() { return viewer.renderCount; },
    getCameraPosition: () => viewer.cameraState().position,
    getCameraTarget: () => viewer.cameraState().target,
    showAnnotation: (index) => viewer.hotspots?.activate(index),
    // Region annotations and their layers (region-layers.js, #23).
    regionState: () => viewer.regions?.state() ?? null,
    isMoving: () => Boolean(viewer.tween?.active),
    // Progressive loading: the LOD shown now, every swap so far, and when (ms since navigation).
    fullLod: viewer.fullLod,
    get lod() { return viewer.slot?.label ?? null; },
    get lodHistory() { return viewer.lodHistory.map((entry) => ({ ...entry })); },
    get plan() { return viewer.plan.steps.map((step) => step.label); },
    get firstFrameTime() { return viewer.timings.firstFrame; },
    get fullLodTime() { return viewer.timings.fullLod; },
    // GPU resources alive (renderer) and held by the current model: a swap must free the old.
    resources: () => ({
      renderer: { ...viewer.renderer.info.memory },
      model: countResources(viewer.model),
    }),
    // Measurement: points in model metres; client coordinates in CSS pixels.
    measureBetween: (a, b) => viewer.measure?.measureBetween(
      new THREE.Vector3().fromArray(a), new THREE.Vector3().fromArray(b),
    ) ?? null,
    measureState: () => viewer.measure?.state() ?? null,
    // Angle, area and point modes (measure.js): points in model metres; returns the state.
    measureWith: (mode, points) => viewer.measure?.measureWith(
      mode, points.map((p) => new THREE.Vector3().fromArray(p)),
    ) ?? null,
    // Inspection tools (inspect-tools.js): their state, and a world point in client pixels.
    inspectState: () => viewer.tools?.state() ?? null,
    clientPoint: (point) => {
      const rect = viewer.canvas.getBoundingClientRect();
      const v = new THREE.Vector3().fromArray(point).project(viewer.camera);
      return [rect.left + ((v.x + 1) / 2) * rect.width, rect.top + ((1 - v.y) / 2) * rect.height];
    },
    cameraRight: () => new THREE.Vector3().setFromMatrixColumn(viewer.camera.matrixWorld, 0).toArray(),
    surfacePointAt: (clientX, clientY) => viewer.measure?.surfacePointAtClient(clientX, clientY)?.toArray() ?? null,
    // Damage overlay (damage-overlay.js): resolves true once its panel is shown.
    damageReady: () => viewer.damage?.ready ?? Promise.resolve(false),
    damageState: () => viewer.damage?.state() ?? null,
    setDamage: (on, mode) => {
      if (!viewer.damage) return Promise.resolve(null);
      if (mode) viewer.damage.mode = mode;
      return viewer.damage.setActive(on).then(() => viewer.damage.state());
    },
    // Before/after restoration (restoration-compare.js): resolves once its panel is set up.
    restorationReady: () => viewer.compare?.ready ?? Promise.resolve(false),
    restorationState: () => viewer.compare?.state() ?? null,
    setRestorationSplit: (fraction) => viewer.compare?.setSplit(fraction),
    // AR Quick Look (quick-look.js): whether the link is offered, once the XR check is done.
    quickLook: () => Promise.resolve(viewer.quickLook ?? null).then((quickLook) => ({ offered: Boolean(quickLook) })),
    // VR controller models (xr-controllers.js): a pretend controller with these profile ids.
    loadControllerModel: (profiles, handedness = 'right') => loadControllerModel(viewer.controllerModels, profiles, handedness),
    modelBounds: () => {
      const box = viewer.slot?.bounds();
      return box ? { min: box.min.toArray(), max: box.max.toArray() } : null;
    },
  };
}
