/**
 * The shared pointer's sending side (museum/realtime/PROTOCOL.md, `point`): what the pointer is
 * over goes to the server at most 15 times a second and only when it changed; null hides it.
 * The tour page and the gallery both use it; each draws the others' pointers its own way.
 */

const MAX_POINT_HZ = 15; // the pose rate: points share the connection's token bucket
const EPSILON = 0.002; // metres: the server keeps millimetres

/** The colour of a role's pointer (and avatar), as CSS. */
export const POINTER_COLOURS = {
  guide: '#e76f51', educator: '#e76f51', curator: '#7b5ea7', visitor: '#2a9d8f', follower: '#2a9d8f',
};

function same(a, b) {
  if (a === null || b === null) return a === b;
  return a.every((value, i) => Math.abs(value - b[i]) <= EPSILON);
}

export class PointerSender {
  /**
   * @param {object} options
   * @param {(frame: object) => boolean} options.send sends a frame; false when not connected
   * @param {string} options.space "model" or "gallery"
   */
  constructor({ send, space }) {
    this.send = send;
    this.space = space;
    this.wanted = null;
    this.sent = null; // what the server holds, as far as we know
    this.sentAt = 0;
    this.timer = null;
  }

  /** Point at `p` ([x, y, z]) or hide the pointer (null); sent when the rate allows. */
  set(p) {
    this.wanted = p ? p.map((v) => Math.round(v * 1000) / 1000) : null;
    if (this.timer !== null) return;
    const wait = Math.max(0, this.sentAt + 1000 / MAX_POINT_HZ - performance.now());
    this.timer = window.setTimeout(() => this.flush(), wait);
  }

  flush() {
    this.timer = null;
    if (same(this.wanted, this.sent)) return;
    if (this.send({ type: 'point', p: this.wanted, space: this.space })) {
      this.sent = this.wanted;
      this.sentAt = performance.now();
    }
  }

  /** The server forgot our pointer (a new connection, a new stop): nothing is shown now. */
  forget() {
    this.sent = null;
  }
}
