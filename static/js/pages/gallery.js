/**
 * The walkable 3D gallery of an exhibition (/exhibitions/<slug>/).
 *
 * The scene config comes from museum/gallery.py through the json_script #gallery-config:
 * rooms, doorways, plinths with label texts and LOD URLs. This module wires the parts:
 * gallery-scene.js (building), gallery-walk.js (movement, collisions, click-to-walk),
 * gallery-models.js (thumb then web LODs, nearest first), gallery-pictures.js (flat works on
 * the walls and their images), gallery-avatars.js (presence),
 * gallery-xr.js (VR, teleport). Renders on demand: nothing is drawn while nothing moves.
 * Test hook: window.mouseionGallery (gallery-hooks.js).
 */
import * as THREE from 'three';
import { format } from '../lib/format.js';
import { arrivalYaw } from '../lib/gallery-arrival.js';
import { GalleryPresence } from '../lib/gallery-avatars.js';
import { galleryHook } from '../lib/gallery-hooks.js';
import { GalleryModels } from '../lib/gallery-models.js';
import { GalleryPictures } from '../lib/gallery-pictures.js';
import { GalleryPointer } from '../lib/gallery-pointer.js';
import { NextStop } from '../lib/next-stop.js';
import { buildGallery } from '../lib/gallery-scene.js';
import { configureRenderer, loadRoomEnvironment } from '../lib/scene-lighting.js';
import { Walker } from '../lib/gallery-walk.js';
import { setupGalleryXR } from '../lib/gallery-xr.js';

const BACKGROUND = 0x2b2d33;
// Dynamic resolution: when frames keep taking longer than this (software WebGL, weak GPUs),
// draw fewer pixels, down to MIN_PIXEL_RATIO, so that walking stays fluid.
const SLOW_FRAME_MS = 60;
const SLOW_FRAMES = 4;
const MIN_PIXEL_RATIO = 0.35;

/** True on a software WebGL (SwiftShader, llvmpipe): every pixel and vertex costs CPU time. */
function softwareWebGL() {
  try {
    const gl = document.createElement('canvas').getContext('webgl');
    const info = gl?.getExtension('WEBGL_debug_renderer_info');
    const name = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : '';
    gl?.getExtension('WEBGL_lose_context')?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software/i.test(name);
  } catch {
    return false;
  }
}

