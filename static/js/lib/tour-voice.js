/**
 * Live voice of a guided tour: WebRTC audio with signalling over the tour socket
 * (museum/realtime/PROTOCOL.md, "Voice"). No DOM controls here (tour-voice-panel.js draws them).
 *
 * - P2P: a speaker offers to each listener the server names in `voice_peer`; the listener answers.
 * - SFU: a speaker offers to "sfu" (publishes); a listener sends `listen` and answers the offer
 *   that comes from "sfu" (its subscription).
 * A member may hold two connections with the same peer, one each way (the guide and the follower
 * with the floor): ICE candidates from that peer go to the connection whose remote ICE ufrag they
 * name (Chromium's candidate lines carry it), else to both (a wrong one only fails its checks).
 */

const ANALYSER_FFT = 4096;
const SPEAKING_DB = -55; // RMS of a received track above which its speaker counts as speaking
const SEND_RATE = 15; // signalling frames per second, under the server's REALTIME_RTC_RATE (20)
const SEND_BURST = 50; // under REALTIME_RTC_BURST (60)
const SFU_RETRY_MS = 4000; // no track this long after `listen` while someone speaks: listen again

const ufragOf = (sdp) => /a=ice-ufrag:(\S+)/.exec(sdp)?.[1] ?? null;
const candidateUfrag = (line) => / ufrag (\S+)/.exec(line)?.[1] ?? null;

/** RMS level of an analyser's current window in dBFS. */
function levelDb(analyser, buffer) {
  analyser.getFloatTimeDomainData(buffer);
  let sum = 0;
  for (const value of buffer) sum += value * value;
  return 10 * Math.log10(sum / buffer.length || 1e-12);
}

export class TourVoice {
  /**
   * @param {{send: (frame: object) => boolean, onChange?: () => void}} options
   *   send: a frame on the tour socket; onChange: the voice state changed (redraw the controls).
   */
  constructor({ send, onChange = () => {} }) {
    this.sendFrame = send;
    this.onChange = onChange;
    this.selfId = null;
    this.mode = 'off';
    this.reason = '';
    this.speakers = [];
    this.floor = null;
    this.iceServers = [];
    this.peers = new Map(); // `${dir}:${remote}` -> {dir, remote, pc, ufrag, pending, streams}
    this.listening = false;
    this.volume = 1;
    this.muted = false;
    this.talking = false;
    this.micStream = null;
    this.micTrack = null;
    this.audio = null; // AudioContext, made on a gesture (unlock)
    this.mix = null; // analyser over everything received: the tone detector of the tests
    this.micAnalyser = null;
    this.outbox = [];
    this.tokens = SEND_BURST;
    this.lastRefill = performance.now();
    this.drainTimer = null;
    this.sfuTimer = null;
    this.receivedTracks = 0;
  }

  get isSpeaker() {
    return this.mode !== 'off' && this.speakers.includes(this.selfId);
  }

  /** Our member id (from `welcome`); a new connection drops every peer connection. */
  setSelf(id) {
    if (id !== this.selfId) {
      this.closeAll();
      this.speakers = []; // the next `voice` frame counts as a change: listen (or publish) again
    }
    this.selfId = id;
  }

  /** Audio needs a user gesture: call from a click. Idempotent. */
  unlock() {
    if (!this.audio) {
      this.audio = new AudioContext();
      this.mix = this.audio.createAnalyser();
      this.mix.fftSize = ANALYSER_FFT;
      this.mix.smoothingTimeConstant = 0; // what arrives now, however rarely it is read
      for (const peer of this.peers.values()) for (const stream of peer.streams) this.attach(peer, stream);
    }
    if (this.audio.state === 'suspended') this.audio.resume().catch(() => {});
    for (const peer of this.peers.values()) for (const element of peer.elements) element.play().catch(() => {});
    return this.audio;
  }

  /** The frames this module handles: `voice`, `rtc`, `voice_peer`. Returns false for others. */
  handle(frame) {
    if (frame.type === 'voice') this.onVoice(frame);
    else if (frame.type === 'rtc') this.onRtc(frame).catch((error) => console.warn('voice: rtc', error));
    else if (frame.type === 'voice_peer') this.offerTo(frame.id).catch((error) => console.warn('voice: offer', error));
    else return false;
    return true;
  }

  onVoice(frame) {
    const before = this.speakers.join(' ');
    const wasSpeaker = this.isSpeaker;
    this.mode = frame.mode;
    this.reason = frame.reason ?? '';
    this.speakers = frame.speakers ?? [];
    this.floor = frame.floor ?? null;
    this.iceServers = frame.ice_servers ?? [];
    if (this.mode === 'off') {
      this.closeAll();
      this.releaseMic();
    } else {
      // Connections to members who stopped speaking, or ours if we did, are over.
      for (const peer of [...this.peers.values()]) {
        const gone = peer.dir === 'in' && peer.remote !== 'sfu' && !this.speakers.includes(peer.remote);
        if (gone || (peer.dir === 'out' && !this.isSpeaker)) this.close(peer);
      }
      if (wasSpeaker && !this.isSpeaker) this.releaseMic();
      if (this.isSpeaker && this.mode === 'sfu' && !this.peers.has('out:sfu')) {
        this.offerTo('sfu').catch((error) => console.warn('voice: publish', error));
      }
      if (this.listening && this.speakers.join(' ') !== before) this.listen();
    }
    this.onChange();
  }

