/**
 * Full-screen buttons for the 3D stages (Fullscreen API): a button with
 * data-fullscreen-target="<id>" shows that element full screen and back (aria-pressed follows
 * the state, also when the visitor leaves with Escape). Hidden where the browser cannot
 * (iPhone Safari has no element full screen). The stages resize themselves (ResizeObserver).
 */

const api = {
  enabled: () => Boolean(document.fullscreenEnabled || document.webkitFullscreenEnabled),
  element: () => document.fullscreenElement ?? document.webkitFullscreenElement ?? null,
  request: (element) => (element.requestFullscreen ?? element.webkitRequestFullscreen).call(element),
  exit: () => (document.exitFullscreen ?? document.webkitExitFullscreen).call(document),
};

/** Wire every full-screen button under `root`; returns the buttons wired. */
export function setupFullscreenButtons(root = document) {
  const buttons = [...root.querySelectorAll('[data-fullscreen-target]')];
  if (!api.enabled()) return [];
  const sync = () => {
    const current = api.element();
    for (const button of buttons) {
      button.setAttribute('aria-pressed', String(current?.id === button.dataset.fullscreenTarget));
    }
  };
  for (const button of buttons) {
    const target = document.getElementById(button.dataset.fullscreenTarget);
    if (!target) continue;
    button.hidden = false;
    button.setAttribute('aria-pressed', 'false');
    button.addEventListener('click', async () => {
      try {
        if (api.element() === target) await api.exit();
        else await api.request(target);
      } catch (error) {
        console.warn('Mouseion: full screen refused', error);
      }
      sync(); // the change event may come a frame later
    });
  }
  document.addEventListener('fullscreenchange', sync);
  document.addEventListener('webkitfullscreenchange', sync);
  return buttons;
}
