/**
 * The guided-tour page: guide, follower or replay (data-role on #tour), over ws/tours/<code>/
 * (museum/realtime/PROTOCOL.md). The server decides who guides; this page only shows it.
 */
import { format } from '../lib/format.js';
import { postTo } from '../lib/http.js';
import { PresenceClient, websocketURL } from '../lib/presence.js';
import { GuidePanel } from '../lib/tour-guide.js';
import { TourPicture } from '../lib/tour-picture.js';
import { TourPointer } from '../lib/tour-pointer.js';
import { TourStage } from '../lib/tour-stage.js';
import { TourVoice } from '../lib/tour-voice.js';
import { VoicePanel } from '../lib/tour-voice-panel.js';
import { LiveCaptions } from '../lib/tour-captions.js';

const config = JSON.parse(document.getElementById('tour-config').textContent);
const strings = config.strings;
const root = document.getElementById('tour');
const role = root.dataset.role;
const $ = (id) => document.getElementById(id);

const stage = new TourStage($('tour-canvas'), {
  dracoDecoderPath: config.dracoDecoderPath,
  strings,
  onStatus: (text) => { $('tour-stage-status').textContent = text; },
});
const picture = new TourPicture($('tour-picture'));
// The guide's pointer: drawn where this page shows the guide's stop (tour-pointer.js).
const pointer = role === 'replay' ? null : new TourPointer({
  stage,
  container: $('tour-stage'),
  client: () => client,
  stop: () => (view.viewing === view.guideStop ? view.stop : null),
  button: role === 'guide' ? $('guide-point') : null,
});

/** A stop on the stage: a flat work's picture at its region, or the object in 3D. */
function showOnStage(stop, options) {
  picture.show(stop, options);
  stage.show(stop, options);
}

const view = {
  guideStop: config.state.stop_index,
  viewing: config.state.stop_index,
  following: true,
  status: config.status,
  hands: [],
  questions: [],
  stop: config.state.stop,
};

/** Narration, title, audio and link of `stop`; plays its clip if asked. */
function showStopText(stop, { playAudio = false } = {}) {
  if (!stop) return;
  $('tour-stop-label').textContent = format(strings.stopOf, {
    number: stop.index + 1,
    count: config.stops.length,
  });
  $('tour-stop-title').textContent = stop.artifact_title;
  $('tour-narration').textContent = stop.narration || '';
  const note = $('tour-annotation');
  note.hidden = !stop.annotation;
  if (stop.annotation) {
    $('tour-annotation-title').textContent = stop.annotation.title;
    $('tour-annotation-body').textContent = stop.annotation.body;
  }
  $('tour-artifact-link').href = stop.artifact_url;
  const audio = $('tour-audio');
  if (stop.audio_url) {
    audio.hidden = false;
    if (audio.dataset.src !== stop.audio_url) {
      audio.dataset.src = stop.audio_url;
      audio.src = stop.audio_url;
    }
    if (playAudio) audio.play().catch(() => {}); // blocked without a gesture: controls remain
  } else {
    audio.hidden = true;
    audio.pause();
  }
}

function setConnection(text) {
  $('tour-connection-text').textContent = text;
}

// --- replay -----------------------------------------------------------------------------
function startReplay() {
  const steps = (config.replay || []).filter((entry) => entry.stop);
  const list = $('replay-list');
  let index = 0;
  let timer = null;
  const show = (i, glide = true) => {
    index = Math.max(0, Math.min(steps.length - 1, i));
    const step = steps[index];
    if (!step) return;
    [...list.children].forEach((item, n) => item.toggleAttribute('aria-current', n === index));
    showStopText(step.stop, { playAudio: glide });
    showOnStage(step.stop, { glide });
    root.dataset.replayIndex = String(index);
  };
  steps.forEach((step, i) => {
    const item = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary';
    button.textContent = `${step.stop.artifact_title} (${Math.round(step.seconds)} s)`;
    button.addEventListener('click', () => show(i));
    item.append(button);
    list.append(item);
  });
  const play = () => {
    window.clearTimeout(timer);
    if (index >= steps.length - 1) return;
    // Keep the original rhythm, but no pause longer than 20 s or shorter than 4 s.
    const gap = steps[index + 1].seconds - steps[index].seconds;
    timer = window.setTimeout(() => { show(index + 1); play(); }, Math.min(20, Math.max(4, gap)) * 1000);
  };
  $('replay-play').addEventListener('click', () => { show(index); play(); });
  $('replay-prev').addEventListener('click', () => show(index - 1));
  $('replay-next').addEventListener('click', () => show(index + 1));
  setConnection(strings.ended);
  show(0, false);
}

