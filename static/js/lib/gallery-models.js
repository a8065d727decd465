/**
 * Puts each artifact on its plinth: every thumb LOD first, then every web LOD, each round
 * nearest to the visitor first, two downloads at a time. LODs are in metres, standing on y=0,
 * so they keep their real size; a plain source model (no LODs yet) is scaled to the recorded
 * height, or to fit its plinth.
 *
 * Each plinth holds a THREE.LOD: once the web LOD is in, it is drawn only within NEAR_M of the
 * camera and the thumb further away, so a room full of objects costs little to draw.
 */
import * as THREE from 'three';
import { loadModel } from './lod-loader.js';
import { reflectEnvironment } from './scene-lighting.js';

const PARALLEL = 2;
const ROUNDS = ['thumb', 'web'];
const NEAR_M = 4.5;

/** Stand `model` on y=0, centred on x/z; scale it when its units are not metres. */
function standUp(model, item, metric) {
  const box = new THREE.Box3().setFromObject(model);
  const size = box.getSize(new THREE.Vector3());
  if (!metric && size.y > 0) {
    const wanted = item.dimensions.height
      || Math.min(item.plinth.width, item.plinth.depth) / Math.max(size.x, size.z, 1e-6) * size.y;
    model.scale.multiplyScalar(wanted / size.y);
    box.setFromObject(model);
  }
  const centre = box.getCenter(new THREE.Vector3());
  model.position.x -= centre.x;
  model.position.z -= centre.z;
  model.position.y -= box.min.y;
  return model;
}

export class GalleryModels {
  /**
   * @param {object} options
   * @param {object[]} options.plinths from buildGallery
   * @param {string} options.dracoDecoderPath
   * @param {() => THREE.Vector3} options.where the visitor's position (for nearest first)
   * @param {(event: object) => void} options.onChange after each swap and each failure
   */
  constructor({ plinths, dracoDecoderPath, where, onChange }) {
    this.plinths = plinths;
    this.dracoDecoderPath = dracoDecoderPath;
    this.where = where;
    this.onChange = onChange;
    this.slots = new Map();
    this.shown = new Map(); // item index -> LOD label on screen
    this.failed = new Set();
    this.environment = null; // the room environment the objects reflect (set by the gallery)
    for (const plinth of plinths) {
      const lod = new THREE.LOD();
      lod.name = 'artifact';
      lod.userData.itemIndex = plinth.index;
      plinth.slot.add(lod);
      this.slots.set(plinth.index, lod);
    }
  }

  /** Load every round; resolves when all are done (failures included). */
  async loadAll() {
    for (const round of ROUNDS) await this.loadRound(round);
    // Items without LODs (intake still running) show their source model.
    await this.loadRound('model');
  }

  steps(label) {
    const here = this.where();
    return this.plinths
      .map((plinth) => {
        const { item } = plinth;
        const url = label === 'model'
          ? (!item.lods.thumb && !item.lods.web ? item.model_url : null)
          : item.lods[label];
        const distance = Math.hypot(item.position[0] - here.x, item.position[2] - here.z);
        return { plinth, url, label, distance };
      })
      .filter((step) => step.url && !this.failed.has(step.plinth.index))
      .sort((a, b) => a.distance - b.distance);
  }

  async loadRound(label) {
    const queue = this.steps(label);
    const worker = async () => {
      while (queue.length) await this.loadOne(queue.shift());
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  }

  async loadOne({ plinth, url, label }) {
    const { index, item } = plinth;
    try {
      const model = await loadModel(url, this.dracoDecoderPath);
      standUp(model, item, label !== 'model');
      if (this.environment) reflectEnvironment(model, this.environment);
      model.traverse((object) => { object.userData.itemIndex = index; });
      this.show(index, model, label);
      this.onChange({ index, label });
    } catch (error) {
      // A web LOD that fails leaves the thumb in place; nothing to show is reported once.
      console.warn('Mouseion gallery: model', item.title, label, error);
      if (!this.shown.has(index)) {
        this.failed.add(index);
        this.onChange({ index, label, error: true });
      }
    }
  }

  /** Add a level: the web LOD takes the near range and leaves the distance to the thumb. */
  show(index, model, label) {
    const lod = this.slots.get(index);
    if (label === 'web') {
      for (const level of lod.levels) level.distance = Math.max(level.distance, NEAR_M);
    }
    lod.addLevel(model, label === 'web' ? 0 : lod.levels.length ? NEAR_M : 0);
    lod.levels.sort((a, b) => a.distance - b.distance);
    this.shown.set(index, label);
  }

  /** Item index -> finest LOD label loaded, as a plain object (for the test hook). */
  summary() {
    return Object.fromEntries(this.shown);
  }
}
