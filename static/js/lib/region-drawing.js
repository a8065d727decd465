/**
 * Drawing a region on the model in the annotation form (#23): with the Polyline or Polygon tool
 * each click on the surface appends a point (and its normal); the line is drawn on the surface
 * as it grows (region-shape.js). Undo removes the last point, Clear all of them, Close ends a
 * polygon. The shape is written, as the contract's JSON, into the form's `shape` field (empty
 * when there are too few points); the typed field stays the fallback, and what it holds when
 * the form opens is drawn.
 */
import * as THREE from 'three';
import { format } from './format.js';
import { MAX_POINTS, disposeRegion, parseShape, regionAnchor, regionObject } from './region-shape.js';

const DECIMALS = 5; // 10 µm in model metres
const DRAFT_COLOUR = '#ffb000';

const rounded = (vector) => vector.map((v) => Number(v.toFixed(DECIMALS)) || 0);

export class RegionDrawing {
  /**
   * @param {object} options
   * @param {import('./tour-stage.js').TourStage} options.stage the editor's stage
   * @param {HTMLTextAreaElement|null} options.field the form's `shape` field
   * @param {() => string} options.colour the colour of the chosen class
   * @param {object} options.strings UI texts (data-str-* of the editor)
   * @param {(text: string) => void} options.say the status line
   * @param {(anchor: {position: number[], normal: number[]|null}) => void} options.onAnchor
   *   where the region's hotspot goes (the form's position and normal)
   */
  constructor({ stage, field, colour, strings, say, onAnchor }) {
    this.stage = stage;
    this.field = field;
    this.colour = colour;
    this.strings = strings;
    this.say = say;
    this.onAnchor = onAnchor;
    this.type = 'polygon';
    this.points = [];
    this.normals = [];
    this.closed = false;
    this.object = null;
    this.read();
  }

  /** The shape the field holds when the form opens (or after typing in it). */
  read() {
    let shape = null;
    try {
      shape = this.field?.value.trim() ? parseShape(JSON.parse(this.field.value)) : null;
    } catch {
      shape = null;
    }
    if (!shape) return false;
    this.type = shape.type;
    this.points = shape.points.map((p) => [...p]);
    this.normals = shape.normals ? shape.normals.map((n) => [...n]) : [];
    this.closed = shape.type === 'polygon';
    this.redraw();
    return true;
  }

  get hasShape() {
    return this.points.length > 0;
  }

  /** Start drawing a `type` ('polyline' or 'polygon'); the points drawn so far stay. */
  setType(type) {
    if (type === this.type) {
      this.report(); // nothing changes (the form keeps what it holds)
      return;
    }
    this.type = type;
    if (type !== 'polygon') this.closed = false;
    this.update();
  }

  /** Append a surface point (model metres) and its normal. */
  add(point, normal) {
    if (this.closed) {
      this.say(this.strings.closed);
      return;
    }
    if (this.points.length >= MAX_POINTS) {
      this.say(format(this.strings.tooMany, { count: MAX_POINTS }));
      return;
    }
    this.points.push(rounded(point));
    this.normals.push(rounded(normal ?? [0, 0, 0]));
    this.update();
  }

  undo() {
    if (this.closed) this.closed = false;
    else {
      this.points.pop();
      this.normals.pop();
    }
    this.update();
  }

  clear() {
    this.points = [];
    this.normals = [];
    this.closed = false;
    this.update();
  }

  /** Close the polygon: no more points until Undo reopens it. */
  close() {
    if (this.type !== 'polygon' || this.points.length < 3) {
      this.say(this.strings.needThree);
      return;
    }
    this.closed = true;
    this.update();
  }

  /** The contract's JSON, or null while there are too few points for the type. */
  shape() {
    const enough = this.type === 'polygon' ? 3 : 2;
    if (this.points.length < enough) return null;
    const shape = { type: this.type, points: this.points };
    // Normals are kept when every point has one (a typed fallback may lack them).
    if (this.normals.length === this.points.length && this.normals.every((n) => n.some(Boolean))) {
      shape.normals = this.normals;
    }
    return shape;
  }

  /** Write the field, redraw, say where we are. */
  update() {
    const shape = this.shape();
    if (this.field) {
      this.field.value = shape ? JSON.stringify(shape) : '';
      this.field.dispatchEvent(new Event('input', { bubbles: true }));
    }
    if (shape) this.onAnchor(regionAnchor(parseShape(shape)));
    this.redraw();
    this.report();
  }

  /** Say how many points the region has and what comes next. */
  report() {
    const count = this.points.length;
    if (this.closed) this.say(format(this.strings.closedCount, { count }));
    else this.say(format(this.type === 'polygon' ? this.strings.polygonCount : this.strings.polylineCount, { count }));
  }

  /** The line on the surface, with a dot on each point (the last one larger). */
  redraw() {
    if (this.object) disposeRegion(this.object);
    this.object = null;
    this.stage.invalidate(); // the stage draws only on change; a point moved keeps the count
    if (!this.points.length || !this.stage.model) return;
    const size = new THREE.Box3().setFromObject(this.stage.model).getBoundingSphere(new THREE.Sphere()).radius;
    const colour = this.colour() || DRAFT_COLOUR;
    const normals = this.normals.length === this.points.length && this.normals.every((n) => n.some(Boolean))
      ? this.normals : null;
    const drawn = { type: this.type, points: this.points, normals };
    const group = this.points.length >= 2
      ? regionObject(drawn, { colour, size, closed: this.closed || this.type === 'polygon', fill: this.closed })
      : new THREE.Group();
    const dots = new THREE.Points(
      new THREE.BufferGeometry().setFromPoints(this.points.map((p) => new THREE.Vector3().fromArray(p))),
      new THREE.PointsMaterial({ color: colour, size: 7, sizeAttenuation: false, depthTest: false }),
    );
    dots.renderOrder = 6;
    group.add(dots);
    group.name = 'region-draft';
    this.object = group;
    this.stage.scene.add(group);
  }
}
