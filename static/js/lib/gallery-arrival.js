/**
 * Which way a visitor faces after walking to a point of the floor (click-to-walk): towards the
 * nearest object ahead, else the nearest object of the room, else the walking direction, unless
 * that ends nose to a wall, then towards the room's middle. Framework-free (tested in Node).
 *
 * Plan coordinates are (x, z) in metres; a yaw is three's heading (0 looks towards -z).
 */

const NEAR_M = 5; // objects farther than this do not draw the eye
const AHEAD = Math.cos((100 * Math.PI) / 180); // "ahead": within 100 degrees of the walk
const WALL_M = 1.6; // a wall closer than this ahead is all one would see

/** The yaw that looks from (x, z) along (dx, dz). */
export function yawTowards(dx, dz) {
  return Math.atan2(-dx, -dz);
}

const inside = (b, x, z) => x >= b.min_x && x <= b.max_x && z >= b.min_z && z <= b.max_z;

/** Distance from (x, z) along the unit direction (ux, uz) to the edge of bounds `b`. */
function distanceToEdge(b, x, z, ux, uz) {
  const along = [];
  if (ux > 1e-6) along.push((b.max_x - x) / ux);
  if (ux < -1e-6) along.push((b.min_x - x) / ux);
  if (uz > 1e-6) along.push((b.max_z - z) / uz);
  if (uz < -1e-6) along.push((b.min_z - z) / uz);
  return along.length ? Math.min(...along) : Infinity;
}

/**
 * @param {object} options
 * @param {number[]} options.from where the walk starts, [x, z]
 * @param {number[]} options.to the clicked floor point, [x, z]
 * @param {object[]} options.rooms the scene's rooms ({key, bounds})
 * @param {object[]} options.items the scene's items ({room, position: [x, y, z]})
 * @returns {number} the yaw to end the walk with
 */
export function arrivalYaw({ from, to, rooms, items }) {
  const [x, z] = to;
  let [wx, wz] = [x - from[0], z - from[1]];
  const walked = Math.hypot(wx, wz);
  [wx, wz] = walked > 1e-6 ? [wx / walked, wz / walked] : [0, -1];
  const room = rooms.find((candidate) => inside(candidate.bounds, x, z));
  const near = items
    .filter((item) => item.position && (!room || item.room === room.key))
    .map((item) => {
      const dx = item.position[0] - x;
      const dz = item.position[2] - z;
      const distance = Math.hypot(dx, dz);
      return { dx, dz, distance, ahead: distance > 0 ? (dx * wx + dz * wz) / distance : 1 };
    })
    .filter((item) => item.distance > 0.2 && item.distance <= NEAR_M)
    .sort((a, b) => a.distance - b.distance);
  const choice = near.find((item) => item.ahead >= AHEAD) ?? near[0];
  if (choice) return yawTowards(choice.dx, choice.dz);
  if (room && distanceToEdge(room.bounds, x, z, wx, wz) < WALL_M) {
    const b = room.bounds;
    const [cx, cz] = [(b.min_x + b.max_x) / 2 - x, (b.min_z + b.max_z) / 2 - z];
    if (Math.hypot(cx, cz) > 0.5) return yawTowards(cx, cz);
    return yawTowards(-wx, -wz);
  }
  return yawTowards(wx, wz);
}
