/**
 * Controls around the 3D stages that need no three.js (loaded beside viewer.js and gallery.js):
 * full-screen buttons, and on the artifact page the stage fitted to the window with its toolbar
 * and the annotation sheet of narrow screens.
 */
import { setupAnnotationSheet } from '../lib/annotation-sheet.js';
import { setupFullscreenButtons } from '../lib/fullscreen.js';
import { fitStage } from '../lib/stage-fit.js';

setupFullscreenButtons();
const stage = document.getElementById('viewer-stage');
const detail = document.getElementById('annotation-detail');
const toolbar = document.querySelector('.viewer__toolbar');
if (stage && toolbar) fitStage({ stage, below: [toolbar] });
if (stage && detail) setupAnnotationSheet({ stage, detail });
