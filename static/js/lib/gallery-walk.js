/**
 * First-person walking in the gallery: keyboard (WASD, arrows), drag to look (mouse and touch),
 * an on-screen move pad, and gliding to a point (click-to-walk), routed through doorways.
 * The walker collides with walls and plinths: it stays inside the walkable areas (rooms shrunk
 * by its radius, plus the corridors of open doorways) and slides along what stops it.
 *
 * The rig (a Group) carries the camera: rig.position is on the floor, rig.rotation.y is the
 * heading (three's convention: 0 looks towards -z), the camera's own x rotation is the pitch.
 */
import * as THREE from 'three';

const WALK_SPEED = 1.6; // m/s
const TURN_SPEED = 1.8; // rad/s
const GLIDE_SPEED = 2.2;
const GLIDE_TURN = 5; // rad/s
const LOOK_PER_PX = 0.004;
const DRAG_PX = 6; // a press that moves less than this is a click
const MAX_PITCH = 1.2;
const STEP_M = 0.75; // one press of a move button from the keyboard
const STEP_TURN = Math.PI / 6;
const KEYS = {
  KeyW: 'forward', ArrowUp: 'forward', KeyS: 'back', ArrowDown: 'back',
  KeyA: 'strafeLeft', KeyD: 'strafeRight', ArrowLeft: 'turnLeft', ArrowRight: 'turnRight',
  KeyQ: 'turnLeft', KeyE: 'turnRight',
};
const PAD = { forward: 'forward', back: 'back', left: 'turnLeft', right: 'turnRight' };
const NORMALS = { north: [0, 1], south: [0, -1], west: [1, 0], east: [-1, 0] };

const inside = (rect, x, z) => x >= rect.min_x && x <= rect.max_x && z >= rect.min_z && z <= rect.max_z;

/** The shortest signed angle from a to b. */
function angleTo(a, b) {
  return Math.atan2(Math.sin(b - a), Math.cos(b - a));
}

export class Walker {
  /**
   * @param {object} options
   * @param {THREE.Group} options.rig
   * @param {THREE.Camera} options.camera
   * @param {object} options.config the scene config
   * @param {object[]} options.walkable rooms (with `room`) and corridors (with `acrossX`)
   * @param {object[]} options.obstacles plinth footprints
   * @param {() => void} options.requestRender
   */
  constructor({ rig, camera, config, walkable, obstacles, requestRender }) {
    this.rig = rig;
    this.camera = camera;
    this.config = config;
    this.radius = config.walker_radius;
    this.requestRender = requestRender;
    const r = this.radius;
    this.areas = walkable.map((area) => {
      if (area.room) {
        return { ...area, min_x: area.min_x + r, max_x: area.max_x - r, min_z: area.min_z + r, max_z: area.max_z - r };
      }
      return area.acrossX
        ? { ...area, min_x: area.min_x + r, max_x: area.max_x - r }
        : { ...area, min_z: area.min_z + r, max_z: area.max_z - r };
    });
    this.obstacles = obstacles.map((o) => ({
      min_x: o.min_x - r, max_x: o.max_x + r, min_z: o.min_z - r, max_z: o.max_z + r,
    }));
    this.keys = new Set(); // held keys (cleared when the view loses focus)
    this.pressed = new Set(); // held move buttons
    this.glide = null;
  }

  get position() {
    return this.rig.position;
  }

  get yaw() {
    return this.rig.rotation.y;
  }

  set yaw(value) {
    this.rig.rotation.y = Math.atan2(Math.sin(value), Math.cos(value));
  }

  get pitch() {
    return this.camera.rotation.x;
  }

  set pitch(value) {
    this.camera.rotation.x = THREE.MathUtils.clamp(value, -MAX_PITCH, MAX_PITCH);
  }

  /** Whether the walker's centre may be at (x, z). */
  canStand(x, z) {
    return this.areas.some((area) => inside(area, x, z)) && !this.obstacles.some((o) => inside(o, x, z));
  }

  /** The key of the room containing (x, z), or null (in a corridor or outside). */
  roomAt(x, z) {
    return this.config.rooms.find((room) => inside(room.bounds, x, z))?.key ?? null;
  }

