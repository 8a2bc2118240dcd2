"""GPU model actors, where a CUDA GPU is present (skipped elsewhere): the Ray
engine on a local cluster that has the GPU gives each actor one GPU, and its
numbers equal a daemon's on the same GPU, byte for byte.

A GPU's MC-dropout draws differ from a CPU's, so the reference is a daemon
started with `--device cuda`, not the session's CPU daemon.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.daemons import launch

from .conftest import Cohort, glurpc

torch = pytest.importorskip("torch")
pytest.importorskip("ray", reason="the Ray engine needs ray: pip install 'glurpc-local[ray]'")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="GPU actors need a CUDA GPU"),
]


@pytest.fixture
def gpu_daemon(tmp_path: Path) -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="glurpc-gd-", dir="/tmp"))
    process = launch(
        base / "glurpcd.sock", tmp_path / "state", "--device", "cuda", "--precompute-hours", "0"
    )
    try:
        yield process.socket
    finally:
        process.stop()
        shutil.rmtree(base, ignore_errors=True)


def test_gpu_actors_give_the_numbers_of_a_daemon_on_the_gpu(
    cohort: Cohort, gpu_daemon: Path
) -> None:
    files = [str(path) for path in cohort.small]
    ray = glurpc(gpu_daemon, "forecast", *files, "--all", "--engine", "ray", "--device", "cuda")
    assert "GPU model actor" in ray.stderr
    expected = "".join(glurpc(gpu_daemon, "forecast", name, "--all").stdout for name in files)
    assert ray.stdout == expected
