/**
 * The "Layers" control (#23): one checkbox per annotation class present, with its colour and
 * how many regions it holds; unticking hides that class's regions. Framework-free DOM, the same
 * for the 3D viewer (region-layers.js) and the deep-zoom page; styles in css/layers.css.
 */

/**
 * @param {object} options
 * @param {HTMLElement} options.container emptied and filled (a fieldset.layers-panel)
 * @param {{key: string, name: string, colour: string, count: number}[]} options.layers
 * @param {string} options.legend the control's title ("Layers")
 * @param {(key: string, visible: boolean) => void} options.onToggle
 * @returns {{setVisible: (key: string, visible: boolean) => void, visible: (key: string) => boolean}}
 */
export function buildLayersControl({ container, layers, legend, onToggle }) {
  container.replaceChildren();
  container.classList.add('layers-panel');
  const title = document.createElement('legend');
  title.className = 'layers-panel__legend';
  title.textContent = legend;
  const list = document.createElement('ul');
  list.className = 'layers-panel__list';
  const boxes = new Map();
  for (const layer of layers) {
    const item = document.createElement('li');
    const label = document.createElement('label');
    label.className = 'layers-panel__item';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = true;
    box.dataset.layer = layer.key;
    box.addEventListener('change', () => onToggle(layer.key, box.checked));
    const swatch = document.createElement('span');
    swatch.className = 'layers-panel__swatch';
    swatch.setAttribute('aria-hidden', 'true');
    swatch.style.setProperty('--swatch', layer.colour);
    const name = document.createElement('span');
    name.className = 'layers-panel__name';
    name.textContent = layer.name;
    const count = document.createElement('span');
    count.className = 'layers-panel__count';
    count.textContent = `(${layer.count})`;
    label.append(box, swatch, name, ' ', count);
    item.append(label);
    list.append(item);
    boxes.set(layer.key, box);
  }
  container.append(title, list);
  container.hidden = layers.length === 0;
  return {
    setVisible(key, visible) {
      const box = boxes.get(key);
      if (!box || box.checked === visible) return;
      box.checked = visible;
      onToggle(key, visible);
    },
    visible: (key) => boxes.get(key)?.checked ?? false,
  };
}

/** The layers of some annotations: one per class present (in first-seen order), counted. */
export function layersOf(annotations, { unclassified, fallbackColour = '#ffb000' }) {
  const layers = new Map();
  for (const annotation of annotations) {
    const key = layerKey(annotation);
    const entry = layers.get(key);
    if (entry) {
      entry.count += 1;
      continue;
    }
    const cls = annotation.class;
    layers.set(key, {
      key,
      name: cls?.name || unclassified,
      colour: cls?.colour || fallbackColour,
      count: 1,
    });
  }
  return [...layers.values()];
}

/** The layer an annotation belongs to: its class id, or "none". */
export function layerKey(annotation) {
  return annotation.class?.id != null ? String(annotation.class.id) : 'none';
}
