// A light page for the voice benchmark (tests/bench/test_bench_voice.py): it holds several tour
// members, each with its own tour socket and static/js/lib/tour-voice.js, and one AudioContext.
// A speaker opens its (fake) microphone as soon as the server names it a speaker; a listener
// listens from the start. A tone detector notes when each listener first hears the tone.
import { TourVoice } from './lib/tour-voice.js';

const ctx = new AudioContext();
const members = [];
let poseTimer = null;

function join(url, { speaker = false, tone = 0 } = {}) {
  const entry = { tone, joinedAt: performance.now(), firstAudioAt: null, errors: [], started: false };
  const ws = new WebSocket(url);
  const voice = new TourVoice({
    send: (frame) => {
      if (ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(frame));
      return true;
    },
  });
  voice.audio = ctx; // one context for every member of the page (unlock() keeps it)
  voice.mix = ctx.createAnalyser();
  voice.mix.fftSize = 2048;
  voice.mix.smoothingTimeConstant = 0;
  voice.listening = !speaker;
  ws.addEventListener('message', (message) => {
    const frame = JSON.parse(message.data);
    if (frame.type === 'welcome') voice.setSelf(frame.id);
    else if (frame.type === 'error') entry.errors.push(frame.code);
    else voice.handle(frame);
    if (speaker && frame.type === 'voice' && voice.isSpeaker && !entry.started) {
      entry.started = true;
      voice.setTalking(true).catch((error) => entry.errors.push(String(error)));
    }
  });
  Object.assign(entry, { ws, voice });
  members.push(entry);
}

function heard(entry) {
  const peak = entry.voice.peak();
  return Math.abs(peak.hz - entry.tone) < 30 && peak.db > -70;
}

window.setInterval(() => {
  const now = performance.now();
  for (const entry of members) if (entry.tone && entry.firstAudioAt === null && heard(entry)) entry.firstAudioAt = now;
}, 20);

window.bench = {
  join,
  joinMany(count, url, tone) {
    for (let i = 0; i < count; i += 1) join(url, { tone });
  },
  /** The tour's pose traffic: every member sends a slightly moving pose at 10 Hz. */
  setPose(on) {
    window.clearInterval(poseTimer);
    if (!on) return;
    poseTimer = window.setInterval(() => {
      for (const entry of members) {
        if (entry.ws.readyState !== WebSocket.OPEN) continue;
        const p = [Math.random() * 0.5, 1.6, 2 + Math.random() * 0.5];
        entry.ws.send(JSON.stringify({ type: 'pose', p, q: [0, 0, 0, 1], t: Date.now() }));
      }
    }, 100);
  },
  stats: () => members.map((entry) => ({
    id: entry.voice.selfId,
    ttfa: entry.firstAudioAt === null ? null : entry.firstAudioAt - entry.joinedAt,
    hearing: entry.tone ? heard(entry) : null,
    talking: entry.voice.talking,
    errors: entry.errors,
    peers: entry.voice.state().peers,
  })),
  /** Bytes sent by every outgoing connection of this page (transport level: RTP, RTCP, ICE). */
  async bytesSent() {
    let total = 0;
    for (const entry of members) {
      for (const peer of entry.voice.peers.values()) {
        if (peer.dir !== 'out') continue;
        (await peer.pc.getStats()).forEach((stat) => {
          if (stat.type === 'transport') total += stat.bytesSent ?? 0;
        });
      }
    }
    return total;
  },
};
