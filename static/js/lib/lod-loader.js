/**
 * Progressive loading of an artifact's LOD ladder: a small "thumb" GLB first for a fast first
 * frame, then the "web" LOD swapped in place, and the "inspection" LOD only on request.
 *
 * LOD GLBs are meshopt-compressed and normalised (metres, Y-up, standing on y=0), all in the
 * same coordinates, so a swap never moves the camera. Artifacts without LODs (intake still
 * running) load their single model, which may be a Draco-compressed source.
 */
import * as THREE from 'three';
import { DRACOLoader } from 'three/addons/loaders/DRACOLoader.js';
import { GLTFLoader } from 'three/addons/loaders/GLTFLoader.js';
import { MeshoptDecoder } from 'three/addons/libs/meshopt_decoder.module.js';

/** Labels loaded on page load, in order; "inspection" waits for the visitor to ask. */
const AUTOMATIC = ['thumb', 'web'];

/**
 * The models to load on page load, in order, as {label, url}.
 * `?lod=<label>` forces a single LOD (for debugging and as the benchmark's baseline).
 * @param {object} config viewer config (lods, modelUrl)
 * @param {string} search location.search
 * @returns {{steps: {label: string, url: string}[], metric: boolean, forced: string|null}}
 */
export function lodPlan(config, search = window.location.search) {
  const lods = config.lods || {};
  const forced = new URLSearchParams(search).get('lod');
  if (forced && lods[forced]) {
    return { steps: [{ label: forced, url: lods[forced] }], metric: true, forced };
  }
  let steps = AUTOMATIC.filter((label) => lods[label]).map((label) => ({ label, url: lods[label] }));
  if (!steps.length && lods.inspection) steps = [{ label: 'inspection', url: lods.inspection }];
  if (steps.length) return { steps, metric: true, forced: null };
  return {
    steps: config.modelUrl ? [{ label: 'model', url: config.modelUrl }] : [],
    metric: false,
    forced: null,
  };
}

/**
 * Load one glTF/GLB and return its scene.
 * @param {string} url
 * @param {string} dracoDecoderPath local path of the Draco decoder (no CDN)
 * @param {(percent: number) => void} [onProgress] called when the size is known
 * @returns {Promise<THREE.Group>}
 */
export async function loadModel(url, dracoDecoderPath, onProgress) {
  // A DRACOLoader cannot be reused after dispose(), so each load gets its own; its workers
  // only start when a file actually uses Draco.
  const draco = new DRACOLoader().setDecoderPath(dracoDecoderPath);
  const loader = new GLTFLoader().setDRACOLoader(draco).setMeshoptDecoder(MeshoptDecoder);
  try {
    const gltf = await loader.loadAsync(url, (event) => {
      if (onProgress && event.lengthComputable && event.total > 0) {
        onProgress(Math.round((100 * event.loaded) / event.total));
      }
    });
    return gltf.scene;
  } finally {
    draco.dispose();
  }
}

/** Free the GPU memory (geometries, materials, textures) held by an object tree. */
export function disposeObject(root) {
  const textures = new Set();
  const materials = new Set();
  root.traverse((object) => {
    if (object.geometry) object.geometry.dispose();
    if (!object.material) return;
    for (const material of [object.material].flat()) {
      materials.add(material);
      for (const value of Object.values(material)) {
        if (value && value.isTexture) textures.add(value);
      }
    }
  });
  for (const texture of textures) {
    texture.dispose();
    const image = texture.source?.data;
    if (typeof ImageBitmap !== 'undefined' && image instanceof ImageBitmap) image.close();
  }
  for (const material of materials) material.dispose();
}

/** Count the geometries and textures of an object tree (to check that swaps free memory). */
export function countResources(root) {
  const geometries = new Set();
  const textures = new Set();
  root?.traverse((object) => {
    if (object.geometry) geometries.add(object.geometry);
    for (const material of [object.material ?? []].flat()) {
      for (const value of Object.values(material)) {
        if (value && value.isTexture) textures.add(value);
      }
    }
  });
  return { geometries: geometries.size, textures: textures.size };
}

/** The scene slot holding the current model; a swap replaces it in place and frees the old. */
export class ModelSlot {
  constructor(scene) {
    this.group = new THREE.Group();
    this.group.name = 'artifact';
    scene.add(this.group);
    this.model = null;
    this.label = null;
    /** Called as (previous, model) before the previous model is disposed (inspect tools). */
    this.onSwap = null;
  }

  /** Show `model` (labelled `label`) instead of the current one, which is disposed. */
  swap(model, label) {
    const previous = this.model;
    this.group.add(model);
    this.model = model;
    this.label = label;
    this.onSwap?.(previous, model);
    if (previous) {
      this.group.remove(previous);
      disposeObject(previous);
    }
  }

  bounds() {
    return new THREE.Box3().setFromObject(this.group);
  }
}
