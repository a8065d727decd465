/**
 * Curators mark new regions on a flat work's deep-zoom view: "Mark a region", then drag a box
 * or click a polygon's corners on the image (Annotorious 3, a classic script loaded only for
 * them, window.AnnotoriousOSD: its shapes are in the image's full-resolution pixels), or press
 * Enter in the view to take the visible area; a title, text, class and optionally an image or
 * a sound with its description, and the region is saved through the annotation API (POST
 * /api/annotations/, `region` {canvas, xywh} or {canvas, type: 'polygon', points}; multipart
 * when a file goes with it). The server decides: a refusal is shown as it is.
 */
import { format } from './format.js';
import { postTo } from './http.js';

/** The bounding box [x, y, w, h] of some points. */
function boundsOf(points) {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const x = Math.min(...xs);
  const y = Math.min(...ys);
  return [x, y, Math.max(...xs) - x, Math.max(...ys) - y];
}

export class DeepZoomRegionEditor {
  constructor(regions, drawButton) {
    this.owner = regions; // the DeepZoomRegions that lists and draws them
    this.page = regions.page;
    this.strings = regions.strings;
    this.config = regions.config;
    this.drawButton = drawButton;
    this.form = document.getElementById('region-form');
    this.drawing = false;
    this.pending = null; // the region waiting for its title
    this.saved = [];
    this.wire();
  }

