/**
 * Controls around the 3D stages that need no three.js (loaded beside viewer.js and gallery.js):
 * full-screen buttons, and on the artifact page the annotation sheet of narrow screens.
 */
import { setupAnnotationSheet } from '../lib/annotation-sheet.js';
import { setupFullscreenButtons } from '../lib/fullscreen.js';

setupFullscreenButtons();
const stage = document.getElementById('viewer-stage');
const detail = document.getElementById('annotation-detail');
if (stage && detail) setupAnnotationSheet({ stage, detail });
