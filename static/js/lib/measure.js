/**
 * Measurement tool: pick two points on the model and read the distance between them.
 *
 * Only offered for normalised LOD models, whose units are metres. Points are picked by a click
 * (a press that does not drag, so orbiting still works while measuring) or, from the keyboard,
 * with Enter at the centre of the view (marked by a crosshair). Escape cancels; a new first
 * point replaces the previous measurement. Results are announced in an aria-live readout.
 */
import * as THREE from 'three';
import { format } from './format.js';

const COLOR = 0xffd166;
const CLICK_SLOP_PX = 6;

export class MeasureTool {
  /**
   * @param {object} options
   * @param {HTMLButtonElement} options.button toggle with aria-pressed
   * @param {HTMLElement} options.layer overlay with the crosshair and the distance label
   * @param {HTMLElement} options.label distance label placed at the segment's midpoint
   * @param {HTMLElement} options.readout aria-live text for instructions and results
   * @param {HTMLElement} options.stage focusable element around the canvas
   * @param {HTMLCanvasElement} options.canvas
   * @param {THREE.Scene} options.scene
   * @param {THREE.Camera} options.camera
   * @param {() => THREE.Object3D|null} options.getTarget the model to raycast (current LOD)
   * @param {Record<string, string>} options.strings translated strings from the viewer config
   * @param {() => void} options.requestRender
   */
  constructor({ button, layer, label, readout, stage, canvas, scene, camera, getTarget, strings, requestRender }) {
    Object.assign(this, { button, layer, label, readout, stage, canvas, camera, getTarget, strings, requestRender });
    this.active = false;
    this.points = [];
    this.distance = null;
    this.raycaster = new THREE.Raycaster();
    this.numbers = new Intl.NumberFormat(document.documentElement.lang || undefined, {
      minimumFractionDigits: 1,
      maximumFractionDigits: 1,
    });
    this.group = new THREE.Group();
    this.group.name = 'measurement';
    this.group.renderOrder = 10;
    scene.add(this.group);
    const material = new THREE.MeshBasicMaterial({ color: COLOR, depthTest: false, transparent: true });
    this.markerGeometry = new THREE.SphereGeometry(1, 16, 12);
    this.markers = [0, 1].map(() => {
      const marker = new THREE.Mesh(this.markerGeometry, material);
      marker.visible = false;
      marker.renderOrder = 10;
      this.group.add(marker);
      return marker;
    });
    this.line = new THREE.Line(
      new THREE.BufferGeometry().setFromPoints([new THREE.Vector3(), new THREE.Vector3()]),
      new THREE.LineBasicMaterial({ color: COLOR, depthTest: false, transparent: true }),
    );
    this.line.visible = false;
    this.line.renderOrder = 10;
    this.group.add(this.line);
    this.setMarkerSize(0.005);

    this.onKeyDown = (event) => this.keyDown(event);
    button.addEventListener('click', () => this.setActive(!this.active));
    stage.addEventListener('keydown', (event) => {
      if (this.active && event.key === 'Enter' && event.target === stage) {
        event.preventDefault();
        this.pickAt(new THREE.Vector2(0, 0));
      }
    });
    let down = null;
    canvas.addEventListener('pointerdown', (event) => {
      down = event.isPrimary && event.button === 0 ? { x: event.clientX, y: event.clientY } : null;
    });
    canvas.addEventListener('pointerup', (event) => {
      if (!this.active || !down) return;
      const moved = Math.hypot(event.clientX - down.x, event.clientY - down.y);
      down = null;
      if (moved <= CLICK_SLOP_PX) this.pickAt(this.toNdc(event.clientX, event.clientY));
    });
  }

  /** Marker radius in scene units (metres); call with the model's size. */
  setMarkerSize(radius) {
    for (const marker of this.markers) marker.scale.setScalar(radius);
  }

  setActive(active) {
    this.active = active;
    this.button.setAttribute('aria-pressed', String(active));
    this.layer.hidden = !active && this.distance === null;
    this.layer.classList.toggle('is-active', active);
    this.canvas.classList.toggle('is-measuring', active);
    if (active) {
      document.addEventListener('keydown', this.onKeyDown);
      this.announce(this.strings.measureStart);
    } else {
      document.removeEventListener('keydown', this.onKeyDown);
      if (this.points.length === 1) this.clear();
    }
    this.requestRender();
  }

  keyDown(event) {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    this.clear();
    this.setActive(false);
    this.announce(this.strings.measureCancelled);
  }

