"""A glTF 2.0 document held as JSON plus one bytes object per bufferView, so views can be
dropped, replaced or added and the whole re-packed into a GLB (used to decode Draco, to
normalise the root transform and to resize textures without re-encoding anything else)."""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from exhibits.intake.errors import IntakeError

DRACO = "KHR_draco_mesh_compression"
MESHOPT = "EXT_meshopt_compression"
GLB_MAGIC = b"glTF"
DATA_URI = re.compile(r"^data:[\w/+.-]*(;base64)?,", re.IGNORECASE)
_COMPONENT_DTYPES = {
    5120: np.int8,
    5121: np.uint8,
    5122: np.int16,
    5123: np.uint16,
    5125: np.uint32,
    5126: np.float32,
}
Bytes = bytes | memoryview  # a view's data: a window on the file, or bytes made here
TYPE_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


@dataclass
class GltfDocument:
    """`views[i]` holds bufferView i's bytes (empty for a meshopt view whose buffer is only a
    fallback placeholder); `meshopt[i]` holds the compressed bytes of bufferView i when it
    carries EXT_meshopt_compression, so to_glb() writes them back unchanged."""

    json: dict[str, Any]
    views: list[Bytes] = field(default_factory=list)
    meshopt: dict[int, Bytes] = field(default_factory=dict)

    # ----------------------------------------------------------------- reading
    @classmethod
    def from_glb(cls, data: bytes) -> GltfDocument:
        if data[:4] != GLB_MAGIC:
            raise IntakeError("not_glb", "Not a GLB file: the 'glTF' magic bytes are missing.")
        if len(data) < 20:
            raise IntakeError("truncated", "The GLB file is truncated (shorter than its header).")
        _, version, length = struct.unpack_from("<4sII", data, 0)
        if version != 2:
            raise IntakeError("gltf_version", f"Unsupported glTF container version {version}.")
        if length > len(data):
            raise IntakeError("truncated", "The GLB file is truncated (shorter than its header).")
        offset, document, binary = 12, None, memoryview(b"")
        while offset + 8 <= length:
            chunk_length, chunk_type = struct.unpack_from("<I4s", data, offset)
            if offset + 8 + chunk_length > length:
                raise IntakeError("truncated", "The GLB file is truncated inside a chunk.")
            if chunk_type == b"JSON":
                document = _parse_json(data[offset + 8 : offset + 8 + chunk_length])
            elif chunk_type == b"BIN\x00" and not binary:
                # Views are windows on the file's bytes, not copies: a large scan is held once.
                binary = memoryview(data)[offset + 8 : offset + 8 + chunk_length]
            offset += 8 + chunk_length
        if document is None:
            raise IntakeError("no_json", "The GLB file has no JSON chunk.")
        return cls._from_parts(document, {0: binary} if binary else {}, glb=True)

    @classmethod
    def from_gltf(cls, data: bytes) -> GltfDocument:
        """A .gltf JSON file whose buffers and images are embedded as data: URIs."""
        document = _parse_json(data)
        buffers: dict[int, Bytes] = {}
        for index, buffer in enumerate(document.get("buffers", [])):
            buffers[index] = _decode_data_uri(buffer.get("uri"), what=f"buffer {index}")
        return cls._from_parts(document, buffers, glb=False)

    @classmethod
    def _from_parts(cls, document: dict, buffers: dict[int, Bytes], glb: bool) -> GltfDocument:
        if not isinstance(document, dict) or not isinstance(document.get("asset"), dict):
            raise IntakeError("not_gltf", "The JSON is not a glTF document (no 'asset').")
        if not re.fullmatch(r"2\.\d+", str(document["asset"].get("version", ""))):
            raise IntakeError("gltf_version", "Only glTF 2.0 is supported.")
        fallback: set[int] = set()
        for index, buffer in enumerate(document.get("buffers", [])):
            uri = buffer.get("uri")
            if glb and index == 0 and uri is None:
                continue
            if buffer.get("extensions", {}).get(MESHOPT, {}).get("fallback"):
                fallback.add(index)  # meshopt's placeholder: its data lives compressed elsewhere
                continue
            if index not in buffers:
                buffers[index] = _decode_data_uri(uri, what=f"buffer {index}")
        views: list[Bytes] = []
        compressed: dict[int, Bytes] = {}
        for index, view in enumerate(document.get("bufferViews", [])):
            extension = view.get("extensions", {}).get(MESHOPT)
            if isinstance(extension, dict):
                compressed[index] = _slice(buffers, extension, f"bufferView {index} (meshopt)")
            if view.get("buffer") in fallback:
                views.append(b"")
                continue
            views.append(_slice(buffers, view, f"bufferView {index}"))
        doc = cls(json=copy.deepcopy(document), views=views, meshopt=compressed)
        for index, image in enumerate(doc.json.get("images", [])):
            if "uri" in image:
                data = _decode_data_uri(image["uri"], what=f"image {index}")
                image.pop("uri")
                image["bufferView"] = doc.add_view(data)
        return doc

    # ----------------------------------------------------------------- editing
    def add_view(self, data: bytes, target: int | None = None) -> int:
        view: dict[str, Any] = {"buffer": 0, "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.json.setdefault("bufferViews", []).append(view)
        self.views.append(bytes(data))
        return len(self.views) - 1

    def add_accessor(self, array: np.ndarray, gltf_type: str, indices: bool = False) -> dict:
        """A tightly packed accessor for `array` (float32 attributes or uint32 indices)."""
        array = np.ascontiguousarray(array, dtype=np.uint32 if indices else np.float32)
        view = self.add_view(array.tobytes(), target=34963 if indices else 34962)
        accessor: dict[str, Any] = {
            "bufferView": view,
            "componentType": 5125 if indices else 5126,
            "count": int(array.size // TYPE_WIDTH[gltf_type]),
            "type": gltf_type,
        }
        if gltf_type == "VEC3" and not indices:
            accessor["min"] = array.reshape(-1, 3).min(axis=0).astype(float).tolist()
            accessor["max"] = array.reshape(-1, 3).max(axis=0).astype(float).tolist()
        return accessor

    def image_bytes(self, image_index: int) -> bytes:
        return bytes(self.views[self.json["images"][image_index]["bufferView"]])

    def replace_image(self, image_index: int, data: bytes, mime_type: str) -> None:
        image = self.json["images"][image_index]
        image["bufferView"] = self.add_view(data)
        image["mimeType"] = mime_type

    def read_accessor(self, index: int, copy: bool = True) -> np.ndarray:
        """An accessor's data as an (count, width) array; normalised integers become floats.
        `copy=False`: a read-only view of the view's bytes where no conversion is needed (a
        large scan's indices are then not held twice)."""
        accessor = self.json["accessors"][index]
        if "sparse" in accessor:
            raise IntakeError("unsupported", "Sparse accessors are not supported.")
        width = TYPE_WIDTH.get(accessor.get("type", ""), 0)
        dtype = _COMPONENT_DTYPES.get(accessor.get("componentType"))
        count = int(accessor.get("count", 0))
        if not width or dtype is None or count < 0:
            raise IntakeError("bad_accessor", f"Accessor {index} has an invalid type.")
        if "bufferView" not in accessor:
            return np.zeros((count, width), dtype=dtype)
        view_json = self.json["bufferViews"][accessor["bufferView"]]
        data = self.views[accessor["bufferView"]]
        if not data and accessor["bufferView"] in self.meshopt:
            raise IntakeError(
                "meshopt", f"Accessor {index} is meshopt-compressed; it cannot be read here."
            )
        item = np.dtype(dtype).itemsize * width
        stride = int(view_json.get("byteStride", 0)) or item
        offset = int(accessor.get("byteOffset", 0))
        if count and offset + stride * (count - 1) + item > len(data):
            raise IntakeError("bad_accessor", f"Accessor {index} reads past its bufferView.")
        array = np.ndarray(
            (count, width), dtype=dtype, buffer=data, offset=offset, strides=(stride, item // width)
        )
        if copy:
            array = array.copy()
        if accessor.get("normalized") and np.issubdtype(array.dtype, np.integer):
            array = np.maximum(array / np.iinfo(array.dtype).max, -1.0).astype(np.float32)
        return array

    def declared_face_count(self) -> int:
        """Triangles the document declares, read from accessor counts before any decoding."""
        accessors = self.json.get("accessors", [])
        total = 0
        for mesh in self.json.get("meshes", []):
            for primitive in mesh.get("primitives", []):
                if primitive.get("mode", 4) != 4:
                    continue
                source = primitive.get("indices", primitive.get("attributes", {}).get("POSITION"))
                if isinstance(source, int) and 0 <= source < len(accessors):
                    total += int(accessors[source].get("count", 0)) // 3
        return total

    def declared_vertex_count(self) -> int:
        accessors = self.json.get("accessors", [])
        total = 0
        for mesh in self.json.get("meshes", []):
            for primitive in mesh.get("primitives", []):
                position = primitive.get("attributes", {}).get("POSITION")
                if isinstance(position, int) and 0 <= position < len(accessors):
                    total += int(accessors[position].get("count", 0))
        return total

    def wrap_roots(self, matrix: np.ndarray, name: str = "mouseion-normalise") -> None:
        """Put every root node of the default scene under one node carrying `matrix`."""
        scenes = self.json.setdefault("scenes", [{"nodes": []}])
        scene = scenes[self.json.get("scene", 0)]
        nodes = self.json.setdefault("nodes", [])
        column_major = np.asarray(matrix, dtype=float).T.reshape(-1).tolist()
        nodes.append({"name": name, "matrix": column_major, "children": scene.get("nodes", [])})
        scene["nodes"] = [len(nodes) - 1]

    def decode_draco(self) -> None:
        """Replace Draco-compressed primitives with plain accessors (gltfpack reads no Draco)."""
        import DracoPy

        accessors = self.json.get("accessors", [])
        for mesh in self.json.get("meshes", []):
            for primitive in mesh.get("primitives", []):
                extension = primitive.get("extensions", {}).pop(DRACO, None)
                if extension is None:
                    continue
                try:
                    decoded = DracoPy.decode(bytes(self.views[extension["bufferView"]]))
                except Exception as exc:  # DracoPy raises its own exception types
                    raise IntakeError("draco", f"Draco geometry cannot be decoded: {exc}") from exc
                for name, unique_id in extension.get("attributes", {}).items():
                    attribute = decoded.get_attribute_by_unique_id(unique_id)
                    if attribute is None or name not in primitive.get("attributes", {}):
                        continue
                    data = np.asarray(attribute["data"], dtype=np.float32)
                    gltf_type = {1: "SCALAR", 2: "VEC2", 3: "VEC3", 4: "VEC4"}[
                        attribute["num_components"]
                    ]
                    accessors[primitive["attributes"][name]] = self.add_accessor(data, gltf_type)
                faces = np.asarray(decoded.faces, dtype=np.uint32).reshape(-1)
                index_accessor = self.add_accessor(faces, "SCALAR", indices=True)
                if "indices" in primitive:
                    accessors[primitive["indices"]] = index_accessor
                else:
                    accessors.append(index_accessor)
                    primitive["indices"] = len(accessors) - 1
                if not primitive.get("extensions"):
                    primitive.pop("extensions", None)
        _drop_extension(self.json, DRACO)
        # The compressed views are no longer referenced, so to_glb() leaves them out.

    # ----------------------------------------------------------------- writing
    def to_glb(self) -> bytes:
        """Pack the views still referenced (4-byte aligned) into one buffer, as a GLB container.

        A meshopt-compressed view keeps its compressed bytes, written to the binary chunk
        (buffer 0) with its extension's buffer, byteOffset and byteLength updated; its own
        (uncompressed) range goes to a fallback buffer 1 with no data, as gltfpack writes it,
        unless the uncompressed bytes were present too, in which case they are kept as well."""
        document = copy.deepcopy(self.json)
        references = list(_view_references(document))
        used = sorted({holder[key] for holder, key in references})
        remap = {old: new for new, old in enumerate(used)}
        for holder, key in references:
            holder[key] = remap[holder[key]]
        old_views = document.get("bufferViews", [])
        document["bufferViews"] = [old_views[index] for index in used]
        if not document["bufferViews"]:
            document.pop("bufferViews")
        binary, fallback_length = bytearray(), 0
        for view, index in zip(document.get("bufferViews", []), used, strict=True):
            extension = view.get("extensions", {}).get(MESHOPT)
            if index in self.meshopt and isinstance(extension, dict):
                packed = self.meshopt[index]
                binary += b"\x00" * (-len(binary) % 4)
                extension.update(
                    {"buffer": 0, "byteOffset": len(binary), "byteLength": len(packed)}
                )
                binary += packed
                if not self.views[index]:  # only compressed: the view lies in the fallback
                    fallback_length += -fallback_length % 4
                    view.update({"buffer": 1, "byteOffset": fallback_length})
                    fallback_length += int(view.get("byteLength", 0))
                    continue
            data = self.views[index]
            binary += b"\x00" * (-len(binary) % 4)
            view.update({"buffer": 0, "byteOffset": len(binary), "byteLength": len(data)})
            binary += data
        binary += b"\x00" * (-len(binary) % 4)
        document["buffers"] = [{"byteLength": len(binary)}] if binary or fallback_length else []
        if fallback_length:
            fallback_length += -fallback_length % 4
            document["buffers"].append(
                {"byteLength": fallback_length, "extensions": {MESHOPT: {"fallback": True}}}
            )
        else:
            _drop_extension(document, MESHOPT)
        if not document["buffers"]:
            document.pop("buffers")
        payload = json.dumps(document, separators=(",", ":")).encode("utf-8")
        payload += b" " * (-len(payload) % 4)
        chunks = struct.pack("<I4s", len(payload), b"JSON") + payload
        if binary:
            chunks += struct.pack("<I4s", len(binary), b"BIN\x00") + bytes(binary)
        return struct.pack("<4sII", GLB_MAGIC, 2, 12 + len(chunks)) + chunks


def glb_json(data: bytes) -> dict[str, Any] | None:
    """The JSON chunk of a GLB, read without touching its binary chunk; None when `data` is
    not a well-formed GLB (the full reader then says why)."""
    if data[:4] != GLB_MAGIC or len(data) < 20:
        return None
    chunk_length, chunk_type = struct.unpack_from("<I4s", data, 12)
    if chunk_type != b"JSON" or 20 + chunk_length > len(data):
        return None
    try:
        return _parse_json(data[20 : 20 + chunk_length])
    except IntakeError:
        return None


def _view_references(document: dict) -> list[tuple[dict, str]]:
    """(holder, key) of every bufferView index in the document, for garbage collection."""
    references: list[tuple[dict, str]] = []
    for accessor in document.get("accessors", []):
        if "bufferView" in accessor:
            references.append((accessor, "bufferView"))
        sparse = accessor.get("sparse", {})
        for part in ("indices", "values"):
            if "bufferView" in sparse.get(part, {}):
                references.append((sparse[part], "bufferView"))
    for image in document.get("images", []):
        if "bufferView" in image:
            references.append((image, "bufferView"))
    for mesh in document.get("meshes", []):
        for primitive in mesh.get("primitives", []):
            draco = primitive.get("extensions", {}).get(DRACO)
            if draco and "bufferView" in draco:
                references.append((draco, "bufferView"))
    return references


def _drop_extension(document: dict, name: str) -> None:
    """Remove `name` from extensionsUsed / extensionsRequired when nothing uses it any more."""
    if name == MESHOPT and any(
        MESHOPT in view.get("extensions", {}) for view in document.get("bufferViews", [])
    ):
        return
    for key in ("extensionsUsed", "extensionsRequired"):
        if name in document.get(key, []):
            document[key] = [used for used in document[key] if used != name]
            if not document[key]:
                document.pop(key)


def _slice(buffers: dict[int, Bytes], view: dict, what: str) -> Bytes:
    """The bytes `view` (a bufferView or its meshopt extension) names in its buffer."""
    source = buffers.get(view.get("buffer", -1))
    start, length = int(view.get("byteOffset", 0)), int(view.get("byteLength", -1))
    if source is None or start < 0 or length < 0 or start + length > len(source):
        raise IntakeError("bad_buffer_view", f"{what} lies outside its buffer.")
    return source[start : start + length]


def _parse_json(data: bytes) -> dict:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IntakeError("bad_json", f"The glTF JSON cannot be parsed: {exc}") from exc
    if not isinstance(document, dict):
        raise IntakeError("not_gltf", "The JSON is not a glTF document (no 'asset').")
    return document


def _decode_data_uri(uri: object, what: str) -> bytes:
    """Only embedded data is accepted: an external or relative URI could read other files."""
    if not isinstance(uri, str):
        raise IntakeError("missing_data", f"{what} has no data.")
    if not DATA_URI.match(uri):
        raise IntakeError(
            "external_uri",
            f"{what} refers to an external file ({uri[:80]!r}); only embedded data is accepted.",
        )
    header, _, payload = uri.partition(",")
    if not header.lower().endswith(";base64"):
        return payload.encode("utf-8")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise IntakeError("bad_data_uri", f"{what} has invalid base64 data.") from exc
