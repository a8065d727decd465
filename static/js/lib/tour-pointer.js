/**
 * The guide's shared pointer on the tour stage. The guide turns "Point" on and the point of the
 * object under the mouse or finger travels in the tour's tick (shared-pointer.js); everyone on
 * the same stop sees it as a dot of constant size over the object, with the guide's name, drawn
 * from the presence client's interpolated samples.
 */
import { POINTER_COLOURS, PointerSender } from './shared-pointer.js';

function makeDot(container) {
  const dot = document.createElement('div');
  dot.className = 'tour-pointer';
  dot.setAttribute('aria-hidden', 'true');
  dot.hidden = true;
  const mark = document.createElement('span');
  mark.className = 'tour-pointer__dot';
  const name = document.createElement('span');
  name.className = 'tour-pointer__name';
  dot.append(mark, name);
  container.append(dot);
  return { dot, mark, name };
}

export class TourPointer {
  /**
   * @param {object} options
   * @param {import('./tour-stage.js').TourStage} options.stage
   * @param {HTMLElement} options.container the stage's box, where the dot is drawn
   * @param {() => object|null} options.client the presence client, once connected
   * @param {() => object|null} options.stop the stop the pointer belongs to (the guide's) when
   *   this page shows it, else null
   * @param {HTMLButtonElement|null} options.button the guide's "Point" toggle (aria-pressed)
   * @param {string} options.selfName the guide's own name, for their own dot
   */
  constructor({ stage, container, client, stop, button = null, selfName = '' }) {
    this.stage = stage;
    this.client = client;
    this.stop = stop;
    this.button = button;
    this.selfName = selfName;
    this.view = makeDot(container);
    this.local = null; // the guide's own pointer, drawn at once
    this.shown = null;
    this.sender = new PointerSender({ send: (frame) => this.client()?.send(frame) ?? false, space: 'model' });
    stage.frameHooks.push(() => this.draw());
    if (button) this.setUpGuide(button);
  }

  setUpGuide(button) {
    const canvas = this.stage.canvas;
    button.addEventListener('click', () => this.setPointing(button.getAttribute('aria-pressed') !== 'true'));
    canvas.addEventListener('pointermove', (event) => {
      if (this.pointing) this.aim(this.stage.pick(event.clientX, event.clientY));
    });
    canvas.addEventListener('pointerdown', (event) => {
      if (this.pointing) this.aim(this.stage.pick(event.clientX, event.clientY));
    });
    canvas.addEventListener('pointerleave', () => { if (this.pointing) this.aim(null); });
  }

  get pointing() {
    return this.button?.getAttribute('aria-pressed') === 'true';
  }

  /** Point mode on or off; off hides the pointer for everyone. While on, the camera stays put
   * so that a finger on a touch screen points rather than turns the object. */
  setPointing(on) {
    this.button.setAttribute('aria-pressed', String(on));
    this.stage.controls.enabled = !on;
    this.stage.canvas.classList.toggle('is-pointing', on);
    if (!on) this.aim(null);
  }

  aim(p) {
    this.local = p;
    this.sender.set(p);
  }

  /** The server forgot the pointer (a new stop, a new connection). */
  reset() {
    this.local = null;
    this.sender.forget();
  }

  /** The pointer to draw now: ours (guide), else a guide's from the snapshots, or null. */
  current() {
    if (!this.stage.showing(this.stop())) return null;
    if (this.local) return { p: this.local, name: this.selfName, role: 'guide', self: true };
    for (const other of this.client()?.sample() ?? []) {
      if (other.role === 'guide' && other.ptr?.p && other.ptr.space === 'model') {
        return { p: other.ptr.p, name: other.name, role: other.role, id: other.id };
      }
    }
    return null;
  }

  draw() {
    const pointer = this.current();
    const at = pointer ? this.stage.project(pointer.p) : null;
    const { dot, mark, name } = this.view;
    this.shown = at ? { ...pointer, screen: at } : null;
    if (!at) {
      dot.hidden = true;
      return;
    }
    dot.hidden = false;
    dot.style.transform = `translate(${at[0]}px, ${at[1]}px)`;
    mark.style.background = POINTER_COLOURS[pointer.role] ?? POINTER_COLOURS.guide;
    if (name.textContent !== pointer.name) name.textContent = pointer.name;
  }

  /** For the test hook: what is drawn (the model point, and where on the canvas) and sent. */
  state() {
    return { shown: this.shown, sent: this.sender.sent, pointing: this.pointing };
  }
}
