/**
 * Condition report tools for curators: a small canvas editor that paints or erases a damage
 * mask over the texture and posts it as a PNG (white = damage) to the corrections API, and the
 * "run a new condition check" button.
 *
 * The canvas has the texture's own size, so the posted mask matches it pixel for pixel (the
 * server checks). Paint shows in the class colour; it is binarised when saved.
 */

import { format } from '../lib/format.js';
import { postTo } from '../lib/http.js';

function pairs(text) {
  return Object.fromEntries((text ?? '').split(' ').filter(Boolean).map((item) => {
    const at = item.indexOf('=');
    return [item.slice(0, at), item.slice(at + 1)];
  }));
}

function hexToRgb(hex) {
  const value = parseInt((hex ?? '#ffffff').replace('#', ''), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

async function errorText(response) {
  try {
    const body = await response.json();
    return body.error?.message ?? JSON.stringify(body);
  } catch {
    return `HTTP ${response.status}`;
  }
}

class MaskEditor {
  constructor(root) {
    this.root = root;
    this.canvas = root.querySelector('canvas');
    this.context = this.canvas.getContext('2d', { willReadFrequently: true });
    this.classSelect = root.querySelector('[data-editor-class]');
    this.brush = root.querySelector('[data-editor-brush]');
    this.status = root.querySelector('[data-editor-status]');
    this.masks = pairs(root.dataset.masks);
    this.colours = pairs(root.dataset.colours);
    this.mode = 'paint';
    this.last = null;
    this.bind();
  }

  get damageClass() {
    return this.classSelect.value;
  }

  say(text) {
    this.status.textContent = text;
  }

  bind() {
    for (const button of this.root.querySelectorAll('[data-editor-mode]')) {
      button.addEventListener('click', () => {
        this.mode = button.dataset.editorMode;
        for (const other of this.root.querySelectorAll('[data-editor-mode]')) {
          other.setAttribute('aria-pressed', String(other === button));
        }
      });
    }
    this.root.querySelector('[data-editor-load]').addEventListener('click', () => this.loadModelMask());
    this.root.querySelector('[data-editor-clear]').addEventListener('click', () => this.clear());
    this.root.querySelector('[data-editor-save]').addEventListener('click', () => this.save());
    this.classSelect.addEventListener('change', () => this.recolour());
    this.canvas.addEventListener('pointerdown', (event) => {
      this.canvas.setPointerCapture(event.pointerId);
      this.last = this.point(event);
      this.stroke(this.last, this.last);
    });
    this.canvas.addEventListener('pointermove', (event) => {
      if (!this.last) return;
      const point = this.point(event);
      this.stroke(this.last, point);
      this.last = point;
    });
    const end = () => { this.last = null; };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
  }

  /** Pointer position in canvas (texture) pixels. */
  point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * this.canvas.width,
      y: ((event.clientY - rect.top) / rect.height) * this.canvas.height,
    };
  }

  stroke(from, to) {
    const rect = this.canvas.getBoundingClientRect();
    const context = this.context;
    context.globalCompositeOperation = this.mode === 'erase' ? 'destination-out' : 'source-over';
    context.strokeStyle = this.colours[this.damageClass] ?? '#ffffff';
    context.lineCap = 'round';
    context.lineJoin = 'round';
    // The brush slider is in screen pixels; the canvas may be shown smaller than it is.
    context.lineWidth = Number(this.brush.value) * (this.canvas.width / Math.max(rect.width, 1));
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x + 0.01, to.y);
    context.stroke();
  }

  clear() {
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.say('');
  }

  /** Repaint what is drawn in the selected class's colour. */
  recolour() {
    const { width, height } = this.canvas;
    const picture = this.context.getImageData(0, 0, width, height);
    const [r, g, b] = hexToRgb(this.colours[this.damageClass]);
    const data = picture.data;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0) { data[i] = r; data[i + 1] = g; data[i + 2] = b; }
    }
    this.context.putImageData(picture, 0, 0);
  }

  async loadModelMask() {
    const url = this.masks[this.damageClass];
    if (!url) return;
    const image = new Image();
    image.src = url;
    await image.decode();
    const { width, height } = this.canvas;
    this.context.globalCompositeOperation = 'source-over';
    this.context.clearRect(0, 0, width, height);
    this.context.drawImage(image, 0, 0, width, height);
    const picture = this.context.getImageData(0, 0, width, height);
    const [r, g, b] = hexToRgb(this.colours[this.damageClass]);
    const data = picture.data;
    for (let i = 0; i < data.length; i += 4) {
      const on = data[i] > 127;
      data[i] = r; data[i + 1] = g; data[i + 2] = b; data[i + 3] = on ? 255 : 0;
    }
    this.context.putImageData(picture, 0, 0);
  }

  /** The painting as a binary PNG: opaque white where painted, opaque black elsewhere. */
  maskBlob() {
    const { width, height } = this.canvas;
    const painted = this.context.getImageData(0, 0, width, height).data;
    const out = document.createElement('canvas');
    out.width = width;
    out.height = height;
    const context = out.getContext('2d');
    const picture = context.createImageData(width, height);
    for (let i = 0; i < painted.length; i += 4) {
      const value = painted[i + 3] > 127 ? 255 : 0;
      picture.data[i] = value; picture.data[i + 1] = value; picture.data[i + 2] = value;
      picture.data[i + 3] = 255;
    }
    context.putImageData(picture, 0, 0);
    return new Promise((resolve) => out.toBlob(resolve, 'image/png'));
  }

  async save() {
    this.say('…');
    const form = new FormData();
    form.append('damage_class', this.damageClass);
    form.append('mask', await this.maskBlob(), `${this.damageClass}.png`);
    form.append('note', this.root.dataset.strNote ?? '');
    const response = await postTo(this.root.dataset.postUrl, { body: form });
    if (!response.ok) {
      this.say(await errorText(response));
      return null;
    }
    const body = await response.json();
    this.root.dataset.savedCorrection = String(body.id);
    const option = [...this.classSelect.options].find((o) => o.value === body.damage_class);
    this.say(format(this.root.dataset.strSaved, {
      share: `${(body.pixel_share * 100).toFixed(2)} %`,
      damage_class: option?.textContent ?? body.damage_class,
    }));
    return body;
  }
}

function setupCheckButton() {
  const button = document.querySelector('[data-condition-check]');
  if (!button) return;
  const status = document.querySelector('[data-condition-check-status]');
  button.addEventListener('click', async () => {
    button.disabled = true;
    const response = await postTo(button.dataset.conditionCheck);
    if (response.ok) {
      const body = await response.json();
      status.textContent = format(button.dataset.strQueued, { job: body.job_id, status: body.status });
    } else {
      status.textContent = await errorText(response);
      button.disabled = false;
    }
  });
}

window.mouseionMaskEditors = [...document.querySelectorAll('[data-mask-editor]')].map(
  (root) => new MaskEditor(root),
);
setupCheckButton();