  /** Move by (dx, dz), sliding along walls; true if the walker moved at all. */
  move(dx, dz) {
    const { x, z } = this.position;
    for (const [mx, mz] of [[dx, dz], [dx, 0], [0, dz]]) {
      if ((mx || mz) && this.canStand(x + mx, z + mz)) {
        this.position.x += mx;
        this.position.z += mz;
        return true;
      }
    }
    return false;
  }

  /** Teleport (tests, VR); refused (false) where the walker cannot stand. */
  place(x, z, { yaw = null, pitch = null, force = false } = {}) {
    if (!force && !this.canStand(x, z)) return false;
    this.cancelGlide();
    this.position.set(x, 0, z);
    if (yaw !== null) this.yaw = yaw;
    if (pitch !== null) this.pitch = pitch;
    this.requestRender();
    return true;
  }

  /** Advance by dt seconds; true while anything moves (the caller keeps rendering). */
  update(dt) {
    // Small steps, so that a slow frame cannot carry the walker through a wall.
    const steps = Math.max(1, Math.ceil(dt / 0.04));
    let moving = false;
    for (let i = 0; i < steps; i += 1) moving = this.advance(dt / steps) || moving;
    return moving;
  }

  /** Actions held now, from keys and move buttons. */
  get actions() {
    return new Set([...this.keys, ...this.pressed]);
  }

  advance(dt) {
    const a = this.actions;
    let moving = false;
    const turn = (a.has('turnLeft') ? 1 : 0) - (a.has('turnRight') ? 1 : 0);
    const ahead = (a.has('forward') ? 1 : 0) - (a.has('back') ? 1 : 0);
    const side = (a.has('strafeRight') ? 1 : 0) - (a.has('strafeLeft') ? 1 : 0);
    if (turn || ahead || side) {
      this.cancelGlide();
      moving = true;
      this.yaw += turn * TURN_SPEED * dt;
      if (ahead || side) {
        const step = (WALK_SPEED * dt) / Math.hypot(ahead, side);
        const [fx, fz] = [-Math.sin(this.yaw), -Math.cos(this.yaw)];
        this.move((fx * ahead - fz * side) * step, (fz * ahead + fx * side) * step);
      }
    }
    if (this.glide) moving = this.stepGlide(dt) || moving;
    return moving;
  }

  /** One discrete step (keyboard activation of a move button). */
  step(action) {
    if (action === 'turnLeft' || action === 'turnRight') {
      this.yaw += action === 'turnLeft' ? STEP_TURN : -STEP_TURN;
    } else {
      const sign = action === 'forward' ? 1 : -1;
      this.move(-Math.sin(this.yaw) * STEP_M * sign, -Math.cos(this.yaw) * STEP_M * sign);
    }
    this.requestRender();
  }

  /**
   * Glide to (x, z), through doorways when it is in another room; ends facing `yaw` if given.
   * Resolves {arrived, position} when there, or when stopped (blocked, or another move).
   */
  walkTo([x, z], { yaw = null } = {}) {
    this.cancelGlide();
    return new Promise((resolve) => {
      this.glide = { points: this.route(x, z), yaw, resolve, stuck: 0 };
      this.requestRender();
    });
  }

  /** Waypoints from here to (x, z): through the doorways between rooms (breadth-first). */
  route(x, z) {
    const from = this.roomAt(this.position.x, this.position.z);
    const to = this.roomAt(x, z);
    if (!from || !to || from === to) return [[x, z]];
    const previous = new Map([[from, null]]);
    const queue = [from];
    while (queue.length) {
      const room = queue.shift();
      if (room === to) break;
      for (const doorway of this.config.doorways) {
        if (doorway.kind !== 'open') continue;
        const [a, b] = doorway.sides;
        const [here, there] = a.room === room ? [a, b] : b.room === room ? [b, a] : [null, null];
        if (!here || previous.has(there.room)) continue;
        previous.set(there.room, { room, here, there });
        queue.push(there.room);
      }
    }
    if (!previous.has(to)) return [[x, z]];
    const inset = this.config.wall_thickness + this.radius + 0.35;
    const point = (side) => {
      const [nx, nz] = NORMALS[side.wall];
      return [side.at[0] + nx * inset, side.at[1] + nz * inset];
    };
    const points = [[x, z]];
    for (let hop = previous.get(to); hop; hop = previous.get(hop.room)) {
      points.unshift(point(hop.here), point(hop.there));
    }
    return points;
  }

