"""The cohort engine on a real local Ray cluster against a real daemon: the same
bytes, a bad file that does not stop the cohort, Ctrl-C that leaves only whole
files, and `--skip-existing` that finishes the job.

Every run is the real CLI (`glurpc ... --engine ray --ray-address ADDR`) in its
own process; the daemon's `plot --all` output is the reference.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from glurpc_core import ingest
from tests.support.synthetic import make_trace, to_generic

from .conftest import GLURPC, RUN_TIMEOUT_S, Cohort, daemon_env, glurpc

pytest.importorskip("ray", reason="the Ray engine needs ray: pip install 'glurpc-local[ray]'")
pytestmark = pytest.mark.integration


def on_ray(address: str, *args: str) -> list[str]:
    return [*args, "--engine", "ray", "--ray-address", address]


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_images_and_numbers_equal_the_daemons(
    ray_address: str, cohort: Cohort, daemon_socket: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ray-out"
    files = list(map(str, cohort.files))
    run = glurpc(daemon_socket, *on_ray(ray_address, "plot", *files, "--all", "-o", f"{out}/"))
    written = {path.name: path.read_bytes() for path in out.iterdir()}
    assert sorted(written) == sorted(cohort.images)
    assert [name for name in written if written[name] != cohort.images[name]] == []
    assert f"{len(written)} written, 0 skipped, 0 failed" in run.stderr
    assert "windows/s" in run.stderr
    assert "3 nodes)" in run.stderr  # the head and both workers ran part of the job

    first = str(cohort.files[0])
    every = glurpc(daemon_socket, *on_ray(ray_address, "forecast", first, "--all")).stdout
    assert len(every.splitlines()) == 13
    assert every == glurpc(daemon_socket, "forecast", first, "--all").stdout
    one = glurpc(daemon_socket, *on_ray(ray_address, "forecast", first, "-i", "3")).stdout
    assert one == glurpc(daemon_socket, "forecast", first, "--index", "3").stdout
    table = glurpc(daemon_socket, *on_ray(ray_address, "forecast", first, "--all", "--csv"))
    assert table.stdout == glurpc(daemon_socket, "forecast", first, "--all", "--csv").stdout


def test_a_bad_file_is_reported_and_the_rest_complete(
    ray_address: str, cohort: Cohort, daemon_socket: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"this,is\nnot,a glucose export\n")
    missing = tmp_path / "missing.csv"
    files = [str(cohort.small[0]), str(broken), str(missing), str(cohort.small[1])]
    out = tmp_path / "out"
    args = on_ray(ray_address, "plot", *files, "--all", "-o", f"{out}/", "--json")
    run = glurpc(daemon_socket, *args, check=False)
    assert run.returncode == 1, run.stderr
    failed = {r["file"]: r for r in records(run.stdout) if r["status"] == "failed"}
    assert sorted(failed) == [str(broken), str(missing)]
    assert failed[str(broken)]["code"] == "invalid_data"
    assert failed[str(missing)]["code"] == "io_error"
    assert f"error: {broken}: " in run.stderr and "[invalid_data]" in run.stderr
    expected = {
        n for n in cohort.images if n.startswith((cohort.small[0].stem, cohort.small[1].stem))
    }
    written = {path.name: path.read_bytes() for path in out.iterdir()}
    assert sorted(written) == sorted(expected)
    assert all(written[name] == cohort.images[name] for name in written)


def test_ctrl_c_leaves_whole_files_and_skip_existing_finishes_the_job(
    ray_address: str, cohort: Cohort, daemon_socket: Path, tmp_path: Path
) -> None:
    """The first run's last input is a FIFO nobody writes to (a stalled file
    system read), so the run cannot finish before it is interrupted; the resumed
    run finds the real export there."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for path in cohort.small:
        (inputs / path.name).write_bytes(path.read_bytes())
    stalled = inputs / cohort.files[-1].name
    os.mkfifo(stalled)
    files = [str(inputs / path.name) for path in cohort.files]
    out = tmp_path / "out"
    args = on_ray(ray_address, "plot", *files, "--all", "-o", f"{out}/", "--json")
    with subprocess.Popen(
        [GLURPC, *args],
        env=daemon_env(daemon_socket),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as run:
        assert run.stdout is not None
        first = json.loads(run.stdout.readline())  # the job is under way: images are landing
        assert first["status"] == "written"
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=RUN_TIMEOUT_S)
    assert run.returncode == 130, stderr
    assert "interrupted" in stderr
    kept = {path.name: path.read_bytes() for path in out.iterdir()}
    assert [name for name in kept if name.startswith(".")] == []  # no temporaries, no marker
    assert all(kept[name] == cohort.images[name] for name in kept)  # every file whole
    assert first["output"].endswith(tuple(kept))

    stalled.unlink()
    stalled.write_bytes(cohort.files[-1].read_bytes())
    resumed = glurpc(daemon_socket, *args, "--skip-existing")
    statuses = [record["status"] for record in records(resumed.stdout)]
    assert statuses.count("skipped") == len(kept)
    assert statuses.count("written") == len(cohort.images) - len(kept)
    final = {path.name: path.read_bytes() for path in out.iterdir()}
    assert final == cohort.images


