"""Fixtures for the Ray engine's tests: one three-node Ray cluster per test
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
from typing import Any

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


@dataclass
class RayCluster:
    """A head and two worker nodes on this machine, each its own raylet with
    one CPU: the cluster a user rehearses on a laptop (docs/SCALING.md).

    `pause` is the cluster's GLURPC_RAY_PAUSE folder (glurpc_ray/pause.py): a
    test puts a cue there to hold a worker mid-work before killing it."""

    cluster: Any
    pause: Path

    @property
    def address(self) -> str:
        return str(self.cluster.address)

    def node_ids(self) -> set[str]:
        return {node.node_id for node in self.cluster.list_all_nodes()}

    def worker(self, node_id: str) -> Any:
        """The worker node (never the head, which holds the job's driver) with that id."""
        return next(node for node in self.cluster.worker_nodes if node.node_id == node_id)

    def lose(self, node: Any) -> None:
        """Kill a worker node's raylet and every process it started, as a crash would."""
        self.cluster.remove_node(node, allow_graceful=False)

    def restore(self) -> None:
        """Back to a head and two workers, for the tests that follow."""
        while len(self.cluster.worker_nodes) < WORKER_NODES:
            self.cluster.add_node(**NODE)
        self.cluster.wait_for_nodes()


WORKER_NODES = 2
NODE = {"num_cpus": 1, "object_store_memory": 100 * 1024 * 1024}


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayCluster]:
    """Started from this process; the CLI runs under test join it with --ray-address.

    RAY_TMPDIR keeps its sockets and logs in a short private folder (Ray's
    socket paths must be short; other Ray users of this machine keep theirs),
    and the CLI processes inherit it with GLURPC_RAY_PAUSE, which the nodes'
    workers see."""
    pytest.importorskip("ray", reason="the Ray engine needs ray: pip install 'glurpc-local[ray]'")
    from ray.cluster_utils import Cluster

    temp = Path(tempfile.mkdtemp(prefix="glurpc-ray-", dir="/tmp"))
    pause = temp / "pause"
    pause.mkdir()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RAY_TMPDIR", str(temp))
        env.setenv("GLURPC_RAY_PAUSE", str(pause))
        cluster = Cluster(initialize_head=True, head_node_args={**NODE, "include_dashboard": False})
        try:
            for _ in range(WORKER_NODES):
                cluster.add_node(**NODE)
            cluster.wait_for_nodes()
            yield RayCluster(cluster, pause)
        finally:
            cluster.shutdown()
            shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="session")
def ray_address(ray_cluster: RayCluster) -> str:
    return ray_cluster.address


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
