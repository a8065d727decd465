/**
 * VR and AR buttons with translatable labels and a clear "not available" state.
 *
 * three's stock VRButton/ARButton print fixed English text ("VR NOT SUPPORTED"), so these
 * buttons ask navigator.xr.isSessionSupported themselves and hand the session to the renderer.
 */

const SESSION_OPTIONS = {
  'immersive-vr': { optionalFeatures: ['local-floor', 'bounded-floor', 'layers'] },
  'immersive-ar': { optionalFeatures: ['local-floor', 'dom-overlay'] },
};

/**
 * @param {object} options
 * @param {HTMLElement} options.container element holding buttons with data-xr-mode
 * @param {HTMLElement|null} options.note element that explains why a button is unavailable
 * @param {import('three').WebGLRenderer} options.renderer
 * @param {Record<string, string>} options.strings translated labels from the viewer config
 * @param {(mode: string) => void} options.onStart called before the session is handed over
 * @param {() => void} options.onEnd called when the session ends
 * @returns {Promise<Record<string, boolean>>} which modes are available
 */
export async function setupXRButtons({ container, note, renderer, strings, onStart, onEnd }) {
  const labels = {
    'immersive-vr': { enter: strings.vrEnter, exit: strings.vrExit, unavailable: strings.vrUnavailable },
    'immersive-ar': { enter: strings.arEnter, exit: strings.arExit, unavailable: strings.arUnavailable },
  };
  const buttons = [...container.querySelectorAll('[data-xr-mode]')];
  let current = null;

  const markUnavailable = (button) => {
    const mode = button.dataset.xrMode;
    button.textContent = labels[mode].unavailable;
    button.setAttribute('aria-disabled', 'true');
    button.dataset.xrState = 'unavailable';
  };

  const supported = async (mode) => {
    if (!('xr' in navigator) || !window.isSecureContext) return false;
    try {
      return await navigator.xr.isSessionSupported(mode);
    } catch {
      return false; // e.g. blocked by a permissions policy
    }
  };

  const results = {};
  await Promise.all(buttons.map(async (button) => {
    const mode = button.dataset.xrMode;
    button.textContent = strings.xrChecking;
    button.dataset.xrState = 'checking';
    results[mode] = await supported(mode);
    if (!results[mode]) {
      markUnavailable(button);
      return;
    }
    button.textContent = labels[mode].enter;
    button.removeAttribute('aria-disabled');
    button.dataset.xrState = 'available';
    button.addEventListener('click', async () => {
      if (current) {
        await current.end();
        return;
      }
      try {
        const options = { ...SESSION_OPTIONS[mode] };
        if (mode === 'immersive-ar') options.domOverlay = { root: document.body };
        const session = await navigator.xr.requestSession(mode, options);
        current = session;
        onStart(mode);
        // Visit analytics (js/pages/visit-beacon.js) counts the page's mode, nothing more.
        document.dispatchEvent(new CustomEvent('mouseion:xrmode', { detail: mode === 'immersive-ar' ? 'ar' : 'vr' }));
        renderer.xr.setReferenceSpaceType(mode === 'immersive-ar' ? 'local' : 'local-floor');
        await renderer.xr.setSession(session);
        button.textContent = labels[mode].exit;
        button.dataset.xrState = 'active';
        session.addEventListener('end', () => {
          current = null;
          button.textContent = labels[mode].enter;
          button.dataset.xrState = 'available';
          onEnd();
        }, { once: true });
      } catch (error) {
        current = null;
        if (note) note.textContent = strings.xrFailed;
        console.warn('WebXR session failed', error);
      }
    });
  }));

  // Unavailable buttons stay focusable (aria-disabled) so screen-reader users learn why.
  for (const button of buttons) {
    if (button.dataset.xrState === 'unavailable') {
      button.addEventListener('click', () => { if (note) note.textContent = strings.xrUnavailableHint; });
    }
  }
  if (note && buttons.every((b) => b.dataset.xrState === 'unavailable')) {
    note.textContent = strings.xrUnavailableHint;
  }
  container.dataset.xrReady = 'true';
  return results;
}
