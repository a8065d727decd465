/**
 * VR controller models for both 3D views (the gallery's walk, the artifact viewer): each
 * controller is drawn as its own model (three's XRControllerModelFactory) from the WebXR input
 * profiles served locally (a subset, settings.XR_INPUT_PROFILES; no CDN). A page names their
 * static directory in its XR container's data-xr-profiles. A controller without a served
 * profile gets the generic trigger model.
 */
import * as THREE from 'three';
import { XRControllerModelFactory } from 'three/addons/webxr/XRControllerModelFactory.js';

/**
 * The factory of controller models, loading profiles from `profilesPath` (a static directory URL;
 * the factory appends "/profilesList.json" and the profile's files).
 * @param {string} profilesPath
 */
export function controllerModelFactory(profilesPath) {
  return new XRControllerModelFactory().setPath(profilesPath.replace(/\/+$/, ''));
}

/**
 * A model in the grip space of each of the two controllers, added to `parent` (what carries the
 * camera: the headset's and the controllers' poses share its space).
 * @param {object} options
 * @param {THREE.WebGLRenderer} options.renderer
 * @param {THREE.Object3D} options.parent
 * @param {XRControllerModelFactory} options.factory
 * @returns {THREE.Group[]} the grips
 */
export function addControllerModels({ renderer, parent, factory }) {
  return [0, 1].map((index) => {
    const grip = renderer.xr.getControllerGrip(index);
    grip.add(factory.createControllerModel(grip));
    parent.add(grip);
    return grip;
  });
}

/**
 * Tests and debugging outside a headset: connect a pretend input source with these WebXR
 * profile ids; resolves with where its model came from once loaded.
 * @param {XRControllerModelFactory|null|undefined} factory
 * @param {string[]} profiles
 * @param {string} handedness
 */
export function loadControllerModel(factory, profiles, handedness = 'right') {
  if (!factory) return Promise.resolve(null);
  return new Promise((resolve) => {
    const grip = new THREE.Group();
    const model = factory.createControllerModel(grip);
    const previous = factory.onLoad;
    factory.onLoad = (scene) => {
      factory.onLoad = previous;
      let meshes = 0;
      scene.traverse((object) => { if (object.isMesh) meshes += 1; });
      resolve({ path: factory.path, profile: model.motionController.id, assetUrl: model.motionController.assetUrl, meshes });
    };
    const button = { pressed: false, touched: false, value: 0 };
    grip.dispatchEvent({
      type: 'connected',
      data: { targetRayMode: 'tracked-pointer', handedness, profiles, gamepad: { buttons: Array(7).fill(button), axes: [0, 0, 0, 0] } },
    });
  });
}
