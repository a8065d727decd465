/**
 * Bring the model to real size in front of the visitor for an immersive session.
 *
 * The scene keeps the model's own units (annotations live in them), so instead of scaling the
 * model we scale and move the dolly that carries the camera, and undo it when the session ends.
 */
import * as THREE from 'three';

/** Scene units per metre: from the recorded height when known, else guessed from the size. */
export function unitsPerMetre(box, heightM) {
  const size = box.getSize(new THREE.Vector3());
  if (heightM && heightM > 0 && size.y > 0) return size.y / heightM;
  // Scans in millimetres are common (a 2 m statue is 2000 units); metres otherwise.
  return Math.max(size.x, size.y, size.z) > 50 ? 1000 : 1;
}

/**
 * @param {object} options
 * @param {'immersive-vr'|'immersive-ar'} options.mode
 * @param {THREE.Group} options.dolly parent of the camera
 * @param {THREE.PerspectiveCamera} options.camera
 * @param {THREE.Box3} options.box the model's bounds in scene units
 * @param {number|null} options.heightM the object's real height, if recorded
 * @returns {{restore: () => void}}
 */
export function placeForXR({ mode, dolly, camera, box, heightM }) {
  const saved = {
    position: camera.position.clone(),
    quaternion: camera.quaternion.clone(),
    near: camera.near,
    far: camera.far,
  };
  const scale = unitsPerMetre(box, heightM);
  const center = box.getCenter(new THREE.Vector3());
  const radiusM = box.getBoundingSphere(new THREE.Sphere()).radius / scale;
  const distanceM = Math.max(1.0, radiusM + 0.8);
  dolly.scale.setScalar(scale);
  if (mode === 'immersive-vr') {
    // local-floor: the visitor stands at the origin; the model stands on the floor before them.
    dolly.position.set(center.x, box.min.y, center.z + distanceM * scale);
  } else {
    // local: the origin is the device; the model floats a little below eye level.
    dolly.position.set(center.x, center.y + 0.3 * scale, center.z + distanceM * scale);
  }
  camera.position.set(0, 0, 0);
  camera.quaternion.identity();
  // XR depth planes are in metres of view space.
  camera.near = 0.02;
  camera.far = 200;
  return {
    restore() {
      dolly.position.set(0, 0, 0);
      dolly.scale.setScalar(1);
      camera.position.copy(saved.position);
      camera.quaternion.copy(saved.quaternion);
      camera.near = saved.near;
      camera.far = saved.far;
      camera.updateProjectionMatrix();
    },
  };
}
