/**
 * The guide's side panel: stops with "go", followers (who lags), the raised-hand queue and the
 * questions to answer or dismiss. It only renders and sends frames; the server enforces who may.
 */

const $ = (id) => document.getElementById(id);

function button(label, onClick, className = '') {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  if (className) element.className = className;
  element.addEventListener('click', onClick);
  return element;
}

export class GuidePanel {
  /**
   * @param {{config: object, strings: object, send: (frame: object) => boolean,
   *          sample: () => Array<object>, giveFloor?: (member: string) => void}} options
   *   giveFloor: "Give the floor" on a raised hand (live voice); absent, no such button.
   */
  constructor({ config, strings, send, sample, giveFloor = null }) {
    this.config = config;
    this.strings = strings;
    this.send = send;
    this.sample = sample;
    this.giveFloor = giveFloor;
    this.stop = 0;
    $('guide-prev').addEventListener('click', () => this.goto(this.stop - 1));
    $('guide-next').addEventListener('click', () => this.goto(this.stop + 1));
    $('guide-end').addEventListener('click', () => {
      if (window.confirm(this.strings.confirmEnd)) this.send({ type: 'end' });
    });
    this.renderStops();
    this.renderHands([]);
    this.renderQuestions([]);
    // Followers' stops arrive with every snapshot; twice a second is plenty for a list.
    window.setInterval(() => this.renderFollowers(), 500);
  }

  goto(index) {
    if (index < 0 || index >= this.config.stops.length) return;
    this.send({ type: 'goto', stop: index });
  }

  setStop(index) {
    this.stop = index;
    [...$('guide-stops').children].forEach((item, n) => item.toggleAttribute('aria-current', n === index));
    $('guide-prev').disabled = index <= 0;
    $('guide-next').disabled = index >= this.config.stops.length - 1;
  }

  renderStops() {
    $('guide-stops').replaceChildren(...this.config.stops.map((stop) => {
      const item = document.createElement('li');
      item.append(button(stop.title, () => this.goto(stop.index), 'secondary'));
      return item;
    }));
  }

  renderFollowers() {
    const followers = this.sample().filter((member) => member.role === 'follower');
    const list = $('guide-followers');
    if (!followers.length) {
      const empty = document.createElement('li');
      empty.textContent = this.strings.noFollowers;
      list.replaceChildren(empty);
      return;
    }
    list.replaceChildren(...followers.map((member) => {
      const item = document.createElement('li');
      const lagging = member.stop !== undefined && member.stop !== this.stop;
      const roaming = member.mode === 'roam';
      item.textContent = member.name;
      item.dataset.member = member.id;
      if (lagging || roaming) {
        item.classList.add('is-lagging');
        item.dataset.lagging = 'true';
        item.append(` — ${lagging ? this.strings.lagging : this.strings.roaming}`);
      }
      return item;
    }));
  }

  renderHands(queue) {
    const list = $('guide-hands');
    if (!queue.length) {
      const empty = document.createElement('li');
      empty.textContent = this.strings.noHands;
      list.replaceChildren(empty);
      return;
    }
    list.replaceChildren(...queue.map((hand) => {
      const item = document.createElement('li');
      item.append(`${hand.name} `, button(this.strings.lower, () => this.send({ type: 'lower_hand', member: hand.member }), 'secondary'));
      if (this.giveFloor) item.append(' ', button(this.strings.voice.giveFloor, () => this.giveFloor(hand.member)));
      return item;
    }));
  }

  renderQuestions(items) {
    const list = $('guide-questions');
    const open = items.filter((item) => item.status === 'open');
    if (!open.length) {
      const empty = document.createElement('li');
      empty.textContent = this.strings.noQuestions;
      list.replaceChildren(empty);
      return;
    }
    list.replaceChildren(...open.map((question) => {
      const item = document.createElement('li');
      const text = document.createElement('p');
      text.textContent = `${question.name}: ${question.text}`;
      const input = document.createElement('input');
      input.type = 'text';
      input.maxLength = 500;
      input.placeholder = this.strings.answerPlaceholder;
      input.setAttribute('aria-label', this.strings.answerPlaceholder);
      const answer = button(this.strings.answer, () => {
        if (input.value.trim()) this.send({ type: 'answer', question: question.id, text: input.value.trim() });
      });
      const dismiss = button(this.strings.dismiss, () => this.send({ type: 'dismiss', question: question.id }), 'secondary');
      item.append(text, input, answer, dismiss);
      return item;
    }));
  }
}
