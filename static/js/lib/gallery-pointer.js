/**
 * The shared pointer in the gallery (museum/realtime/PROTOCOL.md, `point`, space "gallery").
 * Educators and curators get a "Point" toggle: while it is on, what the mouse is over (or, in VR,
 * what the controller's ray hits while the trigger is held; the squeeze button toggles it there)
 * is sent to the room (shared-pointer.js). Everyone in the room sees each pointer as a ray from
 * its owner's avatar to a dot of constant size drawn over everything, interpolated between ticks.
 */
import * as THREE from 'three';
import { POINTER_COLOURS, PointerSender } from './shared-pointer.js';

const POINTER_ROLES = new Set(['educator', 'curator']);
const DOT_SCREEN_SIZE = 0.03; // of the view's height
const HAND_DROP = 0.35; // metres below the head, where the ray starts

function makeRay(colour) {
  const geometry = new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3()]);
  const material = new THREE.LineBasicMaterial({ color: colour, depthTest: false, transparent: true, opacity: 0.85 });
  const line = new THREE.Line(geometry, material);
  line.renderOrder = 998;
  line.frustumCulled = false;
  const dot = new THREE.Sprite(new THREE.SpriteMaterial({
    map: dotTexture(), color: colour, depthTest: false, sizeAttenuation: false, transparent: true,
  }));
  dot.scale.setScalar(DOT_SCREEN_SIZE);
  dot.renderOrder = 999;
  const group = new THREE.Group();
  group.add(line, dot);
  return { group, line, dot };
}

let texture = null;
/** A white disc with a dark rim, tinted per role by the sprite's colour. */
function dotTexture() {
  if (texture) return texture;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 64;
  const context = canvas.getContext('2d');
  context.beginPath();
  context.arc(32, 32, 28, 0, Math.PI * 2);
  context.fillStyle = '#ffffff';
  context.fill();
  context.lineWidth = 6;
  context.strokeStyle = 'rgba(0, 0, 0, 0.7)';
  context.stroke();
  texture = new THREE.CanvasTexture(canvas);
  return texture;
}

export class GalleryPointer {
  /**
   * @param {object} options
   * @param {object} options.gallery the Gallery of gallery.js (scene, camera, canvas, presence)
   * @param {HTMLButtonElement|null} options.button the "Point" toggle, shown to those who may point
   */
  constructor({ gallery, button }) {
    this.gallery = gallery;
    this.button = button;
    this.rays = new Map(); // member id -> {group, line, dot, role}
    this.own = makeRay(POINTER_COLOURS.educator);
    this.own.line.visible = false; // one's own pointer is the dot alone
    this.own.group.visible = false;
    gallery.scene.add(this.own.group);
    this.local = null;
    this.clientSeen = null;
    this.raycaster = new THREE.Raycaster();
    this.sender = new PointerSender({ send: (frame) => this.client()?.send(frame) ?? false, space: 'gallery' });
    if (button) {
      button.addEventListener('click', () => this.setPointing(!this.pointing));
      window.setInterval(() => this.checkRole(), 500);
    }
    gallery.canvas.addEventListener('pointermove', (event) => {
      if (this.pointing) this.aim(this.pick(event.clientX, event.clientY));
    });
    gallery.canvas.addEventListener('pointerleave', () => { if (this.pointing) this.aim(null); });
  }

  client() {
    return this.gallery.presence?.client ?? null;
  }

  get pointing() {
    return this.button?.getAttribute('aria-pressed') === 'true';
  }

  /** The toggle is for educators and curators (the server refuses others' points anyway). */
  checkRole() {
    const client = this.client();
    if (client !== this.clientSeen) { // another room, or a reconnect: the server holds nothing
      this.clientSeen = client;
      this.sender.forget();
    }
    const allowed = POINTER_ROLES.has(client?.role) && client?.mode === 'active';
    if (this.button.hidden === allowed) this.button.hidden = !allowed;
    if (!allowed && this.pointing) this.setPointing(false);
  }

  setPointing(on) {
    if (!this.button || this.button.hidden) return;
    this.button.setAttribute('aria-pressed', String(on));
    if (!on) this.aim(null);
  }

  /** Point at a world point ([x, y, z]) or nowhere (null). */
  aim(p) {
    this.local = p;
    this.sender.set(p);
    this.gallery.requestRender();
  }

  /** The world point of the room under client coordinates, or null. */
  pick(clientX, clientY) {
    const rect = this.gallery.canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2(
      ((clientX - rect.left) / rect.width) * 2 - 1,
      -((clientY - rect.top) / rect.height) * 2 + 1,
    );
    this.raycaster.setFromCamera(ndc, this.gallery.camera);
    return this.hit(this.raycaster)?.point.toArray() ?? null;
  }

  /** The first surface of the room (floor, walls, objects) along a raycaster's ray. */
  hit(raycaster) {
    const { floors, walls } = this.gallery;
    return raycaster.intersectObjects([...floors, ...walls, ...this.gallery.itemTargets()], true)[0] ?? null;
  }

  /** Per frame: others' rays from their avatars, and our own dot. */
  update() {
    const seen = new Set();
    for (const other of this.gallery.presence?.samples ?? []) {
      if (!other.p || !other.ptr?.p || other.ptr.space !== 'gallery') continue;
      seen.add(other.id);
      let ray = this.rays.get(other.id);
      if (!ray || ray.role !== other.role) {
        this.remove(other.id);
        ray = { ...makeRay(POINTER_COLOURS[other.role] ?? POINTER_COLOURS.educator), role: other.role, name: other.name };
        this.rays.set(other.id, ray);
        this.gallery.scene.add(ray.group);
      }
      const from = new THREE.Vector3(other.p[0], other.p[1] - HAND_DROP, other.p[2]);
      const to = new THREE.Vector3().fromArray(other.ptr.p);
      const ends = ray.line.geometry.attributes.position;
      ends.setXYZ(0, from.x, from.y, from.z);
      ends.setXYZ(1, to.x, to.y, to.z);
      ends.needsUpdate = true;
      ray.dot.position.copy(to);
      ray.from = from.toArray();
      ray.to = other.ptr.p;
    }
    for (const id of [...this.rays.keys()]) if (!seen.has(id)) this.remove(id);
    this.own.group.visible = Boolean(this.local);
    if (this.local) this.own.dot.position.fromArray(this.local);
    return this.rays.size;
  }

  remove(id) {
    const ray = this.rays.get(id);
    if (!ray) return;
    this.gallery.scene.remove(ray.group);
    ray.line.geometry.dispose();
    ray.line.material.dispose();
    ray.dot.material.dispose();
    this.rays.delete(id);
  }

  /** For the test hook: the rays drawn now. */
  list() {
    return [...this.rays.entries()].map(([id, ray]) => ({
      id, role: ray.role, name: ray.name, from: ray.from, to: ray.to,
      length: Math.hypot(...ray.to.map((v, i) => v - ray.from[i])),
    }));
  }
}
