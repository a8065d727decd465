/**
 * AR Quick Look on iPhones and iPads, model-viewer's way: where WebXR AR is unavailable but the
 * browser opens `<a rel="ar">` links in Quick Look (Safari on iOS and iPadOS), the viewer offers
 * such a link. Its USDZ is made in the browser from the model on show (three's USDZExporter) the
 * first time the link is followed, as a Blob URL: no server work and no file kept anywhere.
 *
 * The link's first element child is an <img>, which is what makes Safari hand it to Quick Look.
 */
import { USDZExporter } from 'three/addons/exporters/USDZExporter.js';

const USDZ_TYPE = 'model/vnd.usdz+zip';

/** Whether this browser opens rel="ar" links in AR Quick Look. */
export function quickLookSupported() {
  const anchor = document.createElement('a');
  return Boolean(anchor.relList?.supports?.('ar'));
}

/**
 * The USDZ of `object` (the model, in metres: Quick Look shows it at real size on a surface).
 * @param {import('three').Object3D} object
 * @returns {Promise<Blob>}
 */
export async function exportUsdz(object) {
  const exporter = new USDZExporter();
  // quickLookCompatible: the material subset Quick Look renders; 2048 px keeps scans readable.
  const bytes = await exporter.parseAsync(object, { quickLookCompatible: true, maxTextureSize: 2048 });
  return new Blob([bytes], { type: USDZ_TYPE });
}

/** A file name for the download fallback (the title, made safe). */
function fileName(title) {
  const stem = (title || 'model').normalize('NFKD').replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${stem || 'model'}.usdz`;
}

/**
 * Offer Quick Look where WebXR AR is not available.
 * @param {object} options
 * @param {HTMLAnchorElement} options.link the hidden <a rel="ar"> of the toolbar
 * @param {HTMLElement|null} options.arButton the WebXR AR button, hidden when Quick Look replaces it
 * @param {Record<string, boolean>} options.xrModes which WebXR modes are available (xr-buttons.js)
 * @param {() => Promise<Blob>} options.makeUsdz exports the model on show
 * @param {string} options.title the artifact's title
 * @param {EventTarget} options.root emits mouseion:lod when the model changes
 * @returns {{offered: boolean, usdz: () => Promise<Blob>}|null} null when not offered
 */
export function setupQuickLook({ link, arButton, xrModes, makeUsdz, title, root }) {
  if (!link || xrModes['immersive-ar'] || !quickLookSupported()) {
    if (link) link.hidden = true;
    return null;
  }
  let url = null;
  let pending = null;
  const reset = () => {
    if (url) URL.revokeObjectURL(url);
    url = null;
    pending = null;
    link.setAttribute('href', '#');
    link.removeAttribute('download');
    delete link.dataset.usdzReady;
  };
  const usdz = () => {
    pending ??= makeUsdz();
    return pending;
  };
  link.addEventListener('click', async (event) => {
    if (link.dataset.usdzReady) return; // the Blob URL is set: Quick Look opens it
    event.preventDefault();
    if (link.getAttribute('aria-busy') === 'true') return;
    link.setAttribute('aria-busy', 'true');
    try {
      const blob = await usdz();
      url = URL.createObjectURL(blob);
      link.setAttribute('href', url);
      link.setAttribute('download', fileName(title));
      link.dataset.usdzReady = 'true';
      link.click();
    } catch (error) {
      console.warn('Mouseion viewer: USDZ export failed', error);
      reset();
    } finally {
      link.removeAttribute('aria-busy');
    }
  });
  // A finer level of detail replaces the model: the next visit exports that one.
  root.addEventListener('mouseion:lod', reset);
  link.hidden = false;
  if (arButton) arButton.hidden = true;
  return { offered: true, usdz };
}
