/**
 * Other visitors in the gallery: connects to the presence room of the room the visitor is in
 * (museum/realtime/PROTOCOL.md, static/js/presence.js), switches room when the visitor walks
 * into another one, and draws the others as simple avatars (body, head, name tag; colour by
 * role) from the client's interpolated samples, removing those who left.
 *
 * presence.js is imported dynamically: if it is missing or fails, the gallery still works alone.
 */
import * as THREE from 'three';
import { format } from './format.js';
import { makeNameTag } from './gallery-labels.js';

const ROLE_COLOURS = {
  visitor: 0x2a9d8f, follower: 0x2a9d8f, educator: 0xe76f51, guide: 0xe76f51, curator: 0x7b5ea7,
};
const BODY = new THREE.CapsuleGeometry(0.2, 0.8, 4, 12);
const HEAD = new THREE.SphereGeometry(0.14, 16, 12);
const NOSE = new THREE.ConeGeometry(0.05, 0.12, 8);
const euler = new THREE.Euler();
const quaternion = new THREE.Quaternion();

function makeAvatar(other) {
  const colour = ROLE_COLOURS[other.role] ?? ROLE_COLOURS.visitor;
  const material = new THREE.MeshLambertMaterial({ color: colour });
  const group = new THREE.Group();
  group.name = `avatar-${other.id}`;
  const body = new THREE.Mesh(BODY, material);
  const head = new THREE.Mesh(HEAD, material);
  const nose = new THREE.Mesh(NOSE, material);
  nose.rotation.x = -Math.PI / 2; // points along -z: where the visitor looks
  nose.position.z = -0.15;
  head.add(nose);
  const tag = makeNameTag(other.name || '?', colour);
  group.add(body, head, tag);
  return { group, body, head, tag, material, name: other.name, role: other.role };
}

export class GalleryPresence {
  /**
   * @param {object} options
   * @param {THREE.Scene} options.scene where avatars go
   * @param {object} options.config the scene config (rooms, strings)
   * @param {() => ({p: number[], q: number[]})} options.getPose
   * @param {HTMLElement|null} options.statusElement the status line
   * @param {() => void} options.requestRender
   */
  constructor({ scene, config, getPose, statusElement, requestRender }) {
    this.scene = scene;
    this.config = config;
    this.strings = config.strings || {};
    this.getPose = getPose;
    this.statusElement = statusElement;
    this.requestRender = requestRender;
    this.avatars = new Map();
    this.samples = [];
    this.client = null;
    this.roomKey = null;
    this.status = 'off';
    this.module = null;
    this.poll = window.setInterval(() => this.tick(), 250);
  }

  /** Connect to the presence room of `roomKey` (null: leave); no-op if it is the same. */
  async setRoom(roomKey) {
    if (roomKey === this.roomKey) return;
    // The room walked from rides on the new socket's URL: the server counts the room->room
    // step (visit analytics) without ever linking two sockets itself.
    const previous = this.config.rooms.find((r) => r.key === this.roomKey)?.presence_room;
    this.roomKey = roomKey;
    const room = this.config.rooms.find((r) => r.key === roomKey);
    this.client?.stop();
    this.client = null;
    this.samples = [];
    this.clearAvatars();
    if (!room?.presence_url) {
      this.setStatus('off');
      return;
    }
    try {
      this.module ??= await import('./presence.js');
    } catch (error) {
      console.warn('Mouseion gallery: presence unavailable', error);
      this.setStatus('off');
      return;
    }
    if (this.roomKey !== roomKey) return; // walked on while the module loaded
    const path = previous ? `${room.presence_url}?from=${previous}` : room.presence_url;
    const client = new this.module.PresenceClient({
      url: this.module.websocketURL ? this.module.websocketURL(path) : path,
      getPose: this.getPose,
      onEvent: (event) => this.onEvent(client, event),
    });
    this.client = client;
    client.start();
  }

  onEvent(client, event) {
    if (client !== this.client) return;
    // Once in, a reconnection is not another step from the previous room (visit analytics).
    if (event.type === 'welcome') client.url = client.url.split('?')[0];
    if (event.type === 'status') this.setStatus(event.status === 'open' ? 'connecting' : event.status);
    else if (event.type === 'welcome') this.setStatus(event.mode === 'listener' ? 'listener' : 'open');
    else if (event.type === 'join' || event.type === 'leave' || event.type === 'snapshot') this.tick();
  }

  /** Refresh the status line and keep frames coming while others are here. */
  tick() {
    if (!this.client) return;
    if (this.client.others?.size || this.avatars.size) this.requestRender();
    this.renderStatus();
  }

  setStatus(status) {
    this.status = status;
    this.renderStatus();
  }

  renderStatus() {
    if (!this.statusElement) return;
    const s = this.strings;
    const count = this.client?.others?.size ?? this.avatars.size;
    let text;
    if (this.status === 'off') text = s.presenceOff;
    else if (this.status === 'connecting') text = s.presenceConnecting;
    else if (this.status === 'closed') text = s.presenceClosed;
    else if (this.status === 'listener') text = s.presenceListener;
    else if (count === 0) text = s.presenceAlone;
    else text = count === 1 ? s.presenceOne : format(s.presenceOthers, { count });
    if (this.statusElement.textContent !== text) this.statusElement.textContent = text || '';
    this.statusElement.dataset.status = this.status;
    this.statusElement.dataset.others = String(count);
  }

  /** Move avatars to the interpolated poses; returns how many are shown. */
  update(now) {
    if (!this.client) return 0;
    const others = this.client.sample(now);
    this.samples = others; // the shared pointers (gallery-pointer.js) are drawn from the same
    const seen = new Set();
    for (const other of others) {
      if (!other.p || !other.q) continue;
      seen.add(other.id);
      let avatar = this.avatars.get(other.id);
      if (!avatar || avatar.name !== other.name || avatar.role !== other.role) {
        if (avatar) this.remove(other.id);
        avatar = makeAvatar(other);
        this.avatars.set(other.id, avatar);
        this.scene.add(avatar.group);
      }
      const [x, y, z] = other.p;
      quaternion.fromArray(other.q);
      euler.setFromQuaternion(quaternion, 'YXZ');
      avatar.group.position.set(x, 0, z);
      avatar.group.rotation.y = euler.y;
      avatar.head.position.y = y;
      avatar.head.rotation.x = euler.x;
      avatar.body.position.y = 0.65;
      avatar.tag.position.y = y + 0.32;
    }
    for (const id of [...this.avatars.keys()]) if (!seen.has(id)) this.remove(id);
    return this.avatars.size;
  }

  remove(id) {
    const avatar = this.avatars.get(id);
    if (!avatar) return;
    this.scene.remove(avatar.group);
    avatar.material.dispose();
    avatar.tag.material.map.dispose();
    avatar.tag.material.dispose();
    this.avatars.delete(id);
  }

  clearAvatars() {
    for (const id of [...this.avatars.keys()]) this.remove(id);
  }

  /** For the test hook: others drawn now. */
  list() {
    return [...this.avatars.entries()].map(([id, avatar]) => ({
      id,
      name: avatar.name,
      role: avatar.role,
      position: avatar.group.position.toArray().map((v, i) => (i === 1 ? avatar.head.position.y : v)),
    }));
  }

  state() {
    return { status: this.status, mode: this.client?.mode ?? null, selfId: this.client?.selfId ?? null, room: this.roomKey };
  }
}
