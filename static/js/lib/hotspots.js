/**
 * Annotation hotspots: numbered buttons overlaid on the canvas at the projected 3D points,
 * kept in step with the ordered list beside the viewer and the detail panel.
 */
import * as THREE from 'three';
import { showAnnotationMedia } from './annotation-sheet.js';
import { format } from './format.js';

const projected = new THREE.Vector3();
const toCamera = new THREE.Vector3();

export class Hotspots {
  /**
   * @param {object} options
   * @param {HTMLElement} options.layer overlay element covering the canvas
   * @param {HTMLButtonElement[]} options.listButtons buttons of the annotation list, in order
   * @param {HTMLElement|null} options.detail panel showing the active annotation
   * @param {object[]} options.annotations annotations from the viewer config
   * @param {string} options.labelTemplate e.g. "Point of interest {number}: {title}"
   * @param {(index: number) => void} options.onActivate called when a hotspot is chosen
   */
  constructor({ layer, listButtons, detail, annotations, labelTemplate, onActivate }) {
    this.layer = layer;
    this.listButtons = listButtons;
    this.detail = detail;
    this.onActivate = onActivate;
    this.activeIndex = -1;
    this.items = annotations.map((annotation, index) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'hotspot';
      button.textContent = String(index + 1);
      button.setAttribute('aria-label', format(labelTemplate, { number: index + 1, title: annotation.title }));
      button.setAttribute('aria-pressed', 'false');
      button.dataset.annotationIndex = String(index);
      button.hidden = true;
      button.addEventListener('click', () => this.activate(index));
      layer.append(button);
      return {
        annotation,
        button,
        position: new THREE.Vector3().fromArray(annotation.position),
        normal: annotation.normal ? new THREE.Vector3().fromArray(annotation.normal).normalize() : null,
      };
    });
    listButtons.forEach((button) => {
      button.addEventListener('click', () => this.activate(Number(button.dataset.annotationIndex)));
    });
  }

  /** Show annotation `index` (or none with -1) and ask the viewer to move the camera. */
  activate(index) {
    this.setActive(index);
    if (index >= 0) this.onActivate(index);
  }

  /** Mark annotation `index` as the current one without moving the camera. */
  setActive(index) {
    this.activeIndex = index;
    const pressed = (i) => String(i === index);
    this.items.forEach((item, i) => {
      item.button.setAttribute('aria-pressed', pressed(i));
      item.button.classList.toggle('is-active', i === index);
    });
    this.listButtons.forEach((button) => {
      button.setAttribute('aria-pressed', pressed(Number(button.dataset.annotationIndex)));
    });
    if (!this.detail) return;
    const item = this.items[index];
    this.detail.hidden = !item;
    if (!item) this.detail.querySelector('audio')?.pause();
    if (item) {
      this.detail.querySelector('.annotation-detail__title').textContent = item.annotation.title;
      this.detail.querySelector('.annotation-detail__text').textContent = item.annotation.text;
      showAnnotationMedia(this.detail, item.annotation.media, item.annotation.title);
    }
  }

  /** Place the overlay buttons for the current camera; call after each render. */
  update(camera, width, height) {
    camera.updateMatrixWorld();
    for (const item of this.items) {
      projected.copy(item.position).project(camera);
      const visible = projected.z > -1 && projected.z < 1 && Math.abs(projected.x) <= 1 && Math.abs(projected.y) <= 1;
      item.button.hidden = !visible;
      if (!visible) continue;
      const x = ((projected.x + 1) / 2) * width;
      const y = ((1 - projected.y) / 2) * height;
      item.button.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px) translate(-50%, -50%)`;
      // Points facing away from the camera are dimmed: they are on the far side of the model.
      let facing = true;
      if (item.normal) {
        toCamera.copy(camera.position).sub(item.position);
        facing = toCamera.dot(item.normal) >= 0;
      }
      item.button.classList.toggle('is-behind', !facing);
    }
  }

  setVisible(visible) {
    this.layer.hidden = !visible;
  }
}
