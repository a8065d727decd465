/**
 * Live captions in a guided tour (#23): a speaker's browser turns their speech into text with the
 * Web Speech API where it has one (Chrome, Edge, Safari) and sends it as `caption` frames; every
 * member sees the current phrase under the voice card. The server relays captions from speakers
 * only (the guide, the floor holder). Interim phrases are sent at most every 300 ms; a screen
 * reader is told only the final phrase.
 */
const $ = (id) => document.getElementById(id);
const INTERIM_MS = 300;
const MAX_CHARS = 300; // the server's CAPTION_MAX
const SHOWN_MS = 8000; // a final phrase stays this long after the speaker stops

export class LiveCaptions {
  /**
   * @param {{send: (frame: object) => boolean, strings: object,
   *          nameOf: (id: string) => string, selfId: () => string}} options
   */
  constructor({ send, strings, nameOf, selfId }) {
    this.send = send;
    this.strings = strings;
    this.nameOf = nameOf;
    this.selfId = selfId;
    this.on = false;
    this.lastSent = 0;
    this.clearTimer = 0;
    const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition;
    this.Recognition = Recognition ?? null;
    const button = $('voice-captions');
    if (!button) return;
    if (!this.Recognition) {
      button.disabled = true;
      $('voice-captions-hint').textContent = strings.unsupported;
      return;
    }
    button.addEventListener('click', () => this.setOn(!this.on));
  }

  setOn(on) {
    this.on = on;
    $('voice-captions').setAttribute('aria-pressed', String(on));
    if (on) this.start();
    else this.recognition?.stop();
  }

  start() {
    const recognition = new this.Recognition();
    recognition.lang = document.documentElement.lang || 'en';
    recognition.continuous = true;
    recognition.interimResults = true;
    recognition.onresult = (event) => {
      const result = event.results[event.results.length - 1];
      const text = result[0].transcript.trim().slice(0, MAX_CHARS);
      const now = performance.now();
      if (!text || (!result.isFinal && now - this.lastSent < INTERIM_MS)) return;
      this.lastSent = now;
      this.send({ type: 'caption', text, final: result.isFinal });
    };
    // Recognition stops by itself after a silence: start again while captions are on.
    recognition.onend = () => {
      if (this.on) window.setTimeout(() => this.on && this.start(), 250);
    };
    recognition.onerror = (event) => {
      if (event.error === 'no-speech' || event.error === 'aborted') return; // onend restarts it
      // Refused, or no recognition service (Chromium without Google's): say so and stop.
      this.setOn(false);
      const refused = event.error === 'not-allowed' || event.error === 'service-not-allowed';
      $('voice-captions-hint').textContent = refused ? this.strings.refused : this.strings.unsupported;
    };
    this.recognition = recognition;
    recognition.start();
  }

  /** A `caption` frame from the server. */
  handle(frame) {
    const line = $('voice-caption-line');
    if (!line) return;
    const name = frame.id === this.selfId() ? this.strings.you : this.nameOf(frame.id) || frame.name;
    $('voice-caption-name').textContent = `${name}:`;
    $('voice-caption-text').textContent = frame.text;
    line.hidden = false;
    line.classList.toggle('is-interim', !frame.final);
    if (frame.final) $('voice-caption-final').textContent = `${name}: ${frame.text}`;
    window.clearTimeout(this.clearTimer);
    this.clearTimer = window.setTimeout(() => {
      line.hidden = true;
    }, SHOWN_MS);
  }

  stop() {
    this.on = false;
    this.recognition?.stop();
    window.clearTimeout(this.clearTimer);
  }
}
