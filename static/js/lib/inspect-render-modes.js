/**
 * Render modes of the inspection tools (3DHOP / ATON style): the model's own materials
 * ("standard"), unlit colour, normals, curvature, and specular enhancement (colour removed, a
 * glossy grey surface, so that tool marks and relief catch the light).
 *
 * Curvature is screen-space (Evan Wallace's approximation): the change of the normal between
 * neighbouring pixels, divided by depth; convex shows light, concave dark. Cheap, needs no
 * mesh processing, and follows whatever level of detail is loaded.
 *
 * Every material the model wears, its own or a mode's, shares one clipping-plane list (the
 * section plane) and, while a section is shown, draws both faces so the inside is visible.
 */
import * as THREE from 'three';

export const RENDER_MODES = ['standard', 'unlit', 'normals', 'curvature', 'specular'];

const CURVATURE_VERTEX = /* glsl */ `
#include <common>
#include <clipping_planes_pars_vertex>
varying vec3 vViewNormal;
varying vec3 vViewPosition;
void main() {
  vec4 mvPosition = modelViewMatrix * vec4(position, 1.0);
  vViewPosition = -mvPosition.xyz;
  vViewNormal = normalize(normalMatrix * normal);
  gl_Position = projectionMatrix * mvPosition;
  #include <clipping_planes_vertex>
}`;

const CURVATURE_FRAGMENT = /* glsl */ `
#include <common>
#include <clipping_planes_pars_fragment>
uniform float strength;
varying vec3 vViewNormal;
varying vec3 vViewPosition;
void main() {
  #include <clipping_planes_fragment>
  vec3 n = normalize(vViewNormal) * (gl_FrontFacing ? 1.0 : -1.0);
  vec3 dx = dFdx(n);
  vec3 dy = dFdy(n);
  float curvature = (cross(n - dx, n + dx).y - cross(n - dy, n + dy).x) * strength / length(vViewPosition);
  float shade = clamp(0.55 + curvature, 0.0, 1.0);
  vec3 concave = vec3(0.16, 0.2, 0.34);
  vec3 convex = vec3(0.98, 0.95, 0.86);
  gl_FragColor = vec4(mix(concave, convex, shade), 1.0);
}`;

function each(model, visit) {
  model?.traverse((object) => {
    if (object.isMesh) visit(object);
  });
}

export class RenderModes {
  /**
   * @param {object} options
   * @param {Array<THREE.Plane>} options.clippingPlanes the shared list (empty: no section)
   * @param {number} options.radius the model's bounding radius (curvature strength)
   */
  constructor({ clippingPlanes, radius }) {
    this.mode = 'standard';
    this.clippingPlanes = clippingPlanes;
    this.doubleSided = false;
    this.originals = new WeakMap(); // mesh -> its own material(s)
    this.made = new Map(); // own material -> the current mode's stand-in
    this.curvature = new THREE.ShaderMaterial({
      vertexShader: CURVATURE_VERTEX,
      fragmentShader: CURVATURE_FRAGMENT,
      uniforms: { strength: { value: 4 * Math.max(radius, 0.01) } },
      clipping: true,
    });
    this.curvature.name = 'inspect-curvature';
    this.shared = new Set([this.curvature]);
  }

  /** The mode's stand-in for one of the model's own materials. */
  standIn(original) {
    if (this.mode === 'standard') return original;
    if (this.mode === 'curvature') return this.curvature;
    let made = this.made.get(original);
    if (made) return made;
    const common = { side: original.side, alphaTest: original.alphaTest, transparent: original.transparent, opacity: original.opacity };
    if (this.mode === 'unlit') {
      made = new THREE.MeshBasicMaterial({ ...common, map: original.map ?? null, color: original.color ?? 0xffffff, vertexColors: original.vertexColors });
    } else if (this.mode === 'normals') {
      made = new THREE.MeshNormalMaterial({ ...common, normalMap: original.normalMap ?? null, normalScale: original.normalScale });
    } else {
      // Specular enhancement: albedo dropped for a neutral glossy grey, relief kept.
      made = new THREE.MeshStandardMaterial({
        ...common, color: 0xa9a9a9, roughness: 0.16, metalness: 0.05,
        normalMap: original.normalMap ?? null, normalScale: original.normalScale,
      });
    }
    made.name = `inspect-${this.mode}`;
    this.made.set(original, made);
    return made;
  }

  /** Dress `model` (the current level of detail) for the current mode, section included. */
  apply(model) {
    each(model, (mesh) => {
      if (!this.originals.has(mesh)) this.originals.set(mesh, mesh.material);
      const own = this.originals.get(mesh);
      mesh.material = Array.isArray(own) ? own.map((m) => this.standIn(m)) : this.standIn(own);
      for (const material of [].concat(mesh.material, own)) this.dress(material);
    });
  }

  dress(material) {
    material.clippingPlanes = this.clippingPlanes;
    if (material.userData.inspectSide === undefined) material.userData.inspectSide = material.side;
    const side = this.doubleSided ? THREE.DoubleSide : material.userData.inspectSide;
    if (material.side !== side) {
      material.side = side;
      material.needsUpdate = true;
    }
  }

  /** Switch mode; the previous mode's materials are freed. */
  setMode(mode, model) {
    if (!RENDER_MODES.includes(mode)) return;
    this.mode = mode;
    for (const made of this.made.values()) made.dispose();
    this.made.clear();
    this.apply(model);
  }

  /** Show both faces of every material (while the section plane opens the model). */
  setDoubleSided(doubleSided, model) {
    this.doubleSided = doubleSided;
    this.apply(model);
  }

  /** Give a model swapped out its own materials back, so that disposing it frees them. */
  release(model) {
    each(model, (mesh) => {
      const own = this.originals.get(mesh);
      if (own) mesh.material = own;
    });
  }

  /** Run `action` with the model in its own materials (e.g. to export it), then restore. */
  async withOwnMaterials(model, action) {
    const mode = this.mode;
    if (mode === 'standard') return action();
    this.mode = 'standard';
    this.apply(model);
    try {
      return await action();
    } finally {
      this.mode = mode;
      this.apply(model);
    }
  }
}