  /** Start (or stop) receiving the speakers' audio. */
  setListening(on) {
    this.listening = on;
    if (on) {
      this.unlock();
      this.listen();
    } else {
      for (const peer of [...this.peers.values()]) if (peer.dir === 'in') this.close(peer);
    }
    this.onChange();
  }

  listen() {
    window.clearTimeout(this.sfuTimer);
    if (!this.listening || this.mode === 'off') return;
    if (!this.speakers.some((id) => id !== this.selfId)) return;
    this.send({ type: 'listen' });
    if (this.mode === 'sfu') {
      // A speaker who has not published yet gives an empty subscription: ask again a little later.
      const count = this.receivedTracks;
      this.sfuTimer = window.setTimeout(() => {
        if (this.receivedTracks === count && this.listening) this.listen();
      }, SFU_RETRY_MS);
    }
  }

  setVolume(volume) {
    this.volume = volume;
    this.applyVolume();
  }

  setMuted(muted) {
    this.muted = muted;
    this.applyVolume();
    this.onChange();
  }

  applyVolume() {
    for (const peer of this.peers.values()) {
      for (const element of peer.elements ?? []) {
        element.volume = this.volume;
        element.muted = this.muted;
      }
    }
  }

  /** Push-to-talk or open microphone: on sends our voice (opening the microphone on first use). */
  async setTalking(on) {
    if (on && !this.isSpeaker) return false;
    if (!on && !this.talking) return false;
    if (on && !this.micTrack) await this.openMic();
    this.talking = on && Boolean(this.micTrack);
    if (this.micTrack) this.micTrack.enabled = this.talking;
    this.send({ type: 'talk', on: this.talking });
    this.onChange();
    return this.talking;
  }

  async openMic() {
    this.unlock();
    this.micStream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    this.micTrack = this.micStream.getAudioTracks()[0];
    this.micTrack.enabled = false;
    this.micAnalyser = this.audio.createAnalyser();
    this.micAnalyser.fftSize = 1024;
    this.audio.createMediaStreamSource(this.micStream).connect(this.micAnalyser);
    for (const peer of this.peers.values()) {
      if (peer.dir === 'out') for (const sender of peer.pc.getSenders()) sender.replaceTrack(this.micTrack);
    }
  }

  releaseMic() {
    // No `talk` off here: a speaker who lost the floor may not send it; the server clears it.
    this.talking = false;
    for (const track of this.micStream?.getTracks() ?? []) track.stop();
    this.micStream = null;
    this.micTrack = null;
    this.micAnalyser = null;
  }

  /** Our microphone's level, 0..1 (0 while muted or closed). */
  micLevel() {
    if (!this.micAnalyser || !this.talking) return 0;
    const db = levelDb(this.micAnalyser, new Float32Array(this.micAnalyser.fftSize));
    return Math.max(0, Math.min(1, (db + 60) / 60));
  }

  /** Ids of the members we hear right now (received level above the threshold). */
  audibleIds() {
    const out = new Set();
    for (const peer of this.peers.values()) {
      if (peer.dir !== 'in' || !peer.analyser) continue;
      if (levelDb(peer.analyser, peer.buffer) > SPEAKING_DB) out.add(peer.remote);
    }
    return out;
  }

  /** The tone detector: the strongest frequency of everything received, {hz, db}. */
  peak() {
    if (!this.mix) return { hz: 0, db: -Infinity };
    const bins = new Float32Array(this.mix.frequencyBinCount);
    this.mix.getFloatFrequencyData(bins);
    let best = 1;
    for (let i = 2; i < bins.length; i += 1) if (bins[i] > bins[best]) best = i;
    return { hz: (best * this.audio.sampleRate) / this.mix.fftSize, db: bins[best] };
  }

