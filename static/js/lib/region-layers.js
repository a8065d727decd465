/**
 * Region annotations in the artifact viewer (#23): each region (an annotation with a `shape`)
 * drawn on the model in its class colour (region-shape.js), its numbered hotspot ringed in that
 * colour, and a "Layers" control (layers-control.js, in #viewer-layers) with a checkbox per
 * class that shows or hides its regions and their hotspots. Point annotations are unchanged.
 */
import * as THREE from 'three';
import { buildLayersControl, layerKey, layersOf } from './layers-control.js';
import { disposeRegion, parseShape, regionAnchor, regionObject } from './region-shape.js';

const isVector = (v) => Array.isArray(v) && v.length === 3 && v.every(Number.isFinite);

/**
 * Give each region annotation a hotspot point (the shape's point nearest its centre) where it
 * has none; the viewer's hotspots and framing read `position` and `cameraPosition`.
 * @param {object[]} annotations the viewer config's, changed in place
 */
export function anchorRegions(annotations) {
  for (const annotation of annotations) {
    annotation.shape = parseShape(annotation.shape);
    if (!annotation.shape || isVector(annotation.position)) continue;
    const anchor = regionAnchor(annotation.shape);
    annotation.position = anchor.position;
    annotation.normal = annotation.normal ?? anchor.normal;
  }
  return annotations;
}

/** A view of an annotation with no saved one: its point seen along its normal. */
export function viewOf(annotation, radius) {
  const target = new THREE.Vector3().fromArray(annotation.position);
  const normal = isVector(annotation.normal) ? new THREE.Vector3().fromArray(annotation.normal) : new THREE.Vector3(0, 0.3, 1);
  const position = target.clone().addScaledVector(normal.normalize(), radius * 1.6);
  return { position, target };
}

/**
 * @param {object} viewer the ArtifactViewer (scene, config, hotspots, requestRender)
 * @param {number} radius the model's bounding sphere radius
 * @returns {{state: () => object, setVisible: (key: string, visible: boolean) => void}|null}
 */
export function setupRegionLayers(viewer, radius) {
  const annotations = viewer.config.annotations;
  const regions = annotations
    .map((annotation, index) => ({ annotation, index }))
    .filter(({ annotation }) => annotation.shape);
  const container = viewer.root.querySelector('#viewer-layers');
  if (!regions.length || !container) return null;
  const layers = layersOf(regions.map((r) => r.annotation), { unclassified: container.dataset.unclassified });
  const colours = new Map(layers.map((layer) => [layer.key, layer.colour]));
  const group = new THREE.Group();
  group.name = 'regions';
  viewer.scene.add(group);
  const drawn = regions.map(({ annotation, index }) => {
    const key = layerKey(annotation);
    const colour = colours.get(key);
    const object = regionObject(annotation.shape, { colour, size: radius });
    object.userData.annotationId = annotation.id;
    group.add(object);
    const button = viewer.hotspots?.items[index]?.button;
    button?.classList.add('hotspot--region');
    button?.style.setProperty('--region-colour', colour);
    const listed = document.querySelector(`.annotation-button[data-annotation-index="${index}"]`);
    if (listed && !listed.querySelector('.annotation-button__class')) {
      const chip = document.createElement('span');
      chip.className = 'annotation-button__class';
      chip.setAttribute('aria-hidden', 'true');
      chip.style.setProperty('--region-colour', colour);
      listed.querySelector('.annotation-button__title')?.prepend(chip);
    }
    return { key, object, button, annotation };
  });
  const control = buildLayersControl({
    container,
    layers,
    legend: container.dataset.legend,
    onToggle: (key, visible) => {
      for (const region of drawn) {
        if (region.key !== key) continue;
        region.object.visible = visible;
        region.button?.toggleAttribute('data-layer-hidden', !visible);
      }
      viewer.requestRender();
    },
  });
  viewer.requestRender();
  return {
    setVisible: control.setVisible,
    state: () => ({
      layers: layers.map((layer) => ({ ...layer, visible: control.visible(layer.key) })),
      regions: drawn.map((region) => ({
        id: region.annotation.id,
        layer: region.key,
        type: region.annotation.shape.type,
        visible: region.object.visible,
        filled: Boolean(region.object.getObjectByName('region-fill')),
      })),
    }),
    dispose: () => disposeRegion(group),
  };
}
