/**
 * Presence client for museum/realtime/PROTOCOL.md: sends our pose (at most 15 Hz, only when it
 * changed), keeps a short history of everyone else's poses from the server's snapshots and draws
 * them ~100 ms in the past, interpolated. Reconnects with backoff and resyncs from the next snapshot.
 *
 * Framework-free (no three.js), so the gallery and the guided tour share it.
 */

const RENDER_DELAY_MS = 100;
const HISTORY = 12;
const MAX_POSE_HZ = 15;
const POSITION_EPSILON = 0.005; // metres
const ROTATION_EPSILON = 0.002; // quaternion components
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10000;
const NO_RETRY_CODES = new Set([4004]);
// An unchanged pose is still resent this often: the planner's crowd board counts a visitor only
// while poses arrive (REALTIME_CROWD_IDLE_SECONDS, 30 s on the server).
const POSE_HEARTBEAT_MS = 10000;

/** Absolute ws(s) URL for a server path such as `/ws/rooms/3/`. */
export function websocketURL(path) {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${path}`;
}

function lerp(a, b, t) {
  return a.map((value, i) => value + (b[i] - value) * t);
}

/** Normalised lerp of quaternions along the short arc (steps between snapshots are small). */
function nlerp(a, b, t) {
  const dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
  const sign = dot < 0 ? -1 : 1;
  const out = a.map((value, i) => value + (sign * b[i] - value) * t);
  const length = Math.hypot(...out) || 1;
  return out.map((value) => value / length);
}

/** A shared pointer between two snapshots: it glides while shown, and appears or hides at once. */
function lerpPointer(a, b, t) {
  if (!a?.p || !b?.p || a.space !== b.space) return t < 1 ? a : b;
  return { p: lerp(a.p, b.p, t), space: b.space };
}

function changed(a, b) {
  if (!a) return true;
  for (let i = 0; i < 3; i += 1) if (Math.abs(a.p[i] - b.p[i]) > POSITION_EPSILON) return true;
  for (let i = 0; i < 4; i += 1) if (Math.abs(a.q[i] - b.q[i]) > ROTATION_EPSILON) return true;
  return false;
}

export class PresenceClient {
  /**
   * @param {object} options
   * @param {string} options.url absolute ws(s) URL
   * @param {() => ({p: number[], q: number[]} | null)} [options.getPose] our pose, or null to send none
   * @param {(event: object) => void} [options.onEvent] status changes and every non-snapshot frame
   * @param {string} [options.name] display name sent with `hello`
   */
  constructor({ url, getPose = () => null, onEvent = () => {}, name = null }) {
    this.url = url;
    this.getPose = getPose;
    this.onEvent = onEvent;
    this.name = name;
    this.socket = null;
    this.selfId = null;
    this.mode = null;
    this.role = null;
    this.status = 'closed';
    this.others = new Map(); // id -> {name, role, extra, history: [{ts, p, q}]}
    this.lastSent = null;
    this.offsetMs = null; // server clock minus ours, from the least-delayed recent snapshot
    this.offsets = [];
    this.attempt = 0;
    this.stopped = true;
    this.poseTimer = null;
    this.retryTimer = null;
    this.snapshotsReceived = 0;
  }

  start() {
    this.stopped = false;
    this.connect();
    this.poseTimer = window.setInterval(() => this.sendPose(), 1000 / MAX_POSE_HZ);
  }

  stop() {
    this.stopped = true;
    window.clearInterval(this.poseTimer);
    window.clearTimeout(this.retryTimer);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
    this.others.clear();
    this.setStatus('closed');
  }

  /** Send a protocol frame; returns false when not connected. */
  send(frame) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  setStatus(status) {
    this.status = status;
    this.onEvent({ type: 'status', status });
  }

  connect() {
    this.setStatus('connecting');
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.attempt = 0;
      this.lastSent = null; // the server has no pose of ours on a new connection
      if (this.name) this.send({ type: 'hello', name: this.name });
      this.setStatus('open');
    });
    socket.addEventListener('message', (event) => this.receive(event.data));
    socket.addEventListener('close', (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.others.clear();
      this.setStatus('closed');
      if (this.stopped || NO_RETRY_CODES.has(event.code)) return;
      // Exponential backoff with jitter, so a restarted server is not hit by everyone at once.
      const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempt);
      this.attempt += 1;
      this.retryTimer = window.setTimeout(() => this.connect(), base * (0.5 + Math.random() / 2));
    });
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === 'snapshot') {
      this.applySnapshot(frame);
      return;
    }
    if (frame.type === 'welcome') {
      this.selfId = frame.id;
      this.mode = frame.mode;
      this.role = frame.role;
      this.others.clear();
    } else if (frame.type === 'leave') {
      this.others.delete(frame.id);
    }
    this.onEvent(frame);
  }

  applySnapshot(frame) {
    this.snapshotsReceived += 1;
    this.offsets.push(frame.ts - Date.now());
    if (this.offsets.length > 20) this.offsets.shift();
    this.offsetMs = Math.max(...this.offsets);
    const seen = new Set();
    for (const entry of frame.members) {
      if (entry.id === this.selfId) continue;
      seen.add(entry.id);
      let other = this.others.get(entry.id);
      if (!other) {
        other = { history: [] };
        this.others.set(entry.id, other);
      }
      other.name = entry.name;
      other.role = entry.role;
      other.stop = entry.stop;
      other.mode = entry.mode;
      other.talking = entry.talking === true; // live voice: a speaker holds push-to-talk
      const last = other.history[other.history.length - 1];
      if (!last || last.ts < frame.ts) {
        other.history.push({ ts: frame.ts, p: entry.p, q: entry.q, ptr: entry.ptr ?? null });
        if (other.history.length > HISTORY) other.history.shift();
      }
    }
    // Snapshots carry the whole roster: whoever is missing has left (or went listening).
    for (const id of [...this.others.keys()]) if (!seen.has(id)) this.others.delete(id);
    this.onEvent({ type: 'snapshot', seq: frame.seq, count: frame.members.length, listeners: frame.listeners });
  }

  sendPose() {
    if (this.mode !== 'active') return;
    const pose = this.getPose();
    if (!pose) return;
    const now = Date.now();
    const due = !this.lastSent || now - this.lastSent.at >= POSE_HEARTBEAT_MS;
    if (!due && !changed(this.lastSent, pose)) return;
    if (this.send({ type: 'pose', p: pose.p, q: pose.q, t: now })) {
      this.lastSent = { p: [...pose.p], q: [...pose.q], at: now };
    }
  }

  /** Others' poses as they were RENDER_DELAY_MS ago on the server's clock, interpolated. */
  sample() {
    const renderTs = Date.now() + (this.offsetMs ?? 0) - RENDER_DELAY_MS;
    const out = [];
    for (const [id, other] of this.others) {
      const history = other.history;
      if (!history.length) continue;
      let { p, q, ptr } = history[history.length - 1];
      for (let i = history.length - 1; i > 0; i -= 1) {
        const a = history[i - 1];
        const b = history[i];
        if (a.ts <= renderTs && renderTs <= b.ts) {
          const t = b.ts > a.ts ? (renderTs - a.ts) / (b.ts - a.ts) : 1;
          p = lerp(a.p, b.p, t);
          q = nlerp(a.q, b.q, t);
          ptr = lerpPointer(a.ptr, b.ptr, t);
          break;
        }
        if (renderTs < a.ts) ({ p, q, ptr } = a);
      }
      out.push({ id, name: other.name, role: other.role, stop: other.stop, mode: other.mode, p, q, ptr });
    }
    return out;
  }
}
