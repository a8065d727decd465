/**
 * Measuring on a flat work in centimetres: two points (clicks, or Enter in the view for its
 * centre) and their distance in the canvas's full-resolution pixels over its pixels per cm.
 * Offered only when the canvas's scale is known; otherwise the button stays hidden and the note
 * #deep-zoom-scale-note says why.
 */
import { format } from './format.js';

export class DeepZoomMeasure {
  constructor(page) {
    this.page = page;
    this.strings = page.strings;
    this.button = page.root.querySelector('#deep-zoom-measure');
    this.note = page.root.querySelector('#deep-zoom-scale-note');
    this.layer = page.root.querySelector('#deep-zoom-measure-layer');
    this.line = this.layer.querySelector('line');
    this.dots = [...this.layer.querySelectorAll('circle')];
    this.active = false;
    this.points = [];
    this.distanceCm = null;
    this.button.addEventListener('click', () => (this.active ? this.cancel() : this.begin()));
    const viewer = page.viewer;
    viewer.addHandler('canvas-click', (event) => {
      if (!this.active || !event.quick) return;
      event.preventDefaultAction = true;
      this.pick(this.page.image.viewerElementToImageCoordinates(event.position));
    });
    viewer.addHandler('update-viewport', () => this.draw());
    viewer.canvas.addEventListener('keydown', (event) => {
      if (!this.active) return;
      if (event.key === 'Enter') {
        event.preventDefault();
        const centre = viewer.viewport.getCenter(true);
        this.pick(this.page.image.viewportToImageCoordinates(centre));
      } else if (event.key === 'Escape') {
        this.cancel();
      }
    });
  }

  get scale() {
    return this.page.canvas.pixelsPerCm;
  }

  /** A new canvas: no measurement, and the tool only where the scale is known. */
  reset() {
    this.active = false;
    this.points = [];
    this.distanceCm = null;
    const known = Boolean(this.scale && this.scale > 0);
    this.button.hidden = !known;
    this.note.hidden = known;
    this.button.setAttribute('aria-pressed', 'false');
    this.layer.hidden = true;
  }

  attach() {
    this.draw();
  }

  begin() {
    this.page.regions.stopDrawing?.();
    this.active = true;
    this.points = [];
    this.distanceCm = null;
    this.button.setAttribute('aria-pressed', 'true');
    this.page.stage.classList.add('is-measuring');
    this.page.say(this.strings.measureStart);
    this.draw();
  }

  cancel() {
    if (!this.active) return;
    this.stop();
    this.page.say(this.strings.measureCancelled);
  }

  stop() {
    this.active = false;
    this.button.setAttribute('aria-pressed', 'false');
    this.page.stage.classList.remove('is-measuring');
  }

  pick(point) {
    if (this.points.length >= 2) this.points = [];
    this.points.push({ x: point.x, y: point.y });
    if (this.points.length === 1) {
      this.page.say(this.strings.measureSecond);
    } else {
      const [a, b] = this.points;
      this.distanceCm = Math.hypot(b.x - a.x, b.y - a.y) / this.scale;
      const distance = this.distanceCm.toLocaleString(document.documentElement.lang || undefined, {
        maximumFractionDigits: this.distanceCm < 10 ? 2 : 1,
      });
      this.page.say(format(this.strings.measureResult, { distance }));
      this.stop();
    }
    this.draw();
  }

  /** The segment over the image, in the stage's pixels (follows pans and zooms). */
  draw() {
    const image = this.page.image;
    this.layer.hidden = !this.points.length || !image;
    if (this.layer.hidden) return;
    const OSD = window.OpenSeadragon;
    const screen = this.points.map((p) => image.imageToViewerElementCoordinates(new OSD.Point(p.x, p.y)));
    screen.forEach((p, i) => {
      this.dots[i].setAttribute('cx', p.x);
      this.dots[i].setAttribute('cy', p.y);
    });
    this.dots[1].style.display = screen.length > 1 ? '' : 'none';
    const end = screen[1] ?? screen[0];
    this.line.setAttribute('x1', screen[0].x);
    this.line.setAttribute('y1', screen[0].y);
    this.line.setAttribute('x2', end.x);
    this.line.setAttribute('y2', end.y);
  }

  describe() {
    return { active: this.active, points: this.points, distanceCm: this.distanceCm, offered: !this.button.hidden };
  }
}