  toNdc(clientX, clientY) {
    const rect = this.canvas.getBoundingClientRect();
    return new THREE.Vector2(
      ((clientX - rect.left) / rect.width) * 2 - 1,
      -((clientY - rect.top) / rect.height) * 2 + 1,
    );
  }

  /** The point of the current model under normalised device coordinates `ndc`, or null. */
  surfacePoint(ndc) {
    const target = this.getTarget();
    if (!target) return null;
    this.camera.updateMatrixWorld();
    this.raycaster.setFromCamera(ndc, this.camera);
    const hit = this.raycaster.intersectObject(target, true)[0];
    return hit ? hit.point.clone() : null;
  }

  /** Surface point under a position given in client (CSS pixel) coordinates, or null. */
  surfacePointAtClient(clientX, clientY) {
    return this.surfacePoint(this.toNdc(clientX, clientY));
  }

  pickAt(ndc) {
    const point = this.surfacePoint(ndc);
    if (!point) {
      this.announce(this.strings.measureMiss);
      return;
    }
    this.addPoint(point);
  }

  addPoint(point) {
    if (this.points.length !== 1) this.clear(); // a new measurement replaces the previous one
    this.points.push(point.clone());
    const marker = this.markers[this.points.length - 1];
    marker.position.copy(point);
    marker.visible = true;
    this.layer.hidden = false;
    if (this.points.length === 2) this.finish();
    else this.announce(this.strings.measureSecond);
    this.requestRender();
  }

  /** Show the measurement between two points (model metres); returns the distance in cm. */
  measureBetween(a, b) {
    this.clear();
    this.addPoint(a);
    this.addPoint(b);
    return this.distance * 100;
  }

  finish() {
    const [a, b] = this.points;
    this.distance = a.distanceTo(b);
    this.line.geometry.setFromPoints([a, b]);
    this.line.geometry.computeBoundingSphere();
    this.line.visible = true;
    const text = this.numbers.format(this.distance * 100);
    this.label.textContent = format(this.strings.measureLabel, { distance: text });
    this.label.hidden = false;
    this.announce(format(this.strings.measureResult, { distance: text }));
  }

  clear() {
    this.points = [];
    this.distance = null;
    for (const marker of this.markers) marker.visible = false;
    this.line.visible = false;
    this.label.hidden = true;
    this.layer.hidden = !this.active;
    this.requestRender();
  }

  announce(text) {
    // Re-setting the same text is not announced again, so clear it first.
    this.readout.textContent = '';
    window.setTimeout(() => { this.readout.textContent = text; }, 30);
  }

  /** Place the distance label; call after each render. */
  update(camera, width, height) {
    if (this.distance === null) return;
    const middle = this.points[0].clone().add(this.points[1]).multiplyScalar(0.5).project(camera);
    const visible = middle.z > -1 && middle.z < 1;
    this.label.hidden = !visible;
    const x = ((middle.x + 1) / 2) * width;
    const y = ((1 - middle.y) / 2) * height;
    this.label.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px) translate(-50%, -130%)`;
  }

  setVisible(visible) {
    this.group.visible = visible;
    this.layer.style.visibility = visible ? '' : 'hidden';
  }

  /** Plain-data state for tests. */
  state() {
    return {
      active: this.active,
      points: this.points.map((p) => p.toArray()),
      distanceCm: this.distance === null ? null : this.distance * 100,
      label: this.label.hidden ? null : this.label.textContent,
    };
  }
}

/**
 * The tool for an ArtifactViewer whose page has a Measure button; null without one.
 * @param {object} viewer the ArtifactViewer (root, stage, canvas, scene, camera, model)
 * @param {number} radius the model's bounding radius, to size the markers
 */
export function createMeasureTool(viewer, radius) {
  const button = viewer.root.querySelector('#viewer-measure');
  if (!button) return null;
  const tool = new MeasureTool({
    button,
    layer: viewer.root.querySelector('#viewer-measure-layer'),
    label: viewer.root.querySelector('#viewer-measure-label'),
    readout: viewer.root.querySelector('#viewer-measure-readout'),
    stage: viewer.stage,
    canvas: viewer.canvas,
    scene: viewer.scene,
    camera: viewer.camera,
    getTarget: () => viewer.model,
    strings: viewer.strings,
    requestRender: () => viewer.requestRender(),
  });
  tool.setMarkerSize(Math.max(radius, 0.01) * 0.012);
  button.hidden = false;
  return tool;
}