// --- authoring on the page: the guide saves the current camera as the stop's view ----------
async function saveView() {
  const response = await postTo(`/tours/${config.code}/stops/${view.guideStop}/view`, {
    json: stage.cameraState(),
  });
  const body = await response.json();
  $('guide-save-status').textContent = response.ok ? strings.viewSaved : body.error.message;
}

// --- live -------------------------------------------------------------------------------
let client = null;
let guide = null;
// Live voice (tour-voice.js): frames go through the tour socket; the card shows its controls.
const voice = new TourVoice({ send: (frame) => client?.send(frame) ?? false, onChange: () => voicePanel?.render() });
const voicePanel = role === 'replay' ? null : new VoicePanel({
  voice,
  role,
  strings: strings.voice,
  send: (frame) => client?.send(frame) ?? false,
  members: () => [...(client?.others ?? new Map())].map(([id, other]) => ({ id, name: other.name, talking: other.talking })),
});

const captions = role === 'replay' ? null : new LiveCaptions({
  send: (frame) => client?.send(frame) ?? false,
  strings: strings.captions,
  nameOf: (id) => client?.others?.get(id)?.name ?? '',
  selfId: () => voice.selfId,
});

function sendProgress() {
  if (role !== 'follower' || !client) return;
  client.send({ type: 'progress', stop: view.viewing, mode: view.following ? 'follow' : 'roam' });
}

function goToGuide(glide = true) {
  view.viewing = view.guideStop;
  $('follower-banner').hidden = true;
  if (view.stop) showOnStage(view.stop, { glide });
  sendProgress();
}

function onTour(frame) {
  const changed = frame.stop_index !== view.guideStop;
  if (changed) pointer?.reset(); // the server clears a pointer on a new stop
  view.guideStop = frame.stop_index;
  view.stop = frame.stop;
  view.status = frame.status;
  root.dataset.stopIndex = String(frame.stop_index);
  if (frame.status !== 'live') {
    endTour();
    return;
  }
  showStopText(frame.stop, { playAudio: changed && role === 'follower' });
  if (role === 'guide') {
    view.viewing = frame.stop_index;
    showOnStage(frame.stop);
    guide.setStop(frame.stop_index);
  } else if (view.following) {
    goToGuide(true);
  } else if (changed) {
    const banner = $('follower-banner');
    banner.textContent = format(strings.guideMoved, { number: frame.stop_index + 1 });
    banner.hidden = false;
  }
}

/**
 * The guide ended the tour: say so (not as a lost connection), stop reconnecting and disable
 * every live control; the page's replay link takes over.
 */
function endTour() {
  if (root.dataset.state === 'ended') return;
  root.dataset.state = 'ended';
  client?.stop(); // its 'closed' status is ignored from now on (onEvent)
  voicePanel?.stop();
  captions?.stop();
  $('tour-connection').hidden = true;
  $('tour-ended').hidden = false;
  $('tour-join-line').hidden = true; // nobody can join any more
  for (const control of document.querySelectorAll('.tour-panel button, .tour-panel input, .tour-panel textarea')) {
    if (!control.closest('#tour-ended')) control.disabled = true;
  }
  $('tour-audio').pause();
}

function renderFollowerQuestions() {
  const list = $('follower-questions');
  list.replaceChildren(...view.questions.map((item) => {
    const entry = document.createElement('li');
    entry.textContent = item.answer ? `${item.text} — ${item.answer}` : item.text;
    return entry;
  }));
}

