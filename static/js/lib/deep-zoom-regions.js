/**
 * Regions of a flat work (annotations with a `region`: a box, or a polygon and its box, in the
 * canvas's full-resolution pixels): outlined over the image as OpenSeadragon overlays, listed
 * beside it (the keyboard way in: a button per region zooms to it and shows its text); a link
 * to `#region-<id>` opens zoomed to that region.
 *
 * Curators mark new ones: "Mark a region", then drag on the image (Annotorious, a classic script
 * loaded only for them, window.AnnotoriousOSD), or press Enter in the view to take the visible
 * area; a title and text, and the region is saved through the annotation API (POST
 * /api/annotations/ with `region`). The server decides: a refusal is shown as it is.
 */
import { format } from './format.js';
import { postTo } from './http.js';

const SVG = 'http://www.w3.org/2000/svg';

export class DeepZoomRegions {
  constructor(page) {
    this.page = page;
    this.strings = page.strings;
    this.config = page.config;
    this.regions = [...page.config.regions];
    const root = document;
    this.list = root.getElementById('region-list');
    this.empty = root.getElementById('region-empty');
    this.detail = root.getElementById('annotation-detail');
    this.detailTitle = root.getElementById('annotation-detail-title');
    this.detailText = root.getElementById('annotation-detail-text');
    this.drawButton = root.getElementById('deep-zoom-draw');
    this.form = root.getElementById('region-form');
    this.overlays = new Map(); // region id -> element
    this.selected = null;
    this.drawing = false;
    this.pending = null; // {xywh, points?} waiting for its title
    this.saved = [];
    page.viewer.addHandler('canvas-click', (event) => this.clicked(event));
    if (this.drawButton) this.wireCurator();
  }

  /** The regions of the current canvas, in order. */
  get current() {
    return this.regions.filter((region) => region.canvas === this.page.canvas.id);
  }

  reset() {
    this.stopDrawing();
    this.selected = null;
    this.page.viewer.clearOverlays();
    this.overlays.clear();
    this.detail.hidden = true;
    this.renderList();
  }

  attach() {
    for (const region of this.current) this.addOverlay(region);
    this.followLink();
  }

  /** A link to `#region-<id>` opens that region's canvas, zoomed to it (once per page load). */
  followLink() {
    const id = Number(/^#region-(\d+)$/.exec(window.location.hash)?.[1]);
    const region = this.regions.find((r) => r.id === id);
    if (!region || this.linkFollowed) return;
    const index = this.config.canvases.findIndex((c) => c.id === region.canvas);
    if (index >= 0 && index !== this.page.index) {
      this.page.show(index);
      return;
    }
    this.linkFollowed = true;
    this.select(id, { zoom: true });
  }

  renderList() {
    const items = this.current.map((region, index) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'annotation-button';
      button.dataset.regionId = String(region.id);
      button.setAttribute('aria-pressed', String(region.id === this.selected));
      const number = document.createElement('span');
      number.className = 'annotation-button__number';
      number.setAttribute('aria-hidden', 'true');
      number.textContent = String(index + 1);
      const title = document.createElement('span');
      title.className = 'annotation-button__title';
      title.textContent = region.title;
      button.append(number, title);
      button.addEventListener('click', () => this.select(region.id, { zoom: true }));
      item.append(button);
      return item;
    });
    this.list.replaceChildren(...items);
    this.empty.hidden = items.length > 0;
  }

  /** An outline over the image: a box, with the polygon drawn inside it when there is one. */
  addOverlay(region) {
    const image = this.page.image;
    if (!image || !Array.isArray(region.xywh)) return;
    const [x, y, w, h] = region.xywh;
    const element = document.createElement('div');
    element.className = 'deep-zoom-region';
    element.setAttribute('aria-hidden', 'true'); // the list is the accessible way in
    if (Array.isArray(region.points) && region.points.length > 2) {
      element.classList.add('deep-zoom-region--polygon');
      const svg = document.createElementNS(SVG, 'svg');
      svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
      svg.setAttribute('preserveAspectRatio', 'none');
      const polygon = document.createElementNS(SVG, 'polygon');
      polygon.setAttribute('points', region.points.map(([px, py]) => `${px - x},${py - y}`).join(' '));
      polygon.setAttribute('vector-effect', 'non-scaling-stroke');
      svg.append(polygon);
      element.append(svg);
    }
    const label = document.createElement('span');
    label.className = 'deep-zoom-region__label';
    label.textContent = String(this.current.indexOf(region) + 1);
    element.append(label);
    this.page.viewer.addOverlay({ element, location: image.imageToViewportRectangle(x, y, w, h) });
    this.overlays.set(region.id, element);
    element.classList.toggle('is-active', region.id === this.selected);
  }

