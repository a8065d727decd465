/**
 * Flat works on the gallery walls (items with form "flat"; museum/gallery/walls.py hangs them):
 * the work at its real size (`size`, metres) in a frame (`frame`), its web copy as the picture
 * (three's TextureLoader, sRGB, mipmapped), a picture light above it with the pool of light it
 * casts, and the wall label beside it. hangPictures builds them with the room; GalleryPictures
 * loads the images after the first frame, nearest first.
 *
 * Item poses: `position` is the middle of the picture on the wall's surface, `yaw` the direction
 * it faces (0 faces +z), as in the scene config.
 */
import * as THREE from 'three';
import { makeLabel } from './gallery-labels.js';

const PARALLEL = 3;
const PLACEHOLDER = 0x8f897d; // the canvas before its image arrives (or when it cannot)
// The picture light: how much brighter than the wall the picture reads (an emissive share of
// its own colours, so every wall's pictures read alike whatever the room light's direction).
const PICTURE_LIGHT = 0.32;
const POOL_OPACITY = 0.22;
// Texture pixels per metre of picture: about one per millimetre stays sharp a step away, in VR
// too; the web copy (up to 2048 px) is drawn smaller when it has more, to spare GPU memory.
const PX_PER_M = 1200;
const MIN_TEXTURE_PX = 1024;

let poolTexture = null;

/** A soft warm pool of light, brightest just above the picture's top (shared texture). */
function lightPool() {
  if (poolTexture) return poolTexture;
  const canvas = document.createElement('canvas');
  canvas.width = 128;
  canvas.height = 128;
  const context = canvas.getContext('2d');
  const gradient = context.createRadialGradient(64, 30, 4, 64, 56, 70);
  gradient.addColorStop(0, 'rgb(255 236 200 / 1)');
  gradient.addColorStop(0.55, 'rgb(255 230 190 / 0.45)');
  gradient.addColorStop(1, 'rgb(255 225 180 / 0)');
  context.fillStyle = gradient;
  context.fillRect(0, 0, 128, 128);
  poolTexture = new THREE.CanvasTexture(canvas);
  poolTexture.colorSpace = THREE.SRGBColorSpace;
  return poolTexture;
}

function frameMaterials() {
  return {
    moulding: new THREE.MeshStandardMaterial({ color: 0x3b2a1e, roughness: 0.55, metalness: 0.05 }),
    // Gilt and brass only half metallic: the room's lights, not an environment, show them.
    slip: new THREE.MeshStandardMaterial({ color: 0xc9a561, roughness: 0.4, metalness: 0.3 }),
    brass: new THREE.MeshStandardMaterial({ color: 0xb89a60, roughness: 0.35, metalness: 0.3 }),
    cord: new THREE.LineBasicMaterial({ color: 0x6b6152 }),
  };
}

/** Four bars around a w × h opening, `bar` wide and `depth` deep, front at z = depth. */
function border(material, w, h, bar, depth) {
  const group = new THREE.Group();
  const outerW = w + 2 * bar;
  for (const [sx, sy, x, y] of [
    [outerW, bar, 0, (h + bar) / 2], [outerW, bar, 0, -(h + bar) / 2],
    [bar, h, -(w + bar) / 2, 0], [bar, h, (w + bar) / 2, 0],
  ]) {
    const piece = new THREE.Mesh(new THREE.BoxGeometry(sx, sy, depth), material);
    piece.position.set(x, y, depth / 2);
    group.add(piece);
  }
  return group;
}

/**
 * Build the hung pictures of `config` into `root`. Returns one entry per picture:
 * {index, item, group, canvas (the picture's mesh), label}.
 */
