/**
 * window.mouseionGallery: the gallery's test and debugging hook (plain data and promises).
 *
 * Positions are world metres ([x, y, z], y up); `yaw` is the visitor's heading in three's
 * convention (0 looks towards -z, positive turns left).
 */
import * as THREE from 'three';
import { loadControllerModel } from './xr-controllers.js';

/** @param {object} gallery the Gallery of gallery.js */
export function galleryHook(gallery) {
  const roomOf = () => gallery.config.rooms.find((room) => room.key === gallery.roomKey) ?? null;
  return {
    ready: gallery.ready,
    loaded: gallery.loaded,
    get renderCount() { return gallery.renderCount; },
    get state() { return gallery.root.dataset.state; },
    getPose: () => {
      const pose = gallery.getPose();
      return { ...pose, yaw: gallery.walker.yaw, pitch: gallery.walker.pitch, room: gallery.roomKey };
    },
    /** Teleport to p ([x, z] or [x, y, z]); false where the visitor cannot stand. */
    setPose: ({ p, yaw = null, pitch = null }) => {
      const [x, z] = p.length === 3 ? [p[0], p[2]] : p;
      return gallery.walker.place(x, z, { yaw, pitch });
    },
    walkTo: (point) => gallery.walker.walkTo(point),
    approach: (artifactId) => gallery.approach(gallery.config.items.findIndex((i) => i.artifact_id === artifactId)),
    isMoving: () => Boolean(gallery.walker.glide) || gallery.walker.actions.size > 0,
    canStand: (x, z) => gallery.walker.canStand(x, z),
    plinths: () => gallery.plinths.map(({ item, group, block }) => ({
      artifactId: item.artifact_id,
      title: item.title,
      room: item.room,
      position: group.position.toArray(),
      top: block.geometry.parameters.height,
      lod: gallery.models?.shown.get(gallery.config.items.indexOf(item)) ?? null,
    })),
    /** Hung flat works: where, the picture's size in metres as drawn, and its image. */
    pictures: () => gallery.pictures.map(({ index, item, group, canvas, label, natural }) => {
      const { width, height } = canvas.geometry.parameters;
      const scale = canvas.getWorldScale(new THREE.Vector3());
      const image = canvas.material.map;
      return {
        artifactId: item.artifact_id,
        title: item.title,
        room: item.room,
        wall: item.wall,
        hang: item.hang,
        position: canvas.getWorldPosition(new THREE.Vector3()).toArray(),
        facing: [Math.sin(group.rotation.y), Math.cos(group.rotation.y)],
        size: [width * scale.x, height * scale.y],
        url: item.image,
        loaded: gallery.images?.shown.has(index) ?? false,
        texture: image ? {
          natural, // the web copy's pixels, before fitting the texture to the picture's size
          width: image.image.width,
          height: image.image.height,
          colorSpace: image.colorSpace,
          mipmaps: image.generateMipmaps,
        } : null,
        label: label.userData.text,
      };
    }),
    labels: () => gallery.plinths.map(({ label, item }) => ({
      artifactId: item.artifact_id,
      text: label.userData.text,
      legibility: label.userData.legibility,
      // Which way the label faces (its normal, world x and z): towards the room.
      facing: [Math.sin(label.rotation.y), Math.cos(label.rotation.y)],
      position: label.position.toArray(),
      room: item.room,
    })),
    rooms: () => gallery.config.rooms.map(({ key, bounds }) => ({ key, bounds })),
    /** The click-to-walk of the floor (gallery.js walkToFloor): ends facing an object, not a wall. */
    walkToFloor: (point) => gallery.walkToFloor(point),
    avatars: () => gallery.presence?.list() ?? [],
    /** Others' shared pointers drawn now: rays from their avatars (gallery-pointer.js). */
    pointers: () => gallery.pointer?.list() ?? [],
    /** Point at a world point (null: nowhere) as the mouse would; false unless Point is on. */
    pointAt: (p) => {
      if (!gallery.pointer?.pointing) return false;
      gallery.pointer.aim(p);
      return true;
    },
    roomId: () => roomOf()?.id ?? null,
    roomKey: () => gallery.roomKey,
    get presence() { return gallery.presence?.state() ?? { status: 'off', mode: null, selfId: null }; },
    /**
     * Controller models (gallery-xr.js): connect a pretend input source with these WebXR
     * profile ids and resolve with where its model came from once loaded.
     */
    loadControllerModel: (profiles, handedness = 'right') => loadControllerModel(gallery.controllerModels, profiles, handedness),
    /** A VR controller's trigger pressed and released, pointing from `origin` at `target`. */
    vrSelect: (origin, target) => gallery.xrSelect?.(origin, target) ?? null,
    /** Client (CSS pixel) coordinates of a world point, for tests that click on the view. */
    screenPoint: (point) => {
      const rect = gallery.canvas.getBoundingClientRect();
      const v = new THREE.Vector3().fromArray(point).project(gallery.camera);
      const visible = v.z < 1 && Math.abs(v.x) <= 1 && Math.abs(v.y) <= 1; // in front, on screen
      return { x: rect.left + ((v.x + 1) / 2) * rect.width, y: rect.top + ((1 - v.y) / 2) * rect.height, visible };
    },
  };
}
