/**
 * The artifact viewer's inspection tools (3DHOP, ATON and OpenLIME style), in the panel of
 * templates/includes/inspect_tools.html: raking light, render modes, a section plane that moves
 * and turns, an orthographic view, the measurement modes (measure.js), a scale bar and
 * screenshots above screen resolution. Every control is a labelled form control, so the panel is
 * used from the keyboard as with a mouse.
 *
 * The raking light is set relative to the view, as in 3DHOP: its direction turns around the line
 * of sight ("direction", 0° from the right, 90° from above) and rises from grazing the surface
 * facing you to straight on ("height"). While it is on, the room's light is dimmed.
 */
import * as THREE from 'three';
import { format } from './format.js';
import { RenderModes } from './inspect-render-modes.js';
import { Projection, ScaleBar, screenshot } from './inspect-view.js';

const RAKING_INTENSITY = 3.2;
const DIMMED = 0.08; // what is left of the room's light (environment and other lights) when raking

/** A unit direction in the camera's frame: `azimuth` around the view axis, `elevation` off the surface. */
export function viewDirection(camera, azimuthDeg, elevationDeg) {
  const azimuth = THREE.MathUtils.degToRad(azimuthDeg);
  const elevation = THREE.MathUtils.degToRad(elevationDeg);
  const local = new THREE.Vector3(
    Math.cos(elevation) * Math.cos(azimuth),
    Math.cos(elevation) * Math.sin(azimuth),
    Math.sin(elevation),
  );
  return local.applyQuaternion(camera.getWorldQuaternion(new THREE.Quaternion())).normalize();
}

/** A unit normal from `turn` (around the vertical) and `tilt` (up from the horizontal), degrees. */
export function planeNormal(turnDeg, tiltDeg) {
  const turn = THREE.MathUtils.degToRad(turnDeg);
  const tilt = THREE.MathUtils.degToRad(tiltDeg);
  return new THREE.Vector3(Math.cos(tilt) * Math.sin(turn), Math.sin(tilt), Math.cos(tilt) * Math.cos(turn));
}

export class InspectTools {
  /**
   * @param {object} viewer the ArtifactViewer
   * @param {HTMLElement} panel #inspect-panel
   * @param {THREE.Sphere} sphere the model's bounding sphere
   */
  constructor(viewer, panel, sphere) {
    this.viewer = viewer;
    this.panel = panel;
    this.sphere = sphere.clone();
    this.field = (name) => panel.querySelector(`[data-inspect="${name}"]`);
    this.strings = viewer.strings;
    this.status = panel.querySelector('#inspect-status');

    viewer.renderer.localClippingEnabled = true;
    this.clippingPlanes = []; // shared by every material of the model: empty = no section
    this.plane = new THREE.Plane();
    this.modes = new RenderModes({ clippingPlanes: this.clippingPlanes, radius: this.sphere.radius });
    viewer.slot.onSwap = (previous, model) => {
      this.modes.release(previous);
      this.modes.setMode(this.modes.mode, model);
      this.sphere = viewer.slot.bounds().getBoundingSphere(new THREE.Sphere());
      this.updateSection();
    };
    this.modes.apply(viewer.model);
    if (viewer.measure) viewer.measure.clippingPlanes = this.clippingPlanes;

    this.light = new THREE.DirectionalLight(0xffffff, 0);
    this.light.name = 'inspect-raking-light';
    viewer.scene.add(this.light, this.light.target);
    this.raking = false;
    this.dimmed = [];

    // The plane's outline only: a filled gizmo would hide the cut it is there to show.
    this.planeHelper = new THREE.PlaneHelper(this.plane, 1, 0xffd166);
    for (const child of this.planeHelper.children) child.visible = false;
    this.planeHelper.visible = false;
    viewer.scene.add(this.planeHelper);

    this.projection = new Projection(viewer);
    const scaleElement = viewer.root.querySelector('#viewer-scale-bar');
    this.scaleBar = scaleElement && viewer.plan.metric ? new ScaleBar(scaleElement) : null;
    viewer.renderer.xr.addEventListener('sessionstart', () => this.projection.set(false));
    viewer.controls.addEventListener('change', () => { if (this.raking) this.aimLight(); });
    this.bind();
  }