  wire() {
    this.drawButton.addEventListener('click', () => (this.drawing ? this.stopDrawing() : this.startDrawing()));
    this.shapeSelect = document.getElementById('deep-zoom-shape');
    this.shapeSelect?.addEventListener('change', () => {
      if (!this.drawing) return;
      this.stopDrawing();
      this.startDrawing();
    });
    this.page.viewer.canvas.addEventListener('keydown', (event) => {
      if (!this.drawing) return;
      if (event.key === 'Enter') {
        event.preventDefault();
        this.propose(this.visibleArea());
      } else if (event.key === 'Escape') {
        this.stopDrawing();
      }
    });
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.save();
    });
    document.getElementById('region-cancel').addEventListener('click', () => this.discard());
  }

  annotator() {
    if (this.anno === undefined) {
      const library = window.AnnotoriousOSD;
      this.anno = library ? library.createOSDAnnotator(this.page.viewer, { drawingEnabled: false, drawingMode: 'drag' }) : null;
      this.anno?.on('createAnnotation', (annotation) => this.drawn(annotation));
    }
    return this.anno;
  }

  startDrawing() {
    this.page.measure.stop();
    this.drawing = true;
    this.drawButton.setAttribute('aria-pressed', 'true');
    // A rectangle is dragged; a polygon's corners are clicked, a double click closes it.
    const polygon = this.shapeSelect?.value === 'polygon';
    const anno = this.annotator();
    anno?.setDrawingTool(polygon ? 'polygon' : 'rectangle');
    anno?.setDrawingMode(polygon ? 'click' : 'drag');
    anno?.setDrawingEnabled(true);
    // The double click that closes a polygon must not also zoom the view.
    this.page.viewer.gestureSettingsByDeviceType('mouse').dblClickToZoom = false;
    this.page.say(polygon ? this.strings.drawPolygon : this.strings.drawStart);
  }

  stopDrawing() {
    if (!this.drawing) return;
    this.drawing = false;
    this.drawButton?.setAttribute('aria-pressed', 'false');
    this.anno?.setDrawingEnabled(false);
    // After the event that closed the shape has been handled.
    setTimeout(() => { this.page.viewer.gestureSettingsByDeviceType('mouse').dblClickToZoom = true; });
  }

  /** The part of the image in view, in its pixels. */
  visibleArea() {
    const image = this.page.image;
    const bounds = image.viewportToImageRectangle(this.page.viewer.viewport.getBounds(true));
    const size = image.getContentSize();
    const x = Math.max(0, bounds.x);
    const y = Math.max(0, bounds.y);
    return { xywh: [x, y, Math.min(size.x, bounds.x + bounds.width) - x, Math.min(size.y, bounds.y + bounds.height) - y] };
  }

  /** Annotorious drew a shape: a rectangle (its geometry's x, y, w, h) or a polygon (its
   * points); both in the image's full-resolution pixels. */
  drawn(annotation) {
    const selector = annotation.target?.selector ?? {};
    const geometry = selector.geometry ?? {};
    this.drawnId = annotation.id;
    if (selector.type === 'POLYGON' && Array.isArray(geometry.points)) {
      this.propose({ type: 'polygon', points: geometry.points });
    } else {
      this.propose({ xywh: [geometry.x, geometry.y, geometry.w, geometry.h] });
    }
  }

  /** Hold the shape (clamped to the image, whole pixels) until it has a title. */
  propose(shape) {
    const size = this.page.image.getContentSize();
    const clamp = (v, max) => Math.max(0, Math.min(Math.round(v), max));
    const canvas = this.page.canvas.id;
    if (shape.points) {
      const points = shape.points.map(([px, py]) => [clamp(px, size.x), clamp(py, size.y)]);
      this.pending = { canvas, type: shape.type, points };
    } else {
      let [x, y, w, h] = shape.xywh.map(Math.round);
      x = clamp(x, size.x - 1);
      y = clamp(y, size.y - 1);
      w = Math.max(1, Math.min(w, size.x - x));
      h = Math.max(1, Math.min(h, size.y - y));
      this.pending = { canvas, xywh: [x, y, w, h] };
    }
    this.stopDrawing();
    this.form.hidden = false;
    this.form.querySelector('#region-status').textContent = '';
    this.form.querySelector('#region-title').focus();
  }

  discard() {
    this.pending = null;
    this.form.hidden = true;
    this.form.reset();
    this.form.querySelector('#region-status').textContent = '';
    if (this.drawnId) this.anno?.removeAnnotation(this.drawnId);
    this.drawnId = null;
  }

  async save() {
    const status = this.form.querySelector('#region-status');
    const title = this.form.querySelector('#region-title').value.trim();
    if (!this.pending) return;
    if (!title) {
      status.textContent = this.strings.drawTitleNeeded;
      return;
    }
    status.textContent = this.strings.drawSaving;
    const body = {
      artifact: this.config.artifact,
      title,
      text: this.form.querySelector('#region-text').value,
      order: this.owner.regions.length,
      region: this.pending,
    };
    const classId = Number(this.form.querySelector('#region-class')?.value) || null;
    if (classId) body.annotation_class = classId;
    // With an image or a sound, the same fields as a form (the region as JSON text).
    const file = this.form.querySelector('#region-media')?.files[0];
    let request = { json: body };
    if (file) {
      const data = new FormData();
      for (const [key, value] of Object.entries(body)) data.append(key, key === 'region' ? JSON.stringify(value) : value);
      data.append('media', file);
      data.append('media_alt', this.form.querySelector('#region-media-alt').value);
      request = { body: data };
    }
    let response;
    try {
      response = await postTo(this.config.annotationsUrl, { ...request, scope: this.form });
    } catch (error) {
      status.textContent = format(this.strings.drawRefused, { reason: String(error) });
      return;
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const reason = data.detail ?? Object.values(data).flat().join(' ') ?? response.statusText;
      status.textContent = format(this.strings.drawRefused, { reason: reason || response.status });
      return;
    }
    const stored = data.region ?? this.pending;
    const region = {
      id: data.id,
      title: data.title,
      text: data.text,
      ...stored,
      xywh: stored.xywh ?? boundsOf(stored.points),
      type: stored.type ?? (stored.points ? 'polygon' : 'box'),
      class: data.class ?? this.config.classes.find((c) => c.id === classId) ?? null,
      media: data.media ?? null,
    };
    this.saved.push(region.id);
    this.discard();
    this.owner.added(region);
    this.page.say(this.strings.drawSaved);
  }
}
