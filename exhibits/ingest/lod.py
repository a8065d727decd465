"""The LOD ladder, after Smithsonian Voyager's derivatives: thumb (< 200 KB), web (~150k
faces) and inspection (~500k faces, only for larger sources).

Simplification and compression are gltfpack's (meshoptimizer, from npm, run with the
machine's Node.js): it locks UV seams and borders, so a step opens no new edges, and its
meshopt compression (EXT_meshopt_compression) decodes fast in three.js. We keep for
ourselves what it cannot do in its Node build: Draco decoding, normalisation and the
texture ladder.
"""

from __future__ import annotations

import copy
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from exhibits.ingest.errors import IntakeError
from exhibits.ingest.glb_document import GltfDocument
from exhibits.ingest.textures import largest_texture_side, with_textures_at_most

THUMB_MAX_BYTES = 200 * 1024


@dataclass(frozen=True)
class LadderSettings:
    web_faces: int = 150_000
    inspection_faces: int = 500_000
    thumb_faces: int = 6_000
    thumb_texture: int = 512
    web_texture: int = 2048
    inspection_texture: int = 4096
    node: str = "node"
    gltfpack_cli: str = ""
    timeout_s: float = 900.0


@dataclass(frozen=True)
class LodOutput:
    label: str
    data: bytes
    faces: int
    vertices: int
    texture_side: int


def run_gltfpack(
    glb: bytes, ratio: float, settings: LadderSettings, extra: tuple[str, ...] = ()
) -> bytes:
    """Simplify to `ratio` of the triangles and compress with meshopt; returns GLB bytes."""
    with tempfile.TemporaryDirectory(prefix="mouseion-lod-") as folder:
        source, target = Path(folder, "in.glb"), Path(folder, "out.glb")
        source.write_bytes(glb)
        command = [settings.node, settings.gltfpack_cli, "-i", str(source), "-o", str(target)]
        command += ["-cc", "-slb", "-kn"]  # meshopt, locked borders, keep named nodes
        if ratio < 1.0:
            command += ["-si", f"{ratio:.6f}", *extra]
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=settings.timeout_s,
                env={**os.environ, "NODE_OPTIONS": "--max-old-space-size=4096"},
            )
        except FileNotFoundError as exc:
            raise IntakeError("no_node", f"Node.js is needed to build LODs: {exc}") from exc
        except subprocess.TimeoutExpired as exc:
            raise IntakeError("lod_timeout", "Building a level of detail took too long.") from exc
        if result.returncode != 0 or not target.exists():
            message = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise IntakeError("lod_failed", f"gltfpack failed: {message[0]}")
        return target.read_bytes()


def without_detail_maps(document: GltfDocument) -> GltfDocument:
    """A copy keeping only base colour textures: at thumbnail size the others add bytes, not
    looks (gltfpack then drops the unused images)."""
    slim = GltfDocument(json=copy.deepcopy(document.json), views=list(document.views))
    for material in slim.json.get("materials", []):
        for key in ("normalTexture", "occlusionTexture", "emissiveTexture"):
            material.pop(key, None)
        material.get("pbrMetallicRoughness", {}).pop("metallicRoughnessTexture", None)
    return slim


def _output(label: str, data: bytes) -> LodOutput:
    document = GltfDocument.from_glb(data)
    side = largest_texture_side(document) if document.json.get("images") else 0
    return LodOutput(
        label=label,
        data=data,
        faces=document.declared_face_count(),
        vertices=document.declared_vertex_count(),
        texture_side=side,
    )


def build_ladder(document: GltfDocument, faces: int, settings: LadderSettings) -> list[LodOutput]:
    """thumb, web and (for sources above ~500k faces) inspection GLBs of a normalised document."""
    outputs: list[LodOutput] = []
    thumb_faces, thumb_texture = settings.thumb_faces, settings.thumb_texture
    colour_only = without_detail_maps(document)
    for _attempt in range(6):
        glb = with_textures_at_most(colour_only, thumb_texture).to_glb()
        # -sa: the thumb must reach its budget even past gltfpack's default error bound.
        thumb = run_gltfpack(glb, min(1.0, thumb_faces / max(faces, 1)), settings, ("-sa",))
        if len(thumb) < THUMB_MAX_BYTES:
            break
        # Over budget: textures usually dominate, so shrink them first, then the geometry.
        if thumb_texture > 128 and document.json.get("images"):
            thumb_texture //= 2
        else:
            thumb_faces //= 2
    else:
        raise IntakeError("thumb_budget", "The thumbnail LOD cannot be made smaller than 200 KB.")
    outputs.append(_output("thumb", thumb))
    web_glb = with_textures_at_most(document, settings.web_texture).to_glb()
    outputs.append(
        _output("web", run_gltfpack(web_glb, min(1.0, settings.web_faces / faces), settings))
    )
    if faces > settings.inspection_faces * 1.2:
        inspection_glb = with_textures_at_most(document, settings.inspection_texture).to_glb()
        ratio = settings.inspection_faces / faces
        outputs.append(_output("inspection", run_gltfpack(inspection_glb, ratio, settings)))
    return outputs
