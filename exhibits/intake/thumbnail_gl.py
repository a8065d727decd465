"""Textured, lit thumbnails rendered headless on the CPU: OpenGL 3.3 through moderngl on Mesa's
EGL (llvmpipe where there is no GPU), no display needed. Framework-free.

The model is drawn as the viewer shows it: base colour texture (or colour factor, or vertex
colours), lit by a soft sky light and two directional lights, tone-mapped, from the default
view (`viewpoints.default_view`: a raised three-quarter view of a Y-up model). When no GL
context can be made (no libEGL, no moderngl) or the file cannot be drawn this way,
`render_preview` falls back to the clay renderer (`thumbnail.render_thumbnail`) and logs why.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import DRACO, GltfDocument
from exhibits.intake.gltf import _world_matrices, load_glb
from exhibits.intake.thumbnail import BACKGROUND, render_thumbnail
from exhibits.intake.viewpoints import VIEWER_FOV_DEG, default_view
from museum.common import images

logger = logging.getLogger(__name__)

SUPERSAMPLING = 2  # drawn at twice the size and reduced: smooth edges without MSAA
MAX_TEXTURE_SIDE = 1024  # plenty for a 512 px preview; keeps decoding and upload cheap
METER_TARGET = 0.36  # the viewer's metering (static/js/lib/scene-lighting.js)
EXPOSURE_RANGE = (0.4, 3.2)

VERTEX_SHADER = """
#version 330
uniform mat4 view_projection;
in vec3 in_position;
in vec3 in_normal;
in vec2 in_uv;
in vec4 in_colour;
out vec3 normal;
out vec2 uv;
out vec4 colour;
out vec3 world;
void main() {
    world = in_position;
    normal = in_normal;
    uv = in_uv;
    colour = in_colour;
    gl_Position = view_projection * vec4(in_position, 1.0);
}
"""

# Linear lighting, then the same neutral tone curve as the viewer (Khronos PBR Neutral).
FRAGMENT_SHADER = """
#version 330
uniform sampler2D base_texture;
uniform bool textured;
uniform vec4 base_factor;
uniform float metallic;
uniform float roughness;
uniform vec3 eye;
uniform float exposure;
uniform bool metering;
in vec3 normal;
in vec2 uv;
in vec4 colour;
in vec3 world;
out vec4 fragment;

vec3 to_linear(vec3 c) { return pow(c, vec3(2.2)); }

vec3 neutral(vec3 c) {
    const float start = 0.8 - 0.04;
    const float desaturation = 0.15;
    float x = min(c.r, min(c.g, c.b));
    float offset = x < 0.08 ? x - 6.25 * x * x : 0.04;
    c -= offset;
    float peak = max(c.r, max(c.g, c.b));
    if (peak < start) return c;
    float d = 1.0 - start;
    float new_peak = 1.0 - d * d / (peak + d - start);
    c *= new_peak / peak;
    float g = 1.0 - 1.0 / (desaturation * (peak - new_peak) + 1.0);
    return mix(c, vec3(new_peak), g);
}

