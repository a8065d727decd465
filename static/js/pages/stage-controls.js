/**
 * Controls around the 3D stages that need no three.js (loaded beside viewer.js and gallery.js):
 * full-screen buttons, the stage fitted to the window (the artifact page's with its toolbar, the
 * exhibition's gallery), and the annotation sheet of narrow screens.
 */
import { setupAnnotationSheet } from '../lib/annotation-sheet.js';
import { setupFullscreenButtons } from '../lib/fullscreen.js';
import { fitStage } from '../lib/stage-fit.js';

setupFullscreenButtons();
const stage = document.getElementById('viewer-stage');
const detail = document.getElementById('annotation-detail');
const toolbar = document.querySelector('.viewer__toolbar');
if (stage && toolbar) fitStage({ stage, below: [toolbar] });
// The exhibition's walkable gallery: its view whole on screen under the title (a laptop showed
// only its ceiling).
const galleryStage = document.getElementById('gallery-stage');
if (galleryStage) fitStage({ stage: galleryStage, below: [] });
if (stage && detail) setupAnnotationSheet({ stage, detail });
