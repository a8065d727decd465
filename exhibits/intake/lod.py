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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from exhibits.intake.errors import IntakeError
from exhibits.intake.glb_document import GltfDocument
from exhibits.intake.textures import largest_texture_side, with_textures_at_most

THUMB_MAX_BYTES = 200 * 1024
RENDER_FACES = 40_000


@dataclass(frozen=True)
class LadderSettings:
    web_faces: int = 150_000
    inspection_faces: int = 500_000
    thumb_faces: int = 6_000
    thumb_texture: int = 1024  # halved until the thumb fits its 200 KB budget
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


def run_gltfpack(source: Path, target: Path, settings: LadderSettings, *options: str) -> None:
    """Run gltfpack on files; raises IntakeError with its last message on failure."""
    command = [settings.node, settings.gltfpack_cli, "-i", str(source), "-o", str(target)]
    try:
        result = subprocess.run(
            [*command, *options],
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
        # Temporary paths mean nothing to a curator.
        reason = message[0].replace(f"{source.parent}/", "").replace(f"{target.parent}/", "")
        raise IntakeError("lod_failed", f"gltfpack failed: {reason}")


def without_detail_maps(document: GltfDocument) -> GltfDocument:
    """A copy keeping only base colour textures: at thumbnail size the others add bytes, not
    looks (gltfpack then drops the unused images)."""
    slim = GltfDocument(json=copy.deepcopy(document.json), views=list(document.views))
    for material in slim.json.get("materials", []):
        for key in ("normalTexture", "occlusionTexture", "emissiveTexture"):
            material.pop(key, None)
        material.get("pbrMetallicRoughness", {}).pop("metallicRoughnessTexture", None)
    _drop_unused_textures(slim.json)
    return slim


def _texture_references(value: object) -> list[dict]:
    """Every textureInfo ({"index": ...}) inside materials, however deeply nested."""
    found: list[dict] = []
    if isinstance(value, dict):
        if isinstance(value.get("index"), int) and ("texCoord" in value or len(value) <= 3):
            found.append(value)
        for child in value.values():
            if isinstance(child, dict | list):
                found.extend(_texture_references(child))
    elif isinstance(value, list):
        for child in value:
            found.extend(_texture_references(child))
    return found


def _drop_unused_textures(document: dict) -> None:
    """Remove textures and images no material uses (gltfpack keeps orphan images)."""
    references = _texture_references(document.get("materials", []))
    textures = document.get("textures", [])
    used_textures = sorted({ref["index"] for ref in references if ref["index"] < len(textures)})
    texture_map = {old: new for new, old in enumerate(used_textures)}
    for ref in references:
        ref["index"] = texture_map.get(ref["index"], ref["index"])
    document["textures"] = [textures[index] for index in used_textures]
    images = document.get("images", [])
    used_images = sorted({t["source"] for t in document["textures"] if "source" in t})
    image_map = {old: new for new, old in enumerate(used_images)}
    for texture in document["textures"]:
        if "source" in texture:
            texture["source"] = image_map[texture["source"]]
    document["images"] = [images[index] for index in used_images]
    for key in ("textures", "images"):
        if not document[key]:
            document.pop(key)
    if "samplers" in document and "textures" not in document:
        document.pop("samplers")


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


class _Workspace:
    """Files of one ladder build in a temporary folder."""

    def __init__(self, folder: str, settings: LadderSettings) -> None:
        self.folder, self.settings = Path(folder), settings

    def simplify(self, source: Path, label: str, ratio: float, *extra: str) -> Path:
        """Uncompressed, unquantised simplification (-noq) so the next step can edit it."""
        target = self.folder / f"{label}.plain.glb"
        options = ["-noq", "-slb", *extra]
        if ratio < 1.0:
            options += ["-si", f"{ratio:.6f}"]
        run_gltfpack(source, target, self.settings, *options)
        return target

    def finalise(self, plain: Path, label: str, texture_side: int, colour_only: bool) -> bytes:
        """Apply the texture ladder, then quantise and meshopt-compress (gltfpack -cc)."""
        document = GltfDocument.from_glb(plain.read_bytes())
        if colour_only:
            document = without_detail_maps(document)
        edited = self.folder / f"{label}.textured.glb"
        edited.write_bytes(with_textures_at_most(document, texture_side).to_glb())
        target = self.folder / f"{label}.glb"
        run_gltfpack(edited, target, self.settings, "-cc")
        return target.read_bytes()


def build_ladder(
    document: GltfDocument, faces: int, settings: LadderSettings
) -> tuple[list[LodOutput], bytes]:
    """thumb, web and (for sources above ~500k faces) inspection GLBs of a normalised
    document, plus an uncompressed ~40k-face GLB to render the thumbnail image from.

    Each level is simplified from the previous one (source -> inspection -> web -> thumb), so
    only the first step reads the full source; UV seams stay locked at every step.
    """
    with tempfile.TemporaryDirectory(prefix="mouseion-lod-") as folder:
        work = _Workspace(folder, settings)
        current = Path(folder, "source.glb")
        current.write_bytes(document.to_glb())
        current_faces = faces
        plain: dict[str, Path] = {}
        steps = [("web", settings.web_faces), ("render", RENDER_FACES)]
        if faces > settings.inspection_faces * 1.2:
            steps.insert(0, ("inspection", settings.inspection_faces))
        textures = {"inspection": settings.inspection_texture, "web": settings.web_texture}
        # gltfpack runs in subprocesses: threads let a level be finalised while the next one
        # is simplified, using both cores.
        with ThreadPoolExecutor(max_workers=2) as pool:
            finishing: dict[str, Future[bytes]] = {}
            for label, target in steps:
                current = work.simplify(current, label, min(1.0, target / max(current_faces, 1)))
                current_faces = _faces(current)
                plain[label] = current
                if label in textures:
                    finishing[label] = pool.submit(
                        work.finalise, current, label, textures[label], False
                    )
            thumb = _thumb(work, plain["render"], current_faces, settings)
            outputs = [thumb] + [
                _output(label, finishing[label].result())
                for label in ("web", "inspection")
                if label in finishing
            ]
        return outputs, plain["render"].read_bytes()


def _faces(path: Path) -> int:
    return GltfDocument.from_glb(path.read_bytes()).declared_face_count()


def _thumb(work: _Workspace, render: Path, faces: int, settings: LadderSettings) -> LodOutput:
    thumb_faces, texture = settings.thumb_faces, settings.thumb_texture
    for _attempt in range(6):
        # -sa: the thumb must reach its budget even past gltfpack's default error bound.
        plain = work.simplify(render, "thumb", min(1.0, thumb_faces / max(faces, 1)), "-sa")
        data = work.finalise(plain, "thumb", texture, colour_only=True)
        if len(data) < THUMB_MAX_BYTES:
            return _output("thumb", data)
        # Over budget: textures usually dominate, so shrink them first, then the geometry.
        if texture > 128 and GltfDocument.from_glb(data).json.get("images"):
            texture //= 2
        else:
            thumb_faces //= 2
    raise IntakeError("thumb_budget", "The thumbnail LOD cannot be made smaller than 200 KB.")