void main() {
    vec4 albedo = base_factor * colour;
    if (textured) {
        vec4 texel = texture(base_texture, uv);
        albedo *= vec4(to_linear(texel.rgb), texel.a);
    }
    vec3 n = normalize(normal);
    vec3 to_eye = normalize(eye - world);
    if (dot(n, to_eye) < 0.0) n = -n;  // scans are not always consistently wound
    float sky = 0.5 + 0.5 * n.y;
    vec3 ambient = mix(vec3(0.16, 0.15, 0.14), vec3(0.42, 0.43, 0.46), sky);
    vec3 key = normalize(vec3(0.5, 0.8, 0.6));
    vec3 fill = normalize(vec3(-0.7, 0.3, 0.2));
    vec3 light = ambient
        + vec3(1.0, 0.97, 0.92) * 0.85 * max(dot(n, key), 0.0)
        + vec3(0.85, 0.9, 1.0) * 0.25 * max(dot(n, fill), 0.0);
    // Reflections of a soft sky with one bright window (Schlick's Fresnel): metal reads by them.
    vec3 r = reflect(-to_eye, n);
    float gloss = 1.0 - roughness;
    vec3 reflected = mix(vec3(0.12, 0.11, 0.10), vec3(0.9, 0.92, 0.95), 0.5 + 0.5 * r.y)
        + vec3(4.0) * pow(max(dot(r, key), 0.0), 2.0 + 60.0 * gloss * gloss);
    vec3 f0 = mix(vec3(0.04), albedo.rgb, metallic);
    float grazing = pow(1.0 - max(dot(n, to_eye), 0.0), 5.0);
    vec3 fresnel = f0 + (vec3(1.0) - f0) * grazing * gloss;
    vec3 linear = albedo.rgb * (1.0 - metallic) * light + fresnel * reflected * (0.3 + 0.7 * gloss);
    if (metering) {  // linear luminance for the exposure meter, coverage in alpha
        fragment = vec4(vec3(dot(linear, vec3(0.2126, 0.7152, 0.0722))), 1.0);
        return;
    }
    vec3 shaded = neutral(linear * exposure);
    fragment = vec4(pow(clamp(shaded, 0.0, 1.0), vec3(1.0 / 2.2)), 1.0);
}
"""


class GLUnavailable(RuntimeError):
    """No OpenGL context could be made on this machine."""


@dataclass
class DrawItem:
    """One primitive in world coordinates: interleaved vertices, indices, its material."""

    vertices: np.ndarray  # (n, 12) float32: position, normal, uv, colour
    indices: np.ndarray  # (m,) uint32
    base_factor: tuple[float, float, float, float]
    metallic: float
    roughness: float
    image: Image.Image | None


def create_context() -> Any:
    """A standalone OpenGL 3.3 context on EGL; raises GLUnavailable saying why."""
    try:
        import moderngl
    except ImportError as exc:
        raise GLUnavailable(f"moderngl is not installed ({exc})") from exc
    try:
        # moderngl's stub types **settings as dicts; backend is a string (its docs).
        return moderngl.create_standalone_context(backend="egl")  # type: ignore[arg-type]
    except Exception as exc:  # glcontext raises plain Exceptions
        raise GLUnavailable(f"no EGL context: {exc}") from exc


def _vertex_normals(positions: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    corners = positions[triangles]
    faces = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    normals = np.zeros_like(positions)
    for k in range(3):
        np.add.at(normals, triangles[:, k], faces)
    lengths = np.linalg.norm(normals, axis=1, keepdims=True)
    return normals / np.where(lengths > 0, lengths, 1.0)


def _texture_image(document: GltfDocument, material: dict) -> Image.Image | None:
    reference = material.get("pbrMetallicRoughness", {}).get("baseColorTexture")
    if not reference:
        return None
    texture = document.json.get("textures", [])[reference["index"]]
    if "source" not in texture:
        return None
    with images.open_image(
        document.image_bytes(texture["source"]),
        formats=images.TEXTURE_FORMATS,
        max_bytes=None,
        max_pixels=images.PILLOW_BOMB_PIXELS,
    ) as opened:
        opened.draft("RGB", (MAX_TEXTURE_SIDE, MAX_TEXTURE_SIDE))  # JPEG: decode smaller
        image = opened.convert("RGBA")
    image.thumbnail((MAX_TEXTURE_SIDE, MAX_TEXTURE_SIDE))
    return image


def draw_items(data: bytes) -> list[DrawItem]:
    """The triangles of a GLB (Draco decoded) in world coordinates, with their materials."""
    document = GltfDocument.from_glb(data)
    if DRACO in document.json.get("extensionsUsed", []):
        document.decode_draco()
    materials = document.json.get("materials", [])
    meshes = document.json.get("meshes", [])
    items: list[DrawItem] = []
    for mesh_index, matrix in _world_matrices(document.json):
        for primitive in meshes[mesh_index].get("primitives", []):
            attributes = primitive.get("attributes", {})
            if primitive.get("mode", 4) != 4 or "POSITION" not in attributes:
                continue
            positions = document.read_accessor(attributes["POSITION"]).astype(np.float64)
            count = len(positions)
            if "indices" in primitive:
                indices = document.read_accessor(primitive["indices"]).reshape(-1)
            else:
                indices = np.arange(count)
            triangles = indices[: len(indices) // 3 * 3].astype(np.int64).reshape(-1, 3)
            if not len(triangles):
                continue
            world = positions @ matrix[:3, :3].T + matrix[:3, 3]
            if "NORMAL" in attributes:
                normal_matrix = np.linalg.inv(matrix[:3, :3]).T
                normals = document.read_accessor(attributes["NORMAL"]) @ normal_matrix.T
            else:
                normals = _vertex_normals(world, triangles)
            uv = (
                document.read_accessor(attributes["TEXCOORD_0"])
                if "TEXCOORD_0" in attributes
                else np.zeros((count, 2))
            )
            colour = np.ones((count, 4))
            if "COLOR_0" in attributes:
                read = document.read_accessor(attributes["COLOR_0"]).astype(np.float64)
                if np.issubdtype(read.dtype, np.integer):
                    read = read / 255.0
                colour[:, : read.shape[1]] = read
            material = materials[primitive["material"]] if "material" in primitive else {}
            pbr = material.get("pbrMetallicRoughness", {})
            factor = pbr.get("baseColorFactor", [1.0, 1.0, 1.0, 1.0])
            metal = (float(pbr.get("metallicFactor", 1.0)), float(pbr.get("roughnessFactor", 1.0)))
            image = _texture_image(document, material) if "TEXCOORD_0" in attributes else None
            vertices = np.hstack([world, normals, uv, colour]).astype(np.float32)
            items.append(
                DrawItem(
                    vertices, triangles.reshape(-1).astype(np.uint32), tuple(factor), *metal, image
                )
            )
    if not items:
        raise IntakeError("no_mesh", "The file contains no triangles to draw.")
    return items


def _look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    forward = target - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    view = np.eye(4)
    view[0, :3], view[1, :3], view[2, :3] = right, up, -forward
    view[:3, 3] = -view[:3, :3] @ eye
    return view


def _perspective(fov_deg: float, near: float, far: float) -> np.ndarray:
    f = 1.0 / math.tan(math.radians(fov_deg) / 2)
    return np.array(
        [
            [f, 0, 0, 0],
            [0, f, 0, 0],
            [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
            [0, 0, -1, 0],
        ]
    )


def _upload(ctx: Any, program: Any, item: DrawItem) -> tuple[Any, Any, Any, Any, DrawItem]:
    """GPU buffers (vertex array, vertices, indices, texture or None) of one item."""
    vbo = ctx.buffer(item.vertices.tobytes())
    ibo = ctx.buffer(item.indices.tobytes())
    vao = ctx.vertex_array(
        program,
        [(vbo, "3f 3f 2f 4f", "in_position", "in_normal", "in_uv", "in_colour")],
        index_buffer=ibo,
        index_element_size=4,
    )
    texture = None
    if item.image is not None:
        texture = ctx.texture(item.image.size, 4, item.image.tobytes())
        texture.build_mipmaps()
    return vao, vbo, ibo, texture, item


def _draw(program: Any, meshes: list, *, metering: bool, exposure: float) -> None:
    program["metering"].value = metering
    program["exposure"].value = exposure
    for vao, _, _, texture, item in meshes:
        program["base_factor"].value = tuple(float(v) for v in item.base_factor)
        program["metallic"].value = item.metallic
        program["roughness"].value = item.roughness
        program["textured"].value = texture is not None
        if texture is not None:
            texture.use(0)
            program["base_texture"].value = 0
        vao.render()


def render_textured_thumbnail(data: bytes, size: int = 512, context: Any = None) -> Image.Image:
    """Draw the GLB `data` (Y up, as intake normalises it) to a size x size RGB image from the
    default view. Raises GLUnavailable without a GL context, IntakeError on unreadable input."""
    items = draw_items(data)
    every = np.vstack([item.vertices[:, :3] for item in items]).astype(np.float64)
    bounds = np.array([every.min(axis=0), every.max(axis=0)])
    view = default_view(bounds)
    eye, target = np.array(view.camera_position), np.array(view.camera_target)
    distance = float(np.linalg.norm(eye - target))
    radius = float(np.linalg.norm(bounds[1] - bounds[0])) / 2 or 1.0
    near = max(distance - radius * 1.5, distance / 1000)
    projection = _perspective(VIEWER_FOV_DEG, near, distance + radius * 1.5)
    view_projection = (projection @ _look_at(eye, target)).astype("f4")
    ctx = context or create_context()
    side = size * SUPERSAMPLING
    try:
        program = ctx.program(vertex_shader=VERTEX_SHADER, fragment_shader=FRAGMENT_SHADER)
        program["view_projection"].write(view_projection.T.tobytes())  # column-major
        program["eye"].value = tuple(float(v) for v in eye)
        colour = ctx.renderbuffer((side, side), components=4)
        depth = ctx.depth_renderbuffer((side, side))
        framebuffer = ctx.framebuffer(color_attachments=[colour], depth_attachment=depth)
        framebuffer.use()
        ctx.enable(ctx.DEPTH_TEST)
        meshes = [_upload(ctx, program, item) for item in items]
        # Metered like the viewer (static/js/lib/scene-lighting.js): the object's mean linear
        # luminance brought to mid-tone, so white bone does not clip and dark metal shows.
        framebuffer.clear(0.0, 0.0, 0.0, 0.0)
        _draw(program, meshes, metering=True, exposure=1.0)
        meter = np.frombuffer(framebuffer.read(components=4, alignment=1), dtype=np.uint8)
        covered = meter.reshape(-1, 4)[:, 3] > 127
        mean = float(meter.reshape(-1, 4)[covered, 0].mean()) / 255 if covered.any() else 0.0
        exposure = float(np.clip(METER_TARGET / max(mean, 1e-4), *EXPOSURE_RANGE))
        framebuffer.clear(*(c / 255 for c in BACKGROUND), 1.0)
        _draw(program, meshes, metering=False, exposure=exposure)
        pixels = framebuffer.read(components=3, alignment=1)
        for mesh in meshes:
            for resource in mesh[:4]:
                if resource is not None:
                    resource.release()
        framebuffer.release()
        colour.release()
        depth.release()
        program.release()
    finally:
        if context is None:
            ctx.release()
    image = Image.frombytes("RGB", (side, side), pixels).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def render_preview(data: bytes, size: int = 512) -> Image.Image:
    """The thumbnail of a GLB: textured through GL when a context can be made, else clay."""
    try:
        return render_textured_thumbnail(data, size=size)
    except GLUnavailable as exc:
        logger.warning("Thumbnail drawn as clay: %s", exc)
    except (IntakeError, images.ImageReadError, LookupError, ValueError) as exc:
        logger.warning("Thumbnail drawn as clay: the textured renderer cannot read it (%s)", exc)
    except MemoryError:
        raise  # the job runner's reason; clay would not fit either
    except Exception as exc:  # a driver's GL error (shader, framebuffer) must not fail intake
        logger.warning("Thumbnail drawn as clay: the GL renderer failed (%r)", exc)
    return render_thumbnail(load_glb(data), size=size)