class Gallery {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.strings = config.strings || {};
    this.stage = root.querySelector('#gallery-stage');
    this.canvas = root.querySelector('#gallery-canvas');
    this.status = root.querySelector('#gallery-status');
    this.statusText = root.querySelector('#gallery-status-text');
    this.roomLine = root.querySelector('#gallery-room');
    this.focusPanel = root.querySelector('#gallery-focus');
    this.renderCount = 0;
    this.frameRequested = false;
    this.presenting = false;
    this.lastFrame = null;
    this.roomKey = null;
    this.raycaster = new THREE.Raycaster();
    this.ready = new Promise((resolve) => { this.resolveReady = resolve; });
    this.loaded = new Promise((resolve) => { this.resolveLoaded = resolve; });
  }

  /** Renderer, scene, walker; false (with the fallback message) when WebGL is unavailable. */
  init() {
    this.software = softwareWebGL();
    try {
      // Multisampling is the largest cost of a software renderer, for little gain in a walk.
      this.renderer = new THREE.WebGLRenderer({ canvas: this.canvas, antialias: !this.software });
    } catch (error) {
      this.fail(this.strings.noWebGL, error);
      return false;
    }
    const renderer = this.renderer;
    this.pixelRatio = this.software ? 0.5 : Math.min(window.devicePixelRatio, 1.5);
    this.slowFrames = 0;
    renderer.setPixelRatio(this.pixelRatio);
    // The viewer's tone mapping; the room's own lights are set for an exposure of 1.
    configureRenderer(renderer, { exposure: 1 });
    renderer.xr.enabled = true;

    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(BACKGROUND);
    this.camera = new THREE.PerspectiveCamera(70, 1, 0.05, 200);
    this.camera.rotation.order = 'YXZ';
    this.camera.position.y = this.config.eye_height;
    this.rig = new THREE.Group();
    this.rig.name = 'visitor';
    this.rig.add(this.camera);
    this.scene.add(this.rig);

    this.built = buildGallery(this.config);
    this.scene.add(this.built.root);
    this.floors = this.built.floors;
    this.walls = this.built.walls;
    this.plinths = this.built.plinths;
    this.pictures = this.built.pictures;
    this.walker = new Walker({
      rig: this.rig,
      camera: this.camera,
      config: this.config,
      walkable: this.built.walkable,
      obstacles: this.built.obstacles,
      requestRender: () => this.requestRender(),
    });
    const { spawn } = this.config;
    // Config yaws give the direction looked in; the rig's 0 looks towards -z.
    this.walker.place(spawn.position[0], spawn.position[1], { yaw: spawn.yaw + Math.PI, force: true });
    this.walker.attach({
      stage: this.stage,
      canvas: this.canvas,
      pad: this.root.querySelector('#gallery-pad'),
      onClick: (event) => this.click(event),
    });
    this.models = new GalleryModels({
      plinths: this.plinths,
      dracoDecoderPath: this.config.draco_decoder_path,
      where: () => this.walker.position,
      onChange: (event) => this.modelChanged(event),
    });
    this.images = new GalleryPictures({
      pictures: this.pictures,
      anisotropy: renderer.capabilities.getMaxAnisotropy(),
      where: () => this.walker.position,
      onChange: (event) => this.pictureChanged(event),
    });
    this.presence = new GalleryPresence({
      scene: this.scene,
      config: this.config,
      getPose: () => this.getPose(),
      statusElement: this.root.querySelector('#gallery-presence'),
      requestRender: () => this.requestRender(),
    });
    this.startNextStop();
    this.pointer = new GalleryPointer({ gallery: this, button: this.root.querySelector('#gallery-point') });
    new ResizeObserver(() => this.resize()).observe(this.stage);
    this.resize();
    return true;
  }

  fail(message, error) {
    console.warn('Mouseion gallery:', error);
    this.root.dataset.state = 'error';
    this.status.setAttribute('role', 'alert');
    this.statusText.textContent = message;
    this.root.querySelector('#gallery-pad')?.setAttribute('hidden', '');
    this.resolveReady({ state: 'error', message });
    this.resolveLoaded({ state: 'error', message });
  }

  resize() {
    const { clientWidth: width, clientHeight: height } = this.stage;
    if (!width || !height || this.presenting) return;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  requestRender() {
    if (this.frameRequested || this.presenting || !this.renderer) return;
    this.frameRequested = true;
    requestAnimationFrame((now) => this.frame(now));
  }

  frame(now, { xr = false } = {}) {
    if (!xr) this.frameRequested = false;
    const interval = this.lastFrame === null ? 0 : now - this.lastFrame;
    const dt = Math.min(0.25, interval / 1000);
    this.lastFrame = now;
    if (!xr) this.adaptResolution(interval);
    const moving = this.walker.update(dt);
    this.trackRoom();
    this.trackFocus();
    const others = this.presence.update(now);
    this.pointer.update();
    this.renderer.render(this.scene, this.camera);
    this.renderCount += 1;
    if (!xr && (moving || others > 0)) this.requestRender();
    else if (!xr) this.lastFrame = null; // the next burst starts from rest
  }

  adaptResolution(interval) {
    this.slowFrames = interval > SLOW_FRAME_MS ? this.slowFrames + 1 : 0;
    if (this.slowFrames < SLOW_FRAMES || this.pixelRatio <= MIN_PIXEL_RATIO) return;
    this.slowFrames = 0;
    this.pixelRatio = Math.max(MIN_PIXEL_RATIO, this.pixelRatio * 0.7);
    this.renderer.setPixelRatio(this.pixelRatio);
    this.resize();
  }

  /** Hide the "you are in front of" panel once the visitor walks away from that object. */
  trackFocus() {
    if (this.focusPanel.hidden || !this.focusAt) return;
    const { x, z } = this.walker.position;
    if (Math.hypot(x - this.focusAt[0], z - this.focusAt[1]) > 1) this.focusPanel.hidden = true;
  }

  /** Follow the room the visitor is in: its name, and its presence room. */
  trackRoom() {
    const head = this.camera.getWorldPosition(new THREE.Vector3());
    const key = this.walker.roomAt(head.x, head.z);
    if (!key || key === this.roomKey) return;
    this.roomKey = key;
    const room = this.config.rooms.find((r) => r.key === key);
    this.root.dataset.room = key;
    if (this.roomLine) this.roomLine.textContent = format(this.strings.room, { room: room.name });
    this.presence.setRoom(key);
    this.nextStop?.refresh();
  }

  /** The live "Next stop" line (lib/next-stop.js): from the room the visitor is in, with what
   * they stood before as seen and the visit's minutes counted from the page's opening. */
  startNextStop() {
    const element = this.root.querySelector('#gallery-next-stop');
    if (!element || !this.config.next_stop_url) return;
    const started = Date.now();
    this.seen = new Set();
    this.nextStop = new NextStop({
      element,
      url: this.config.next_stop_url,
      strings: this.strings,
      state: () => {
        const room = this.config.rooms.find((r) => r.key === this.roomKey);
        if (!room?.code) return null;
        const minutes = (this.config.visit_minutes || 60) - (Date.now() - started) / 60_000;
        return { room: room.code, minutesLeft: minutes, seen: [...this.seen] };
      },
    });
  }

  /** Our pose for presence: the head, in metres, world axes. */
  getPose() {
    const p = this.camera.getWorldPosition(new THREE.Vector3()).toArray();
    const q = this.camera.getWorldQuaternion(new THREE.Quaternion()).toArray();
    return { p: p.map((v) => Math.round(v * 1000) / 1000), q: q.map((v) => Math.round(v * 10000) / 10000) };
  }

  /** What is under a client point: {itemIndex} or {floor: point} or null. */
  pick(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2(
      ((clientX - rect.left) / rect.width) * 2 - 1,
      -((clientY - rect.top) / rect.height) * 2 + 1,
    );
    this.raycaster.setFromCamera(ndc, this.camera);
    const targets = [...this.floors, ...this.walls, ...this.itemTargets()];
    const hit = this.raycaster.intersectObjects(targets, true)[0];
    if (!hit) return null;
    for (let object = hit.object; object; object = object.parent) {
      if (object.userData.itemIndex !== undefined) return { itemIndex: object.userData.itemIndex };
    }
    return hit.object.userData.floor ? { floor: hit.point } : null;
  }

  /** What can be picked as an item: plinths (and their models), pictures and their labels. */
  itemTargets() {
    return [...this.plinths.map((p) => p.group), ...this.pictures.flatMap((p) => [p.group, p.label])];
  }

  click(event) {
    const target = this.pick(event.clientX, event.clientY);
    if (!target) return;
    if (target.itemIndex !== undefined && target.itemIndex === this.focusIndex && !this.focusPanel.hidden) {
      this.openItem(target.itemIndex); // a second click on what one stands before opens its page
    } else if (target.itemIndex !== undefined) {
      this.approach(target.itemIndex);
    } else {
      this.focusPanel.hidden = true;
      this.walkToFloor([target.floor.x, target.floor.z]);
    }
  }

  /** Walk to a point of the floor and end facing something worth seeing, not a wall. */
  walkToFloor(point) {
    const from = [this.walker.position.x, this.walker.position.z];
    const yaw = arrivalYaw({ from, to: point, rooms: this.config.rooms, items: this.config.items });
    return this.walker.walkTo(point, { yaw });
  }

  /** Walk up to an item, face it and offer the link to its page. */
  async approach(index) {
    const item = this.config.items[index];
    const [nx, nz] = [Math.sin(item.yaw), Math.cos(item.yaw)];
    // A picture is seen from further away the larger it is (the scene says how far).
    const ahead = item.plinth ? item.plinth.depth / 2 + this.config.view_distance : item.view_distance;
    const stand = [item.position[0] + nx * ahead, item.position[2] + nz * ahead];
    const result = await this.walker.walkTo(stand, { yaw: item.yaw });
    this.focusAt = [this.walker.position.x, this.walker.position.z];
    this.showFocus(item);
    return result;
  }

  showFocus(item) {
    this.root.querySelector('#gallery-focus-title').textContent = format(this.strings.standingAt, { title: item.title });
    // The label as text too: readable at any screen size, and by screen readers.
    this.root.querySelector('#gallery-focus-text').textContent = item.label;
    const link = this.root.querySelector('#gallery-focus-link');
    link.textContent = format(this.strings.openPage, { title: item.title });
    link.href = item.url;
    this.focusPanel.hidden = false;
    this.focusPanel.dataset.artifactId = String(item.artifact_id);
    this.focusIndex = this.config.items.indexOf(item);
    if (this.seen && !this.seen.has(item.artifact_id)) {
      this.seen.add(item.artifact_id);
      this.nextStop?.refresh();
    }
  }

  /** Open an item's page (leaving VR first, when in it). */
  async openItem(index) {
    const session = this.renderer.xr.getSession?.();
    if (session) await session.end().catch(() => {});
    window.location.assign(this.config.items[index].url);
  }

  /** How many things are on view: plinths and hung pictures. */
  onView() {
    return this.plinths.length + this.pictures.length;
  }

  pictureChanged({ index, error }) {
    if (error) this.setStatus(format(this.strings.imageError, { title: this.config.items[index].title }));
    this.requestRender();
  }

  modelChanged({ index, error }) {
    if (error) this.setStatus(format(this.strings.modelError, { title: this.config.items[index].title }));
    else this.setStatus(format(this.strings.loadingModels, { done: this.models.shown.size, total: this.plinths.length }));
    this.requestRender();
  }

  setStatus(text) {
    this.status.hidden = false;
    this.statusText.textContent = text;
  }

  drawn() {
    this.requestRender();
    return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  }

  async start() {
    this.setupXR();
    await this.drawn();
    this.root.dataset.state = 'ready';
    this.resolveReady({ state: 'ready', plinths: this.plinths.length, pictures: this.pictures.length });
    // The objects reflect the room environment (metals most: they read by it), made before they
    // load so their shaders compile once; the room's own materials keep its lights alone.
    this.models.environment = await loadRoomEnvironment(this.renderer);
    await Promise.all([this.models.loadAll(), this.images.loadAll()]);
    await this.drawn();
    this.root.dataset.state = 'loaded';
    const unhung = this.config.unhung || [];
    if (unhung.length) {
      // Works too large for these walls are said, not clipped; the list below the gallery keeps them.
      const list = unhung.map((work) => `${work.title} (${work.message})`).join('; ');
      this.setStatus(format(this.strings.unhung, { list }));
    } else if (!this.models.failed.size && !this.images.failed.size) {
      this.setStatus(format(this.strings.ready, { count: this.onView() }));
      window.setTimeout(() => { this.status.hidden = true; }, 4000);
    }
    this.resolveLoaded({
      state: 'loaded', models: this.models.summary(), pictures: this.images.shown.size, unhung: unhung.length,
    });
  }

  setupXR() {
    const container = this.root.querySelector('#gallery-xr');
    if (!container) return;
    this.xr = setupGalleryXR({ gallery: this, container, note: this.root.querySelector('#gallery-xr-note') });
  }
}

function main() {
  const root = document.getElementById('exhibition-gallery');
  const configElement = document.getElementById('gallery-config');
  if (!root || !configElement) return;
  const gallery = new Gallery(root, JSON.parse(configElement.textContent));
  window.mouseionGallery = galleryHook(gallery);
  if (gallery.init()) gallery.start();
}

main();