  stepGlide(dt) {
    const glide = this.glide;
    const target = glide.points[0];
    if (target) {
      const dx = target[0] - this.position.x;
      const dz = target[1] - this.position.z;
      const distance = Math.hypot(dx, dz);
      if (distance < 0.05) {
        glide.points.shift();
        return true;
      }
      this.yaw += THREE.MathUtils.clamp(angleTo(this.yaw, Math.atan2(-dx, -dz)), -GLIDE_TURN * dt, GLIDE_TURN * dt);
      const step = Math.min(distance, GLIDE_SPEED * dt);
      const before = [this.position.x, this.position.z];
      this.move((dx / distance) * step, (dz / distance) * step);
      const progress = Math.hypot(this.position.x - before[0], this.position.z - before[1]);
      glide.stuck = progress < step * 0.2 ? glide.stuck + dt : 0;
      if (glide.stuck > 0.3) this.endGlide(false);
      return true;
    }
    if (glide.yaw !== null && Math.abs(angleTo(this.yaw, glide.yaw)) > 0.01) {
      this.yaw += THREE.MathUtils.clamp(angleTo(this.yaw, glide.yaw), -GLIDE_TURN * dt, GLIDE_TURN * dt);
      return true;
    }
    this.endGlide(true);
    return false;
  }

  endGlide(arrived) {
    const glide = this.glide;
    this.glide = null;
    glide?.resolve({ arrived, position: [this.position.x, this.position.z] });
  }

  cancelGlide() {
    if (this.glide) this.endGlide(false);
  }

  /**
   * Listen to the keyboard on `stage`, to drags and clicks on `canvas` and to the move pad.
   * @param {(event: PointerEvent) => void} onClick a press that did not drag
   */
  attach({ stage, canvas, pad, onClick }) {
    stage.addEventListener('keydown', (event) => {
      const action = KEYS[event.code];
      if (!action || event.altKey || event.ctrlKey || event.metaKey || event.target !== stage) return;
      event.preventDefault();
      this.keys.add(action);
      this.requestRender();
    });
    stage.addEventListener('keyup', (event) => this.keys.delete(KEYS[event.code]));
    stage.addEventListener('blur', () => this.keys.clear());

    let press = null;
    canvas.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      stage.focus({ preventScroll: true });
      press = { id: event.pointerId, x: event.clientX, y: event.clientY, dragging: false };
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!press || event.pointerId !== press.id) return;
      const dx = event.clientX - press.x;
      const dy = event.clientY - press.y;
      if (!press.dragging && Math.hypot(dx, dy) < DRAG_PX) return;
      press.dragging = true;
      press.x = event.clientX;
      press.y = event.clientY;
      this.yaw -= dx * LOOK_PER_PX;
      this.pitch -= dy * LOOK_PER_PX;
      this.requestRender();
    });
    const release = (event) => {
      if (!press || event.pointerId !== press.id) return;
      const wasDrag = press.dragging;
      press = null;
      if (!wasDrag && event.type === 'pointerup') onClick(event);
    };
    canvas.addEventListener('pointerup', release);
    canvas.addEventListener('pointercancel', release);

    for (const button of pad?.querySelectorAll('[data-move]') ?? []) {
      const action = PAD[button.dataset.move];
      const stop = () => this.pressed.delete(action);
      button.addEventListener('pointerdown', (event) => {
        event.preventDefault();
        button.setPointerCapture(event.pointerId);
        this.pressed.add(action);
        this.requestRender();
      });
      button.addEventListener('pointerup', stop);
      button.addEventListener('pointercancel', stop);
      button.addEventListener('lostpointercapture', stop);
      // detail 0: activated from the keyboard (Enter, Space), not by a pointer press.
      button.addEventListener('click', (event) => { if (event.detail === 0) this.step(action); });
    }
  }
}
