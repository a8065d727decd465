/**
 * Regions of a flat work (annotations with a `region`: a box, or a polygon or polyline with its
 * bounding box, in the canvas's full-resolution pixels), drawn over the image in their class's
 * colour as OpenSeadragon overlays, listed beside it (the keyboard way in: a button per region
 * zooms to it and shows its text and medium); a click on one shows its text; a link to
 * `#region-<id>` opens zoomed to that region. The "Layers" control (layers-control.js, shared
 * with the 3D viewer) shows or hides the regions of each class present.
 *
 * Curators mark new ones (deep-zoom-region-editor.js).
 */
import { showAnnotationMedia } from './annotation-sheet.js';
import { DeepZoomRegionEditor } from './deep-zoom-region-editor.js';
import { format } from './format.js';
import { buildLayersControl, layerKey, layersOf } from './layers-control.js';

const SVG = 'http://www.w3.org/2000/svg';

/** Is image point (x, y) inside the polygon (even-odd rule)? */
function insidePolygon(points, x, y) {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    const [xi, yi] = points[i];
    const [xj, yj] = points[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A region's area in image pixels: its polygon's (shoelace), else its box's. */
function area(region) {
  const points = region.points ?? [];
  if (region.type !== 'polygon' || points.length < 3) return region.xywh[2] * region.xywh[3];
  let twice = 0;
  for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
    twice += points[j][0] * points[i][1] - points[i][0] * points[j][1];
  }
  return Math.abs(twice) / 2;
}

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
    this.layersPanel = root.getElementById('deep-zoom-region-layers');
    this.hiddenLayers = new Set(); // layer keys unticked (kept across canvases)
    this.overlays = new Map(); // region id -> element
    this.selected = null;
    page.viewer.addHandler('canvas-click', (event) => this.clicked(event));
    // Curators mark new regions (deep-zoom-region-editor.js); visitors get no such button.
    const drawButton = root.getElementById('deep-zoom-draw');
    this.editor = drawButton ? new DeepZoomRegionEditor(this, drawButton) : null;
  }

  get drawing() {
    return this.editor?.drawing ?? false;
  }

  stopDrawing() {
    this.editor?.stopDrawing();
  }

  /** A region just saved by the editor: listed, drawn, counted in its layer and chosen. */
  added(region) {
    this.regions.push(region);
    this.renderList();
    this.renderLayers();
    this.addOverlay(region);
    this.select(region.id, { zoom: false });
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
    showAnnotationMedia(this.detail, null);
    this.renderList();
    this.renderLayers();
  }

  /** The Layers control: a checkbox per class present on this canvas. */
  renderLayers() {
    if (!this.layersPanel) return;
    const layers = layersOf(this.current, { unclassified: this.strings.unclassified });
    this.layerControl = buildLayersControl({
      container: this.layersPanel,
      layers,
      legend: this.strings.layers,
      onToggle: (key, visible) => {
        if (visible) this.hiddenLayers.delete(key);
        else this.hiddenLayers.add(key);
        this.applyLayers();
      },
    });
    // A class unticked on another canvas stays hidden here.
    for (const key of [...this.hiddenLayers]) this.layerControl.setVisible(key, false);
  }

  shown(region) {
    return !this.hiddenLayers.has(layerKey(region));
  }

  applyLayers() {
    for (const region of this.current) {
      this.overlays.get(region.id)?.toggleAttribute('data-layer-hidden', !this.shown(region));
    }
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
      if (region.class?.colour) {
        // The class's colour before the title, as in the 3D viewer's list (css/layers.css).
        const chip = document.createElement('span');
        chip.className = 'annotation-button__class';
        chip.setAttribute('aria-hidden', 'true');
        chip.style.setProperty('--region-colour', region.class.colour);
        title.prepend(chip);
      }
      button.append(number, title);
      button.addEventListener('click', () => this.select(region.id, { zoom: true }));
      item.append(button);
      return item;
    });
    this.list.replaceChildren(...items);
    this.empty.hidden = items.length > 0;
  }

  /** An outline over the image in the class's colour: a box, or the polygon / polyline in its
   * bounding box. */
  addOverlay(region) {
    const image = this.page.image;
    if (!image || !Array.isArray(region.xywh)) return;
    const [x, y] = region.xywh;
    // A straight polyline has no width or no height: its overlay still needs one.
    const w = Math.max(region.xywh[2], 1);
    const h = Math.max(region.xywh[3], 1);
    const element = document.createElement('div');
    element.className = 'deep-zoom-region';
    element.setAttribute('aria-hidden', 'true'); // the list is the accessible way in
    element.dataset.layer = layerKey(region);
    if (region.class?.colour) element.style.setProperty('--region-colour', region.class.colour);
    const points = Array.isArray(region.points) ? region.points : [];
    const line = region.type === 'polyline';
    if (points.length > (line ? 1 : 2)) {
      element.classList.add(line ? 'deep-zoom-region--polyline' : 'deep-zoom-region--polygon');
      const svg = document.createElementNS(SVG, 'svg');
      svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
      svg.setAttribute('preserveAspectRatio', 'none');
      const shape = document.createElementNS(SVG, line ? 'polyline' : 'polygon');
      shape.setAttribute('points', points.map(([px, py]) => `${px - x},${py - y}`).join(' '));
      shape.setAttribute('vector-effect', 'non-scaling-stroke');
      svg.append(shape);
      element.append(svg);
    }
    const label = document.createElement('span');
    label.className = 'deep-zoom-region__label';
    label.textContent = String(this.current.indexOf(region) + 1);
    element.append(label);
    this.page.viewer.addOverlay({ element, location: image.imageToViewportRectangle(x, y, w, h) });
    this.overlays.set(region.id, element);
    element.classList.toggle('is-active', region.id === this.selected);
    element.toggleAttribute('data-layer-hidden', !this.shown(region));
  }

  /** Is image point (px, py) on the region: inside its polygon, or its box for the rest? */
  hits(region, px, py) {
    const [x, y, w, h] = region.xywh;
    // A line is hard to hit: a margin of 1 % of the image around its box.
    const slack = region.type === 'polyline' ? 0.01 * this.page.image.getContentSize().x : 0;
    if (px < x - slack || px > x + w + slack || py < y - slack || py > y + h + slack) return false;
    if (region.type === 'polygon' && region.points?.length > 2) return insidePolygon(region.points, px, py);
    return true;
  }

  /** A click on the image selects the smallest shown region under it (overlays take no pointer). */
  clicked(event) {
    if (!event.quick || this.drawing || this.page.measure.active) return;
    const image = this.page.image;
    if (!image) return;
    const point = image.viewerElementToImageCoordinates(event.position);
    const hits = this.current.filter((region) => this.shown(region) && this.hits(region, point.x, point.y));
    hits.sort((a, b) => area(a) - area(b));
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
    showAnnotationMedia(this.detail, region.media, region.title);
    this.detail.hidden = false;
    if (zoom) {
      const [x, y, w, h] = region.xywh;
      const margin = Math.max(w, h) * 0.15;
      const rect = this.page.image.imageToViewportRectangle(x - margin, y - margin, w + 2 * margin, h + 2 * margin);
      this.page.viewer.viewport.fitBounds(rect);
    }
  }

  describe() {
    return {
      count: this.current.length,
      overlays: this.overlays.size,
      selected: this.selected,
      drawing: this.drawing,
      saved: this.editor?.saved ?? [],
      hiddenLayers: [...this.hiddenLayers],
      shownOverlays: [...this.overlays.values()].filter((e) => !e.hasAttribute('data-layer-hidden')).length,
      annotorious: Boolean(this.editor?.anno),
    };
  }
}
