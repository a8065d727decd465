/**
 * The static part of the gallery, built from the scene config (museum/gallery.py): floors,
 * walls with doorways, ceilings, lights, plinths with their labels, doorway signs, pictures on
 * the walls (gallery-pictures.js); plus the walkable areas and obstacles the walker collides with.
 *
 * World axes: plan x is x, plan y is z, y is up. A yaw of 0 faces +z (config convention).
 */
import * as THREE from 'three';
import { makeLabel, makeSign } from './gallery-labels.js';
import { addSkirting, galleryMaterials, textureInMetres } from './gallery-materials.js';
import { hangPictures } from './gallery-pictures.js';

const ALONG_X = new Set(['north', 'south']);
const LABEL_SCALE = 1.25;
// Inward normal (x, z) of each wall, as in museum/gallery_layout.py.
const NORMALS = { north: [0, 1], south: [0, -1], west: [1, 0], east: [-1, 0] };

function lineOf(bounds, wall) {
  return { north: bounds.min_z, south: bounds.max_z, west: bounds.min_x, east: bounds.max_x }[wall];
}

function spanOf(bounds, wall) {
  return ALONG_X.has(wall) ? [bounds.min_x, bounds.max_x] : [bounds.min_z, bounds.max_z];
}

/** An axis-aligned box from along/across extents on a wall (thickness goes into the room). */
function wallBox(material, bounds, wall, from, to, bottom, top, thickness, trim = null) {
  const length = to - from;
  const height = top - bottom;
  if (length <= 0.001 || height <= 0.001) return null;
  const [nx, nz] = NORMALS[wall];
  const line = lineOf(bounds, wall);
  const geometry = ALONG_X.has(wall)
    ? new THREE.BoxGeometry(length, height, thickness)
    : new THREE.BoxGeometry(thickness, height, length);
  const mesh = new THREE.Mesh(geometry, material);
  const mid = (from + to) / 2;
  const offset = line + (ALONG_X.has(wall) ? nz : nx) * (thickness / 2);
  if (ALONG_X.has(wall)) mesh.position.set(mid, bottom + height / 2, offset);
  else mesh.position.set(offset, bottom + height / 2, mid);
  mesh.userData.wall = true;
  textureInMetres(mesh);
  if (bottom <= 0.001 && trim) addSkirting(mesh, trim, { alongX: ALONG_X.has(wall), length, height, thickness });
  return mesh;
}

function floorPlane(material, rect, y = 0, facing = 1) {
  const width = rect.max_x - rect.min_x;
  const depth = rect.max_z - rect.min_z;
  const mesh = new THREE.Mesh(new THREE.PlaneGeometry(width, depth), material);
  mesh.rotation.x = -facing * Math.PI / 2;
  mesh.position.set((rect.min_x + rect.max_x) / 2, y, (rect.min_z + rect.max_z) / 2);
  return textureInMetres(mesh);
}

/**
 * Build the gallery. Returns the root group and what the walker and the loader need.
 * @param {object} config the scene from museum/gallery.py
 */
