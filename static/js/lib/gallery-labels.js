/**
 * Text in the 3D gallery, drawn on canvases: wall labels of the artifacts, doorway signs and the
 * name tags of other visitors. Sizes are in metres (see makeLabel for the wall labels' text).
 */
import * as THREE from 'three';

const LABEL_PX = 1024; // canvas width of a wall label, whatever its size in metres
const LABEL_ASPECT = 1; // height / width: a square card
// Letter heights in metres (a wall label is read from about 2 m; a book's 4 mm from 40 cm).
const LABEL_TEXT_M = { title: 0.075, meta: 0.045, body: 0.05 };
// Dark ink on a warm white card: contrast above 15:1.
const LABEL_COLOURS = { paper: '#fffdf7', ink: '#161514', soft: '#3d3a34', rule: '#8c8273' };
const SERIF = '"Iowan Old Style", "Palatino Linotype", Palatino, Georgia, serif';
const SANS = 'system-ui, "Segoe UI", Roboto, Arial, sans-serif';

/** Split `text` into lines that fit `width` px with the context's current font. */
function wrap(context, text, width, maxLines) {
  const words = String(text || '').split(/\s+/).filter(Boolean);
  const lines = [];
  let line = '';
  for (const word of words) {
    const candidate = line ? `${line} ${word}` : word;
    if (context.measureText(candidate).width <= width || !line) {
      line = candidate;
    } else {
      lines.push(line);
      line = word;
    }
    if (lines.length === maxLines) break;
  }
  if (line && lines.length < maxLines) lines.push(line);
  const used = lines.join(' ').split(/\s+/).length;
  if (used < words.length && lines.length) {
    lines[lines.length - 1] = `${lines[lines.length - 1].replace(/\s*\S*$/, '')} …`;
  }
  return lines;
}

function canvasTexture(canvas) {
  const texture = new THREE.CanvasTexture(canvas);
  texture.colorSpace = THREE.SRGBColorSpace;
  texture.anisotropy = 16; // three clamps it to what the GPU offers; sharp at an angle
  return texture;
}

/** A flat panel showing a canvas, `width` metres wide. */
function panel(canvas, width, { transparent = false } = {}) {
  const height = (width * canvas.height) / canvas.width;
  const material = new THREE.MeshBasicMaterial({ map: canvasTexture(canvas), transparent, toneMapped: false });
  return new THREE.Mesh(new THREE.PlaneGeometry(width, height), material);
}

/**
 * The wall label of one item: title, culture and date, then the curator's label text, in dark
 * ink on a light card. Text is sized in metres so that it reads from where a visitor stands to
 * look at the object (about 2 m): titles 7.5 cm tall, the text 5 cm; what does not fit ends
 * with "…" (the panel shown on arrival carries the whole text).
 * @param {object} item an entry of the scene's `items`
 * @param {number} width metres
 */
export function makeLabel(item, width = 0.7) {
  const canvas = document.createElement('canvas');
  canvas.width = LABEL_PX;
  canvas.height = Math.round(canvas.width * LABEL_ASPECT);
  const context = canvas.getContext('2d');
  const pxPerM = canvas.width / width;
  const size = (metres) => Math.round(metres * pxPerM);
  const [titlePx, metaPx, bodyPx] = [size(LABEL_TEXT_M.title), size(LABEL_TEXT_M.meta), size(LABEL_TEXT_M.body)];
  const pad = Math.round(canvas.width * 0.05);
  const inner = canvas.width - 2 * pad;
  context.fillStyle = LABEL_COLOURS.paper;
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.strokeStyle = LABEL_COLOURS.rule;
  context.lineWidth = 6;
  context.strokeRect(3, 3, canvas.width - 6, canvas.height - 6);
  context.fillStyle = LABEL_COLOURS.ink;
  context.textBaseline = 'top';
  let y = pad;
  context.font = `700 ${titlePx}px ${SERIF}`;
  for (const line of wrap(context, item.title, inner, 2)) {
    context.fillText(line, pad, y);
    y += Math.round(titlePx * 1.12);
  }
  const meta = [item.culture, item.date].filter(Boolean).join(', ');
  if (meta) {
    context.font = `italic ${metaPx}px ${SERIF}`;
    context.fillStyle = LABEL_COLOURS.soft;
    for (const line of wrap(context, meta, inner, 1)) {
      context.fillText(line, pad, y + 6);
      y += Math.round(metaPx * 1.2);
    }
  }
  if (item.size_text) {
    // A flat work's size ("92 × 73 cm", or that it is not recorded): part of its label.
    context.font = `${metaPx}px ${SANS}`;
    context.fillStyle = LABEL_COLOURS.soft;
    for (const line of wrap(context, item.size_text, inner, 2)) {
      context.fillText(line, pad, y + 6);
      y += Math.round(metaPx * 1.2);
    }
  }
  if (item.label) {
    y += Math.round(bodyPx * 0.45);
    context.font = `${bodyPx}px ${SANS}`;
    context.fillStyle = LABEL_COLOURS.ink;
    const lineHeight = Math.round(bodyPx * 1.22);
    const maxLines = Math.max(1, Math.floor((canvas.height - y - pad) / lineHeight));
    for (const line of wrap(context, item.label, inner, maxLines)) {
      context.fillText(line, pad, y);
      y += lineHeight;
    }
  }
  const mesh = panel(canvas, width);
  mesh.name = 'label';
  mesh.userData.text = [item.title, meta, item.size_text, item.label].filter(Boolean).join('\n');
  // For tests: how large the text is in the room, and its colours.
  mesh.userData.legibility = {
    canvasPx: [canvas.width, canvas.height],
    widthM: width,
    textHeightM: { ...LABEL_TEXT_M },
    colours: { ...LABEL_COLOURS },
  };
  return mesh;
}

/** A doorway sign ("Exit to Entrance hall"), dark with light text. */
export function makeSign(text, width = 1.4) {
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * 512);
  canvas.height = 128;
  const context = canvas.getContext('2d');
  context.fillStyle = '#22252b';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#f2f0ea';
  context.textAlign = 'center';
  context.textBaseline = 'middle';
  context.font = `600 52px ${SANS}`;
  const [line] = wrap(context, text, canvas.width - 32, 1);
  context.fillText(line || '', canvas.width / 2, canvas.height / 2);
  const mesh = panel(canvas, width);
  mesh.name = 'sign';
  mesh.userData.text = text;
  return mesh;
}

/** A name tag that always faces the camera, `height` metres tall. */
export function makeNameTag(name, colour, height = 0.16) {
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d');
  context.font = `600 44px ${SANS}`;
  canvas.width = Math.min(1024, Math.ceil(context.measureText(name).width) + 48);
  canvas.height = 64;
  context.font = `600 44px ${SANS}`;
  context.fillStyle = 'rgba(20, 21, 25, 0.78)';
  context.beginPath();
  context.roundRect(0, 0, canvas.width, canvas.height, 32);
  context.fill();
  context.fillStyle = `#${new THREE.Color(colour).getHexString()}`;
  context.fillRect(14, 22, 20, 20);
  context.fillStyle = '#ffffff';
  context.textBaseline = 'middle';
  context.fillText(name, 40, canvas.height / 2 + 2);
  const material = new THREE.SpriteMaterial({ map: canvasTexture(canvas), transparent: true, depthWrite: false, toneMapped: false });
  const sprite = new THREE.Sprite(material);
  sprite.scale.set((height * canvas.width) / canvas.height, height, 1);
  sprite.name = 'name-tag';
  return sprite;
}
