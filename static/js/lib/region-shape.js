/**
 * Region annotations on a 3D model (#23): a polyline or polygon of surface points in model
 * metres, `{type, points: [[x, y, z]...], normals?: [[x, y, z]...]}` (exhibits' Annotation.shape).
 * Drawn as a ribbon lying on the surface, lifted a little along the normals so that the surface
 * does not hide it, plus a faint thin line drawn over everything (so a region seen edge-on or
 * from behind still shows where it is); a polygon also gets a translucent fill, triangulated on
 * its best-fit plane (Newell's normal) with three's ShapeUtils. Used by the admin's editor, the
 * artifact viewer and the tour stage.
 */
import * as THREE from 'three';

export const MAX_POINTS = 2000;
const MIN_POINTS = { polyline: 2, polygon: 3 };

/** The shape when it is one the viewer can draw (the contract's format), else null. */
export function parseShape(shape) {
  if (!shape || !MIN_POINTS[shape.type] || !Array.isArray(shape.points)) return null;
  const isVector = (v) => Array.isArray(v) && v.length === 3 && v.every(Number.isFinite);
  const { points } = shape;
  if (points.length < MIN_POINTS[shape.type] || points.length > MAX_POINTS) return null;
  if (!points.every(isVector)) return null;
  const normals = Array.isArray(shape.normals) && shape.normals.length === points.length
    && shape.normals.every(isVector) ? shape.normals : null;
  return { type: shape.type, points, normals };
}

/** Newell's normal of a closed loop of Vector3s (length 0 when they are all on one line). */
export function newellNormal(points) {
  const normal = new THREE.Vector3();
  for (let i = 0; i < points.length; i += 1) {
    const a = points[i];
    const b = points[(i + 1) % points.length];
    normal.x += (a.y - b.y) * (a.z + b.z);
    normal.y += (a.z - b.z) * (a.x + b.x);
    normal.z += (a.x - b.x) * (a.y + b.y);
  }
  return normal;
}

/**
 * Triangles of a polygon (indices into `points`), made on its best-fit plane; null when it has
 * no area there (a degenerate or edge-on loop).
 */
export function triangulate(points) {
  const normal = newellNormal(points);
  const extent = new THREE.Box3().setFromPoints(points).getSize(new THREE.Vector3()).length();
  if (normal.length() <= 1e-9 * Math.max(extent * extent, 1e-12)) return null;
  normal.normalize();
  const u = new THREE.Vector3(1, 0, 0);
  if (Math.abs(normal.x) > 0.9) u.set(0, 1, 0);
  u.cross(normal).normalize();
  const v = new THREE.Vector3().crossVectors(normal, u);
  const contour = points.map((p) => new THREE.Vector2(p.dot(u), p.dot(v)));
  const faces = THREE.ShapeUtils.triangulateShape(contour, []);
  return faces.length ? faces.flat() : null;
}

/** The point of the shape nearest its centre, with its normal: where its hotspot goes. */
export function regionAnchor(shape) {
  const points = shape.points.map((p) => new THREE.Vector3().fromArray(p));
  const centre = points.reduce((sum, p) => sum.add(p), new THREE.Vector3()).divideScalar(points.length);
  let best = 0;
  points.forEach((p, i) => {
    if (p.distanceToSquared(centre) < points[best].distanceToSquared(centre)) best = i;
  });
  const normal = shape.normals ? shape.normals[best] : null;
  return { position: shape.points[best], normal };
}

/** Per-point normals: the stored ones, else the loop's plane normal (or +Y for a straight line). */
function normalsOf(shape, points) {
  if (shape.normals) return shape.normals.map((n) => new THREE.Vector3().fromArray(n).normalize());
  const plane = newellNormal(points);
  const normal = plane.lengthSq() > 0 ? plane.normalize() : new THREE.Vector3(0, 1, 0);
  return points.map(() => normal.clone());
}