function onEvent(event) {
  switch (event.type) {
    case 'status':
      if (root.dataset.state === 'ended') break;
      setConnection(event.status === 'open' ? strings.connected
        : event.status === 'connecting' ? strings.connecting : strings.reconnecting);
      root.dataset.connection = event.status;
      break;
    case 'welcome':
      root.dataset.memberId = event.id;
      voice.setSelf(event.id);
      pointer?.reset();
      if (pointer) pointer.selfName = event.name;
      sendProgress();
      break;
    case 'tour':
      onTour(event);
      break;
    case 'hands':
      view.hands = event.queue;
      if (guide) guide.renderHands(view.hands);
      else {
        const raised = view.hands.some((hand) => hand.member === client.selfId);
        $('follower-hand').setAttribute('aria-pressed', String(raised));
      }
      break;
    case 'questions':
      view.questions = event.items;
      if (guide) guide.renderQuestions(view.questions);
      else renderFollowerQuestions();
      break;
    case 'question': {
      // A delta: the one question that was asked, answered or dismissed.
      const index = view.questions.findIndex((item) => item.id === event.item.id);
      if (index >= 0) view.questions[index] = event.item;
      else view.questions.push(event.item);
      if (guide) guide.renderQuestions(view.questions);
      else renderFollowerQuestions();
      break;
    }
    case 'caption':
      captions?.handle(event);
      break;
    case 'voice':
    case 'rtc':
    case 'voice_peer':
      voice.handle(event);
      break;
    case 'error':
      setConnection(strings.errorPrefix + (strings.errors?.[event.code] ?? event.message));
      break;
    default:
      break;
  }
}

function connect() {
  client = new PresenceClient({
    url: websocketURL(config.socketPath),
    getPose: () => stage.pose(),
    onEvent,
  });
  client.start();
  root.dataset.state = 'live';
}

function setUpFollower() {
  $('follower-join-button').addEventListener('click', () => {
    $('follower-join').hidden = true;
    $('follower-controls').hidden = false;
    $('follower-ask-card').hidden = false;
    voicePanel.show();
    connect();
  });
  $('follower-follow').addEventListener('change', (event) => {
    view.following = event.target.checked;
    if (view.following) goToGuide(true);
    else sendProgress();
  });
  $('follower-return').addEventListener('click', () => {
    view.following = true;
    $('follower-follow').checked = true;
    goToGuide(true);
  });
  $('follower-hand').addEventListener('click', (event) => {
    const raised = event.currentTarget.getAttribute('aria-pressed') !== 'true';
    client?.send({ type: 'hand', raised });
  });
  $('follower-ask').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('follower-question');
    if (input.value.trim() && client?.send({ type: 'ask', text: input.value.trim() })) input.value = '';
  });
}

if (role === 'replay') {
  startReplay();
} else {
  showStopText(config.state.stop);
  if (config.state.stop) showOnStage(config.state.stop, { glide: false });
  if (role === 'guide') {
    guide = new GuidePanel({
      config,
      strings,
      send: (frame) => client?.send(frame),
      sample: () => client?.sample() ?? [],
      giveFloor: (member) => voicePanel.giveFloor(member),
    });
    voice.listening = true; // the guide hears whoever has the floor (audio starts on a first press)
    guide.setStop(view.guideStop);
    $('guide-save-view').addEventListener('click', saveView);
    connect();
  } else {
    setUpFollower();
  }
}

// Test and debugging hook (plain data).
window.mouseionTour = {
  role,
  get state() {
    return { ...view, connection: client?.status ?? null, memberId: client?.selfId ?? null };
  },
  getCameraPosition: () => stage.cameraState().position,
  getCameraTarget: () => stage.cameraState().target,
  isMoving: () => stage.isMoving(),
  get renderCount() { return stage.renderCount; },
  picture: () => picture.state(),
  others: () => client?.sample() ?? [],
  pointer: () => pointer?.state() ?? null,
  /** True once the current stop's object is loaded on the stage. */
  modelShown: () => stage.showing(view.stop),
  voice,
};
