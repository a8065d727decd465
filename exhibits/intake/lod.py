"""The LOD ladder, after Smithsonian Voyager's derivatives: thumb (< 200 KB), web (~150k
faces) and inspection (~500k faces, only for larger sources).

Simplification and compression are gltfpack's (meshoptimizer, from npm, run with the
machine's Node.js): it locks UV seams and borders, so a step opens no new edges, and its
meshopt compression (EXT_meshopt_compression) decodes fast in three.js. We keep for
ourselves what it cannot do in its Node build: Draco decoding, normalisation and the
texture ladder.
"""

from __future__ import annotations

import contextlib
import copy
import os
import subprocess
import tempfile
import threading
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

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


class GltfpackRuns:
    """The gltfpack processes in flight: `stop` kills them, and any started before `resume`
    (a run whose thread had not yet spawned it when the build stopped)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._processes: set[subprocess.Popen] = set()
        self._stopped = False

    def add(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._processes.add(process)
            if self._stopped:
                process.kill()

    def discard(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._processes.discard(process)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for process in self._processes:
                process.kill()

    def resume(self) -> None:
        with self._lock:
            self._stopped = False


def run_gltfpack(
    source: Path,
    target: Path,
    settings: LadderSettings,
    *options: str,
    running: GltfpackRuns | None = None,
) -> None:
    """Run gltfpack on files; raises IntakeError with its last message on failure. The process
    sits in `running` while it runs, so a caller can stop it (a source found invalid)."""
    command = [settings.node, settings.gltfpack_cli, "-i", str(source), "-o", str(target)]
    try:
        process = subprocess.Popen(
            [*command, *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NODE_OPTIONS": "--max-old-space-size=4096"},
        )
    except FileNotFoundError as exc:
        raise IntakeError("no_node", f"Node.js is needed to build LODs: {exc}") from exc
    if running is not None:
        running.add(process)
    try:
        stdout, stderr = process.communicate(timeout=settings.timeout_s)
    except subprocess.TimeoutExpired as exc:
        process.kill()
        process.communicate()
        raise IntakeError("lod_timeout", "Building a level of detail took too long.") from exc
    finally:
        if running is not None:
            running.discard(process)
    if process.returncode != 0 or not target.exists():
        message = (stderr or stdout).strip().splitlines()[-1:] or ["no output"]
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


class LadderBuild:
    """The LOD ladder built in stages from a source GLB in source coordinates, in a temporary
    folder (a context manager: leaving it stops any gltfpack still running).

    gltfpack reads the source file itself, so the parsed full-resolution document need not stay
    in memory while it runs, and makes a level in one run (simplify, quantise, compress) when
    the source's textures already fit the level; otherwise it simplifies (-noq) and we shrink
    the textures before compressing. The normalisation matrix wraps each level's roots, which
    is the same as simplifying the normalised source (simplification error is relative to the
    mesh's size). Stages: `start_web` (may run while the source is still being validated),
    `web` (the first viewable copy), `thumb` and `render_glb` (both made from the web level),
    then `inspection` for sources above ~500k faces, from the source again so that the web
    copy never waits for it.
    """

    def __init__(self, settings: LadderSettings) -> None:
        self.settings = settings
        self._folder = tempfile.TemporaryDirectory(prefix="mouseion-lod-")
        self.folder = Path(self._folder.name)
        # gltfpack runs in subprocesses: threads let one level be built while another is.
        self._pool = ThreadPoolExecutor(max_workers=2)
        self._running = GltfpackRuns()
        self._source: Path | None = None
        self._faces = self._texture_side = 0
        self._web_run: Future[Path] | None = None
        self._web: Path | None = None  # the published web level (normalised, compressed)
        self._inspection: Future[Path] | None = None

    def __enter__(self) -> LadderBuild:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._folder.cleanup()

    def stop(self) -> None:
        """Kill the gltfpack runs in flight and any about to start (their futures raise)."""
        self._running.stop()

    def write(self, name: str, data: bytes) -> Path:
        """A GLB in the build's folder (a source for `start_web`)."""
        path = self.folder / f"{name}.glb"
        path.write_bytes(data)
        return path

    def start_web(self, source: Path, faces: int, texture_side: int) -> None:
        """Begin the web level of `source` (`faces` triangles, largest texture side)."""
        if self._web_run is not None:
            self.stop()
            self._web_run.cancel()
            with contextlib.suppress(IntakeError, CancelledError):
                self._web_run.result()  # the discarded run, killed
            self._running.resume()
        self._source, self._faces, self._texture_side = source, faces, texture_side
        ratio = min(1.0, self.settings.web_faces / max(faces, 1))
        self._web_run = self._pool.submit(self._level_run, "web", ratio)

    @property
    def has_inspection(self) -> bool:
        return self._faces > self.settings.inspection_faces * 1.2

    def web(self, matrix: np.ndarray) -> LodOutput:
        if self._web_run is None:
            raise RuntimeError("start_web() first")
        data = self._level(self._web_run.result(), "web", self.settings.web_texture, matrix)
        self._web = self.write("web.final", data)
        return _output("web", data)

    def thumb(self) -> LodOutput:
        """The thumb, simplified from the web level (already normalised)."""
        web = self._published_web()
        return self._thumb(web, _faces(web))

    def render_glb(self) -> bytes:
        """An uncompressed ~40k-face GLB of the web level to draw the preview from, with its
        base colour textures only (thumbnail_gl.py draws them)."""
        web = self._published_web()
        render = self._simplify(web, "render", min(1.0, RENDER_FACES / max(_faces(web), 1)))
        return without_detail_maps(GltfDocument.from_glb(render.read_bytes())).to_glb()

    def start_inspection(self) -> None:
        """Begin the inspection level (when the source has one) while the caller publishes."""
        if self.has_inspection and self._inspection is None:
            ratio = self.settings.inspection_faces / max(self._faces, 1)
            self._inspection = self._pool.submit(self._level_run, "inspection", ratio)

    def inspection(self, matrix: np.ndarray) -> LodOutput:
        self.start_inspection()
        if self._inspection is None:
            raise RuntimeError("the source has no inspection level")
        texture = self.settings.inspection_texture
        return _output(
            "inspection", self._level(self._inspection.result(), "inspection", texture, matrix)
        )

    # ------------------------------------------------------------------ steps
    def _published_web(self) -> Path:
        if self._web is None:
            raise RuntimeError("web() first")
        return self._web

    def _fits(self, label: str) -> bool:
        side = self.settings.web_texture if label == "web" else self.settings.inspection_texture
        return self._texture_side <= side

    def _level_run(self, label: str, ratio: float) -> Path:
        """gltfpack's run from the source: the compressed level when the textures fit it,
        else a plain simplification to shrink textures in."""
        if self._source is None:
            raise RuntimeError("start_web() first")
        if not self._fits(label):
            return self._simplify(self._source, label, ratio)
        target = self.folder / f"{label}.packed.glb"
        options = ["-cc", "-slb", *(["-si", f"{ratio:.6f}"] if ratio < 1.0 else [])]
        run_gltfpack(self._source, target, self.settings, *options, running=self._running)
        return target

    def _level(self, run: Path, label: str, texture_side: int, matrix: np.ndarray) -> bytes:
        """The level's GLB, normalised (its roots wrapped in `matrix`)."""
        if not self._fits(label):
            return self._finalise(run, label, texture_side, matrix=matrix)
        document = GltfDocument.from_glb(run.read_bytes())
        document.wrap_roots(matrix)
        return document.to_glb()

    def _simplify(self, source: Path, label: str, ratio: float, *extra: str) -> Path:
        """Uncompressed, unquantised simplification (-noq) so the next step can edit it."""
        target = self.folder / f"{label}.plain.glb"
        options = ["-noq", "-slb", *extra]
        if ratio < 1.0:
            options += ["-si", f"{ratio:.6f}"]
        run_gltfpack(source, target, self.settings, *options, running=self._running)
        return target

    def _finalise(
        self,
        plain: Path,
        label: str,
        texture_side: int,
        colour_only: bool = False,
        matrix: np.ndarray | None = None,
    ) -> bytes:
        """Normalise (wrap the roots in `matrix`), apply the texture ladder, then quantise and
        meshopt-compress (gltfpack -cc, which bakes the matrix in)."""
        document = GltfDocument.from_glb(plain.read_bytes())
        if matrix is not None:
            document.wrap_roots(matrix)
        if colour_only:
            document = without_detail_maps(document)
        edited = self.folder / f"{label}.textured.glb"
        edited.write_bytes(with_textures_at_most(document, texture_side).to_glb())
        target = self.folder / f"{label}.glb"
        run_gltfpack(edited, target, self.settings, "-cc", running=self._running)
        return target.read_bytes()

    def _thumb(self, web: Path, faces: int) -> LodOutput:
        thumb_faces, texture = self.settings.thumb_faces, self.settings.thumb_texture
        for _attempt in range(6):
            # -sa: the thumb must reach its budget even past gltfpack's default error bound.
            ratio = min(1.0, thumb_faces / max(faces, 1))
            plain = self._simplify(web, "thumb", ratio, "-sa")
            data = self._finalise(plain, "thumb", texture, colour_only=True)
            if len(data) < THUMB_MAX_BYTES:
                return _output("thumb", data)
            # Over budget: textures usually dominate, so shrink them first, then the geometry.
            if texture > 128 and GltfDocument.from_glb(data).json.get("images"):
                texture //= 2
            else:
                thumb_faces //= 2
        raise IntakeError("thumb_budget", "The thumbnail LOD cannot be made smaller than 200 KB.")


def _faces(path: Path) -> int:
    return GltfDocument.from_glb(path.read_bytes()).declared_face_count()
