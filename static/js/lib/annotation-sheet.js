/**
 * On a narrow screen an annotation's text is shown over the model, as a sheet at the bottom of
 * the 3D stage, rather than below the toolbar and the list (a phone scrolled it ~700 px away).
 * The same element (#annotation-detail) moves between its place in the list's panel and the
 * stage as the width changes, so hotspots.js keeps filling it. Its close button clears the
 * choice; choosing from the list brings the stage into view.
 */

import { format } from './format.js';

const NARROW = '(max-width: 40rem)';

/**
 * @param {object} options
 * @param {HTMLElement} options.stage the 3D stage (#viewer-stage)
 * @param {HTMLElement} options.detail the annotation panel (#annotation-detail)
 * @returns {{narrow: () => boolean}}
 */
export function setupAnnotationSheet({ stage, detail }) {
  const home = document.createComment('annotation-detail');
  detail.before(home);
  const media = window.matchMedia(NARROW);
  const place = () => {
    if (media.matches && detail.parentElement !== stage) stage.append(detail);
    else if (!media.matches && detail.parentElement === stage) home.after(detail);
  };
  place();
  media.addEventListener('change', place);

  detail.querySelector('.annotation-detail__close')?.addEventListener('click', () => {
    detail.hidden = true;
    detail.querySelector('audio')?.pause();
    for (const button of document.querySelectorAll('.hotspot, .annotation-button')) {
      button.setAttribute('aria-pressed', 'false');
      button.classList.remove('is-active');
    }
    stage.focus({ preventScroll: true });
  });
  for (const button of document.querySelectorAll('.annotation-button')) {
    button.addEventListener('click', () => {
      if (media.matches) stage.scrollIntoView({ block: 'start', behavior: 'smooth' });
    });
  }
  return { narrow: () => media.matches };
}

/**
 * An annotation's medium in its sheet (both viewers): an image with its description as the
 * alternative text, or a sound with the browser's own controls, never played by itself, its
 * description shown below it as a transcript. `media` is the payload's {url, kind: 'image' |
 * 'audio', alt} or null. The place is the sheet's `.annotation-detail__media`; its
 * `data-str-audio` (translated by the template) names the player, "{title}" filled in.
 * @param {HTMLElement | null} detail the annotation panel (#annotation-detail)
 * @param {{url: string, kind: string, alt: string} | null | undefined} media
 * @param {string} title the annotation's title
 */
export function showAnnotationMedia(detail, media, title = '') {
  const box = detail?.querySelector('.annotation-detail__media');
  if (!box) return;
  box.querySelector('audio')?.pause();
  box.replaceChildren();
  box.hidden = !media?.url;
  if (!media?.url) return;
  if (media.kind === 'audio') {
    const audio = document.createElement('audio');
    audio.controls = true;
    audio.preload = 'metadata';
    audio.src = media.url;
    audio.setAttribute('aria-label', format(box.dataset.strAudio ?? '{title}', { title }));
    box.append(audio);
    if (media.alt) {
      const transcript = document.createElement('p');
      transcript.className = 'annotation-detail__transcript';
      transcript.textContent = media.alt;
      box.append(transcript);
    }
  } else {
    const image = document.createElement('img');
    image.src = media.url;
    image.alt = media.alt || title;
    image.decoding = 'async';
    box.append(image);
  }
}
