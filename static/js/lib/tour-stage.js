/**
 * The 3D stage of a guided tour: shows the current stop's object and glides the camera to the
 * stop's saved view. Reuses the artifact viewer's loader and camera rig.
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { CameraTween, frameObject } from './camera-rig.js';
import { disposeObject, loadModel } from './lod-loader.js';
import { configureRenderer, keyLight, meterExposure, roomEnvironment } from './scene-lighting.js';

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
    new ResizeObserver(() => this.resize()).observe(canvas);
    this.resize();
    this.renderer.setAnimationLoop(() => this.frame());
  }

  resize() {
    const width = this.canvas.clientWidth || 1;
    const height = this.canvas.clientHeight || 1;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
  }

  frame() {
    if (this.marker) this.marker.material.opacity = 0.65 + 0.35 * Math.sin(performance.now() / 250);
    this.tween.step();
    this.controls.update();
    this.renderer.render(this.scene, this.camera);
    this.renderCount += 1;
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
      let model;
      try {
        model = await loadModel(stop.model_url, this.dracoDecoderPath);
      } catch {
        if (token === this.loadToken) this.onStatus(this.strings.loadError);
        return;
      }
      if (token !== this.loadToken) {
        disposeObject(model); // a newer stop arrived while this one loaded
        return;
      }
      this.model = model;
      this.scene.add(model);
      // The environment is made with the first object (it costs a moment on software WebGL).
      this.scene.environment ??= roomEnvironment(this.renderer);
      this.home = frameObject(this.camera, this.controls, model).home;
      this.onStatus('');
      // Metered after the first frame (one small offscreen render), from the home view.
      requestAnimationFrame(() => {
        if (this.model === model) meterExposure(this.renderer, this.scene, this.camera);
      });
    }
    if (token !== this.loadToken) return;
    this.highlight(stop.annotation);
    const view = stop.camera
      ? {
          position: new THREE.Vector3().fromArray(stop.camera.position),
          target: new THREE.Vector3().fromArray(stop.camera.target),
        }
      : this.home;
    if (view) await this.tween.to(view.position, view.target, glide ? 1200 : 0);
  }

  /** A pulsing marker at the stop's highlighted annotation (none when the stop has none). */
  highlight(annotation) {
    if (this.marker) {
      this.scene.remove(this.marker);
      this.marker.geometry.dispose();
      this.marker.material.dispose();
      this.marker = null;
    }
    if (!annotation?.position || !this.model) return;
    const size = new THREE.Box3().setFromObject(this.model).getSize(new THREE.Vector3()).length();
    this.marker = new THREE.Mesh(
      new THREE.SphereGeometry(size * 0.012, 16, 12),
      new THREE.MeshBasicMaterial({ color: 0xffb000, depthTest: false, transparent: true }),
    );
    this.marker.renderOrder = 10;
    this.marker.position.fromArray(annotation.position);
    this.scene.add(this.marker);
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