  // --- peer connections ----------------------------------------------------------------------
  newPeer(dir, remote) {
    const key = `${dir}:${remote}`;
    if (this.peers.has(key)) this.close(this.peers.get(key));
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    const peer = { key, dir, remote, pc, ufrag: null, pending: [], streams: [], elements: [] };
    this.peers.set(key, peer);
    pc.addEventListener('icecandidate', ({ candidate }) => {
      // End of candidates (null) is optional in trickle ICE and would only spend the rate budget.
      if (!candidate?.candidate) return;
      this.send({
        type: 'rtc',
        to: remote,
        ice: { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex },
      });
    });
    pc.addEventListener('track', (event) => {
      const stream = event.streams[0] ?? new MediaStream([event.track]);
      if (!peer.streams.includes(stream)) peer.streams.push(stream);
      this.receivedTracks += 1;
      this.attach(peer, stream);
      this.onChange();
    });
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed' && this.peers.get(key) === peer) {
        this.close(peer);
        // Ask for a fresh offer (P2P: the speaker's; SFU: a new subscription), or publish again.
        if (dir === 'in') this.listen();
        else if (remote === 'sfu' && this.isSpeaker) this.offerTo('sfu').catch(() => {});
      }
      this.onChange();
    });
    return peer;
  }

  /** Play a received stream and measure it. */
  attach(peer, stream) {
    // Chromium feeds a remote track to Web Audio only while a media element plays it.
    const element = new Audio();
    element.autoplay = true;
    element.srcObject = stream;
    element.volume = this.volume;
    element.muted = this.muted;
    element.play().catch(() => {}); // before a gesture: unlock() resumes it
    peer.elements.push(element);
    if (!this.audio) return;
    const source = this.audio.createMediaStreamSource(stream);
    peer.analyser = this.audio.createAnalyser();
    peer.analyser.fftSize = 1024;
    peer.buffer = new Float32Array(peer.analyser.fftSize);
    source.connect(peer.analyser);
    source.connect(this.mix);
  }

  close(peer) {
    peer.pc.close();
    for (const element of peer.elements) {
      element.pause();
      element.srcObject = null;
    }
    if (this.peers.get(peer.key) === peer) this.peers.delete(peer.key);
  }

  closeAll() {
    window.clearTimeout(this.sfuTimer);
    for (const peer of [...this.peers.values()]) this.close(peer);
  }

  /** A speaker offers its audio to `remote` (a listener's id, or "sfu" to publish). */
  async offerTo(remote) {
    if (!this.isSpeaker) return;
    const peer = this.newPeer('out', remote);
    const init = { direction: 'sendonly', streams: this.micStream ? [this.micStream] : [] };
    peer.pc.addTransceiver(this.micTrack ?? 'audio', init);
    await peer.pc.setLocalDescription(await peer.pc.createOffer());
    this.send({ type: 'rtc', to: remote, sdp: { type: 'offer', sdp: peer.pc.localDescription.sdp } });
  }

  async onRtc(frame) {
    const from = frame.from;
    if (frame.sdp?.type === 'offer') {
      if (!this.listening) return;
      const peer = this.newPeer('in', from);
      peer.ufrag = ufragOf(frame.sdp.sdp);
      await peer.pc.setRemoteDescription(frame.sdp);
      await this.flush(peer);
      await peer.pc.setLocalDescription(await peer.pc.createAnswer());
      this.send({ type: 'rtc', to: from, sdp: { type: 'answer', sdp: peer.pc.localDescription.sdp } });
    } else if (frame.sdp?.type === 'answer') {
      const peer = this.peers.get(`out:${from}`);
      if (!peer || peer.pc.signalingState !== 'have-local-offer') return;
      peer.ufrag = ufragOf(frame.sdp.sdp);
      await peer.pc.setRemoteDescription(frame.sdp);
      await this.flush(peer);
    } else if (frame.ice) {
      const mine = [...this.peers.values()].filter((peer) => peer.remote === from);
      const ufrag = candidateUfrag(frame.ice.candidate);
      const exact = mine.filter((peer) => ufrag && peer.ufrag === ufrag);
      for (const peer of exact.length ? exact : mine) {
        peer.pending.push(frame.ice);
        if (peer.ufrag) await this.flush(peer);
      }
    }
  }

  async flush(peer) {
    while (peer.pending.length) {
      const candidate = peer.pending.shift();
      await peer.pc.addIceCandidate(candidate).catch(() => {}); // another connection's candidate
    }
  }

  // --- signalling under the server's rate limit -------------------------------------------------
  send(frame) {
    this.outbox.push(frame);
    this.drain();
  }

  drain() {
    const now = performance.now();
    this.tokens = Math.min(SEND_BURST, this.tokens + ((now - this.lastRefill) / 1000) * SEND_RATE);
    this.lastRefill = now;
    while (this.outbox.length && this.tokens >= 1) {
      this.tokens -= 1;
      this.sendFrame(this.outbox.shift());
    }
    window.clearTimeout(this.drainTimer);
    if (this.outbox.length) this.drainTimer = window.setTimeout(() => this.drain(), 1000 / SEND_RATE);
  }

  /** The tour ended or we leave: every connection closed, the microphone released. */
  stop() {
    this.listening = false;
    this.releaseMic();
    this.closeAll();
    this.outbox = [];
    this.mode = 'off';
    this.audio?.close().catch(() => {});
    this.audio = null;
    this.mix = null;
    this.onChange();
  }

  /** Plain data for tests and debugging. */
  state() {
    return {
      mode: this.mode,
      speakers: [...this.speakers],
      floor: this.floor,
      listening: this.listening,
      talking: this.talking,
      isSpeaker: this.isSpeaker,
      receivedTracks: this.receivedTracks,
      peers: [...this.peers.values()].map((peer) => ({
        key: peer.key,
        state: peer.pc.connectionState,
        streams: peer.streams.length,
      })),
    };
  }
}
