"""Model file resolution order and device names."""

from __future__ import annotations

from pathlib import Path

import pytest

from glurpc_core.model import ModelError, resolve_device, resolve_model_path
from glurpc_core.model.resolve import HF_FILENAME, HF_REPO_DIR, SHIPPED_DEFAULT


def cache_snapshot(hub: Path, revision: str) -> Path:
    folder = hub / HF_REPO_DIR / "snapshots" / revision
    folder.mkdir(parents=True)
    (folder / HF_FILENAME).write_bytes(b"weights")
    return folder / HF_FILENAME


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("GLURPC_MODEL", "HF_HUB_CACHE", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    return tmp_path


def test_order_explicit_env_cache_shipped(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_model_path(None) == (SHIPPED_DEFAULT, "shipped-default")
    cached = cache_snapshot(clean_env / "hf" / "hub", "abc123")
    assert resolve_model_path(None) == (cached, "huggingface-cache")
    from_env = clean_env / "env.pth"
    from_env.write_bytes(b"x")
    monkeypatch.setenv("GLURPC_MODEL", str(from_env))
    assert resolve_model_path(None) == (from_env, "env")
    explicit = clean_env / "explicit.pth"
    explicit.write_bytes(b"x")
    assert resolve_model_path(str(explicit)) == (explicit, "explicit")


def test_hub_cache_variable_and_refs_main(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hub = clean_env / "elsewhere"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    cache_snapshot(hub, "older")
    wanted = cache_snapshot(hub, "pinned")
    (hub / HF_REPO_DIR / "refs").mkdir()
    (hub / HF_REPO_DIR / "refs" / "main").write_text("pinned\n")
    assert resolve_model_path(None) == (wanted, "huggingface-cache")


def test_missing_explicit_file_is_an_error(clean_env: Path) -> None:
    with pytest.raises(ModelError) as caught:
        resolve_model_path(str(clean_env / "nope.pth"))
    assert caught.value.code == "model_not_found"


def test_shipped_default_exists_and_is_small() -> None:
    assert SHIPPED_DEFAULT.is_file()
    assert SHIPPED_DEFAULT.stat().st_size < 4_000_000


def test_devices() -> None:
    assert resolve_device("cpu") == "cpu"
    assert resolve_device("auto") in ("cpu", "cuda:0")
    with pytest.raises(ModelError):
        resolve_device("tpu")
    with pytest.raises(ModelError):
        resolve_device("cuda:99")
