/**
 * The artifact viewer's stage fits the window with its toolbar (issue #22): on a laptop the model
 * and the whole toolbar are above the fold. Sets --stage-fit (px) on the stage: the window's
 * height less what the page puts above the stage and the toolbar below it. visit.css takes it as
 * the stage's max-height with a floor, so a short window scrolls rather than squeezing the model.
 */

/**
 * @param {object} options
 * @param {HTMLElement} options.stage the stage (#viewer-stage, #gallery-stage)
 * @param {HTMLElement[]} options.below what must show under it (the viewer's toolbar; none)
 */
export function fitStage({ stage, below }) {
  const fit = () => {
    if (document.fullscreenElement) return;
    const top = stage.getBoundingClientRect().top + window.scrollY;
    const under = below.reduce((sum, element) => sum + element.offsetHeight, 0);
    const room = Math.floor(window.innerHeight - top - under - 8); // 8 px: the viewer's shadow
    stage.style.setProperty('--stage-fit', `${room}px`);
  };
  fit();
  window.addEventListener('resize', fit);
  // The toolbar's labels change as the XR checks answer, and may wrap to another row.
  const observer = new ResizeObserver(fit);
  for (const element of below) observer.observe(element);
}
