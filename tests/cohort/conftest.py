"""Fixtures for the Ray engine's tests: one small local Ray cluster per test
session, a seeded cohort, and the daemon's own output for it (the reference
every Ray result must equal byte for byte)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.daemons import launch
from tests.support.cohort import write_cohort

GLURPC = str(Path(sys.executable).with_name("glurpc"))
RUN_TIMEOUT_S = 600.0
SMALL_HOURS = 10  # 120 readings: 13 windows a file
LARGE_HOURS = 20  # 240 readings: 133 windows, last in the cohort's order


@dataclass(frozen=True)
class Cohort:
    files: list[Path]  # inputs, in the order given to the CLI
    images: dict[str, bytes]  # the daemon's `plot --all` output, by file name

    @property
    def small(self) -> list[Path]:
        return self.files[:-1]


@pytest.fixture(scope="session")
def ray_address() -> Iterator[str]:
    """A local cluster of 2 CPUs and a small object store, shared by the session.

    The CLI runs under test join it with --ray-address (ray.init leaves
    RAY_AUTH_MODE in the environment the CLI processes inherit)."""
    ray = pytest.importorskip(
        "ray", reason="the Ray engine needs ray: pip install 'glurpc-local[ray]'"
    )
    temp = Path(tempfile.mkdtemp(prefix="glurpc-ray-", dir="/tmp"))  # short: Ray's socket paths
    ray.init(
        num_cpus=2,
        object_store_memory=200 * 1024 * 1024,
        include_dashboard=False,
        log_to_driver=False,
        _temp_dir=str(temp),
    )
    try:
        yield ray.get_runtime_context().gcs_address
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="session")
def daemon_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="glurpc-rd-", dir="/tmp"))
    state = tmp_path_factory.mktemp("cohort-daemon")
    process = launch(
        base / "glurpcd.sock", state, "--render-workers", "1", "--precompute-hours", "0"
    )
    try:
        yield process.socket
    finally:
        process.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def cohort(tmp_path_factory: pytest.TempPathFactory, daemon_socket: Path) -> Cohort:
    folder = tmp_path_factory.mktemp("cohort")
    files = write_cohort(folder / "in", 3, SMALL_HOURS, seed=11)
    files += write_cohort(folder / "large", 1, LARGE_HOURS, seed=12)
    files[-1] = files[-1].rename(folder / "in" / "large.csv")
    out = folder / "daemon-out"
    glurpc(daemon_socket, "plot", *map(str, files), "--all", "-o", f"{out}/")
    return Cohort(files, {path.name: path.read_bytes() for path in out.iterdir()})


def daemon_env(socket: Path) -> dict[str, str]:
    return {**os.environ, "GLURPC_SOCKET": str(socket), "GLURPC_NO_AUTOSTART": "1"}


def glurpc(
    socket: Path, *args: str, check: bool = True, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it; the Ray engine's runs add --engine ray themselves."""
    result = subprocess.run(
        [GLURPC, *args],
        env=daemon_env(socket),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        cwd=cwd,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"glurpc {' '.join(args)} -> {result.returncode}\n{result.stderr}")
    return result
