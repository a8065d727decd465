/**
 * The gallery's surfaces, drawn procedurally on canvases (no image downloads): plastered walls
 * with a faint grain, an oak-plank floor, and trims (skirting boards) that give the rooms scale.
 * Textures repeat in world metres (worldUVs), so a long wall is not a stretched short one.
 */
import * as THREE from 'three';

const TEXTURE_PX = 256;
const WALL_REPEAT_M = 1.5; // one wall texture tile covers 1.5 m × 1.5 m
const FLOOR_REPEAT_M = 2.4; // one floor tile: 2.4 m of planks, four boards wide
export const SKIRTING = { height: 0.14, depth: 0.018, colour: 0x4a3a2c };

/** A small deterministic random generator (mulberry32): the same texture on every load. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function canvas(draw) {
  const element = document.createElement('canvas');
  element.width = TEXTURE_PX;
  element.height = TEXTURE_PX;
  draw(element.getContext('2d'), TEXTURE_PX);
  const texture = new THREE.CanvasTexture(element);
  texture.colorSpace = THREE.SRGBColorSpace;
  texture.wrapS = THREE.RepeatWrapping;
  texture.wrapT = THREE.RepeatWrapping;
  texture.anisotropy = 8;
  return texture;
}

/** Plaster: a warm off-white with soft mottling and fine grain. */
function plaster(context, size) {
  const next = random(7);
  context.fillStyle = '#e6e0d3';
  context.fillRect(0, 0, size, size);
  for (let i = 0; i < 90; i += 1) {
    const [x, y, r] = [next() * size, next() * size, 12 + next() * 40];
    const shade = next() < 0.5 ? '255 252 244' : '196 188 172';
    const gradient = context.createRadialGradient(x, y, 0, x, y, r);
    gradient.addColorStop(0, `rgb(${shade} / ${(0.04 + next() * 0.05).toFixed(3)})`);
    gradient.addColorStop(1, `rgb(${shade} / 0)`);
    context.fillStyle = gradient;
    // Drawn at the tile's wrapped neighbours too, so the tile repeats without seams.
    for (const [ox, oy] of [[0, 0], [-size, 0], [size, 0], [0, -size], [0, size]]) {
      context.fillRect(x + ox - r, y + oy - r, 2 * r, 2 * r);
    }
  }
  for (let i = 0; i < 2500; i += 1) {
    context.fillStyle = next() < 0.5 ? 'rgb(120 110 95 / 0.08)' : 'rgb(255 255 255 / 0.1)';
    context.fillRect(Math.floor(next() * size), Math.floor(next() * size), 1, 1);
  }
}

/** Oak planks: four boards per tile with staggered joints and grain lines. */
function planks(context, size) {
  const next = random(11);
  const board = size / 4;
  for (let i = 0; i < 4; i += 1) {
    const tone = 132 + Math.round(next() * 26);
    context.fillStyle = `rgb(${tone} ${Math.round(tone * 0.8)} ${Math.round(tone * 0.58)})`;
    context.fillRect(i * board, 0, board, size);
    for (let g = 0; g < 14; g += 1) {
      context.strokeStyle = `rgb(70 48 30 / ${(0.05 + next() * 0.1).toFixed(3)})`;
      context.lineWidth = 1;
      const x = i * board + 3 + next() * (board - 6);
      context.beginPath();
      context.moveTo(x, 0);
      context.bezierCurveTo(x + 3 * (next() - 0.5), size / 3, x + 3 * (next() - 0.5), (2 * size) / 3, x, size);
      context.stroke();
    }
    context.fillStyle = 'rgb(50 35 22 / 0.55)';
    context.fillRect(i * board, 0, 1.5, size); // the gap between boards
    const joint = ((i % 2) * 0.5 + 0.2 + next() * 0.1) * size;
    context.fillRect(i * board, joint, board, 1.5); // boards end at staggered joints
  }
}

/** The shared materials of a gallery. */
export function galleryMaterials() {
  const floor = new THREE.MeshLambertMaterial({ color: 0xffffff, map: canvas(planks) });
  const wall = new THREE.MeshLambertMaterial({ color: 0xffffff, map: canvas(plaster) });
  // Meshes with these materials get texture coordinates in metres (worldUVs).
  floor.userData.repeatM = FLOOR_REPEAT_M;
  wall.userData.repeatM = WALL_REPEAT_M;
  return {
    floor,
    wall,
    // Lit from below only by the sky light's ground colour: unlit, so it stays pale.
    ceiling: new THREE.MeshBasicMaterial({ color: 0xcfc9bd, side: THREE.DoubleSide }),
    plinth: new THREE.MeshLambertMaterial({ color: 0xf4f2ec }),
    door: new THREE.MeshLambertMaterial({ color: 0x5b4636 }),
    trim: new THREE.MeshLambertMaterial({ color: SKIRTING.colour }),
  };
}

const corner = new THREE.Vector3();
const normal = new THREE.Vector3();
const normalMatrix = new THREE.Matrix3();

/**
 * Texture coordinates in world metres for a placed mesh (walls: along the wall and up; floors:
 * x and z), one texture tile per `metres`. Call after the mesh is positioned and rotated.
 */
export function worldUVs(mesh, metres) {
  mesh.updateMatrix();
  normalMatrix.getNormalMatrix(mesh.matrix);
  const { position, normal: normals, uv } = mesh.geometry.attributes;
  for (let i = 0; i < position.count; i += 1) {
    corner.fromBufferAttribute(position, i).applyMatrix4(mesh.matrix);
    normal.fromBufferAttribute(normals, i).applyMatrix3(normalMatrix);
    const [ax, ay, az] = [Math.abs(normal.x), Math.abs(normal.y), Math.abs(normal.z)];
    let u;
    let v;
    if (ay >= ax && ay >= az) [u, v] = [corner.x, corner.z]; // floor, ceiling, tops
    else if (az >= ax) [u, v] = [corner.x, corner.y]; // a wall along x
    else [u, v] = [corner.z, corner.y]; // a wall along z
    uv.setXY(i, u / metres, v / metres);
  }
  uv.needsUpdate = true;
  return mesh;
}

/** A placed mesh whose material repeats in metres gets its texture coordinates (worldUVs). */
export function textureInMetres(mesh) {
  const metres = mesh.material.userData?.repeatM;
  return metres ? worldUVs(mesh, metres) : mesh;
}

/**
 * A skirting board along the foot of a wall box (`length` along the wall, `thickness` across),
 * as a child of the wall so that picking and removal treat them as one.
 */
export function addSkirting(wall, material, { alongX, length, height, thickness }) {
  const across = thickness + 2 * SKIRTING.depth;
  const geometry = alongX
    ? new THREE.BoxGeometry(length, SKIRTING.height, across)
    : new THREE.BoxGeometry(across, SKIRTING.height, length);
  const board = new THREE.Mesh(geometry, material);
  board.position.y = -height / 2 + SKIRTING.height / 2;
  board.name = 'skirting';
  wall.add(board);
  return board;
}
