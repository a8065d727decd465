"""The bridge to the Janus media server (museum/realtime/janus.py, sfu.py) against a real Janus,
configured as the scaled stack configures it (VideoRoom and WebSocket transport only, loopback).
A browser's offer is written here by hand: Janus answers it, though no media will ever flow
(the scaled stage's test does that with a real Chromium)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from museum.realtime.janus import JanusConnection, JanusError, connection_for
from museum.realtime.sfu import TourRoom

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0",
        "a=msid-semantic: WMS",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:pubu",
        "a=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa",
        "a=ice-options:trickle",
        "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
        "a=setup:actpass",
        "a=mid:0",
        "a=sendonly",
        "a=msid:s t",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "a=ssrc:1 cname:x",
        "",
    ]
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def janus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if shutil.which("janus") is None:
        pytest.skip("janus is not installed (apt-get install janus)")
    sys.path.insert(0, str(ROOT / "scripts" / "scaled"))
    import stack  # scripts/scaled/stack.py: the stack's own Janus config

    folder = tmp_path_factory.mktemp("janus")
    port = free_port()
    stack.write_janus_config({"dir": str(folder), "ports": {"janus": port}})
    conf = folder / "janus" / "janus.jcfg"
    with (folder / "janus.log").open("w") as log:
        process = subprocess.Popen(
            ["janus", "--config", str(conf), "--configs-folder", str(conf.parent)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, (folder / "janus.log").read_text()
                time.sleep(0.1)
        yield f"ws://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def test_a_speaker_publishes_and_its_session_goes_when_it_leaves(janus_url):
    async def scenario() -> None:
        link = JanusConnection(janus_url)
        room = TourRoom(link, 123456, "Tour TEST42")
        answer = await room.publish("guide1", OFFER)
        assert answer.startswith("v=0") and "opus/48000" in answer and "a=recvonly" in answer
        peer = room.peers["guide1"]
        assert peer.ufrags == {"pubu": peer.publisher} and peer.session in link.sessions
        # A renegotiation of the same connection (configure), then candidates by ufrag.
        assert "opus/48000" in await room.publish("guide1", OFFER)
        candidate = "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host ufrag pubu"
        await room.trickle("guide1", {"candidate": candidate, "sdpMid": "0", "sdpMLineIndex": 0})
        await room.trickle("guide1", None)
        # Its media never comes up here, so a listener finds no live feed to subscribe to.
        assert await room.subscribe("follower1", ["guide1"]) is None
        await room.release("guide1")
        await room.release("follower1")
        assert link.sessions == set()
        await room.destroy()
        with pytest.raises(JanusError):  # the room is gone
            session = await link.create_session()
            handle = await link.attach(session)
            await link.message(session, handle, {"request": "destroy", "room": 123456})
        await link.close()

    asyncio.run(scenario())


def test_an_unreachable_media_server_is_a_janus_error_quickly():
    async def scenario() -> float:
        link = connection_for("ws://127.0.0.1:9/")
        started = time.monotonic()
        with pytest.raises(JanusError):
            await link.connect()
        with pytest.raises(JanusError):  # no new attempt for a while: no connect per frame
            await link.connect()
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 5
