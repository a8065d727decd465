/**
 * View tools of the inspection panel: an orthographic projection, a scale bar in the model's
 * real units (metres: LODs are normalised), and screenshots larger than the screen.
 */
import * as THREE from 'three';

const NICE_STEPS = [1, 2, 5];
const SCALE_BAR_MAX_PX = 160;

/** Half the visible height at `distance` in front of a perspective camera. */
function halfHeightAt(camera, distance) {
  return distance * Math.tan(THREE.MathUtils.degToRad(camera.fov) / 2);
}

/**
 * Swaps the viewer's camera between perspective and orthographic, keeping the view: the
 * orthographic frustum shows at the orbit target what the perspective one did. The visitor's
 * zoom (OrbitControls changes `zoom` on an orthographic camera) carries back as distance.
 */
export class Projection {
  /** @param {object} viewer the ArtifactViewer (camera, controls, tween, dolly, measure, stage) */
  constructor(viewer) {
    this.viewer = viewer;
    this.perspective = viewer.camera;
    this.orthographic = new THREE.OrthographicCamera(-1, 1, 1, -1, 0.001, 1000);
    this.orthographic.name = 'inspect-orthographic';
    // Buttons and saved views move the camera: the frustum follows the distance to the target.
    viewer.controls.addEventListener('change', () => this.fit());
    new ResizeObserver(() => this.fit()).observe(viewer.stage);
  }

  get isOrthographic() {
    return this.viewer.camera === this.orthographic;
  }

  distance() {
    return this.viewer.camera.position.distanceTo(this.viewer.controls.target);
  }

  /** Fit the orthographic frustum to the stage and the camera's distance. */
  fit() {
    if (!this.isOrthographic) return;
    const { clientWidth: width, clientHeight: height } = this.viewer.stage;
    if (!width || !height) return;
    const camera = this.orthographic;
    const half = halfHeightAt(this.perspective, this.distance());
    const aspect = width / height;
    camera.top = half;
    camera.bottom = -half;
    camera.left = -half * aspect;
    camera.right = half * aspect;
    camera.updateProjectionMatrix();
  }

  set(orthographic) {
    if (orthographic === this.isOrthographic) return;
    const viewer = this.viewer;
    const from = viewer.camera;
    const to = orthographic ? this.orthographic : this.perspective;
    const target = viewer.controls.target;
    to.position.copy(from.position);
    to.quaternion.copy(from.quaternion);
    to.up.copy(from.up);
    if (orthographic) {
      const radius = viewer.bounds ? viewer.bounds.getBoundingSphere(new THREE.Sphere()).radius : 1;
      to.near = -radius * 4; // nothing of the model is cut however close the camera comes
      to.far = this.perspective.far;
      to.zoom = 1;
    } else {
      // Carry the orthographic zoom back as distance.
      const offset = from.position.clone().sub(target).divideScalar(from.zoom || 1);
      to.position.copy(target).add(offset);
    }
    from.parent?.add(to);
    from.parent?.remove(from);
    viewer.camera = to;
    viewer.controls.object = to;
    viewer.tween.camera = to;
    if (viewer.measure) viewer.measure.camera = to;
    viewer.controls.update();
    if (orthographic) this.fit();
    else viewer.resize();
    viewer.requestRender();
  }
}

/** Pixels per metre at the orbit target, for the current camera and a stage `height` px tall. */
export function pixelsPerMetre(camera, target, height) {
  if (camera.isOrthographicCamera) return (height * camera.zoom) / (camera.top - camera.bottom);
  const depth = camera.position.distanceTo(target);
  return height / (2 * halfHeightAt(camera, depth));
}

/** The longest 1-2-5 length (metres) drawn no longer than `maxPx` at `ppm` pixels per metre. */
export function niceLength(ppm, maxPx = SCALE_BAR_MAX_PX) {
  const limit = maxPx / ppm;
  let best = 10 ** Math.floor(Math.log10(limit));
  for (const step of NICE_STEPS) {
    const length = step * 10 ** Math.floor(Math.log10(limit));
    if (length <= limit) best = length;
  }
  return best;
}

