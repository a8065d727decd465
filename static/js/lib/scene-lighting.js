/**
 * The one lighting of the 3D views (artifact viewer, tour stage, gallery): image-based light
 * from three.js's RoomEnvironment (generated in the browser, no HDR file), neutral tone mapping,
 * and an exposure metered on the object like a camera's, so white plaster or bone keeps its form
 * instead of clipping to white and dark metal shows its reflections instead of a black shape.
 */
import * as THREE from 'three';
import { RoomEnvironment } from 'three/addons/environments/RoomEnvironment.js';

/** Exposure before metering (and in the gallery, where a room holds many objects). */
export const DEFAULT_EXPOSURE = 0.8;
// Metering: the model's mean linear luminance is brought to TARGET, within these bounds (a
// whale skull of white bone comes out near 0.5, a near-black polished lamp at the top).
const METER_TARGET = 0.36;
const EXPOSURE_RANGE = [0.4, 3.2];
const METER_SIDE = 48;

/** Neutral tone mapping (keeps hues true, Khronos PBR Neutral) at the default exposure. */
export function configureRenderer(renderer, { exposure = DEFAULT_EXPOSURE } = {}) {
  renderer.outputColorSpace = THREE.SRGBColorSpace;
  renderer.toneMapping = THREE.NeutralToneMapping;
  renderer.toneMappingExposure = exposure;
}

/**
 * The room environment, prefiltered for image-based lighting. A 64 px cube is plenty for soft
 * museum light and costs a sixteenth of the default 256 on a software renderer (SwiftShader),
 * where this is the slowest step of a page load.
 */
export function roomEnvironment(renderer, { size = 64 } = {}) {
  const pmrem = new THREE.PMREMGenerator(renderer);
  const room = new RoomEnvironment();
  const texture = pmrem.fromScene(room, 0.04, 0.1, 100, { size }).texture;
  room.dispose();
  pmrem.dispose();
  return texture;
}

/** A soft key light from above and in front, for form; the environment does the rest. */
export function keyLight(intensity = 0.6) {
  const key = new THREE.DirectionalLight(0xffffff, intensity);
  key.position.set(1, 2, 1.5);
  return key;
}

/**
 * Meter `scene` as `camera` sees it and set the renderer's exposure so the object's mean
 * luminance is mid-tone: one small offscreen render (linear, no tone mapping), read back.
 * Pixels the object does not cover (transparent in the render) are left out. Returns the
 * exposure, or null when nothing was covered (then the exposure is unchanged).
 */
export function meterExposure(renderer, scene, camera) {
  const target = new THREE.WebGLRenderTarget(METER_SIDE, METER_SIDE);
  const pixels = new Uint8Array(METER_SIDE * METER_SIDE * 4);
  const background = scene.background;
  const previousTarget = renderer.getRenderTarget();
  const clearColour = renderer.getClearColor(new THREE.Color());
  const clearAlpha = renderer.getClearAlpha();
  const xr = renderer.xr.enabled;
  try {
    scene.background = null;
    renderer.xr.enabled = false;
    renderer.setRenderTarget(target);
    renderer.setClearColor(0x000000, 0);
    renderer.clear();
    renderer.render(scene, camera);
    renderer.readRenderTargetPixels(target, 0, 0, METER_SIDE, METER_SIDE, pixels);
  } finally {
    scene.background = background;
    renderer.setRenderTarget(previousTarget);
    renderer.setClearColor(clearColour, clearAlpha);
    renderer.xr.enabled = xr;
    target.dispose();
  }
  let sum = 0;
  let covered = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] < 128) continue;
    sum += (0.2126 * pixels[i] + 0.7152 * pixels[i + 1] + 0.0722 * pixels[i + 2]) / 255;
    covered += 1;
  }
  if (!covered) return null;
  const mean = Math.max(sum / covered, 1e-4);
  const exposure = THREE.MathUtils.clamp(METER_TARGET / mean, ...EXPOSURE_RANGE);
  renderer.toneMappingExposure = exposure;
  return exposure;
}

/**
 * Give the PBR materials of `object` the environment as their own: used where the scene's
 * environment would also light everything else (the gallery's walls). Metals have no diffuse
 * light and read only by what they reflect, so they get more of it.
 */
export function reflectEnvironment(object, environment, { dielectric = 0.4, metal = 1.4 } = {}) {
  object.traverse((child) => {
    for (const material of [child.material].flat()) {
      if (!material?.isMeshStandardMaterial) continue;
      material.envMap = environment;
      material.envMapIntensity = THREE.MathUtils.lerp(dielectric, metal, material.metalness);
    }
  });
}