  /** A click on the image selects the smallest region under it (overlays take no pointer). */
  clicked(event) {
    if (!event.quick || this.drawing || this.page.measure.active) return;
    const image = this.page.image;
    if (!image) return;
    const point = image.viewerElementToImageCoordinates(event.position);
    const hits = this.current.filter(({ xywh: [x, y, w, h] }) =>
      point.x >= x && point.x <= x + w && point.y >= y && point.y <= y + h);
    hits.sort((a, b) => a.xywh[2] * a.xywh[3] - b.xywh[2] * b.xywh[3]);
    if (hits.length) this.select(hits[0].id, { zoom: false });
  }

  select(id, { zoom }) {
    const region = this.regions.find((r) => r.id === id);
    if (!region) return;
    this.selected = id;
    for (const button of this.list.querySelectorAll('[data-region-id]')) {
      button.setAttribute('aria-pressed', String(Number(button.dataset.regionId) === id));
    }
    for (const [key, element] of this.overlays) element.classList.toggle('is-active', key === id);
    this.detailTitle.textContent = format(this.strings.region, {
      number: this.current.indexOf(region) + 1, title: region.title,
    });
    this.detailText.textContent = region.text;
    this.detail.hidden = false;
    if (zoom) {
      const [x, y, w, h] = region.xywh;
      const margin = Math.max(w, h) * 0.15;
      const rect = this.page.image.imageToViewportRectangle(x - margin, y - margin, w + 2 * margin, h + 2 * margin);
      this.page.viewer.viewport.fitBounds(rect);
    }
  }

  // Curators: marking regions.

  wireCurator() {
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

  /** Annotorious drew a shape: a rectangle, or a polygon (kept with its bounding box). */
  drawn(annotation) {
    const selector = annotation.target?.selector ?? {};
    const geometry = selector.geometry ?? {};
    let shape;
    if (selector.type === 'POLYGON' && Array.isArray(geometry.points)) {
      const { minX, minY, maxX, maxY } = geometry.bounds;
      shape = { xywh: [minX, minY, maxX - minX, maxY - minY], points: geometry.points };
    } else {
      shape = { xywh: [geometry.x, geometry.y, geometry.w, geometry.h] };
    }
    this.drawnId = annotation.id;
    this.propose(shape);
  }

  propose(shape) {
    const size = this.page.image.getContentSize();
    const round = (v) => Math.round(v);
    let [x, y, w, h] = shape.xywh.map(round);
    x = Math.max(0, Math.min(x, size.x - 1));
    y = Math.max(0, Math.min(y, size.y - 1));
    w = Math.max(1, Math.min(w, size.x - x));
    h = Math.max(1, Math.min(h, size.y - y));
    this.pending = { canvas: this.page.canvas.id, xywh: [x, y, w, h] };
    if (shape.points) this.pending.points = shape.points.map((p) => p.map(round));
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
      order: this.regions.length,
      region: this.pending,
    };
    let response;
    try {
      response = await postTo(this.config.annotationsUrl, { json: body, scope: this.form });
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
    const region = { id: data.id, title: data.title, text: data.text, ...(data.region ?? this.pending) };
    this.regions.push(region);
    this.saved.push(region.id);
    this.discard();
    this.renderList();
    this.addOverlay(region);
    this.select(region.id, { zoom: false });
    this.page.say(this.strings.drawSaved);
  }

  describe() {
    return {
      count: this.current.length,
      overlays: this.overlays.size,
      selected: this.selected,
      drawing: this.drawing,
      saved: this.saved,
      annotorious: Boolean(this.anno),
    };
  }
}