  bind() {
    const on = (name, event, handler) => this.field(name)?.addEventListener(event, handler);
    on('raking', 'change', (event) => this.setRaking(event.target.checked));
    for (const name of ['azimuth', 'elevation']) on(name, 'input', () => this.aimLight());
    this.bindLightPad();
    for (const radio of this.panel.querySelectorAll('[name="inspect-render-mode"]')) {
      radio.addEventListener('change', () => { if (radio.checked) this.setRenderMode(radio.value); });
    }
    on('section', 'change', (event) => this.setSection(event.target.checked));
    for (const name of ['offset', 'turn', 'tilt']) on(name, 'input', () => this.updateSection());
    on('orthographic', 'change', (event) => this.setOrthographic(event.target.checked));
    if (this.scaleBar) on('scale-bar', 'change', (event) => this.setScaleBar(event.target.checked));
    else this.field('scale-bar')?.closest('label')?.remove();
    const measure = this.viewer.measure;
    const modes = this.panel.querySelector('#inspect-measure-modes');
    if (measure && modes) {
      modes.hidden = false;
      for (const radio of modes.querySelectorAll('[name="inspect-measure-mode"]')) {
        radio.addEventListener('change', () => {
          if (!radio.checked) return;
          measure.setMode(radio.value);
          if (!measure.active) measure.setActive(true);
        });
      }
    }
    on('screenshot', 'click', () => this.saveScreenshot());
  }

  number(name) {
    return Number(this.field(name)?.value ?? 0);
  }

  // Raking light

  setRaking(on) {
    const { scene } = this.viewer;
    if (on === this.raking) return;
    this.raking = on;
    this.field('raking').checked = on;
    for (const name of ['azimuth', 'elevation']) this.field(name).disabled = !on;
    if (on) {
      this.dimmed = [];
      scene.traverse((object) => {
        if (object.isLight && object !== this.light) {
          this.dimmed.push([object, object.intensity]);
          object.intensity *= DIMMED;
        }
      });
      this.environmentIntensity = scene.environmentIntensity;
      scene.environmentIntensity = DIMMED;
      this.light.intensity = RAKING_INTENSITY;
      this.aimLight();
    } else {
      for (const [light, intensity] of this.dimmed) light.intensity = intensity;
      this.dimmed = [];
      scene.environmentIntensity = this.environmentIntensity ?? 1;
      this.light.intensity = 0;
    }
    this.viewer.requestRender();
  }

  /**
   * The light pad: a disc seen along the line of sight. Its centre lights the surface straight
   * on, its rim grazes it; the angle around the centre is the light's direction. It sets the
   * sliders, which stay the keyboard's way to the same values.
   */
  bindLightPad() {
    const pad = this.field('light-pad');
    if (!pad) return;
    const dot = pad.querySelector('.light-pad__dot');
    this.placeLightDot = () => {
      const azimuth = THREE.MathUtils.degToRad(this.number('azimuth'));
      const r = Math.cos(THREE.MathUtils.degToRad(this.number('elevation')));
      dot.style.left = `${50 + 50 * r * Math.cos(azimuth)}%`;
      dot.style.top = `${50 - 50 * r * Math.sin(azimuth)}%`;
    };
    const drag = (event) => {
      const rect = pad.getBoundingClientRect();
      const x = ((event.clientX - rect.left) / rect.width) * 2 - 1;
      const y = 1 - ((event.clientY - rect.top) / rect.height) * 2;
      const azimuth = (THREE.MathUtils.radToDeg(Math.atan2(y, x)) + 360) % 360;
      const elevation = THREE.MathUtils.radToDeg(Math.acos(Math.min(1, Math.hypot(x, y))));
      if (!this.raking) this.setRaking(true);
      this.field('azimuth').value = String(azimuth);
      this.field('elevation').value = String(elevation);
      this.aimLight();
    };
    pad.addEventListener('pointerdown', (event) => {
      pad.setPointerCapture(event.pointerId);
      drag(event);
    });
    pad.addEventListener('pointermove', (event) => {
      if (pad.hasPointerCapture(event.pointerId)) drag(event);
    });
    this.placeLightDot();
  }

  /** Place the raking light for the current view and sliders. */
  aimLight() {
    this.placeLightDot?.();
    const direction = viewDirection(this.viewer.camera, this.number('azimuth'), this.number('elevation'));
    this.light.target.position.copy(this.sphere.center);
    this.light.position.copy(this.sphere.center).addScaledVector(direction, this.sphere.radius * 4);
    this.light.target.updateMatrixWorld();
    this.viewer.requestRender();
  }

  // Render modes

