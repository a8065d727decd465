"""The protocol's frame validation (museum/realtime/schema.py) on good and hostile frames."""

from __future__ import annotations

import json

import pytest

from museum.realtime.schema import COMMON_MESSAGES, TOUR_MESSAGES, FrameError, parse_frame

LIMIT = 16 * 1024


def parse(frame: object, messages=COMMON_MESSAGES, raw: str | None = None):
    text = raw if raw is not None else json.dumps(frame)
    return parse_frame(text, None, max_bytes=LIMIT, messages=messages)


def refused(frame: object, messages=COMMON_MESSAGES, raw: str | None = None) -> str:
    with pytest.raises(FrameError) as caught:
        parse(frame, messages, raw)
    return caught.value.code


def test_a_pose_is_accepted_and_rounded():
    kind, fields = parse({"type": "pose", "p": [1.23456, 1.6, -2], "q": [0, 0, 0, 1], "t": 12.5})
    assert kind == "pose"
    assert fields == {"p": [1.235, 1.6, -2], "q": [0, 0, 0, 1], "t": 12.5}


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "teleport"}, "unknown_type"),
        ({"p": [0, 0, 0]}, "unknown_type"),
        ({"type": "pose", "p": [0, 0, 0]}, "missing_field"),
        ({"type": "pose", "p": [0, 0], "q": [0, 0, 0, 1]}, "bad_value"),
        ({"type": "pose", "p": ["1", 0, 0], "q": [0, 0, 0, 1]}, "bad_value"),
        ({"type": "pose", "p": [True, 0, 0], "q": [0, 0, 0, 1]}, "bad_value"),
        ({"type": "pose", "p": [1e9, 0, 0], "q": [0, 0, 0, 1]}, "bad_value"),
        ({"type": "pose", "p": [0, 0, 0], "q": [0, 0, 2, 1]}, "bad_value"),
        ({"type": "pose", "p": [0, 0, 0], "q": [0, 0, 0, 1], "x": 1}, "unknown_field"),
        ({"type": "pose", "v": 2, "p": [0, 0, 0], "q": [0, 0, 0, 1]}, "unsupported_version"),
        ({"type": "hello", "name": ""}, "bad_value"),
        ({"type": "hello", "name": "x" * 41}, "bad_value"),
        ([1, 2, 3], "not_an_object"),
        ("pose", "not_an_object"),
    ],
)
def test_hostile_frames_are_refused_with_their_code(frame, code):
    assert refused(frame) == code


def test_nan_and_infinity_are_refused():
    assert refused(None, raw='{"type":"pose","p":[NaN,0,0],"q":[0,0,0,1]}') == "bad_value"
    assert refused(None, raw='{"type":"pose","p":[Infinity,0,0],"q":[0,0,0,1]}') == "bad_value"


def test_malformed_json_and_deep_nesting_are_refused():
    assert refused(None, raw="{bad json") == "bad_json"
    assert refused(None, raw="[" * 100_000 + "]" * 100_000) == "too_large"
    assert refused(None, raw="[" * 5000 + "]" * 5000) in {"bad_json", "not_an_object"}


def test_oversize_frames_are_refused_before_parsing():
    big = json.dumps({"type": "hello", "name": "a" * (LIMIT + 10)})
    assert refused(None, raw=big) == "too_large"
    # Multi-byte characters count in bytes, not characters.
    wide = json.dumps({"type": "hello", "name": "é" * (LIMIT // 2)}, ensure_ascii=False)
    assert len(wide) < LIMIT < len(wide.encode())
    assert refused(None, raw=wide) == "too_large"


def test_binary_frames_are_refused():
    with pytest.raises(FrameError) as caught:
        parse_frame(None, b"\x00\x01", max_bytes=LIMIT, messages=COMMON_MESSAGES)
    assert caught.value.code == "binary_not_supported"


def test_names_lose_control_characters_and_extra_spaces():
    _, fields = parse({"type": "hello", "name": "  Ada\u0000 \u202e Love\tlace  "})
    assert fields["name"] == "Ada Love lace"


def test_tour_messages_exist_only_on_tours():
    assert refused({"type": "goto", "stop": 1}) == "unknown_type"
    assert parse({"type": "goto", "stop": 1}, TOUR_MESSAGES) == ("goto", {"stop": 1})
    assert refused({"type": "goto", "stop": -1}, TOUR_MESSAGES) == "bad_value"
    assert refused({"type": "goto", "stop": 1.5}, TOUR_MESSAGES) == "bad_value"
    assert refused({"type": "progress", "stop": 0, "mode": "fly"}, TOUR_MESSAGES) == "bad_value"
    assert refused({"type": "ask", "text": "?" * 281}, TOUR_MESSAGES) == "bad_value"
    assert refused({"type": "hand", "raised": "yes"}, TOUR_MESSAGES) == "bad_value"