export function buildGallery(config) {
  const root = new THREE.Group();
  root.name = 'gallery';
  const t = config.wall_thickness;
  const doorHeight = config.door_height;
  const materials = galleryMaterials();
  const floors = [];
  const walls = [];
  const strings = config.strings || {};

  // Openings in each room's walls: open doorways only (closed ones keep the wall, with a door).
  const openings = new Map(config.rooms.map((room) => [room.key, { north: [], south: [], west: [], east: [] }]));
  const doors = [];
  for (const doorway of config.doorways) {
    for (const side of doorway.sides) {
      const along = ALONG_X.has(side.wall) ? side.at[0] : side.at[1];
      if (doorway.kind === 'open') openings.get(side.room)?.[side.wall].push([along, doorway.width / 2]);
      else doors.push({ doorway, side, along });
    }
  }

  for (const room of config.rooms) {
    const b = room.bounds;
    const floor = floorPlane(materials.floor, b);
    floor.userData.floor = room.key;
    floors.push(floor);
    root.add(floor);
    root.add(floorPlane(materials.ceiling, b, room.height, -1));
    for (const wall of Object.keys(NORMALS)) {
      const [lo, hi] = spanOf(b, wall);
      const cuts = openings.get(room.key)[wall].slice().sort((a, c) => a[0] - c[0]);
      let from = lo;
      for (const [centre, half] of cuts) {
        const start = centre - half;
        const end = centre + half;
        walls.push(wallBox(materials.wall, b, wall, from, start, 0, room.height, t, materials.trim));
        walls.push(wallBox(materials.wall, b, wall, start, end, doorHeight, room.height, t));
        from = end;
      }
      walls.push(wallBox(materials.wall, b, wall, from, hi, 0, room.height, t, materials.trim));
    }
  }

  // Corridors between rooms that do not touch: floor, ceiling and side walls.
  const walkable = config.rooms.map((room) => ({
    min_x: room.bounds.min_x + t, max_x: room.bounds.max_x - t,
    min_z: room.bounds.min_z + t, max_z: room.bounds.max_z - t, room: room.key,
  }));
  for (const doorway of config.doorways) {
    const c = doorway.corridor;
    if (doorway.kind !== 'open' || !c) continue;
    const acrossX = Math.abs(c.max_x - c.min_x - doorway.width) < 0.01; // the door slides along x
    walkable.push({ ...c, room: null, acrossX });
    if (doorway.gap > 0.01) {
      const [a, bSide] = doorway.sides;
      const rect = acrossX
        ? { min_x: c.min_x, max_x: c.max_x, min_z: Math.min(a.at[1], bSide.at[1]), max_z: Math.max(a.at[1], bSide.at[1]) }
        : { min_x: Math.min(a.at[0], bSide.at[0]), max_x: Math.max(a.at[0], bSide.at[0]), min_z: c.min_z, max_z: c.max_z };
      const floor = floorPlane(materials.floor, rect);
      floor.userData.floor = 'corridor';
      floors.push(floor);
      root.add(floor, floorPlane(materials.ceiling, rect, doorHeight, -1));
      const sides = acrossX ? ['west', 'east'] : ['north', 'south'];
      for (const wall of sides) {
        const [lo, hi] = spanOf(rect, wall);
        walls.push(wallBox(materials.wall, rect, wall, lo, hi, 0, doorHeight, 0.05));
      }
    }
  }
  for (const wall of walls) if (wall) root.add(wall);

  // Closed doorways and exits: a door in the wall and a sign above it.
  for (const { doorway, side, along } of doors) {
    const [nx, nz] = NORMALS[side.wall];
    const line = lineOf(config.rooms.find((room) => room.key === side.room).bounds, side.wall);
    const inset = t + 0.025;
    const door = ALONG_X.has(side.wall)
      ? new THREE.Mesh(new THREE.BoxGeometry(doorway.width, doorHeight, 0.05), materials.door)
      : new THREE.Mesh(new THREE.BoxGeometry(0.05, doorHeight, doorway.width), materials.door);
    const x = ALONG_X.has(side.wall) ? along : line + nx * inset;
    const z = ALONG_X.has(side.wall) ? line + nz * inset : along;
    door.position.set(x, doorHeight / 2, z);
    door.userData.wall = true;
    root.add(door);
    const template = doorway.kind === 'exit' ? strings.exit : strings.closed;
    const sign = makeSign((template || '{room}').replace('{room}', doorway.to_name));
    sign.position.set(x + nx * 0.04, doorHeight + 0.3, z + nz * 0.04);
    sign.rotation.y = Math.atan2(nx, nz);
    sign.userData.doorway = doorway.passage;
    root.add(sign);
    walls.push(door);
  }

  // Plinths, each with a slot for its model on top and its label.
  const plinths = [];
  const obstacles = [];
  config.items.forEach((item, index) => {
    if (!item.position || item.form === 'flat') return;
    const { width, depth, height } = item.plinth;
    const group = new THREE.Group();
    group.position.set(item.position[0], 0, item.position[2]);
    group.rotation.y = item.yaw;
    const block = new THREE.Mesh(new THREE.BoxGeometry(width, height, depth), materials.plinth);
    block.position.y = height / 2;
    block.userData.itemIndex = index;
    const slot = new THREE.Group();
    slot.position.y = height;
    slot.userData.itemIndex = index;
    group.add(block, slot);
    root.add(group);
    // 25% larger than the layout's 70 cm, about its centre: still clear of the plinth beside it,
    // of the next plinth (1 m on) and of a doorway (0.9 m), and readable from further away.
    const label = makeLabel(item, item.label_pose.width * LABEL_SCALE);
    const pose = item.label_pose;
    label.position.fromArray(pose.position);
    label.rotation.y = pose.yaw;
    if (pose.post) {
      label.rotation.x = -0.5; // a lectern: tilted back
      const post = new THREE.Mesh(new THREE.BoxGeometry(0.05, pose.position[1], 0.05), materials.door);
      post.position.set(pose.position[0], pose.position[1] / 2, pose.position[2]);
      root.add(post);
    }
    root.add(label);
    const turned = Math.abs(Math.sin(item.yaw)) > 0.5;
    const [sx, sz] = turned ? [depth, width] : [width, depth];
    obstacles.push({
      min_x: item.position[0] - sx / 2, max_x: item.position[0] + sx / 2,
      min_z: item.position[2] - sz / 2, max_z: item.position[2] + sz / 2,
    });
    plinths.push({ index, item, group, block, slot, label });
  });

  // Soft museum light: a sky light plus one key light; no shadows (software renderers).
  root.add(new THREE.HemisphereLight(0xfffaf0, 0x6e6250, 2.2));
  const key = new THREE.DirectionalLight(0xffffff, 1.1);
  key.position.set(0.4, 1, 0.25);
  root.add(key);

  // Flat works on the walls, framed and lit (gallery-pictures.js); not obstacles: they are flat.
  const pictures = hangPictures(config, root);

  return { root, floors, walls: walls.filter(Boolean), plinths, pictures, walkable, obstacles };
}
