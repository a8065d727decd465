/**
 * On a narrow screen an annotation's text is shown over the model, as a sheet at the bottom of
 * the 3D stage, rather than below the toolbar and the list (a phone scrolled it ~700 px away).
 * The same element (#annotation-detail) moves between its place in the list's panel and the
 * stage as the width changes, so hotspots.js keeps filling it. Its close button clears the
 * choice; choosing from the list brings the stage into view.
 */

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
