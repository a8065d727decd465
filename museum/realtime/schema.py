"""The message schema of museum/realtime/PROTOCOL.md, checked on every client frame.

Validation is a table of field checkers rather than a schema library because it runs on every pose
frame (10-15 per second per visitor) and must cost microseconds; the table is also what the protocol
document and the tests read.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})

COORDINATE_LIMIT = 10_000.0
QUATERNION_LIMIT = 1.0001
NAME_MAX = 40
QUESTION_MAX = 280
CAPTION_MAX = 300  # one recognised phrase of a speaker's live captions
ANSWER_MAX = 500
# WebRTC signalling (voice in tours): an audio-only SDP is 2-6 kB; a candidate line ~100-200 chars.
SDP_MAX = 12_000
CANDIDATE_MAX = 1_000


class FrameError(Exception):
    """A refused client frame: `code` is one of PROTOCOL.md's error codes."""

    def __init__(self, code: str, message: str, ref: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.ref = ref

    def text(self) -> str:
        """The `error` frame that answers the refused one."""
        fields: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.ref:
            fields["ref"] = self.ref
        return server_frame("error", **fields)


class TooLarge(ValueError):
    """A field over its size limit: answered `too_large` rather than `bad_value`."""


Checker = Callable[[Any], Any]


def _finite_list(length: int, limit: float, digits: int) -> Checker:
    def check(value: Any) -> list[float]:
        if not isinstance(value, list) or len(value) != length:
            raise ValueError(f"a list of {length} numbers")
        out = []
        for item in value:
            # bool is an int subclass; a pose of [true, false, true] is a bug, not a position.
            if type(item) not in (int, float) or not math.isfinite(item) or abs(item) > limit:
                raise ValueError(f"finite numbers within ±{limit:g}")
            out.append(round(item, digits))
        return out

    return check


def _number(value: Any) -> float:
    if type(value) not in (int, float) or not math.isfinite(value):
        raise ValueError("a finite number")
    return value


def _integer(low: int, high: int) -> Checker:
    def check(value: Any) -> int:
        if type(value) is not int or not low <= value <= high:
            raise ValueError(f"an integer from {low} to {high}")
        return value

    return check


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise ValueError("true or false")
    return value


def _choice(*options: str) -> Checker:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError("one of " + ", ".join(options))
        return value

    return check


def clean_text(value: Any, max_length: int, min_length: int = 1) -> str:
    """Trimmed text without control characters, within the length bounds (ValueError otherwise)."""
    if not isinstance(value, str):
        raise ValueError("a string")
    # Whitespace (tabs, newlines) becomes a space; other control and format characters (NUL,
    # bidi overrides that could spoof another name) are dropped.
    text = "".join(
        " " if ch.isspace() else ch
        for ch in value
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    text = " ".join(text.split())
    if not min_length <= len(text) <= max_length:
        raise ValueError(f"{min_length} to {max_length} characters")
    return text


def _text(max_length: int) -> Checker:
    return lambda value: clean_text(value, max_length)


def _member_id(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 32 or not value.isalnum():
        raise ValueError("a member id")
    return value


def _member_or_none(value: Any) -> str | None:
    return None if value is None else _member_id(value)


def _sdp(value: Any) -> dict[str, str]:
    """A session description: {type: offer|answer, sdp}; the SDP text itself is relayed as is."""
    if not isinstance(value, dict) or set(value) != {"type", "sdp"}:
        raise ValueError("an object with 'type' and 'sdp'")
    if value["type"] not in ("offer", "answer"):
        raise ValueError("of type 'offer' or 'answer'")
    text = value["sdp"]
    if not isinstance(text, str) or not text.startswith("v="):
        raise ValueError("an SDP text (starting with 'v=')")
    if len(text) > SDP_MAX:
        raise TooLarge(f"at most {SDP_MAX} characters")
    return {"type": value["type"], "sdp": text}


def _optional_text(value: Any, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.isprintable():
        raise ValueError("a string without control characters, or null")
    if len(value) > limit:
        raise TooLarge(f"at most {limit} characters")
    return value


def _ice(value: Any) -> dict[str, Any] | None:
    """An ICE candidate as RTCIceCandidate.toJSON() gives it, or null (end of candidates)."""
    if value is None:
        return None
    if not isinstance(value, dict) or "candidate" not in value:
        raise ValueError("an object with 'candidate', or null")
    extra = set(value) - {"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"}
    if extra:
        raise ValueError("an object without " + ", ".join(sorted(str(k)[:40] for k in extra)))
    candidate = _optional_text(value["candidate"], CANDIDATE_MAX)
    if candidate is None:
        raise ValueError("an object whose 'candidate' is a string")
    index = value.get("sdpMLineIndex")
    if index is not None and (type(index) is not int or not 0 <= index <= 1023):
        raise ValueError("an object whose 'sdpMLineIndex' is an integer from 0 to 1023, or null")
    ice: dict[str, Any] = {"candidate": candidate}
    if "sdpMid" in value:
        ice["sdpMid"] = _optional_text(value["sdpMid"], 64)
    if "sdpMLineIndex" in value:
        ice["sdpMLineIndex"] = index
    if "usernameFragment" in value:
        ice["usernameFragment"] = _optional_text(value["usernameFragment"], 256)
    return ice


vec3 = _finite_list(3, COORDINATE_LIMIT, 3)
quat = _finite_list(4, QUATERNION_LIMIT, 4)


def _vec3_or_null(value: Any) -> list[float] | None:
    return None if value is None else vec3(value)


POINTER_SPACES = ("model", "gallery")


@dataclass(frozen=True)
class MessageSpec:
    required: dict[str, Checker]
    optional: dict[str, Checker]


COMMON_MESSAGES: dict[str, MessageSpec] = {
    "hello": MessageSpec({"name": _text(NAME_MAX)}, {}),
    "pose": MessageSpec({"p": vec3, "q": quat}, {"t": _number}),
    "ping": MessageSpec({}, {"t": _number}),
    # The shared pointer (null hides it); who may point is the consumer's rule.
    "point": MessageSpec({"p": _vec3_or_null, "space": _choice(*POINTER_SPACES)}, {}),
}

TOUR_MESSAGES: dict[str, MessageSpec] = COMMON_MESSAGES | {
    # guide
    "goto": MessageSpec({"stop": _integer(0, 10_000)}, {}),
    "end": MessageSpec({}, {}),
    "answer": MessageSpec({"question": _integer(1, 2**53), "text": _text(ANSWER_MAX)}, {}),
    "dismiss": MessageSpec({"question": _integer(1, 2**53)}, {}),
    "lower_hand": MessageSpec({"member": _member_id}, {}),
    # followers
    "progress": MessageSpec({"stop": _integer(0, 10_000), "mode": _choice("follow", "roam")}, {}),
    "hand": MessageSpec({"raised": _boolean}, {}),
    "ask": MessageSpec({"text": _text(QUESTION_MAX)}, {}),
    # a speaker (guide, floor holder): live captions of their speech
    "caption": MessageSpec({"text": _text(CAPTION_MAX), "final": _boolean}, {}),
    # voice (museum/realtime/voice.py): `rtc` carries exactly one of sdp and ice
    "rtc": MessageSpec({"to": _member_id}, {"sdp": _sdp, "ice": _ice}),
    "listen": MessageSpec({}, {}),
    "talk": MessageSpec({"on": _boolean}, {}),
    "floor": MessageSpec({"member": _member_or_none}, {}),
}

GUIDE_ONLY = frozenset({"goto", "end", "answer", "dismiss", "lower_hand", "floor"})
FOLLOWER_ONLY = frozenset({"progress", "hand", "ask"})


def parse_frame(
    text: str | None,
    data: bytes | None,
    *,
    max_bytes: int,
    messages: dict[str, MessageSpec],
) -> tuple[str, dict[str, Any]]:
    """Decode and validate one client frame; return (type, cleaned fields) or raise FrameError."""
    if text is None:
        raise FrameError("binary_not_supported", "Send JSON text frames.")
    # len(str) counts characters; a character is at most 4 bytes in UTF-8, so only long frames pay
    # for the exact byte count.
    if len(text) * 4 > max_bytes and len(text.encode()) > max_bytes:
        raise FrameError("too_large", f"Frames are limited to {max_bytes} bytes.")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise FrameError("bad_json", "The frame is not valid JSON.") from None
    if not isinstance(body, dict):
        raise FrameError("not_an_object", "A frame is a JSON object with a 'type'.")
    kind = body.pop("type", None)
    if not isinstance(kind, str) or kind not in messages:
        raise FrameError("unknown_type", f"Unknown message type {str(kind)[:40]!r}.")
    version = body.pop("v", PROTOCOL_VERSION)
    if version not in SUPPORTED_VERSIONS or type(version) is not int:
        raise FrameError("unsupported_version", "This server speaks protocol version 1.", kind)
    spec = messages[kind]
    cleaned: dict[str, Any] = {}
    for name, checker in spec.required.items():
        if name not in body:
            raise FrameError("missing_field", f"'{kind}' needs '{name}'.", kind)
        cleaned[name] = _checked(kind, name, checker, body.pop(name))
    for name, checker in spec.optional.items():
        if name in body:
            cleaned[name] = _checked(kind, name, checker, body.pop(name))
    if body:
        extra = ", ".join(sorted(str(key)[:40] for key in body)[:5])
        raise FrameError("unknown_field", f"'{kind}' has no field(s) {extra}.", kind)
    return kind, cleaned


def _checked(kind: str, name: str, checker: Checker, value: Any) -> Any:
    try:
        return checker(value)
    except TooLarge as exc:
        raise FrameError("too_large", f"'{kind}.{name}' must be {exc}.", kind) from None
    except ValueError as exc:
        raise FrameError("bad_value", f"'{kind}.{name}' must be {exc}.", kind) from None


def server_frame(kind: str, **fields: Any) -> str:
    """Serialise a server frame (compact JSON, protocol version stamped)."""
    return json.dumps({"type": kind, "v": PROTOCOL_VERSION, **fields}, separators=(",", ":"))
