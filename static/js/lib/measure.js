/**
 * Measurement tool: pick points on the model and read a distance, an angle, an area or a
 * point's position.
 *
 * Only offered for normalised LOD models, whose units are metres. Points are picked by a click
 * (a press that does not drag, so orbiting still works while measuring) or, from the keyboard,
 * with Enter at the centre of the view (marked by a crosshair). Escape cancels; a new first
 * point replaces a finished measurement. Results are announced in an aria-live readout.
 *
 * Modes (setMode, or the inspection panel's radio buttons): distance (two points), angle (three,
 * the corner second), area (a polygon: click the first point again, or Shift+Enter, to close it)
 * and point (one point's coordinates).
 */
import * as THREE from 'three';
import { format } from './format.js';

const COLOR = 0xffd166;
const CLICK_SLOP_PX = 6;
const CLOSE_SHAPE_PX = 12;
const MAX_AREA_POINTS = 64;
/** Points a measurement needs (area: at least three, closed by the visitor). */
const POINTS_NEEDED = { distance: 2, angle: 3, area: Infinity, point: 1 };
export const MEASURE_MODES = Object.keys(POINTS_NEEDED);

/** The angle at `corner` between the rays to `a` and `b`, in degrees. */
export function angleAt(a, corner, b) {
  return THREE.MathUtils.radToDeg(a.clone().sub(corner).angleTo(b.clone().sub(corner)));
}

/** The area of the closed polygon `points` (its vector area: exact when it is planar). */
export function polygonArea(points) {
  const sum = new THREE.Vector3();
  const cross = new THREE.Vector3();
  points.forEach((point, i) => sum.add(cross.crossVectors(point, points[(i + 1) % points.length])));
  return sum.length() / 2;
}

export class MeasureTool {
  /**
   * @param {object} options
   * @param {HTMLButtonElement} options.button toggle with aria-pressed
   * @param {HTMLElement} options.layer overlay with the crosshair and the result label
   * @param {HTMLElement} options.label result label placed on the measurement
   * @param {HTMLElement} options.readout aria-live text for instructions and results
   * @param {HTMLElement} options.stage focusable element around the canvas
   * @param {HTMLCanvasElement} options.canvas
   * @param {THREE.Scene} options.scene
   * @param {THREE.Camera} options.camera (replaced by the viewer when it switches projection)
   * @param {() => THREE.Object3D|null} options.getTarget the model to raycast (current LOD)
   * @param {Record<string, string>} options.strings translated strings from the viewer config
   * @param {() => void} options.requestRender
   */
  constructor({ button, layer, label, readout, stage, canvas, scene, camera, getTarget, strings, requestRender }) {
    Object.assign(this, { button, layer, label, readout, stage, canvas, camera, getTarget, strings, requestRender });
    this.active = false;
    this.mode = 'distance';
    this.points = [];
    this.closed = false;
    this.value = null;
    this.distance = null; // metres, distance mode
    this.raycaster = new THREE.Raycaster();
    const lang = document.documentElement.lang || undefined;
    this.numbers = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    this.group = new THREE.Group();
    this.group.name = 'measurement';
    this.group.renderOrder = 10;
    scene.add(this.group);
    this.markerMaterial = new THREE.MeshBasicMaterial({ color: COLOR, depthTest: false, transparent: true });
    this.markerGeometry = new THREE.SphereGeometry(1, 16, 12);
    this.markers = [];
    this.markerRadius = 0.005;
    this.line = new THREE.Line(
      new THREE.BufferGeometry(),
      new THREE.LineBasicMaterial({ color: COLOR, depthTest: false, transparent: true }),
    );
    this.line.visible = false;
    this.line.renderOrder = 10;
    this.group.add(this.line);

    this.onKeyDown = (event) => this.keyDown(event);
    button.addEventListener('click', () => this.setActive(!this.active));
    stage.addEventListener('keydown', (event) => {
      if (!this.active || event.key !== 'Enter' || event.target !== stage) return;
      event.preventDefault();
      if (event.shiftKey && this.mode === 'area') this.closeShape();
      else this.pickAt(new THREE.Vector2(0, 0));
    });
    let down = null;
    canvas.addEventListener('pointerdown', (event) => {
      down = event.isPrimary && event.button === 0 ? { x: event.clientX, y: event.clientY } : null;
    });
    canvas.addEventListener('pointerup', (event) => {
      if (!this.active || !down) return;
      const moved = Math.hypot(event.clientX - down.x, event.clientY - down.y);
      down = null;
      if (moved > CLICK_SLOP_PX) return;
      if (this.nearFirstPoint(event.clientX, event.clientY)) this.closeShape();
      else this.pickAt(this.toNdc(event.clientX, event.clientY));
    });
  }

  /** Marker radius in scene units (metres); call with the model's size. */
  setMarkerSize(radius) {
    this.markerRadius = radius;
    for (const marker of this.markers) marker.scale.setScalar(radius);
  }

  /** Switch to another kind of measurement (clears the current one). */
  setMode(mode) {
    if (!(mode in POINTS_NEEDED) || mode === this.mode) return;
    this.mode = mode;
    this.clear();
    if (this.active) this.announce(this.instructions());
  }

  instructions() {
    const key = { distance: 'measureStart', angle: 'angleStart', area: 'areaStart', point: 'pointStart' }[this.mode];
    return this.strings[key];
  }

