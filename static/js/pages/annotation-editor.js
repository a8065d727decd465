/**
 * The annotation form's 3D editor (admin): shows the chosen artifact's model as the artifact page
 * ends up showing it (lodPlan), with its other annotations as hotspots. With the Point tool a
 * click on the surface (or "Place at the centre of the view") sets position and normal; with the
 * Polyline and Polygon tools each click appends a point to the region (lib/region-drawing.js,
 * written to the `shape` field; its hotspot goes to position and normal). "Save this view"
 * stores the camera, as tours' "Save this view for the stop" does (TourStage.cameraState). The
 * typed fields stay the fallback: typing a position moves the marker.
 */
import * as THREE from 'three';
import { format } from '../lib/format.js';
import { Hotspots } from '../lib/hotspots.js';
import { lodPlan } from '../lib/lod-loader.js';
import { RegionDrawing } from '../lib/region-drawing.js';
import { TourStage } from '../lib/tour-stage.js';

const config = JSON.parse(document.getElementById('annotation-editor-config').textContent);
const strings = config.strings;
const $ = (id) => document.getElementById(id);
const root = $('annotation-editor');
const canvas = $('annotation-editor-canvas');
const fields = {
  artifact: $('id_artifact'),
  position: $('id_position'),
  normal: $('id_normal'),
  cameraPosition: $('id_camera_position'),
  cameraTarget: $('id_camera_target'),
  shape: $('id_shape'),
  annotationClass: $('id_annotation_class'),
};
const regionStrings = { ...root.dataset }; // data-* texts of the drawing tools (the template)
const CLICK_SLOP_PX = 5; // a press that moves further is a drag of the view, not a placement
const DECIMALS = 5; // 10 µm in model metres

function say(text) {
  $('annotation-editor-status').textContent = text;
}

/** The field's [x, y, z] when it holds three finite numbers, else null. */
function readVector(field) {
  try {
    const value = JSON.parse(field.value);
    return Array.isArray(value) && value.length === 3 && value.every(Number.isFinite) ? value : null;
  } catch {
    return null;
  }
}

function writeVector(field, vector) {
  field.value = JSON.stringify(vector.map((v) => Number(v.toFixed(DECIMALS)) || 0));
  field.dispatchEvent(new Event('input', { bubbles: true }));
}

const stage = new TourStage(canvas, { dracoDecoderPath: config.dracoDecoderPath, strings, onStatus: say });
stage.controls.listenToKeyEvents(canvas);
let hotspots = null;
const drawFrame = stage.frame.bind(stage);
stage.frame = () => {
  drawFrame();
  hotspots?.update(stage.camera, canvas.clientWidth, canvas.clientHeight);
};

/** The other annotations of the artifact as numbered hotspots; choosing one shows its view. */
function showOtherAnnotations(annotations) {
  const layer = $('annotation-editor-hotspots');
  layer.replaceChildren();
  const others = annotations.filter((a) => a.id !== config.annotationId && a.position);
  hotspots = new Hotspots({
    layer,
    listButtons: [],
    detail: null,
    annotations: others,
    labelTemplate: strings.hotspot,
    onActivate: (index) => {
      const { camera_position: position, camera_target: target } = others[index];
      if (position && target) {
        stage.tween.to(new THREE.Vector3(...position), new THREE.Vector3(...target), 600);
      }
    },
  });
}

function savedView() {
  const position = readVector(fields.cameraPosition);
  const target = readVector(fields.cameraTarget);
  return position && target ? { position, target } : null;
}

/** Listen to a select's changes, through jQuery where the admin's autocomplete (select2) runs. */
function onChange(field, listener) {
  if (!field) return;
  if (window.django?.jQuery) window.django.jQuery(field).on('change', listener);
  else field.addEventListener('change', listener);
}

let loading = 0;
async function loadArtifact(id) {
  const token = ++loading;
  root.dataset.state = 'loading';
  if (!id) {
    say(strings.chooseArtifact);
    root.dataset.state = 'idle';
    return;
  }
  let data;
  try {
    const response = await fetch(format(config.artifactApi, { id }), { credentials: 'same-origin' });
    if (!response.ok) throw new Error(String(response.status));
    data = await response.json();
  } catch {
    if (token === loading) { say(strings.loadError); root.dataset.state = 'error'; }
    return;
  }
  if (token !== loading) return;
  // The model the artifact page ends on (web LOD, else the single model), in the same metres.
  const steps = lodPlan({ lods: data.lods, modelUrl: data.model_url }, '').steps;
  const url = steps.length ? steps[steps.length - 1].url : null;
  const position = readVector(fields.position);
  await stage.show({
    model_url: url,
    camera: savedView(),
    annotation: position ? { position } : null,
  }, { glide: false });
  if (token !== loading) return;
  if (!stage.model) {
    root.dataset.state = url ? 'error' : 'no-model';
    return;
  }
  showOtherAnnotations(data.annotations || []);
  drawing.redraw();
  root.dataset.state = 'loaded';
  if (tool === 'point') say(strings.ready);
  else drawing.report();
}

const raycaster = new THREE.Raycaster();
const normalMatrix = new THREE.Matrix3();

/** The colour of the chosen class (the editor's config lists the vocabulary). */
function classColour() {
  const id = Number(fields.annotationClass?.value);
  return (config.classes || []).find((c) => c.id === id)?.colour ?? null;
}

const drawing = new RegionDrawing({
  stage,
  field: fields.shape,
  colour: classColour,
  strings: regionStrings,
  say,
  onAnchor: ({ position, normal }) => {
    writeVector(fields.position, position);
    if (normal?.some(Boolean)) writeVector(fields.normal, normal);
    stage.highlight({ position });
  },
});
let tool = drawing.hasShape ? drawing.type : 'point';