/** A length with its unit (mm, cm or m), in the page's language. */
export function formatLength(metres, lang) {
  const [unit, factor] = metres < 0.01 ? ['millimeter', 1000] : metres < 1 ? ['centimeter', 100] : ['meter', 1];
  return new Intl.NumberFormat(lang, { style: 'unit', unit, maximumFractionDigits: 2 }).format(metres * factor);
}

/** The scale bar overlay: a bar of a round length at the orbit target's depth. */
export class ScaleBar {
  /** @param {HTMLElement} element holds .scale-bar__bar and .scale-bar__label */
  constructor(element) {
    this.element = element;
    this.bar = element.querySelector('.scale-bar__bar');
    this.text = element.querySelector('.scale-bar__label');
    this.lang = document.documentElement.lang || undefined;
    this.metres = null;
    this.widthPx = null;
  }

  get visible() {
    return !this.element.hidden;
  }

  setVisible(visible) {
    this.element.hidden = !visible;
  }

  update(camera, target, height) {
    if (!this.visible || !height) return;
    const ppm = pixelsPerMetre(camera, target, height);
    const metres = niceLength(ppm);
    const widthPx = metres * ppm;
    if (metres !== this.metres) this.text.textContent = formatLength(metres, this.lang);
    this.metres = metres;
    this.widthPx = widthPx;
    this.bar.style.width = `${widthPx.toFixed(2)}px`;
  }

  state() {
    return { visible: this.visible, metres: this.metres, widthPx: this.widthPx, label: this.text.textContent };
  }

  /** Draw the bar into a 2D context (screenshots), `scale` times larger than on screen. */
  drawInto(context, scale) {
    if (!this.visible || !this.widthPx) return;
    const margin = 16 * scale;
    const y = context.canvas.height - margin;
    const width = this.widthPx * scale;
    context.save();
    context.fillStyle = 'rgba(23, 24, 28, 0.7)';
    context.fillRect(margin - 8 * scale, y - 30 * scale, width + 16 * scale, 38 * scale);
    context.fillStyle = '#f4f1ea';
    context.fillRect(margin, y - 4 * scale, width, 4 * scale);
    context.font = `${14 * scale}px system-ui, sans-serif`;
    context.fillText(this.text.textContent, margin, y - 10 * scale);
    context.restore();
  }
}

/** The largest scale factor the renderer can draw the canvas at, up to `wanted`. */
export function possibleScale(renderer, wanted) {
  const gl = renderer.getContext();
  const size = renderer.getDrawingBufferSize(new THREE.Vector2());
  const viewport = gl.getParameter(gl.MAX_VIEWPORT_DIMS);
  const limit = Math.min(gl.getParameter(gl.MAX_RENDERBUFFER_SIZE), viewport[0], viewport[1]);
  return Math.max(1, Math.min(wanted, Math.floor(limit / Math.max(size.x, size.y))));
}

/**
 * Render the view `scale` times larger than the canvas' drawing buffer and return it as a PNG.
 * The renderer draws into its own canvas at the larger size (tone mapping and colour output as
 * on screen), which is copied at once, before the size is put back.
 * @returns {Promise<{blob: Blob, width: number, height: number, scale: number}>}
 */
export async function screenshot({ renderer, scene, camera, scale, decorate }) {
  const size = renderer.getDrawingBufferSize(new THREE.Vector2());
  const pixelRatio = renderer.getPixelRatio();
  const cssSize = renderer.getSize(new THREE.Vector2());
  const factor = possibleScale(renderer, scale);
  const width = size.x * factor;
  const height = size.y * factor;
  const copy = document.createElement('canvas');
  copy.width = width;
  copy.height = height;
  const context = copy.getContext('2d');
  try {
    renderer.setDrawingBufferSize(width, height, 1);
    renderer.render(scene, camera);
    context.drawImage(renderer.domElement, 0, 0);
  } finally {
    // Back to the on-screen size first, then the pixel ratio: never a second oversized buffer.
    renderer.setSize(cssSize.x, cssSize.y, false);
    renderer.setPixelRatio(pixelRatio);
  }
  decorate?.(context, factor * pixelRatio);
  const blob = await new Promise((resolve, reject) => {
    copy.toBlob((result) => (result ? resolve(result) : reject(new Error('toBlob failed'))), 'image/png');
  });
  return { blob, width, height, scale: factor };
}
