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
 * The room environment, prefiltered for image-based lighting, made in the browser. three.js
 * prefilters at 256 px a face at least (whatever `size` asks): seconds on a software renderer
 * (SwiftShader), so the pages load the copy made offline instead (loadRoomEnvironment) and this
 * is only its fallback.
 */
export function roomEnvironment(renderer, { size = 64 } = {}) {
  const pmrem = new THREE.PMREMGenerator(renderer);
  const room = new RoomEnvironment();
  const texture = pmrem.fromScene(room, 0.04, 0.1, 100, { size }).texture;
  room.dispose();
  pmrem.dispose();
  return texture;
}

// The same environment prefiltered once by three.js at 64 px a face (scripts/room_environment.py
// writes it; the import map gives its hashed URL).
const PREFILTERED = 'mouseion/room-environment.pmrem';
const MAGIC = 'MPMREM1\0';

/**
 * The room environment as a prefiltered cube texture, from the file made offline: a download of
 * ~80 kB (compressed) and one upload, instead of a prefilter that held the first lit frame of a
 * software renderer back by ~2.4 s. Falls back to roomEnvironment() if the file cannot be had.
 * @param {THREE.WebGLRenderer} renderer
 * @returns {Promise<THREE.Texture>}
 */
export async function loadRoomEnvironment(renderer) {
  try {
    const response = await fetch(import.meta.resolve(PREFILTERED));
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return prefilteredCube(await response.arrayBuffer());
  } catch (error) {
    console.warn('Mouseion: the prefiltered room environment could not be loaded; prefiltering here.', error);
    return roomEnvironment(renderer);
  }
}

/**
 * A PMREM cube texture from the file's bytes (format: scripts/room_environment.py): each mip
 * level's six faces as RGBA half floats (three.js takes a cube texture with explicit levels and
 * `isPMREMTexture` as already prefiltered).
 *
 * The file holds the faces as the prefilter rendered them. three.js samples an uploaded cube
 * texture with x mirrored (the cube map convention of images) but its own render targets not, so
 * the faces are mirrored back here: +X and -X swap and every face is flipped left to right.
 * @param {ArrayBuffer} buffer
 * @returns {THREE.CompressedCubeTexture}
 */
export function prefilteredCube(buffer) {
  const text = new TextDecoder();
  if (buffer.byteLength < 12 || text.decode(new Uint8Array(buffer, 0, 8)) !== MAGIC) {
    throw new Error('not a prefiltered environment');
  }
  const length = new DataView(buffer).getUint32(8, true);
  const { sizes, format } = JSON.parse(text.decode(new Uint8Array(buffer, 12, length)));
  if (format !== 'rgba16f' || !sizes?.length) throw new Error(`unsupported environment format ${format}`);
  const faces = Array.from({ length: 6 }, () => ({ width: sizes[0], height: sizes[0], mipmaps: [] }));
  let offset = 12 + length;
  for (const side of sizes) {
    const count = side * side * 4;
    if (offset + 6 * count * 2 > buffer.byteLength) throw new Error('truncated environment file');
    for (let face = 0; face < 6; face++) {
      // Half floats in the file are little-endian, as on every platform WebGL runs on.
      const source = new Uint16Array(buffer, offset + [1, 0, 2, 3, 4, 5][face] * count * 2, count);
      faces[face].mipmaps.push({ data: mirrored(source, side), width: side, height: side });
    }
    offset += 6 * count * 2;
  }
  if (offset !== buffer.byteLength) throw new Error('environment file longer than its levels');
  const texture = new THREE.CompressedCubeTexture(faces, THREE.RGBAFormat, THREE.HalfFloatType);
  texture.name = 'PMREM';
  texture.isPMREMTexture = true;
  texture.colorSpace = THREE.LinearSRGBColorSpace;
  texture.magFilter = THREE.LinearFilter;
  texture.minFilter = THREE.LinearMipmapLinearFilter;
  texture.generateMipmaps = false;
  texture.needsUpdate = true;
  return texture;
}

/** RGBA texels of a `side`-wide square, each row reversed (left to right). */
function mirrored(texels, side) {
  const out = new Uint16Array(texels.length);
  for (let row = 0; row < side; row++) {
    for (let column = 0; column < side; column++) {
      const from = (row * side + column) * 4;
      out.set(texels.subarray(from, from + 4), (row * side + side - 1 - column) * 4);
    }
  }
  return out;
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
