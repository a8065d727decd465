/**
 * Layers over a flat work's image in the deep-zoom viewer, each a further OpenSeadragon item
 * placed on the image's bounds:
 * - damage overlays, one per class (the condition check's RGBA pictures at web-copy size, in the
 *   class colour where it was found), toggled by checkboxes;
 * - the virtual restoration (its own IIIF service) right of a divider: the range input moves it
 *   from the keyboard, the handle on the stage with a pointer;
 * - the generated regions of that restoration, tinted, on the same side of the divider.
 */

const GENERATED_TINT = [255, 0, 200];

/** A mask image as a tinted, transparent PNG data URL: weight = alpha × brightest channel. */
async function tintedMask(url, [r, g, b], alpha) {
  const image = new Image();
  image.decoding = 'async';
  image.src = url;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
  const data = pixels.data;
  for (let i = 0; i < data.length; i += 4) {
    const weight = (data[i + 3] / 255) * (Math.max(data[i], data[i + 1], data[i + 2]) / 255);
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = b;
    data[i + 3] = Math.round(255 * alpha * weight);
  }
  context.putImageData(pixels, 0, 0);
  return canvas.toDataURL('image/png');
}

export class DeepZoomLayers {
  constructor(page) {
    this.page = page;
    const root = page.root;
    this.damagePanel = root.querySelector('#deep-zoom-damage');
    this.damageList = root.querySelector('#deep-zoom-damage-classes');
    this.comparePanel = root.querySelector('#deep-zoom-compare');
    this.compareBox = root.querySelector('#deep-zoom-compare-toggle');
    this.split = root.querySelector('#deep-zoom-split');
    this.generatedLabel = root.querySelector('#deep-zoom-generated-label');
    this.generatedBox = root.querySelector('#deep-zoom-generated');
    this.divider = root.querySelector('#deep-zoom-divider');
    this.items = new Map(); // name -> OpenSeadragon item ("damage:crack", "restored", "generated")
    this.loading = new Map(); // name -> promise of the item while it is added
    this.compareBox.addEventListener('change', () => this.setCompare(this.compareBox.checked));
    this.generatedBox.addEventListener('change', () => this.setGenerated(this.generatedBox.checked));
    this.split.addEventListener('input', () => this.clip());
    page.viewer.addHandler('update-viewport', () => this.clip());
    this.wireHandle();
  }

  /** Dragging the divider's handle on the stage moves the range input (one source of truth). */
  wireHandle() {
    const handle = this.divider;
    handle.addEventListener('pointerdown', (event) => {
      event.preventDefault();
      event.stopPropagation();
      handle.setPointerCapture(event.pointerId);
      const move = (e) => {
        const box = this.page.stage.getBoundingClientRect();
        this.split.value = String(Math.round(((e.clientX - box.left) / box.width) * 100));
        this.clip();
      };
      const up = () => {
        handle.removeEventListener('pointermove', move);
        handle.removeEventListener('pointerup', up);
      };
      handle.addEventListener('pointermove', move);
      handle.addEventListener('pointerup', up);
    });
  }

  /** A new canvas: its damage classes and restoration, nothing shown yet. */
  reset() {
    this.items.clear();
    this.loading.clear();
    const canvas = this.page.canvas;
    this.damageList.replaceChildren(...canvas.damageOverlays.map((overlay) => this.damageToggle(overlay)));
    this.damagePanel.hidden = canvas.damageOverlays.length === 0;
    this.comparePanel.hidden = !canvas.restoredInfoUrl;
    this.compareBox.checked = false;
    this.split.disabled = true;
    this.divider.hidden = true;
    this.generatedLabel.hidden = !canvas.generatedRegionsUrl;
    this.generatedBox.checked = false;
    this.generatedBox.disabled = true;
  }

  attach() {}

  damageToggle(overlay) {
    const label = document.createElement('label');
    label.className = 'deep-zoom__class';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = overlay.class;
    const swatch = document.createElement('span');
    swatch.className = 'damage-swatch';
    swatch.setAttribute('aria-hidden', 'true');
    swatch.style.setProperty('--swatch', overlay.colour);
    label.append(box, swatch, ` ${overlay.label}`);
    box.addEventListener('change', () => {
      const name = `damage:${overlay.class}`;
      if (box.checked) {
        // Already painted in the class colour, transparent elsewhere (restoration/condition/flat.py).
        this.add(name, async () => ({ type: 'image', url: overlay.url }));
      } else {
        this.remove(name);
      }
    });
    return label;
  }

  /** Add an item on the image's bounds (once); `source` is called to make its tile source. */
  add(name, source) {
    if (this.items.has(name) || this.loading.has(name)) return this.loading.get(name);
    const canvasIndex = this.page.index;
    const promise = (async () => {
      const tileSource = await source();
      const image = this.page.image;
      if (!image || this.page.index !== canvasIndex) return null;
      return new Promise((resolve) => {
        this.page.viewer.addTiledImage({
          tileSource,
          x: image.getBounds().x,
          y: image.getBounds().y,
          width: image.getBounds().width,
          success: (event) => {
            this.items.set(name, event.item);
            this.loading.delete(name);
            this.clip();
            resolve(event.item);
          },
          error: (event) => {
            this.loading.delete(name);
            console.warn('Mouseion: layer not loaded', name, event.message);
            resolve(null);
          },
        });
      });
    })();
    this.loading.set(name, promise);
    return promise;
  }

  remove(name) {
    const item = this.items.get(name);
    if (item) this.page.viewer.world.removeItem(item);
    this.items.delete(name);
  }

  async setCompare(on) {
    this.compareBox.checked = on;
    this.split.disabled = !on;
    this.divider.hidden = !on;
    this.generatedBox.disabled = !on;
    if (on) {
      await this.add('restored', async () => this.page.canvas.restoredInfoUrl);
      // The restoration sits right above the original, under the damage overlays.
      const item = this.items.get('restored');
      if (item) this.page.viewer.world.setItemIndex(item, 1);
      this.page.say(this.page.strings.compareOn);
    } else {
      this.remove('restored');
      this.setGenerated(false);
    }
    this.clip();
  }

  async setGenerated(on) {
    this.generatedBox.checked = on;
    if (on) {
      const url = this.page.canvas.generatedRegionsUrl;
      await this.add('generated', async () => ({ type: 'image', url: await tintedMask(url, GENERATED_TINT, 0.55) }));
    } else {
      this.remove('generated');
    }
  }

  /** Keep the restoration (and its generated regions) right of the divider. */
  clip() {
    const fraction = Number(this.split.value) / 100;
    this.divider.style.left = `${fraction * 100}%`;
    const x = fraction * this.page.stage.clientWidth;
    const OSD = window.OpenSeadragon;
    for (const name of ['restored', 'generated']) {
      const item = this.items.get(name);
      if (!item) continue;
      const size = item.getContentSize();
      const left = Math.max(0, Math.min(size.x, item.viewerElementToImageCoordinates(new OSD.Point(x, 0)).x));
      item.setClip(new OSD.Rect(left, 0, size.x - left, size.y));
    }
  }

  describe() {
    const restored = this.items.get('restored');
    return {
      shown: [...this.items.keys()],
      split: Number(this.split.value),
      restoredClipX: restored?.getClip()?.x ?? null,
      dividerLeft: this.divider.style.left,
    };
  }
}
