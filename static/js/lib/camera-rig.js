/**
 * Camera framing and smooth moves for the orbit viewer.
 *
 * Coordinates are the model's own (the scene is never rescaled), so every distance here is
 * derived from the model's bounding sphere.
 */
import * as THREE from 'three';

const REDUCED_MOTION = window.matchMedia('(prefers-reduced-motion: reduce)');

/** Ease in and out (cubic). */
function ease(t) {
  return t < 0.5 ? 4 * t * t * t : 1 - Math.pow(-2 * t + 2, 3) / 2;
}

/**
 * Frame `camera` and `controls` on `object`; returns the home view and the bounding sphere.
 * @param {THREE.PerspectiveCamera} camera
 * @param {import('three/addons/controls/OrbitControls.js').OrbitControls} controls
 * @param {THREE.Object3D} object
 * @param {THREE.Vector3[]} extraPoints points the camera may visit (annotation views)
 */
export function frameObject(camera, controls, object, extraPoints = []) {
  const box = new THREE.Box3().setFromObject(object);
  const sphere = box.getBoundingSphere(new THREE.Sphere());
  const radius = sphere.radius > 0 ? sphere.radius : 1;
  // A slightly raised three-quarter view reads shapes better than a flat front view.
  const direction = new THREE.Vector3(0.35, 0.25, 1).normalize();
  const distance = fitDistance(camera, box, sphere.center, direction) * 1.12;
  const position = sphere.center.clone().addScaledVector(direction, distance);

  let farthest = distance;
  for (const point of extraPoints) farthest = Math.max(farthest, point.distanceTo(sphere.center));
  camera.near = radius / 200;
  camera.far = (farthest + radius) * 20;
  camera.position.copy(position);
  camera.updateProjectionMatrix();
  controls.target.copy(sphere.center);
  controls.minDistance = radius * 0.05;
  controls.maxDistance = Math.max(distance * 4, farthest * 1.5);
  controls.update();
  return { box, sphere, home: { position, target: sphere.center.clone() } };
}

/** Smallest distance along `direction` from `center` at which all corners of `box` are in view. */
function fitDistance(camera, box, center, direction) {
  const tanV = Math.tan(THREE.MathUtils.degToRad(camera.fov) / 2);
  const tanH = tanV * camera.aspect;
  const right = new THREE.Vector3().crossVectors(camera.up, direction).normalize();
  const up = new THREE.Vector3().crossVectors(direction, right);
  const corner = new THREE.Vector3();
  let distance = 0;
  for (let i = 0; i < 8; i += 1) {
    corner.set(
      i & 1 ? box.max.x : box.min.x,
      i & 2 ? box.max.y : box.min.y,
      i & 4 ? box.max.z : box.min.z,
    ).sub(center);
    const depth = corner.dot(direction); // toward the camera
    distance = Math.max(
      distance,
      depth + Math.abs(corner.dot(right)) / tanH,
      depth + Math.abs(corner.dot(up)) / tanV,
    );
  }
  return distance > 0 ? distance : 1;
}

/** Animates camera position and orbit target; cancelled when the visitor takes over. */
export class CameraTween {
  /**
   * @param {THREE.PerspectiveCamera} camera
   * @param {import('three/addons/controls/OrbitControls.js').OrbitControls} controls
   */
  constructor(camera, controls) {
    this.camera = camera;
    this.controls = controls;
    this.active = null;
  }

  /** Start a move; resolves when it ends (or immediately with reduced motion). */
  to(position, target, duration = 900) {
    this.cancel();
    if (REDUCED_MOTION.matches || duration <= 0) {
      this.camera.position.copy(position);
      this.controls.target.copy(target);
      this.controls.update();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.active = {
        start: performance.now(),
        duration,
        fromPosition: this.camera.position.clone(),
        fromTarget: this.controls.target.clone(),
        toPosition: position.clone(),
        toTarget: target.clone(),
        resolve,
      };
    });
  }

  cancel() {
    if (this.active) {
      this.active.resolve();
      this.active = null;
    }
  }

  /** Advance the move; returns true while it still runs. */
  step(now = performance.now()) {
    const move = this.active;
    if (!move) return false;
    const t = Math.min(1, (now - move.start) / move.duration);
    const k = ease(t);
    this.camera.position.lerpVectors(move.fromPosition, move.toPosition, k);
    this.controls.target.lerpVectors(move.fromTarget, move.toTarget, k);
    if (t >= 1) {
      this.active = null;
      move.resolve();
      return false;
    }
    return true;
  }
}

/** Position after orbiting `angle` radians around the target's vertical axis. */
export function orbitPosition(camera, target, angle) {
  const offset = camera.position.clone().sub(target);
  offset.applyAxisAngle(camera.up, angle);
  return target.clone().add(offset);
}

/** Position after moving toward (factor < 1) or away from the target, within the limits. */
export function dollyPosition(camera, controls, factor) {
  const offset = camera.position.clone().sub(controls.target);
  const length = THREE.MathUtils.clamp(
    offset.length() * factor,
    controls.minDistance,
    controls.maxDistance,
  );
  return controls.target.clone().add(offset.setLength(length));
}
