"""A cohort on a three-node cluster that loses part of itself mid-run: a worker
node killed while one of its render tasks is between writing an image's
temporary and renaming it, and a model actor killed while it forecasts a
chunk. Either way the job finishes on what is left: every image exactly once,
whole and equal to the daemon's, no temporaries left, the report's counts
those of the files.

The kills are cued, not timed: a pause point (glurpc_ray/pause.py) holds the
first worker there on each node until the test has killed it.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from .conftest import GLURPC, RUN_TIMEOUT_S, Cohort, RayCluster, daemon_env
from .cues import Cue

pytest.importorskip("ray", reason="the Ray engine needs ray: pip install 'glurpc-local[ray]'")
pytestmark = pytest.mark.integration


def start(
    cluster: RayCluster, daemon_socket: Path, files: list[Path], out: Path
) -> subprocess.Popen[str]:
    args = ["plot", *map(str, files), "--all", "-o", f"{out}/", "--json"]
    return subprocess.Popen(
        [GLURPC, *args, "--engine", "ray", "--ray-address", cluster.address],
        env=daemon_env(daemon_socket),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # already gone with its node


def check_finished(
    run: subprocess.Popen[str], cohort: Cohort, files: list[Path], out: Path
) -> None:
    stdout, stderr = run.communicate(timeout=RUN_TIMEOUT_S)
    assert run.returncode == 0, stderr
    expected = {
        name: data
        for name, data in cohort.images.items()
        if name.startswith(tuple(p.stem + "_" for p in files))
    }
    landed = {path.name: path.read_bytes() for path in out.iterdir()}
    assert sorted(landed) == sorted(expected)  # nothing missing, no temporaries, no marker
    assert [name for name in landed if landed[name] != expected[name]] == []  # every image whole
    reported = collections.Counter(json.loads(line)["output"] for line in stdout.splitlines())
    assert sorted(Path(output).name for output in reported) == sorted(expected)
    assert set(reported.values()) == {1}  # each image reported once
    assert f"{len(expected)} written, 0 skipped, 0 failed" in stderr


def test_a_worker_node_lost_mid_write_costs_its_work_not_the_job(
    ray_cluster: RayCluster, cohort: Cohort, daemon_socket: Path, tmp_path: Path
) -> None:
    files, out = cohort.small, tmp_path / "out"
    cue = Cue(ray_cluster.pause, "write")
    try:
        with start(ray_cluster, daemon_socket, files, out) as run:
            workers = {node.node_id for node in ray_cluster.cluster.worker_nodes}
            held = cue.held(run, on=workers)
            torn = list(out.glob(".*.part"))
            assert torn != []  # the held writer's image is half done: written, not renamed
            ray_cluster.lose(ray_cluster.worker(held.node_id))
            kill(held.pid)
            cue.release()
            check_finished(run, cohort, files, out)
    finally:
        cue.close()
        ray_cluster.restore()


def test_a_model_actor_killed_mid_chunk_costs_its_chunk_not_the_job(
    ray_cluster: RayCluster, cohort: Cohort, daemon_socket: Path, tmp_path: Path
) -> None:
    files, out = cohort.small, tmp_path / "out"
    cue = Cue(ray_cluster.pause, "chunk")
    try:
        with start(ray_cluster, daemon_socket, files, out) as run:
            held = cue.held(run)
            kill(held.pid)
            cue.release()
            check_finished(run, cohort, files, out)
    finally:
        cue.close()
