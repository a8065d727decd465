"""Live voice on a guided tour (single profile, peer to peer), in real Chromium with fake
microphones: each browser's microphone is a WAV written here, a sine at its own frequency.
A tone detector in the page (tour-voice.js `peak()`: an AnalyserNode's strongest FFT bin over
everything received) tells which tone arrives where.

Browser A (440 Hz) holds the guide alone (its 3D page would starve another page of the software
GPU); browser B (880 Hz) the follower who is given the floor and a second follower who is not."""

from __future__ import annotations

import math
import struct
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LiveMuseum
from tests.e2e.browser import go_live, run_axe

pytestmark = pytest.mark.e2e

GUIDE_HZ = 440
FOLLOWER_HZ = 880
HEARD_DB = -70  # the tone's bin after Opus, about -45 dB here
SILENT_DB = -85


def write_tone(path: Path, hz: float, seconds: float = 1.0, rate: int = 48_000) -> Path:
    """A mono 16-bit sine (Chromium loops the file as its fake microphone)."""
    samples = (
        int(12_000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return path


@pytest.fixture(scope="module")
def voice_browsers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, object]]:
    """Two Chromiums whose microphones play different tones."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt install chromium)")
    from playwright.sync_api import sync_playwright

    folder = tmp_path_factory.mktemp("voice")
    with sync_playwright() as playwright:
        browsers = []
        for hz in (GUIDE_HZ, FOLLOWER_HZ):
            wav = write_tone(folder / f"tone-{hz}.wav", hz)
            args = [
                *CHROMIUM_ARGS,
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}",
            ]
            browsers.append(playwright.chromium.launch(executable_path=str(CHROMIUM), args=args))
        try:
            yield browsers[0], browsers[1]
        finally:
            for browser in browsers:
                browser.close()


# Headless Chromium has no speech recognition service: the guide's page gets a stand-in whose
# results the test dictates (window.fakeSpeech), shaped as the Web Speech API's.
FAKE_SPEECH_RECOGNITION = """
window.SpeechRecognition = class {
  start() { window.fakeRecognition = this; }
  stop() { if (this.onend) this.onend(); }
};
window.webkitSpeechRecognition = window.SpeechRecognition;
window.fakeSpeech = (text, isFinal) => {
  const result = [{ transcript: text }];
  result.isFinal = isFinal;
  window.fakeRecognition.onresult({ results: [result] });
};
"""


def join(browser, server_url: str, code: str):
    context = browser.new_context(viewport={"width": 412, "height": 860}, locale="en")
    page = context.new_page()
    # A 3D tour page per member on a small machine: generous waits, and no wait for the models
    # (the join button works once the page's module ran, before DOMContentLoaded).
    page.goto(f"{server_url}/tours/{code}/", wait_until="domcontentloaded", timeout=90_000)
    page.get_by_role("button", name="Join the tour").click(timeout=60_000)
    page.wait_for_selector("#tour[data-connection='open']", timeout=60_000)
    page.wait_for_function("window.mouseionTour.voice.state().mode === 'p2p'", timeout=10_000)
    page.get_by_role("button", name="Listen").click()
    assert page.get_by_role("button", name="Listen").get_attribute("aria-pressed") == "true"
    return context, page


def hears(page, hz: float, timeout_ms: int = 10_000) -> None:
    page.wait_for_function(
        "([hz, db]) => { const p = window.mouseionTour.voice.peak();"
        " return Math.abs(p.hz - hz) < 20 && p.db > db; }",
        arg=[hz, HEARD_DB],
        timeout=timeout_ms,
        polling=100,  # not on animation frames, which a busy headless page gets rarely
    )


def silent(page, timeout_ms: int = 10_000) -> None:
    page.wait_for_function(
        "(db) => window.mouseionTour.voice.peak().db < db",
        arg=SILENT_DB,
        timeout=timeout_ms,
        polling=100,
    )


def hold_to_talk(page) -> None:
    """Press and hold the push-to-talk button with the mouse (again if the press missed it: the
    panel may move between the hover and the press while the page settles)."""
    for attempt in range(2):
        page.locator("#voice-ptt").hover()
        page.mouse.down()
        try:
            page.wait_for_function("window.mouseionTour.voice.state().talking", timeout=5_000)
            return
        except Exception:  # Playwright's TimeoutError
            page.mouse.up()
            if attempt:
                raise


@pytest.mark.timeout(600)  # alone, the live museum's setup takes half of it on a busy machine
def test_guide_and_floor_holder_are_heard_and_nobody_else(
    voice_browsers, live_museum: LiveMuseum, server_url: str
) -> None:
    browser_a, browser_b = voice_browsers
    guide_context, guide, code = go_live(
        browser_a, live_museum, server_url, init_script=FAKE_SPEECH_RECOGNITION
    )
    guide.wait_for_function("window.mouseionTour.voice.state().mode === 'p2p'", timeout=10_000)
    guide_id = guide.evaluate("document.getElementById('tour').dataset.memberId")
    first_context, first = join(browser_b, server_url, code)  # its microphone: 880 Hz
    second_context, second = join(browser_b, server_url, code)  # 880 Hz, never given the floor
    try:
        # A follower has no microphone control; the guide has push-to-talk.
        assert not first.locator("#voice-ptt").is_visible()
        assert guide.locator("#voice-ptt").is_visible()

        # The guide holds push-to-talk: both followers hear 440 Hz and see who speaks.
        hold_to_talk(guide)
        for follower in (first, second):
            hears(follower, GUIDE_HZ)
            follower.wait_for_function(
                "(id) => document.getElementById('voice-card').dataset.speaking.includes(id)",
                arg=guide_id,
            )
        assert guide.locator("#voice-ptt").get_attribute("aria-pressed") == "true"
        # Released: silence.
        guide.mouse.up()
        for follower in (first, second):
            silent(follower)

        # The first follower raises a hand; the guide gives the floor; the follower talks.
        first.get_by_role("button", name="Raise hand").click()
        guide.get_by_role("button", name="Give the floor").click()
        first.wait_for_selector("#voice-ptt", state="visible", timeout=10_000)
        assert "floor" in first.locator("#voice-status").inner_text()
        for page in (first, guide):  # the voice card, as a speaker, passes axe
            violations = [v for v in run_axe(page) if v["impact"] in {"serious", "critical"}]
            assert not violations, violations
        hold_to_talk(first)
        hears(guide, FOLLOWER_HZ)
        hears(second, FOLLOWER_HZ)
        first.mouse.up()
        silent(guide)

        # The second follower, without the floor, forces its client to offer its microphone to
        # the guide and to say it talks: the server refuses both and the guide hears nothing.
        errors_before = second.locator("#tour-connection-text").inner_text()
        second.evaluate(
            """async (guide) => {
                const voice = window.mouseionTour.voice;
                voice.speakers.push(voice.selfId);
                await voice.openMic();
                await voice.offerTo(guide);
                await voice.setTalking(true);
            }""",
            guide_id,
        )
        second.wait_for_function(
            "(before) => document.getElementById('tour-connection-text').textContent !== before",
            arg=errors_before,
        )
        assert "may not" in second.locator("#tour-connection-text").inner_text()
        guide.wait_for_timeout(1500)
        peak = guide.evaluate("window.mouseionTour.voice.peak()")
        assert not (abs(peak["hz"] - FOLLOWER_HZ) < 20 and peak["db"] > HEARD_DB), peak
        second_id = second.evaluate("window.mouseionTour.voice.selfId")
        peers = guide.evaluate("window.mouseionTour.voice.state().peers")
        assert f"in:{second_id}" not in {peer["key"] for peer in peers}

        # The guide takes the floor back: the first follower's controls go.
        guide.get_by_role("button", name="Take the floor back").click()
        first.wait_for_selector("#voice-ptt", state="hidden", timeout=10_000)

        # Live captions: the guide's speech, as its browser recognises it, shows on both
        # followers' cards (interim, then final: told to screen readers).
        guide.get_by_role("button", name="Live captions").click()
        assert guide.locator("#voice-captions").get_attribute("aria-pressed") == "true"
        guide.evaluate("window.fakeSpeech('This bronze was cast', false)")
        for follower in (first, second):
            follower.wait_for_function(
                "document.getElementById('voice-caption-text').textContent"
                " === 'This bronze was cast'"
            )
        guide.evaluate("window.fakeSpeech('This bronze was cast in two pieces.', true)")
        for follower in (first, second):
            follower.wait_for_function(
                "document.getElementById('voice-caption-final').textContent"
                ".endsWith(': This bronze was cast in two pieces.')"
            )
        assert first.locator("#voice-caption-line").is_visible()
        guide.get_by_role("button", name="Live captions").click()
        assert guide.locator("#voice-captions").get_attribute("aria-pressed") == "false"

        # The tour ends: every connection closes and the microphone is released.
        guide.get_by_role("button", name="End the tour").click()
        first.wait_for_selector("#tour-ended", state="visible", timeout=10_000)
        for page in (guide, first):
            page.wait_for_function(
                "window.mouseionTour.voice.state().peers.length === 0"
                " && !window.mouseionTour.voice.micTrack"
            )
    finally:
        for context in (first_context, second_context, guide_context):
            context.close()