  /**
   * The damage overlay (damage-overlay.js) colours the model's own materials, so it shows over
   * the Colour mode only: another mode turns it off first, visibly (its button is released), and
   * turning the overlay on brings Colour back (this radio). Resolves once the mode is drawn.
   */
  async setRenderMode(mode) {
    const radio = this.panel.querySelector(`[name="inspect-render-mode"][value="${mode}"]`);
    if (radio) radio.checked = true;
    if (mode !== 'standard' && this.viewer.damage?.active) await this.viewer.damage.setActive(false);
    this.modes.setMode(mode, this.viewer.model);
    this.viewer.requestRender();
  }

  /** After the modes re-dress the model (a section shown or hidden), the overlay goes back on. */
  redressed() {
    if (this.viewer.damage?.active) this.viewer.damage.refresh();
  }

  // Section plane

  setSection(on) {
    this.field('section').checked = on;
    for (const name of ['offset', 'turn', 'tilt']) this.field(name).disabled = !on;
    this.clippingPlanes.length = 0;
    if (on) this.clippingPlanes.push(this.plane);
    this.planeHelper.visible = on;
    this.modes.setDoubleSided(on, this.viewer.model);
    this.redressed();
    this.updateSection();
  }

  /** Move and turn the plane from the sliders: offset is a share of the model's radius. */
  updateSection() {
    const normal = planeNormal(this.number('turn'), this.number('tilt'));
    const point = this.sphere.center.clone().addScaledVector(normal, (this.number('offset') / 100) * this.sphere.radius);
    this.plane.setFromNormalAndCoplanarPoint(normal, point);
    this.planeHelper.size = this.sphere.radius * 2.2;
    this.viewer.requestRender();
  }

  // View

  setOrthographic(on) {
    this.field('orthographic').checked = on;
    this.projection.set(on);
    if (this.raking) this.aimLight();
  }

  setScaleBar(on) {
    if (!this.scaleBar) return;
    this.field('scale-bar').checked = on;
    this.scaleBar.setVisible(on);
    this.viewer.requestRender();
  }

  /** Per frame (the viewer's frame()): keep overlays in step with the camera. */
  update(camera, width, height) {
    this.scaleBar?.update(camera, this.viewer.controls.target, height);
  }

  // Screenshot

  async saveScreenshot(scale = this.number('screenshot-scale') || 2) {
    const viewer = this.viewer;
    try {
      const shot = await screenshot({
        renderer: viewer.renderer,
        scene: viewer.scene,
        camera: viewer.camera,
        scale,
        decorate: (context, factor) => this.scaleBar?.drawInto(context, factor),
      });
      viewer.requestRender();
      const url = URL.createObjectURL(shot.blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `${(viewer.config.title || 'model').replace(/[^\w-]+/g, '-')}-${shot.scale}x.png`;
      document.body.append(link);
      link.click();
      link.remove();
      window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      const key = shot.scale < scale ? 'screenshotReduced' : 'screenshotSaved';
      this.say(format(this.strings[key], { width: shot.width, height: shot.height }));
      return { width: shot.width, height: shot.height, scale: shot.scale };
    } catch (error) {
      console.warn('Mouseion viewer: screenshot failed', error);
      this.say(this.strings.screenshotFailed);
      return null;
    }
  }

  say(text) {
    if (this.status) this.status.textContent = text;
  }

  /** Plain-data state for tests. */
  state() {
    return {
      raking: this.raking,
      lightDirection: this.light.position.clone().sub(this.light.target.position).normalize().toArray(),
      renderMode: this.modes.mode,
      section: this.clippingPlanes.length > 0,
      plane: { normal: this.plane.normal.toArray(), constant: this.plane.constant },
      cameraType: this.viewer.camera.type,
      scaleBar: this.scaleBar?.state() ?? null,
    };
  }
}

/**
 * The inspection tools for an ArtifactViewer whose page has the panel; null without it.
 * @param {object} viewer the ArtifactViewer, once its first model is drawn
 * @param {THREE.Sphere} sphere the model's bounding sphere
 */
export function setupInspectTools(viewer, sphere) {
  const panel = viewer.root.querySelector('#inspect-panel');
  if (!panel) return null;
  const tools = new InspectTools(viewer, panel, sphere);
  // The toolbar's disclosure button opens the panel under the toolbar (a closed panel keeps
  // the whole toolbar and the model above the fold on a laptop).
  const toggle = viewer.root.querySelector('#inspect-toggle');
  if (!toggle) {
    panel.hidden = false;
    return tools;
  }
  toggle.hidden = false;
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') !== 'true';
    toggle.setAttribute('aria-expanded', String(open));
    panel.hidden = !open;
  });
  return tools;
}