def subjects_table(path: Path) -> Path:
    """Three subjects of 10 hours each in one `id,time,gl` table, the same day."""
    parts = []
    for number, subject in enumerate("ABC"):
        times, values = make_trace(days=10 / 24, seed=30 + number)
        parts.append(to_generic(times, values, subject=subject, header=number == 0))
    path.write_bytes(b"".join(parts))
    return path


def test_subject_all_and_at_give_what_the_daemon_gives(
    ray_address: str, daemon_socket: Path, tmp_path: Path
) -> None:
    table = str(subjects_table(tmp_path / "cohort.csv"))
    settings = ingest.PrepareSettings(subject="A")
    series = ingest.prepare(Path(table).read_bytes(), settings).series
    at = str(series.window_table()["forecast_start"][3])  # A's window 3 before its latest
    local = glurpc(daemon_socket, "forecast", table, "--subject", "all", "--at", at).stdout
    numbers = glurpc(
        daemon_socket, *on_ray(ray_address, "forecast", table, "--subject", "all", "--at", at)
    )
    assert [json.loads(line)["subject"] for line in numbers.stdout.splitlines()] == ["A", "B", "C"]
    assert numbers.stdout == local

    picked = ["--subject", "all", "-i", "0,5"]
    glurpc(daemon_socket, "plot", table, *picked, "-o", f"{tmp_path / 'd'}/")
    glurpc(daemon_socket, *on_ray(ray_address, "plot", table, *picked, "-o", f"{tmp_path / 'r'}/"))
    daemon = {path.name: path.read_bytes() for path in (tmp_path / "d").iterdir()}
    ray = {path.name: path.read_bytes() for path in (tmp_path / "r").iterdir()}
    assert sorted(ray) == [f"cohort_{s}_i{i}.png" for s in "ABC" for i in (0, 5)]
    assert ray == daemon


def test_evaluate_on_ray_reports_what_the_daemon_reports(
    ray_address: str, cohort: Cohort, daemon_socket: Path, tmp_path: Path
) -> None:
    files = [str(path) for path in cohort.small[:2]]
    daemon_figure, ray_figure = tmp_path / "daemon.png", tmp_path / "ray.png"
    local = glurpc(daemon_socket, "evaluate", *files, "--json", "--plot", str(daemon_figure))
    args = on_ray(ray_address, "evaluate", *files, "--json", "--plot", str(ray_figure))
    ray = glurpc(daemon_socket, *args)
    assert [source["label"] for source in json.loads(ray.stdout)["sources"]] == files
    assert ray.stdout == local.stdout  # every number, the handles, the model facts
    assert ray_figure.read_bytes() == daemon_figure.read_bytes()
