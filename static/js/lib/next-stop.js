/**
 * The live "Next stop" line (issue #21): asks POST /api/visits/next-stop where to go from the
 * visitor's room, with the time left and what they have seen, and shows the answer with its
 * reason in a polite live region. Asked again when the visitor changes room or marks an object
 * seen, and every REFRESH_MS while the page is visible (rooms fill and empty).
 *
 *   const next = new NextStop({ element, url, strings, state: () => ({ room, minutesLeft, seen }) });
 *   next.refresh();
 */
import { format } from './format.js';
import { postTo } from './http.js';

const REFRESH_MS = 60_000;

export class NextStop {
  /**
   * @param {object} options
   * @param {HTMLElement} options.element where the line goes (role="status", aria-live="polite")
   * @param {string} options.url the API's URL
   * @param {Record<string, string>} options.strings nextStop ("{text} ({why})"), nextStopError
   * @param {() => ({room: string, minutesLeft: number, seen?: number[], interests?: string,
   *   exit?: string, groupSize?: number} | null)} options.state what to ask; null: nothing yet
   */
  constructor({ element, url, strings, state }) {
    this.element = element;
    this.url = url;
    this.strings = strings;
    this.state = state;
    this.asked = '';
    this.timer = null;
    this.pending = null;
  }

  /** Ask now (unless the same question is already being answered); keeps asking every minute. */
  async refresh({ force = false } = {}) {
    const state = this.state();
    if (!state?.room || !this.element) return null;
    const body = {
      room: state.room,
      minutes_left: Math.max(0, Math.round(state.minutesLeft * 10) / 10),
      seen: state.seen || [],
      interests: state.interests || '',
      exit: state.exit || '',
      group_size: state.groupSize || 1,
    };
    const key = JSON.stringify(body);
    if (!force && key === this.asked && this.pending) return this.pending;
    this.asked = key;
    this.schedule();
    this.pending = this.ask(body).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  async ask(body) {
    try {
      const response = await postTo(this.url, { json: body });
      const data = await response.json();
      if (!response.ok) throw new Error(data?.error?.message || String(response.status));
      this.show(data);
      return data;
    } catch {
      this.element.textContent = this.strings.nextStopError;
      this.element.dataset.state = 'error';
      return null;
    }
  }

  show(data) {
    const line = data.why ? format(this.strings.nextStop, { text: data.text, why: data.why }) : data.text;
    this.element.replaceChildren();
    if (data.stop) {
      const link = document.createElement('a');
      link.href = data.stop.artifact.url;
      link.textContent = line;
      this.element.append(link);
    } else {
      this.element.textContent = line;
    }
    this.element.hidden = false;
    this.element.dataset.state = data.stop ? 'stop' : 'leave';
    this.element.dataset.routing = data.routing;
    if (data.stop) this.element.dataset.artifactId = String(data.stop.artifact.id);
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (document.visibilityState === 'visible') this.refresh({ force: true });
      else this.schedule();
    }, REFRESH_MS);
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
  }
}