function chooseTool(name) {
  tool = name;
  for (const button of root.querySelectorAll('[data-tool]')) {
    button.setAttribute('aria-pressed', String(button.dataset.tool === name));
  }
  $('annotation-editor-region-buttons').hidden = name === 'point';
  $('annotation-editor-close').hidden = name !== 'polygon';
  if (name !== 'point') drawing.setType(name);
  else say(drawing.hasShape ? regionStrings.pointKeepsShape : strings.ready);
}

/** Place the annotation (or a region's next point) where the ray through `ndc` (normalised
 * device coords) meets the model. */
function placeAt(ndc) {
  if (!stage.model) return;
  raycaster.setFromCamera(ndc, stage.camera);
  const [hit] = raycaster.intersectObject(stage.model, true);
  if (!hit) {
    say(strings.missed);
    return;
  }
  let normal = null;
  if (hit.face) {
    normalMatrix.getNormalMatrix(hit.object.matrixWorld);
    normal = hit.face.normal.clone().applyMatrix3(normalMatrix).normalize();
    // Scans are often double-sided: the normal that counts faces the one who clicked.
    if (normal.dot(raycaster.ray.direction) > 0) normal.negate();
  }
  if (tool !== 'point') {
    drawing.add(hit.point.toArray(), normal?.toArray());
    return;
  }
  writeVector(fields.position, hit.point.toArray());
  if (normal) writeVector(fields.normal, normal.toArray());
  stage.highlight({ position: hit.point.toArray() });
  const [x, y, z] = readVector(fields.position);
  say(format(strings.placed, { x, y, z }));
}

let pressed = null;
canvas.addEventListener('pointerdown', (event) => {
  pressed = event.button === 0 ? { x: event.clientX, y: event.clientY } : null;
});
canvas.addEventListener('pointerup', (event) => {
  if (!pressed) return;
  const moved = Math.hypot(event.clientX - pressed.x, event.clientY - pressed.y);
  pressed = null;
  if (moved > CLICK_SLOP_PX) return;
  const rect = canvas.getBoundingClientRect();
  placeAt(new THREE.Vector2(
    ((event.clientX - rect.left) / rect.width) * 2 - 1,
    -((event.clientY - rect.top) / rect.height) * 2 + 1,
  ));
});
$('annotation-editor-centre').addEventListener('click', () => placeAt(new THREE.Vector2(0, 0)));
for (const button of root.querySelectorAll('[data-tool]')) {
  button.addEventListener('click', () => chooseTool(button.dataset.tool));
}
$('annotation-editor-undo').addEventListener('click', () => drawing.undo());
$('annotation-editor-clear').addEventListener('click', () => drawing.clear());
$('annotation-editor-close').addEventListener('click', () => drawing.close());
// The keyboard in the view: Enter adds the point at its centre, Backspace undoes the last one.
canvas.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') placeAt(new THREE.Vector2(0, 0));
  else if (event.key === 'Backspace' && tool !== 'point') drawing.undo();
  else return;
  event.preventDefault();
});
onChange(fields.annotationClass, () => drawing.redraw());
fields.shape?.addEventListener('change', () => {
  if (drawing.read()) chooseTool(drawing.type);
});

$('annotation-editor-save-view').addEventListener('click', () => {
  const view = stage.cameraState();
  writeVector(fields.cameraPosition, view.position);
  writeVector(fields.cameraTarget, view.target);
  say(strings.viewSaved);
});
$('annotation-editor-show-view').addEventListener('click', () => {
  const view = savedView();
  if (!view) {
    say(strings.noSavedView);
    return;
  }
  stage.tween.to(new THREE.Vector3(...view.position), new THREE.Vector3(...view.target), 600);
});

// The typed fallback: a valid typed position moves the marker.
fields.position.addEventListener('change', () => {
  const position = readVector(fields.position);
  if (position) stage.highlight({ position });
});

// The artifact field is a select2 autocomplete: its changes come through jQuery's events.
const onArtifact = () => loadArtifact(fields.artifact?.value);
onChange(fields.artifact, onArtifact);

// For the browser tests: the model's bounds in model metres; whether a client point is on the
// model; how far a point lies from the surface along a direction (both ways).
window.mouseionAnnotationEditor = {
  stage,
  drawing,
  bounds() {
    if (!stage.model) return null;
    const box = new THREE.Box3().setFromObject(stage.model);
    return { min: box.min.toArray(), max: box.max.toArray() };
  },
  hits(clientX, clientY) {
    const rect = canvas.getBoundingClientRect();
    raycaster.setFromCamera(new THREE.Vector2(
      ((clientX - rect.left) / rect.width) * 2 - 1,
      -((clientY - rect.top) / rect.height) * 2 + 1,
    ), stage.camera);
    return Boolean(stage.model && raycaster.intersectObject(stage.model, true).length);
  },
  surfaceDistance(point, direction) {
    const p = new THREE.Vector3().fromArray(point);
    const d = new THREE.Vector3().fromArray(direction).normalize();
    const probe = new THREE.Raycaster();
    let best = Infinity;
    for (const sign of [1, -1]) {
      probe.set(p.clone().addScaledVector(d, -sign * 0.05), d.clone().multiplyScalar(sign));
      const [hit] = probe.intersectObject(stage.model, true);
      if (hit) best = Math.min(best, Math.abs(hit.distance - 0.05));
    }
    return best;
  },
};
chooseTool(tool);
onArtifact();
