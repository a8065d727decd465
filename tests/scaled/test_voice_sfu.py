"""Live voice through the media server (#23) on the scaled stack: a real Chromium with a fake
microphone publishes through the tour socket to Janus and gets Janus's answer; a follower in
another browser context, connected to the other ASGI process, learns who speaks, gets Janus's
offer for the guide's feed, answers, and receives audio; given the floor, it publishes in turn and
the guide hears it."""

from __future__ import annotations

import pytest

from tests.integration.test_realtime_live import login, start_demo_tour
from tests.scaled.conftest import Stack

pytestmark = [pytest.mark.scaled]

FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]

# The page's side of the protocol, as small as the test needs (the tour page's own client is
# static/js/lib/tour-voice.js): a socket, the `voice` state, and one peer connection to "sfu".
CLIENT = """
async ({path}) => {
  const url = location.origin.replace('http', 'ws') + path;
  const socket = new WebSocket(url);
  const frames = [];
  const waiters = [];
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    frames.push(frame);
    for (const waiter of [...waiters]) {
      if (waiter.test(frame)) { waiters.splice(waiters.indexOf(waiter), 1); waiter.resolve(frame); }
    }
  };
  const next = (test, ms = 20000, after = 0) => new Promise((resolve, reject) => {
    const found = frames.slice(after).find(test);
    if (found) { resolve(found); return; }
    waiters.push({test, resolve});
    setTimeout(() => reject(new Error('no frame: ' + JSON.stringify(frames.map(f => f.type)))), ms);
  });
  const send = (frame) => socket.send(JSON.stringify(frame));
  await new Promise((resolve) => { socket.onopen = resolve; });
  const voice = await next((f) => f.type === 'voice');
  const id = (await next((f) => f.type === 'welcome')).id;
  const connection = () => {
    const pc = new RTCPeerConnection({iceServers: voice.ice_servers});
    pc.onicecandidate = (e) => {
      send({type: 'rtc', to: 'sfu', ice: e.candidate && e.candidate.toJSON()});
    };
    return pc;
  };
  const test = {id, socket, frames, next, send, pcs: {}};
  test.publish = async () => {  // a speaker's microphone to Janus: Janus's answer
    const pc = test.pcs.pub = connection();
    const stream = await navigator.mediaDevices.getUserMedia({audio: true});
    stream.getTracks().forEach((track) => pc.addTrack(track, stream));
    const after = frames.length;
    await pc.setLocalDescription(await pc.createOffer());
    send({type: 'rtc', to: 'sfu', sdp: {type: 'offer', sdp: pc.localDescription.sdp}});
    const answer = await next((f) => f.type === 'rtc' && f.sdp?.type === 'answer', 20000, after);
    await pc.setRemoteDescription(answer.sdp);
    return {from: answer.from, sdp: answer.sdp.sdp};
  };
  test.listen = async () => {  // the speakers' audio from Janus: Janus's offer, our answer
    const after = frames.length;
    send({type: 'listen'});  // the server keeps the subscription current as speakers change
    const offer = await next((f) => f.type === 'rtc' && f.sdp?.type === 'offer', 30000, after);
    const pc = test.pcs.sub = connection();
    await pc.setRemoteDescription(offer.sdp);
    await pc.setLocalDescription(await pc.createAnswer());
    send({type: 'rtc', to: 'sfu', sdp: {type: 'answer', sdp: pc.localDescription.sdp}});
    return {from: offer.from, sdp: offer.sdp.sdp};
  };
  test.voice = () => frames.filter((f) => f.type === 'voice').pop();
  window.voiceTest = test;
  return {id, mode: voice.mode};
}
"""

RECEIVED_BYTES = """
async () => {
  const stats = await window.voiceTest.pcs.sub.getStats();
  let bytes = 0;
  stats.forEach((report) => {
    if (report.type === 'inbound-rtp' && report.kind === 'audio') bytes += report.bytesReceived;
  });
  return bytes;
}
"""
AUDIO_ARRIVES = f"({RECEIVED_BYTES})().then((bytes) => bytes > 1000)"


@pytest.fixture
def media_browser():
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *FAKE_MEDIA]
        )
        try:
            yield browser
        finally:
            browser.close()


def test_a_guide_publishes_through_janus_and_a_follower_receives_the_audio(
    stack: Stack, media_browser
):
    if stack.museum.env.get("MOUSEION_VOICE") != "sfu":
        pytest.skip("the stack runs without Janus (the janus package is not installed)")
    educator = login(stack.museum, "educator")
    code = start_demo_tour(educator, stack.museum)
    path = f"/ws/tours/{code}/"

    # Each on its own ASGI process: the speakers and the media server are shared across them.
    web1, web2 = stack.web_urls["web1"], stack.web_urls["web2"]
    guide_context = media_browser.new_context()
    guide_context.add_cookies(
        [{"name": "sessionid", "value": educator.cookies["sessionid"], "url": web1}]
    )
    guide = guide_context.new_page()
    guide.goto(web1 + "/healthz")
    guide_id = guide.evaluate(CLIENT, {"path": path})["id"]
    published = guide.evaluate("window.voiceTest.publish()")
    assert guide.evaluate("window.voiceTest.voice()")["mode"] == "sfu"
    assert published["from"] == "sfu"
    assert published["sdp"].startswith("v=0") and "opus/48000" in published["sdp"]

    follower = media_browser.new_context().new_page()
    follower.goto(web2 + "/healthz")
    follower_id = follower.evaluate(CLIENT, {"path": path})["id"]
    offer = follower.evaluate("window.voiceTest.listen()")
    assert offer["from"] == "sfu" and "m=audio" in offer["sdp"]
    assert follower.evaluate("window.voiceTest.voice()")["speakers"] == [guide_id]
    # The follower's connection to Janus comes up and the guide's (fake) microphone arrives.
    follower.wait_for_function(
        "() => window.voiceTest.pcs.sub.connectionState === 'connected'", timeout=20_000
    )
    follower.wait_for_function(AUDIO_ARRIVES, timeout=20_000)

    # The guide gives the follower the floor: it publishes too, and the guide hears it.
    guide.evaluate(f"window.voiceTest.send({{type: 'floor', member: '{follower_id}'}})")
    follower.wait_for_function(f"() => window.voiceTest.voice().floor === '{follower_id}'")
    assert follower.evaluate("window.voiceTest.publish()")["from"] == "sfu"
    guide.evaluate("window.voiceTest.listen()")
    guide.wait_for_function(AUDIO_ARRIVES, timeout=20_000)
    educator.close()
