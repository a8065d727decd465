/**
 * Walking the gallery in VR: the "Enter VR" button (xr-buttons.js), a ray from each controller
 * and teleporting: point at the floor, hold the trigger to see where you would land (a ring,
 * shown only where one may stand), release it to go there. Pointed at an object or a picture,
 * releasing the trigger opens its page (the session ends first). With the shared pointer on
 * (gallery-pointer.js; the squeeze button toggles it) the trigger points for the room instead.
 *
 * Each controller is drawn as its own model (xr-controllers.js, shared with the artifact viewer)
 * from the WebXR input profiles served locally: the container's data-xr-profiles names their
 * static directory.
 */
import * as THREE from 'three';
import { addControllerModels, controllerModelFactory } from './xr-controllers.js';
import { setupXRButtons } from './xr-buttons.js';

const RAY_LENGTH = 6;

function makeRay() {
  const geometry = new THREE.BufferGeometry().setFromPoints([
    new THREE.Vector3(0, 0, 0), new THREE.Vector3(0, 0, -1),
  ]);
  const line = new THREE.Line(geometry, new THREE.LineBasicMaterial({ color: 0xffd166 }));
  line.scale.z = RAY_LENGTH;
  line.name = 'ray';
  return line;
}

function makeMarker() {
  const marker = new THREE.Mesh(
    new THREE.RingGeometry(0.22, 0.3, 32).rotateX(-Math.PI / 2),
    new THREE.MeshBasicMaterial({ color: 0xffd166, transparent: true, opacity: 0.9 }),
  );
  marker.position.y = 0.01;
  marker.visible = false;
  marker.name = 'teleport-marker';
  return marker;
}

/**
 * @param {object} options
 * @param {object} options.gallery the Gallery (renderer, scene, rig, camera, walker, floors)
 * @param {HTMLElement} options.container holds the data-xr-mode button
 * @param {HTMLElement|null} options.note
 */
export function setupGalleryXR({ gallery, container, note }) {
  const { renderer, scene, rig, camera, walker } = gallery;
  const raycaster = new THREE.Raycaster();
  const matrix = new THREE.Matrix4();
  const marker = makeMarker();
  scene.add(marker);
  const models = controllerModelFactory(container.dataset.xrProfiles);
  gallery.controllerModels = models;
  const controllers = [0, 1].map((index) => {
    const controller = renderer.xr.getController(index);
    controller.add(makeRay());
    controller.userData.selecting = false;
    controller.addEventListener('selectstart', () => { controller.userData.selecting = true; });
    controller.addEventListener('selectend', () => {
      controller.userData.selecting = false;
      if (gallery.pointer?.pointing) { // the trigger pointed: it neither walks nor opens
        gallery.pointer.aim(null);
        return;
      }
      const item = controller.userData.item;
      controller.userData.item = undefined;
      if (item !== undefined) gallery.openItem(item);
      else if (marker.visible) teleport(marker.position);
      marker.visible = false;
    });
    // Educators and curators: the squeeze button turns the shared pointer on and off.
    controller.addEventListener('squeezestart', () => gallery.pointer?.setPointing(!gallery.pointer.pointing));
    controller.addEventListener('connected', (event) => {
      // Gaze or screen input has no ray to draw.
      controller.children[0].visible = event.data?.targetRayMode === 'tracked-pointer';
    });
    rig.add(controller);
    return controller;
  });
  // The grip space follows the hand holding the controller; the model is drawn there.
  addControllerModels({ renderer, parent: rig, factory: models });

  /** Move the rig so that the head (not the rig origin) lands on `point`. */
  function teleport(point) {
    const head = new THREE.Vector3();
    camera.getWorldPosition(head);
    rig.position.x += point.x - head.x;
    rig.position.z += point.z - head.z;
  }

  /** Per XR frame: where would the pressed controller land? */
  function aim() {
    const active = controllers.find((c) => c.userData.selecting);
    if (!active) return;
    matrix.identity().extractRotation(active.matrixWorld);
    raycaster.ray.origin.setFromMatrixPosition(active.matrixWorld);
    raycaster.ray.direction.set(0, 0, -1).applyMatrix4(matrix);
    raycaster.far = RAY_LENGTH * 2;
    const targets = [...gallery.floors, ...gallery.walls, ...gallery.itemTargets()];
    const hit = raycaster.intersectObjects(targets, true)[0];
    active.userData.item = undefined;
    if (gallery.pointer?.pointing) { // pointing for the room (gallery-pointer.js), not walking
      gallery.pointer.aim(hit ? hit.point.toArray() : null);
      marker.visible = false;
      return;
    }
    for (let object = hit?.object; object; object = object.parent) {
      if (object.userData.itemIndex !== undefined) {
        active.userData.item = object.userData.itemIndex;
        break;
      }
    }
    const ok = hit && hit.object.userData.floor && walker.canStand(hit.point.x, hit.point.z);
    marker.visible = Boolean(ok);
    if (ok) marker.position.set(hit.point.x, 0.01, hit.point.z);
  }

  /**
   * One press and release of the first controller's trigger, the controller at world `origin`
   * pointing at `target` ([x, y, z]): what a visitor's hand does, for tests and debugging
   * outside a headset (the hook's vrSelect). Returns what it pointed at.
   */
  gallery.xrSelect = (origin, target) => {
    const [controller] = controllers;
    const from = new THREE.Vector3().fromArray(origin);
    controller.dispatchEvent({ type: 'selectstart' });
    // A matrix whose -z looks from `origin` to `target`, as a controller's target ray does.
    controller.matrixWorld.lookAt(from, new THREE.Vector3().fromArray(target), new THREE.Vector3(0, 1, 0));
    controller.matrixWorld.setPosition(from);
    aim();
    const pointed = { item: controller.userData.item ?? null, floor: marker.visible };
    controller.dispatchEvent({ type: 'selectend' });
    return pointed;
  };

  let saved = null;
  return setupXRButtons({
    container,
    note,
    renderer,
    strings: gallery.strings,
    onStart: () => {
      saved = { position: camera.position.clone(), pitch: camera.rotation.x };
      // In XR the headset sets the camera's pose inside the rig (local-floor: y is real height).
      camera.position.set(0, 0, 0);
      camera.rotation.x = 0;
      gallery.presenting = true;
      renderer.setAnimationLoop((time) => {
        aim();
        gallery.frame(time, { xr: true });
      });
    },
    onEnd: () => {
      renderer.setAnimationLoop(null);
      gallery.presenting = false;
      marker.visible = false;
      if (saved) {
        camera.position.copy(saved.position);
        camera.rotation.set(saved.pitch, 0, 0);
      }
      gallery.resize();
      gallery.requestRender();
    },
  });
}