export function hangPictures(config, root) {
  const materials = frameMaterials();
  const pictures = [];
  config.items.forEach((item, index) => {
    if (item.form !== 'flat' || !item.position) return;
    const [w, h] = item.size;
    const { width: bar, depth } = item.frame;
    const group = new THREE.Group();
    group.name = 'picture';
    group.position.fromArray(item.position);
    group.rotation.y = item.yaw;
    group.userData.itemIndex = index;

    const slip = Math.min(0.012, bar / 4); // a gilt lip inside the moulding
    group.add(border(materials.moulding, w + 2 * slip, h + 2 * slip, bar, depth));
    group.add(border(materials.slip, w, h, slip, depth * 0.8));
    const material = new THREE.MeshLambertMaterial({
      color: PLACEHOLDER, emissive: 0x000000, emissiveIntensity: PICTURE_LIGHT,
    });
    const canvas = new THREE.Mesh(new THREE.PlaneGeometry(w, h), material);
    canvas.name = 'picture-image';
    canvas.position.z = depth * 0.4; // set back inside the frame
    group.add(canvas);

    // The picture light: a brass bar on an arm above the frame, and its pool on the wall.
    const outerW = w + 2 * (bar + slip);
    const top = h / 2 + bar + slip;
    const lamp = new THREE.Mesh(
      new THREE.CylinderGeometry(0.018, 0.018, Math.min(0.9, Math.max(0.25, outerW * 0.45)), 12),
      materials.brass,
    );
    lamp.rotation.z = Math.PI / 2;
    lamp.position.set(0, top + 0.14, 0.16);
    const arm = new THREE.Mesh(new THREE.BoxGeometry(0.012, 0.012, 0.16), materials.brass);
    arm.position.set(0, top + 0.14, 0.08);
    group.add(lamp, arm);
    const pool = new THREE.Mesh(
      new THREE.PlaneGeometry(outerW * 1.5, (h + 2 * bar) * 1.3 + 0.3),
      new THREE.MeshBasicMaterial({
        map: lightPool(), transparent: true, opacity: POOL_OPACITY, depthWrite: false,
        blending: THREE.AdditiveBlending, toneMapped: false,
      }),
    );
    pool.position.set(0, top - (h + 2 * bar) * 0.5 + 0.1, 0.004);
    pool.raycast = () => {}; // light is not a thing one clicks
    group.add(pool);

    if (item.hang === 'line' && config.hang_line) {
      // Hung from the picture rail: two cords from the rail to the frame's top corners.
      const rise = config.hang_line - item.position[1] - top;
      const points = [-1, 1].flatMap((side) => [
        new THREE.Vector3(side * outerW * 0.3, top, 0.01),
        new THREE.Vector3(side * outerW * 0.25, top + rise, 0.01),
      ]);
      const cords = new THREE.LineSegments(new THREE.BufferGeometry().setFromPoints(points), materials.cord);
      cords.raycast = () => {};
      group.add(cords);
    }
    root.add(group);

    const pose = item.label_pose;
    const label = makeLabel(item, pose.width);
    label.position.fromArray(pose.position);
    label.rotation.y = pose.yaw;
    label.userData.itemIndex = index;
    root.add(label);
    pictures.push({ index, item, group, canvas, label });
  });
  return pictures;
}

/** `image`, or a copy of it drawn at most `wanted` (at least MIN_TEXTURE_PX) pixels long. */
function fitted(image, wanted) {
  const limit = Math.max(MIN_TEXTURE_PX, Math.ceil(wanted));
  const scale = limit / Math.max(image.width, image.height);
  if (scale >= 1) return image;
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(image.width * scale);
  canvas.height = Math.round(image.height * scale);
  const context = canvas.getContext('2d');
  context.imageSmoothingQuality = 'high';
  context.drawImage(image, 0, 0, canvas.width, canvas.height);
  return canvas;
}

/** Loads each picture's web copy onto its canvas, nearest to the visitor first. */
export class GalleryPictures {
  /**
   * @param {object} options
   * @param {object[]} options.pictures from hangPictures
   * @param {number} options.anisotropy the renderer's largest (sharp at a glancing angle)
   * @param {() => THREE.Vector3} options.where the visitor's position
   * @param {(event: object) => void} options.onChange after each image and each failure
   */
  constructor({ pictures, anisotropy, where, onChange }) {
    this.pictures = pictures;
    this.anisotropy = anisotropy;
    this.where = where;
    this.onChange = onChange;
    this.loader = new THREE.TextureLoader();
    this.shown = new Set();
    this.failed = new Set();
  }

  async loadAll() {
    const here = this.where();
    const queue = this.pictures
      .filter((picture) => picture.item.image)
      .sort((a, b) => a.group.position.distanceTo(here) - b.group.position.distanceTo(here));
    const worker = async () => {
      while (queue.length) await this.load(queue.shift());
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  }

  async load(picture) {
    try {
      const texture = await this.loader.loadAsync(picture.item.image);
      picture.natural = [texture.image.width, texture.image.height];
      texture.image = fitted(texture.image, Math.max(...picture.item.size) * PX_PER_M);
      texture.colorSpace = THREE.SRGBColorSpace;
      texture.generateMipmaps = true;
      texture.minFilter = THREE.LinearMipmapLinearFilter;
      texture.anisotropy = this.anisotropy;
      const { material } = picture.canvas;
      material.map = texture;
      material.emissiveMap = texture;
      material.color.set(0xffffff);
      material.emissive.set(0xffffff);
      material.needsUpdate = true;
      this.shown.add(picture.index);
      this.onChange({ index: picture.index });
    } catch (error) {
      console.warn('Mouseion gallery: picture not loaded', picture.item.image, error);
      this.failed.add(picture.index);
      this.onChange({ index: picture.index, error });
    }
  }
}