function ribbonGeometry(points, normals, closed, width) {
  const count = points.length;
  const positions = [];
  const index = [];
  const side = new THREE.Vector3();
  const tangent = new THREE.Vector3();
  for (let i = 0; i < count; i += 1) {
    const previous = points[closed ? (i - 1 + count) % count : Math.max(i - 1, 0)];
    const next = points[closed ? (i + 1) % count : Math.min(i + 1, count - 1)];
    tangent.subVectors(next, previous);
    side.crossVectors(tangent, normals[i]);
    if (side.lengthSq() === 0) side.crossVectors(tangent, new THREE.Vector3(0, 1, 0));
    side.setLength(width / 2);
    positions.push(...points[i].clone().add(side).toArray(), ...points[i].clone().sub(side).toArray());
  }
  const segments = closed ? count : count - 1;
  for (let i = 0; i < segments; i += 1) {
    const a = 2 * i;
    const b = 2 * ((i + 1) % count);
    index.push(a, a + 1, b, b, a + 1, b + 1);
  }
  const geometry = new THREE.BufferGeometry();
  geometry.setAttribute('position', new THREE.Float32BufferAttribute(positions, 3));
  geometry.setIndex(index);
  return geometry;
}

/**
 * The three.js object of a region, in model metres (add it to the scene beside the model).
 * @param {object} shape a parsed shape (parseShape)
 * @param {object} options
 * @param {string} options.colour "#rrggbb"
 * @param {number} options.size the model's size (its bounding sphere's radius): sets the
 *   ribbon's width and its lift off the surface
 * @param {boolean} [options.fill] a translucent fill inside a polygon
 * @param {boolean} [options.closed] draw a polygon's closing edge (false while it is drawn)
 */
export function regionObject(shape, { colour, size, fill = true, closed = shape.type === 'polygon' }) {
  const group = new THREE.Group();
  group.name = 'region';
  const colourValue = new THREE.Color(colour);
  const points = shape.points.map((p) => new THREE.Vector3().fromArray(p));
  const normals = normalsOf(shape, points);
  const lift = size * 0.004;
  const lifted = points.map((p, i) => p.clone().addScaledVector(normals[i], lift));
  const isClosed = closed && points.length >= 3;
  if (points.length >= 2) {
    // 0.8 % of the model's size, but never so wide that it covers a small region.
    const extent = new THREE.Box3().setFromPoints(points).getSize(new THREE.Vector3()).length();
    const ribbon = new THREE.Mesh(
      ribbonGeometry(lifted, normals, isClosed, Math.min(size * 0.008, extent * 0.06)),
      new THREE.MeshBasicMaterial({ color: colourValue, side: THREE.DoubleSide, polygonOffset: true, polygonOffsetFactor: -2, polygonOffsetUnits: -4 }),
    );
    ribbon.renderOrder = 3;
    const seen = new THREE.BufferGeometry().setFromPoints(isClosed ? [...lifted, lifted[0]] : lifted);
    const through = new THREE.Line(seen, new THREE.LineBasicMaterial({ color: colourValue, transparent: true, opacity: 0.45, depthTest: false, depthWrite: false }));
    through.renderOrder = 5;
    group.add(ribbon, through);
  }
  if (fill && isClosed) {
    const triangles = triangulate(points);
    if (triangles) {
      const geometry = new THREE.BufferGeometry().setFromPoints(lifted);
      geometry.setIndex(triangles);
      const area = new THREE.Mesh(geometry, new THREE.MeshBasicMaterial({
        color: colourValue, transparent: true, opacity: 0.28, side: THREE.DoubleSide, depthWrite: false,
        polygonOffset: true, polygonOffsetFactor: -1, polygonOffsetUnits: -2,
      }));
      area.name = 'region-fill';
      area.renderOrder = 2;
      group.add(area);
    }
  }
  // The class colour as chosen: not tone-mapped like the lit model.
  group.traverse((child) => { if (child.material) child.material.toneMapped = false; });
  return group;
}

/** Free an object made by regionObject (or any group of meshes and lines). */
export function disposeRegion(object) {
  object.removeFromParent();
  object.traverse((child) => {
    child.geometry?.dispose();
    child.material?.dispose();
  });
}
