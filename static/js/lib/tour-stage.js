/**
 * The 3D stage of a guided tour: shows the current stop's object and glides the camera to the
 * stop's saved view. Reuses the artifact viewer's loader and camera rig.
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { CameraTween, frameObject } from './camera-rig.js';
import { disposeObject, loadModel } from './lod-loader.js';
import { disposeRegion, parseShape, regionAnchor, regionObject } from './region-shape.js';
import { configureRenderer, keyLight, loadRoomEnvironment, meterExposure } from './scene-lighting.js';

// The marker's pulse is drawn at 15 frames a second; a still stage is redrawn every REDRAW_MS.
const PULSE_MS = 66;
const REDRAW_MS = 250;

export class TourStage {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{dracoDecoderPath: string, onStatus: (text: string) => void, strings: object}} options
   */
  constructor(canvas, { dracoDecoderPath, onStatus, strings }) {
    this.canvas = canvas;
    this.dracoDecoderPath = dracoDecoderPath;
    this.onStatus = onStatus;
    this.strings = strings;
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    // The artifact viewer's lighting (scene-lighting.js), metered on each stop's object.
    configureRenderer(this.renderer);
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0x26241f);
    this.scene.add(keyLight());
    this.camera = new THREE.PerspectiveCamera(40, 1, 0.01, 100);
    this.camera.position.set(0, 1, 3);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = true;
    this.tween = new CameraTween(this.camera, this.controls);
    this.model = null;
    this.modelUrl = null;
    this.home = null;
    this.marker = null;
    this.loadToken = 0;
    this.renderCount = 0;
    this.frameHooks = []; // called after each render (overlays that follow the view)
    this.raycaster = new THREE.Raycaster();
    this.loaded = Promise.resolve(null); // the object of modelUrl, once loaded
    // The loop draws only when the picture can have changed (see frame()): a follower's phone
    // sits on a still view for most of a tour, and drawing it 60 times a second drains it.
    this.dirty = true;
    this.lastDraw = 0;
    this.lastView = new Float64Array(12);
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
    this.renderer.setAnimationLoop((now) => this.frame(now));
  }

  /** Draw on the next frame (after a change frame() cannot see: a material, the exposure). */
  invalidate() {
    this.dirty = true;
  }

  resize() {
    const width = this.canvas.clientWidth || 1;
    const height = this.canvas.clientHeight || 1;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.dirty = true;
  }

  /**
   * One animation frame: draws when the view moved (camera, glide, damping), the scene's
   * children changed, something called invalidate(), the marker's pulse is due (15 per second),
   * or REDRAW_MS passed (a change made elsewhere in the scene shows within that). The frame hooks
   * run every frame: they are cheap and follow the view.
   */
  frame(now = performance.now()) {
    const gliding = this.tween.step(now);
    const damping = this.controls.update();
    const moved = this.viewChanged();
    const pulse = this.marker && now - this.lastDraw >= PULSE_MS;
    if (this.dirty || gliding || damping || moved || pulse || now - this.lastDraw >= REDRAW_MS) {
      if (this.marker) this.marker.material.opacity = 0.65 + 0.35 * Math.sin(now / 250);
      this.renderer.render(this.scene, this.camera);
      this.renderCount += 1;
      this.dirty = false;
      this.lastDraw = now;
    }
    for (const hook of this.frameHooks) hook();
  }

  /** True when the camera, its projection or the number of things in the scene changed. */
  viewChanged() {
    const view = this.lastView;
    const { position, quaternion } = this.camera;
    const next = [...position.toArray(), ...quaternion.toArray(), this.camera.aspect, this.camera.fov];
    next.push(this.camera.zoom, this.scene.children.length, this.model ? this.model.id : -1);
    let changed = false;
    for (let i = 0; i < next.length; i += 1) {
      if (view[i] !== next[i]) {
        view[i] = next[i];
        changed = true;
      }
    }
    return changed;
  }

  /** The point of the object under client coordinates, in the model's coordinates, or null. */
  pick(clientX, clientY) {
    if (!this.model) return null;
    const rect = this.canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2(
      ((clientX - rect.left) / rect.width) * 2 - 1,
      -((clientY - rect.top) / rect.height) * 2 + 1,
    );
    this.raycaster.setFromCamera(ndc, this.camera);
    const hit = this.raycaster.intersectObject(this.model, true)[0];
    return hit ? this.model.worldToLocal(hit.point.clone()).toArray() : null;
  }

  /**
   * Where a point in the model's coordinates is drawn: CSS pixels from the canvas's top left,
   * or null when it is behind the camera or off the view (or no object is shown).
   */
  project(point) {
    if (!this.model) return null;
    const ndc = this.model.localToWorld(new THREE.Vector3().fromArray(point)).project(this.camera);
    if (Math.abs(ndc.x) > 1 || Math.abs(ndc.y) > 1 || ndc.z > 1) return null;
    return [(ndc.x + 1) / 2 * this.canvas.clientWidth, (1 - ndc.y) / 2 * this.canvas.clientHeight];
  }

  /** True when `stop`'s object is the one on the stage, loaded. */
  showing(stop) {
    return Boolean(this.model && stop && stop.model_url === this.modelUrl);
  }

  /** Show `stop` (a PROTOCOL.md stop payload); `glide` animates the camera, else it jumps. */
  async show(stop, { glide = true } = {}) {
    const token = ++this.loadToken;
    if (stop.model_url !== this.modelUrl) {
      if (this.model) {
        this.scene.remove(this.model);
        disposeObject(this.model);
        this.model = null;
      }
      this.modelUrl = stop.model_url;
      if (!stop.model_url) {
        this.onStatus(stop.picture ? '' : this.strings.noModel); // a picture shows instead
        return;
      }
      this.onStatus(this.strings.loading);
      this.loaded = this.load(stop.model_url);
    }
    // A second show() of the same object while it loads (the tour's first frame arrives then)
    // waits for that load rather than leaving the stage empty.
    const model = await this.loaded;
    if (token !== this.loadToken || !model) return; // a newer stop, or the load failed
    this.highlight(stop.annotation);
    const view = stop.camera
      ? {
          position: new THREE.Vector3().fromArray(stop.camera.position),
          target: new THREE.Vector3().fromArray(stop.camera.target),
        }
      : this.home;
    if (view) await this.tween.to(view.position, view.target, glide ? 1200 : 0);
  }

  /**
   * A pulsing marker at the stop's highlighted annotation (none when the stop has none); a
   * region (#23: the annotation's `shape`) is also drawn, in its class colour, and named in the
   * canvas's data-region (its type) for the tests.
   */
  highlight(annotation) {
    if (this.marker) {
      this.scene.remove(this.marker);
      this.marker.geometry.dispose();
      this.marker.material.dispose();
      this.marker = null;
    }
    if (this.region) disposeRegion(this.region);
    this.region = null;
    delete this.canvas.dataset.region;
    const shape = parseShape(annotation?.shape);
    const position = annotation?.position?.length === 3 ? annotation.position : shape && regionAnchor(shape).position;
    if (!position || !this.model) return;
    const size = new THREE.Box3().setFromObject(this.model).getSize(new THREE.Vector3()).length();
    if (shape) {
      this.region = regionObject(shape, { colour: annotation.colour || '#ffb000', size: size / 2 });
      this.scene.add(this.region);
      this.canvas.dataset.region = shape.type;
    }
    this.marker = new THREE.Mesh(
      new THREE.SphereGeometry(size * 0.012, 16, 12),
      new THREE.MeshBasicMaterial({ color: 0xffb000, depthTest: false, transparent: true }),
    );
    this.marker.renderOrder = 10;
    this.marker.position.fromArray(position);
    this.scene.add(this.marker);
    this.dirty = true;
  }

  /** Load and place the object at `url`; null if it failed or another object was asked for. */
  async load(url) {
    // The room environment downloads beside the first object and is kept for every stop.
    this.environment ??= loadRoomEnvironment(this.renderer);
    let model;
    let environment;
    try {
      [model, environment] = await Promise.all([loadModel(url, this.dracoDecoderPath), this.environment]);
    } catch {
      if (url === this.modelUrl) this.onStatus(this.strings.loadError);
      return null;
    }
    if (url !== this.modelUrl) {
      disposeObject(model); // a stop with another object arrived while this one loaded
      return null;
    }
    this.model = model;
    this.scene.add(model);
    this.scene.environment = environment;
    this.home = frameObject(this.camera, this.controls, model).home;
    this.onStatus('');
    // Metered after the first frame (one small offscreen render), from the home view.
    requestAnimationFrame(() => {
      if (this.model === model) meterExposure(this.renderer, this.scene, this.camera);
      this.dirty = true;
    });
    return model;
  }

  cameraState() {
    return { position: this.camera.position.toArray(), target: this.controls.target.toArray() };
  }

  /** Our pose for presence: camera position and orientation. */
  pose() {
    return { p: this.camera.position.toArray(), q: this.camera.quaternion.toArray() };
  }

  isMoving() {
    return Boolean(this.tween.active);
  }
}
