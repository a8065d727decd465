/**
 * A flat work at a tour stop: its web copy fills the stage, zoomed to the stop's region, with
 * the region framed and the rest dimmed. Region pixels are the canvas's (`picture.width` ×
 * `picture.height`, museum/realtime/PROTOCOL.md), whatever the web copy's own size.
 * Hidden at a stop of a 3D object, where the TourStage canvas shows instead.
 */

const ZOOM_LIMIT = 6; // beyond this a web copy turns to mush; the object's page zooms deeper
const REGION_SHARE = 0.6; // of the stage's width or height the region may fill

const px = (value) => `${Math.round(value * 10) / 10}px`;

/** Where a `size`-long picture starts in a `stage`-long view to centre `wanted` (clamped to
 * keep the stage covered when the picture is larger, centred when it is smaller). */
function place(stage, size, wanted) {
  if (size <= stage) return (stage - size) / 2;
  return Math.min(0, Math.max(stage - size, wanted));
}

export class TourPicture {
  constructor(root) {
    this.root = root;
    this.image = root.querySelector('img');
    this.frame = root.querySelector('.tour-picture__region');
    this.stop = null;
    new ResizeObserver(() => this.layout(false)).observe(root);
  }

  /** Show `stop`'s picture and region; false (and hidden) for a stop without a picture. */
  show(stop, { glide = true } = {}) {
    const picture = stop?.picture;
    this.root.hidden = !picture;
    this.stop = picture ? stop : null;
    if (!picture) {
      this.image.removeAttribute('src');
      return false;
    }
    if (this.image.getAttribute('src') !== picture.url) this.image.src = picture.url;
    this.image.alt = stop.artifact_title;
    this.layout(glide);
    return true;
  }

  layout(glide) {
    if (!this.stop) return;
    const { picture, annotation } = this.stop;
    const width = this.root.clientWidth;
    const height = this.root.clientHeight;
    if (!width || !height) return;
    const fit = Math.min(width / picture.width, height / picture.height);
    const region = annotation?.region?.xywh ?? null;
    let zoom = 1;
    let centre = [picture.width / 2, picture.height / 2];
    if (region) {
      const [x, y, w, h] = region;
      zoom = Math.min((REGION_SHARE * width) / (w * fit), (REGION_SHARE * height) / (h * fit));
      zoom = Math.max(1, Math.min(ZOOM_LIMIT, zoom));
      centre = [x + w / 2, y + h / 2];
    }
    const scale = fit * zoom;
    const left = place(width, picture.width * scale, width / 2 - centre[0] * scale);
    const top = place(height, picture.height * scale, height / 2 - centre[1] * scale);
    this.root.classList.toggle('is-gliding', glide);
    Object.assign(this.image.style, {
      left: px(left),
      top: px(top),
      width: px(picture.width * scale),
      height: px(picture.height * scale),
    });
    this.frame.hidden = !region;
    if (region) {
      const [x, y, w, h] = region;
      Object.assign(this.frame.style, {
        left: px(left + x * scale),
        top: px(top + y * scale),
        width: px(w * scale),
        height: px(h * scale),
      });
    }
  }

  /** Plain data for tests: the picture shown and the region's box in stage pixels. */
  state() {
    if (!this.stop) return { shown: false };
    const box = (element) => {
      const stage = this.root.getBoundingClientRect();
      const rect = element.getBoundingClientRect();
      return { x: rect.left - stage.left, y: rect.top - stage.top, w: rect.width, h: rect.height };
    };
    return {
      shown: true,
      src: this.image.getAttribute('src'),
      loaded: this.image.complete && this.image.naturalWidth > 0,
      stage: { w: this.root.clientWidth, h: this.root.clientHeight },
      image: box(this.image),
      region: this.frame.hidden ? null : box(this.frame),
    };
  }
}
