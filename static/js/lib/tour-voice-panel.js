/**
 * The voice card of the tour page (templates/museum/tour.html, #voice-card): push-to-talk (a held
 * button, or the T key while the microphone card is shown and no text field has the focus), open
 * microphone (mute/unmute), our level, "Listen" with volume and mute, who is speaking (the
 * snapshot's `talking` plus what we actually hear), and the guide's "Take the floor back".
 * The WebRTC side is tour-voice.js.
 */
import { format } from './format.js';

const $ = (id) => document.getElementById(id);
const TICK_MS = 150;
const PTT_KEY = 't';

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

export class VoicePanel {
  /**
   * @param {{voice: import('./tour-voice.js').TourVoice, role: string, strings: object,
   *          members: () => Array<{id: string, name: string, talking?: boolean}>,
   *          send: (frame: object) => boolean}} options
   */
  constructor({ voice, role, strings, members, send }) {
    this.voice = voice;
    this.role = role;
    this.strings = strings;
    this.members = members;
    this.send = send;
    this.openMic = false;
    this.spoken = '';
    this.bindTalk();
    $('voice-open-mic').addEventListener('click', () => this.toggleOpenMic());
    $('voice-listen').addEventListener('click', () => this.voice.setListening(!this.voice.listening));
    $('voice-mute').addEventListener('click', () => this.voice.setMuted(!this.voice.muted));
    $('voice-volume').addEventListener('input', (event) => this.voice.setVolume(Number(event.target.value)));
    $('voice-floor-back').addEventListener('click', () => this.giveFloor(null));
    // Any press on the card counts as the gesture audio needs.
    $('voice-card').addEventListener('pointerdown', () => this.voice.unlock());
    this.timer = window.setInterval(() => this.tick(), TICK_MS);
    this.render();
  }

  show() {
    $('voice-card').hidden = false;
  }

  /** The guide gives the floor to a follower (or takes it back with null). */
  giveFloor(member) {
    this.voice.unlock(); // a click: the guide will hear the follower
    this.send({ type: 'floor', member });
  }

  talk(on) {
    if (this.openMic && !on) return;
    this.voice.setTalking(on).catch(() => this.say(this.strings.micError));
  }

  bindTalk() {
    const button = $('voice-ptt');
    button.addEventListener('pointerdown', (event) => {
      button.setPointerCapture?.(event.pointerId);
      this.talk(true);
    });
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) {
      button.addEventListener(type, () => this.talk(false));
    }
    button.addEventListener('keydown', (event) => {
      if ((event.key === ' ' || event.key === 'Enter') && !event.repeat) {
        event.preventDefault();
        this.talk(true);
      }
    });
    button.addEventListener('keyup', (event) => {
      if (event.key === ' ' || event.key === 'Enter') this.talk(false);
    });
    button.addEventListener('contextmenu', (event) => event.preventDefault()); // long press on phones
    document.addEventListener('keydown', (event) => {
      if (event.key.toLowerCase() !== PTT_KEY || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
      if (typing(event.target) || $('voice-speak').hidden) return;
      event.preventDefault();
      this.talk(true);
    });
    document.addEventListener('keyup', (event) => {
      if (event.key.toLowerCase() === PTT_KEY) this.talk(false);
    });
    window.addEventListener('blur', () => this.talk(false));
  }

  toggleOpenMic() {
    this.openMic = !this.openMic;
    this.voice.setTalking(this.openMic).catch(() => {
      this.openMic = false;
      this.say(this.strings.micError);
    });
    this.render();
  }

  say(text) {
    $('voice-status').textContent = text;
  }

  /** Controls after a voice change (mode, speakers, floor, listening). */
  render() {
    const voice = this.voice;
    const s = this.strings;
    const off = voice.mode === 'off';
    if (!voice.isSpeaker) this.openMic = false;
    $('voice-speak').hidden = off || !voice.isSpeaker;
    $('voice-ptt').setAttribute('aria-pressed', String(voice.talking && !this.openMic));
    $('voice-open-mic').setAttribute('aria-pressed', String(this.openMic));
    $('voice-listen').setAttribute('aria-pressed', String(voice.listening));
    $('voice-mute').setAttribute('aria-pressed', String(voice.muted));
    $('voice-listen-controls').hidden = off;
    $('voice-card').dataset.mode = voice.mode;
    $('voice-card').dataset.speaker = String(voice.isSpeaker);
    const floorLine = $('voice-floor');
    floorLine.hidden = off || !voice.floor;
    if (voice.floor) {
      const name = voice.floor === voice.selfId ? s.you : this.nameOf(voice.floor);
      $('voice-floor-text').textContent = format(s.floorHeld, { name });
    }
    $('voice-floor-back').hidden = this.role !== 'guide';
    let status = '';
    if (off) status = voice.reason ? s.voiceUnavailable : s.voiceOff;
    else if (voice.isSpeaker && this.role !== 'guide') status = s.youHaveFloor;
    this.say(status);
  }

  nameOf(id) {
    return this.members().find((member) => member.id === id)?.name ?? this.strings.someone;
  }

  /** Level meter and who is speaking, a few times a second. */
  tick() {
    $('voice-level').value = this.voice.micLevel();
    const ids = this.voice.audibleIds();
    const members = this.members();
    for (const member of members) if (member.talking) ids.add(member.id);
    if (this.voice.talking) ids.add(this.voice.selfId);
    const names = [...ids].map((id) => (id === this.voice.selfId ? this.strings.you : members.find((m) => m.id === id)?.name))
      .filter(Boolean)
      .sort();
    const text = names.length ? format(this.strings.speaking, { names: names.join(', ') }) : this.strings.nobodySpeaking;
    const card = $('voice-card');
    card.dataset.speaking = [...ids].sort().join(' ');
    card.classList.toggle('is-speaking', names.length > 0);
    // The live region changes only when the speakers do, so a screen reader is not flooded.
    if (text !== this.spoken) {
      this.spoken = text;
      $('voice-speaking').textContent = text;
    }
  }

  stop() {
    window.clearInterval(this.timer);
    this.voice.stop();
    this.render();
  }
}
