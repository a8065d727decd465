/**
 * The deep-zoom page of a flat work: OpenSeadragon (a classic script, window.OpenSeadragon) over
 * the IIIF Image API 3 level-0 service of each canvas (recto, verso, pages), with the regions
 * (deep-zoom-regions.js), the measuring tool (deep-zoom-measure.js), the damage overlays and the
 * restoration divider (deep-zoom-layers.js).
 *
 * Configuration: the json_script #flat-work (museum/gallery/flat_work.py). A canvas whose tiles
 * are not published yet shows its web copy. Keyboard: OpenSeadragon's own keys once the image
 * has focus (arrows pan, + and - zoom, 0 home), every control a button or input.
 * Test hook: window.mouseionDeepZoom (ready promise, state, timings since navigation start).
 */
import { setupFullscreenButtons } from '../lib/fullscreen.js';
import { format } from '../lib/format.js';
import { DeepZoomLayers } from '../lib/deep-zoom-layers.js';
import { DeepZoomMeasure } from '../lib/deep-zoom-measure.js';
import { DeepZoomRegions } from '../lib/deep-zoom-regions.js';

const ZOOM_STEP = 1.6;

class DeepZoomPage {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.strings = config.strings;
    this.stage = root.querySelector('#deep-zoom-stage');
    this.status = root.querySelector('#viewer-status');
    this.statusText = root.querySelector('#viewer-status-text');
    this.readout = root.querySelector('#deep-zoom-readout');
    this.index = 0;
    this.timings = { open: null, firstTile: null, fullyLoaded: null };
    this.ready = new Promise((resolve) => { this.resolveReady = resolve; });
  }

  get canvas() {
    return this.config.canvases[this.index];
  }

  /** The tiled image of the current canvas (the first item of the world). */
  get image() {
    return this.viewer?.world.getItemAt(0) ?? null;
  }

  start() {
    const OSD = window.OpenSeadragon;
    const host = this.root.querySelector('#deep-zoom-osd');
    this.viewer = OSD({
      element: host,
      showNavigationControl: false,
      // Overlays, the restored image and the generated regions are further items on top of the
      // canvas's image, placed on its bounds: their coordinates are the image's.
      silenceMultiImageWarnings: true,
      drawer: 'canvas',
      gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true },
      gestureSettingsTouch: { clickToZoom: false, dblClickToZoom: true },
      visibilityRatio: 0.5,
      maxZoomPixelRatio: 2,
      animationTime: 0.6,
      // The first view's level straight away, not coarser levels first (fewer requests).
      immediateRender: true,
    });
    // The focusable element is OpenSeadragon's canvas: it gets the name and the help text.
    const canvas = this.viewer.canvas;
    canvas.setAttribute('role', 'application');
    canvas.setAttribute('aria-label', host.getAttribute('aria-label'));
    canvas.setAttribute('aria-describedby', 'deep-zoom-help');
    host.removeAttribute('role');
    host.removeAttribute('aria-label');
    host.removeAttribute('aria-describedby');

    this.measure = new DeepZoomMeasure(this);
    this.layers = new DeepZoomLayers(this);
    this.regions = new DeepZoomRegions(this);
    this.viewer.addHandler('open', () => this.opened());
    this.viewer.addHandler('open-failed', (event) => this.failed(event.message));
    this.viewer.addHandler('tile-drawn', () => {
      this.timings.firstTile ??= performance.now();
    });
    this.wireToolbar();
    this.wirePages();
    setupFullscreenButtons(this.root.parentElement);
    this.show(0);
  }

  wireToolbar() {
    const actions = {
      'zoom-in': () => this.viewer.viewport.zoomBy(ZOOM_STEP),
      'zoom-out': () => this.viewer.viewport.zoomBy(1 / ZOOM_STEP),
      home: () => this.viewer.viewport.goHome(),
    };
    for (const button of this.root.querySelectorAll('[data-action]')) {
      button.addEventListener('click', () => {
        actions[button.dataset.action]?.();
        this.viewer.viewport.applyConstraints();
      });
    }
  }

  wirePages() {
    this.pageButtons = [...this.root.querySelectorAll('[data-canvas-index]')];
    for (const button of this.pageButtons) {
      button.addEventListener('click', () => this.show(Number(button.dataset.canvasIndex)));
    }
  }

  /** Open canvas `index`: its tiles, or its web copy while the tiles are being made. */
  show(index) {
    this.index = index;
    for (const button of this.pageButtons) {
      button.setAttribute('aria-pressed', String(Number(button.dataset.canvasIndex) === index));
    }
    const canvas = this.canvas;
    // The stage takes the image's shape (within reason), so a phone shows it without bands.
    const aspect = Math.min(1.8, Math.max(0.75, canvas.width / canvas.height));
    this.stage.style.setProperty('--canvas-aspect', String(aspect));
    const source = canvas.infoUrl ?? (canvas.webUrl ? { type: 'image', url: canvas.webUrl } : null);
    this.measure.reset();
    this.layers.reset();
    this.regions.reset();
    if (!source) {
      this.failed(this.strings.noTiles);
      return;
    }
    this.setState('loading', this.strings.loading);
    this.viewer.open(source);
  }

  opened() {
    this.timings.open ??= performance.now();
    const image = this.image;
    const settle = () => {
      if (!image.getFullyLoaded()) return;
      image.removeHandler('fully-loaded-change', settle);
      // Drawn on the next frame: the tiles are in, the update that follows draws them.
      requestAnimationFrame(() => {
        this.timings.fullyLoaded ??= performance.now();
        this.setState('loaded', this.strings.loaded);
        this.resolveReady({ state: 'loaded' });
      });
    };
    image.addHandler('fully-loaded-change', settle);
    settle();
    this.measure.attach();
    this.layers.attach();
    this.regions.attach();
    if (this.config.canvases.length > 1) {
      this.readout.textContent = format(this.strings.canvasShown, {
        label: this.canvas.label, number: this.index + 1, count: this.config.canvases.length,
      });
    }
  }

  failed(message) {
    this.setState('error', message || this.strings.error);
    this.status.classList.add('is-error');
    this.resolveReady({ state: 'error', message });
  }

  setState(state, text) {
    this.root.dataset.state = state;
    this.statusText.textContent = text;
    this.status.hidden = state === 'loaded';
    if (state !== 'error') this.status.classList.remove('is-error');
  }

  /** Write to the polite readout under the toolbar. */
  say(text) {
    this.readout.textContent = text;
  }
}

const root = document.getElementById('viewer');
const config = JSON.parse(document.getElementById('flat-work').textContent);
const page = new DeepZoomPage(root, config);
window.mouseionDeepZoom = {
  ready: page.ready,
  get state() { return root.dataset.state; },
  get index() { return page.index; },
  get timings() { return page.timings; },
  get viewer() { return page.viewer; },
  get layers() { return page.layers?.describe(); },
  get regions() { return page.regions?.describe(); },
  get measure() { return page.measure?.describe(); },
  show: (index) => page.show(index),
};
if (window.OpenSeadragon) page.start();
else page.failed(config.strings.error);