  setActive(active) {
    this.active = active;
    this.button.setAttribute('aria-pressed', String(active));
    this.layer.hidden = !active && this.value === null;
    this.layer.classList.toggle('is-active', active);
    this.canvas.classList.toggle('is-measuring', active);
    if (active) {
      document.addEventListener('keydown', this.onKeyDown);
      this.announce(this.instructions());
    } else {
      document.removeEventListener('keydown', this.onKeyDown);
      if (!this.finished()) this.clear();
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
    // A section plane hides part of the model: points there cannot be picked.
    const hit = this.raycaster.intersectObject(target, true).find((h) => !this.clipped(h.point));
    return hit ? hit.point.clone() : null;
  }

  /** Whether `point` is cut away by the materials' clipping planes (inspect-tools.js). */
  clipped(point) {
    return (this.clippingPlanes ?? []).some((plane) => plane.distanceToPoint(point) < 0);
  }

  /** Surface point under a position given in client (CSS pixel) coordinates, or null. */
  surfacePointAtClient(clientX, clientY) {
    return this.surfacePoint(this.toNdc(clientX, clientY));
  }

  nearFirstPoint(clientX, clientY) {
    if (this.mode !== 'area' || this.closed || this.points.length < 3) return false;
    const rect = this.canvas.getBoundingClientRect();
    const first = this.points[0].clone().project(this.camera);
    const x = rect.left + ((first.x + 1) / 2) * rect.width;
    const y = rect.top + ((1 - first.y) / 2) * rect.height;
    return Math.hypot(clientX - x, clientY - y) <= CLOSE_SHAPE_PX;
  }

  pickAt(ndc) {
    const point = this.surfacePoint(ndc);
    if (!point) {
      this.announce(this.strings.measureMiss);
      return;
    }
    this.addPoint(point);
  }

  finished() {
    return this.mode === 'area' ? this.closed : this.points.length === POINTS_NEEDED[this.mode];
  }

  marker(index) {
    while (this.markers.length <= index) {
      const marker = new THREE.Mesh(this.markerGeometry, this.markerMaterial);
      marker.renderOrder = 10;
      marker.scale.setScalar(this.markerRadius);
      this.group.add(marker);
      this.markers.push(marker);
    }
    return this.markers[index];
  }

  addPoint(point) {
    if (this.finished() || (this.mode === 'area' && this.points.length >= MAX_AREA_POINTS)) this.clear();
    this.points.push(point.clone());
    const marker = this.marker(this.points.length - 1);
    marker.position.copy(point);
    marker.visible = true;
    this.layer.hidden = false;
    this.drawLine();
    if (this.finished()) this.finish();
    else if (this.mode === 'area' && this.points.length >= 3) this.showValue(); // a running total
    else if (this.mode === 'distance') this.announce(this.strings.measureSecond);
    else this.announce(format(this.strings.measureNext, { number: this.points.length + 1 }));
    this.requestRender();
  }

  closeShape() {
    if (this.mode !== 'area' || this.points.length < 3) return;
    this.closed = true;
    this.drawLine();
    this.finish();
    this.requestRender();
  }

  drawLine() {
    const points = this.closed ? [...this.points, this.points[0]] : this.points;
    this.line.geometry.setFromPoints(points);
    this.line.geometry.computeBoundingSphere();
    this.line.visible = this.points.length > 1;
  }

  /** Show the measurement between two points (model metres); returns the distance in cm. */
  measureBetween(a, b) {
    return this.measureWith('distance', [a, b]).value;
  }

  /**
   * Measure programmatically (tests, and points known from elsewhere); returns the state.
   * @param {string} mode one of MEASURE_MODES
   * @param {THREE.Vector3[]} points in model metres
   */
  measureWith(mode, points) {
    this.setMode(mode);
    this.clear();
    for (const point of points) this.addPoint(point);
    if (mode === 'area') this.closeShape();
    return this.state();
  }

  /** The value in display units (cm, degrees, cm²) and its label's parameters. */
  compute() {
    const p = this.points;
    const cm = (metres) => this.numbers.format(metres * 100);
    switch (this.mode) {
      case 'distance': {
        this.distance = p[0].distanceTo(p[1]);
        return { value: this.distance * 100, params: { distance: cm(this.distance) }, label: 'measureLabel', result: 'measureResult' };
      }
      case 'angle': {
        const angle = angleAt(p[0], p[1], p[2]);
        return { value: angle, params: { angle: this.numbers.format(angle) }, label: 'angleLabel', result: 'angleResult' };
      }
      case 'area': {
        const area = polygonArea(p) * 1e4;
        return { value: area, params: { area: this.numbers.format(area), count: p.length }, label: 'areaLabel', result: 'areaResult' };
      }
      default: {
        const [x, y, z] = p[0].toArray().map(cm);
        return { value: p[0].clone().multiplyScalar(100).toArray(), params: { x, y, z }, label: 'pointLabel', result: 'pointResult' };
      }
    }
  }

  /** Update the label (and, once finished, announce the result). */
  showValue() {
    const { value, params, label, result } = this.compute();
    this.value = value;
    this.label.textContent = format(this.strings[label], params);
    this.label.hidden = false;
    return format(this.strings[result], params);
  }

  finish() {
    this.announce(this.showValue());
  }

  clear() {
    this.points = [];
    this.closed = false;
    this.value = null;
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

  /** Where the label sits: the segment's middle, the corner, the shape's centre, the point. */
  anchor() {
    const p = this.points;
    if (this.mode === 'distance') return p[0].clone().add(p[1]).multiplyScalar(0.5);
    if (this.mode === 'angle') return p[1].clone();
    if (this.mode === 'area') return p.reduce((sum, q) => sum.add(q), new THREE.Vector3()).divideScalar(p.length);
    return p[0].clone();
  }

  /** Place the result label; call after each render. */
  update(camera, width, height) {
    if (this.value === null) return;
    const middle = this.anchor().project(camera);
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
      mode: this.mode,
      points: this.points.map((p) => p.toArray()),
      closed: this.closed,
      value: this.value,
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
