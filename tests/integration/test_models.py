"""Models as named resources in a real daemon: two store models resident at
once, each forecasting byte for byte as a daemon serving only that model;
eviction under a small budget; `models add` refusing a truncated file and
leaving nothing behind; SIGHUP rescanning the store; side-by-side plots;
`evaluate` comparing models, scored and drawn once and then cached."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import subprocess

import msgpack
import numpy as np
import pytest
from PIL import Image

from tests.models.store import LARGER, OVERSIZE, make_store

from .daemons import QUIET, launch_under
from .samples import cgm_csv, wait_for_status

pytestmark = pytest.mark.integration

# The networks' own numbers (a single-model daemon would serve the personal
# adaptation to a request naming no model, and that is one forecast whatever the model).
WINDOWS = {"indices": [0, -1, -5], "adapt": "none"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return make_store(tmp_path_factory.mktemp("store") / "models", {"alpha": 1, "beta": 2})


@pytest.fixture(scope="module")
def upload():
    return cgm_csv(hours=11, seed=8)


def _packed(reply):
    assert reply["type"] == "result", reply
    return msgpack.packb(reply["data"], use_bin_type=True)


@pytest.fixture(scope="module")
def several(tmp_path_factory, store):
    """One daemon whose store holds alpha and beta beside its default."""
    daemon = launch_under(tmp_path_factory.mktemp("several"), "--models-dir", str(store), *QUIET)
    yield daemon
    daemon.stop()


def test_two_resident_models_forecast_byte_identical_to_single_model_daemons(
    tmp_path, several, store, upload
):
    with several.connect() as conn:
        served = {
            name: (
                _packed(conn.call("forecast", {"csv": upload, "model": name, **WINDOWS})),
                _packed(conn.call("plot", {"csv": upload, "model": name, "adapt": "none"})),
            )
            for name in ("alpha", "beta")
        }
        resident = conn.call("status")["data"]["models"]["resident"]
    assert {entry["name"] for entry in resident} == {"default", "alpha", "beta"}
    assert served["alpha"] != served["beta"]
    empty = tmp_path / "empty"
    for name in ("alpha", "beta"):
        single = launch_under(
            tmp_path / name,
            "--model",
            str(store / f"{name}.pt"),
            "--models-dir",
            str(empty),
            *QUIET,
        )
        try:
            with single.connect() as conn:
                alone = (
                    _packed(conn.call("forecast", {"csv": upload, **WINDOWS})),
                    _packed(conn.call("plot", {"csv": upload, "adapt": "none"})),
                )
        finally:
            single.stop()
        assert alone == served[name], f"{name}: another model beside it changed its answers"


def test_idle_models_are_evicted_under_a_small_budget(tmp_path, upload):
    # 1 MiB holds the shipped default (0.53 MiB) and one 0.31 MiB model, not two.
    larger = make_store(tmp_path / "models", {"first": 3, "second": 4}, LARGER)
    daemon = launch_under(
        tmp_path / "daemon", "--models-dir", str(larger), "--models-mb", "1", *QUIET
    )
    try:
        with daemon.connect() as conn:
            for name in ("first", "second", "first"):
                reply = conn.call("forecast", {"csv": upload, "model": name})
                assert reply["type"] == "result", reply
                models = conn.call("status")["data"]["models"]
                assert [e["name"] for e in models["resident"]] == ["default", name]
                assert models["resident_bytes"] <= models["budget_bytes"]
            assert models["evictions"] == 2 and models["loads"] == 3
            listed = {row["name"]: row for row in conn.call("models")["data"]["models"]}
            assert (listed["first"]["resident"], listed["second"]["resident"]) == (True, False)
    finally:
        daemon.stop()


def test_a_model_over_the_budget_or_unknown_is_refused_with_a_clear_code(tmp_path, upload):
    oversize = make_store(tmp_path / "models", {"big": 5}, OVERSIZE)
    daemon = launch_under(
        tmp_path / "daemon", "--models-dir", str(oversize), "--models-mb", "1", *QUIET
    )
    try:
        with daemon.connect() as conn:
            too_large = conn.call("forecast", {"csv": upload, "model": "big"})
            unknown = conn.call("forecast", {"csv": upload, "model": "nosuch"})
    finally:
        daemon.stop()
    assert too_large["code"] == "model_too_large"
    assert too_large["details"]["bytes"] == (oversize / "big.pt").stat().st_size
    assert too_large["details"]["budget_bytes"] == 1024 * 1024
    assert unknown["code"] == "model_not_found" and "big" in unknown["details"]["known"]


def test_models_add_refuses_a_truncated_file_and_leaves_nothing_behind(tmp_path, store, upload):
    directory = tmp_path / "models"
    directory.mkdir(mode=0o700)
    daemon = launch_under(tmp_path / "daemon", "--models-dir", str(directory), *QUIET)
    whole = store / "alpha.pt"
    truncated = tmp_path / "cut.pt"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    try:
        refused = subprocess.run(
            daemon.cli("models", "add", str(truncated), "--name", "cut"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode == 1, refused.stderr
        assert "model_invalid" in refused.stderr
        assert os.listdir(directory) == [], "no copy, no temporary file"

        added = subprocess.run(
            daemon.cli("models", "add", str(whole), "--name", "kept", "--json"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert added.returncode == 0, added.stderr
        assert os.listdir(directory) == ["kept.pt"]
        assert (directory / "kept.pt").read_bytes() == whole.read_bytes()
        assert json.loads(added.stdout)["model"]["name"] == "kept"

        again = subprocess.run(
            daemon.cli("models", "add", str(whole), "--name", "kept"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 1 and "already" in again.stderr
        listing = subprocess.run(daemon.cli("models"), capture_output=True, text=True, timeout=120)
        assert "kept" in listing.stdout and "cut" not in listing.stdout
        with daemon.connect() as conn:
            reply = conn.call("forecast", {"csv": upload, "model": "kept"})
            assert reply["type"] == "result" and reply["data"]["model"].startswith("kept-")
    finally:
        daemon.stop()


def test_sighup_rescans_the_store(tmp_path, store):
    directory = make_store(tmp_path / "models", {})
    daemon = launch_under(tmp_path / "daemon", "--models-dir", str(directory), *QUIET)
    try:
        with daemon.connect() as conn:
            before = conn.call("status")["data"]["models"]["known"]
            shutil.copyfile(store / "beta.pt", directory / "late.pt")
            os.chmod(directory / "late.pt", 0o600)
            os.symlink(store / "alpha.pt", directory / "linked.pt")  # never followed
            os.kill(daemon.process.pid, signal.SIGHUP)
            wait_for_status(conn, lambda s: s["models"]["known"] == before + 1)
            names = [row["name"] for row in conn.call("models")["data"]["models"]]
            assert "late" in names and "linked" not in names
    finally:
        daemon.stop()
    assert "linked.pt left out: a symlink" in daemon.log()


def test_a_handle_keeps_its_model_and_each_model_has_its_own(several, upload):
    # The networks' own numbers: the personal adaptation would serve its own median.
    bare = {"adapt": "none"}
    with several.connect() as conn:
        default = conn.call("process", {"csv": upload})["data"]["handle"]
        beta = conn.call("forecast", {"handle": default, "model": "beta", **bare})["data"]
        again = conn.call("forecast", {"handle": beta["handle"], **bare})["data"]
        back = conn.call("forecast", {"handle": beta["handle"], "model": "default", **bare})
        back = back["data"]
        first = conn.call("forecast", {"handle": default, **bare})["data"]
    assert beta["handle"] != default and beta["model"].startswith("beta-")
    assert again == beta, "a handle made for beta is served by beta"
    assert back["handle"] == default and back == first
    assert back["median"] != beta["median"]


def test_a_named_model_serves_its_network_and_no_comparison_serves_one_forecast(several, upload):
    """The personal adaptation never reads the network: under it every model
    gives the same forecast. So naming a model serves that network (adapt
    none unless asked), and several models under the adaptation are refused."""
    with several.connect() as conn:
        handle = conn.call("process", {"csv": upload})["data"]["handle"]
        ask = {"handle": handle, "index": -1}
        named = conn.call("forecast", {**ask, "model": "alpha"})["data"]
        network = conn.call("forecast", {**ask, "model": "alpha", "adapt": "none"})["data"]
        served = conn.call("forecast", ask)["data"]
        adapted = conn.call("forecast", {**ask, "model": "alpha", "adapt": "personal-ar"})["data"]
        both = ["alpha", "beta"]
        plots = conn.call("plot", {**ask, "model": both, "adapt": "personal-ar"})
        sources = [{"handle": handle}]
        scores = conn.call("evaluate", {"sources": sources, "model": both, "adapt": "personal-ar"})
    assert named["adapt"] == "none" and named["median"] == network["median"]
    assert served["adapt"] == adapted["adapt"] == "personal-ar/1"
    assert adapted["median"] == served["median"], "one forecast whatever the model"
    assert named["median"] != served["median"]
    for refused in (plots, scores):
        assert refused["type"] == "error" and refused["code"] == "bad_request", refused
        assert "whatever the model" in refused["message"]


def test_plot_draws_several_models_on_one_figure(tmp_path, several, upload):
    out = tmp_path / "both.png"
    run = subprocess.run(
        several.cli("plot", "-", "--model", "alpha", "--model", "beta", "-o", str(out), "--json"),
        input=upload,
        capture_output=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    with several.connect() as conn:
        alone = conn.call("plot", {"csv": upload, "model": "alpha"})["data"]["image"]
        both = conn.call("plot", {"csv": upload, "model": ["alpha", "beta"]})["data"]
    assert out.read_bytes() == both["image"]
    assert [m["name"] for m in both["models"]] == ["alpha", "beta"]
    assert both["models"][0]["handle"] != both["models"][1]["handle"]
    pixels = {
        name: Image.open(io.BytesIO(data)).convert("RGB")
        for name, data in (("alone", alone), ("both", both["image"]))
    }
    assert pixels["alone"].size == pixels["both"].size
    # beta's median (orange, figure.py OVERLAY_STYLES) appears only with both.
    orange = (237, 128, 0)
    assert _has_colour(pixels["both"], orange) and not _has_colour(pixels["alone"], orange)


def _has_colour(image, rgb, tolerance=12):
    pixels = np.asarray(image, dtype=np.int16)
    return bool((np.abs(pixels - np.asarray(rgb)).max(axis=2) <= tolerance).any())


def test_evaluate_scores_the_model_named_and_compares_several(tmp_path, several, upload):
    with several.connect() as conn:
        handle = conn.call("process", {"csv": upload, "precompute": False})["data"]["handle"]
        sources = [{"handle": handle, "label": "one"}]
        bare = {"adapt": "none"}  # the networks scored, not the personal adaptation
        reports = {
            name: conn.call("evaluate", {"sources": sources, "model": name, **bare})["data"]
            for name in ("alpha", "beta")
        }
        served = conn.call("evaluate", {"sources": sources})["data"]
        default_id = conn.server_hello["model"]["id"]
    assert reports["alpha"]["model"]["model"].startswith("alpha-")
    assert reports["beta"]["model"]["model"].startswith("beta-")
    assert served["model"]["model"] == default_id
    assert served["sources"][0]["handle"] == handle
    assert reports["alpha"]["sources"][0]["handle"] != handle
    assert reports["alpha"]["pooled"]["metrics"] != reports["beta"]["pooled"]["metrics"]

    with several.connect() as conn:
        other = conn.call("process", {"csv": cgm_csv(hours=11, seed=9), "precompute": False})
        two = [*sources, {"handle": other["data"]["handle"], "label": "two"}]
        compared = conn.call("evaluate", {"sources": two, "model": ["alpha", "beta"], **bare})
        compared = compared["data"]
        alone = conn.call("evaluate", {"sources": two, "model": "beta", **bare})["data"]
    assert [one["name"] for one in compared["models"]] == ["alpha", "beta"]
    assert compared["models"][1]["pooled"] == alone["pooled"], "the same report as alone"
    (difference,) = compared["differences"]
    assert (difference["model"], difference["against"]) == ("beta", "alpha")
    beta_rmse = compared["models"][1]["pooled"]["metrics"]["model"]["rmse"]
    alpha_rmse = compared["models"][0]["pooled"]["metrics"]["model"]["rmse"]
    assert difference["rmse"] == pytest.approx(np.subtract(beta_rmse, alpha_rmse).tolist())
    low, high = difference["rmse_ci"][11]
    assert low <= high and len(difference["coverage_90_ci"]) == 12

    source, figure = tmp_path / "cgm.csv", tmp_path / "models.png"
    source.write_bytes(upload)
    table = subprocess.run(
        several.cli(
            "evaluate", str(source), "--model", "alpha", "--model", "beta", "--adapt", "none",
            "--plot", str(figure),
        ),
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert table.returncode == 0, table.stderr
    rows = [line.split("|")[1].strip() for line in table.stdout.splitlines() if line[:2] == "| "]
    assert rows == ["model", "---", "alpha", "beta", "model - alpha", "---", "beta"]
    with Image.open(figure) as image:
        image.load()  # decodes every byte
        assert image.format == "PNG"
    # Without --adapt: naming models compares their networks, not one adaptation.
    tidy = subprocess.run(
        several.cli("evaluate", str(source), "--model", "alpha", "--model", "beta", "--csv"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tidy.returncode == 0, tidy.stderr
    lines = list(csv.reader(io.StringIO(tidy.stdout)))
    assert lines[0][:2] == ["model", "source"]
    assert {line[0] for line in lines[1:]} == {"alpha", "beta"}
    last = next(line for line in lines if line[4] == "rmse_minus_alpha" and line[5] == "60")
    assert float(last[6]) != 0.0


def test_evaluate_draws_one_figure_of_several_models_and_then_serves_it_cached(several, upload):
    args = {
        "sources": [{"csv": upload, "label": "one"}],
        "model": ["alpha", "beta"],
        "adapt": "none",
        "plot": "png",
    }
    with several.connect() as conn:
        first = conn.call("evaluate", args)["data"]
        before = conn.call("status")["data"]
        again = conn.call("evaluate", args)["data"]
        after = conn.call("status")["data"]
        bare = conn.call("evaluate", {k: v for k, v in args.items() if k != "plot"})["data"]
    assert first["format"] == "png"
    assert {k: v for k, v in first.items() if k not in ("image", "format")} == bare
    with Image.open(io.BytesIO(first["image"])) as image:
        image.load()
        assert image.format == "PNG" and image.size == (1300, 900)
    assert again == first
    # Neither drawn nor scored again: the figure and the comparison are cached.
    for kind in ("evaluate_figure", "evaluate"):
        done = before["jobs"]["completed_by_kind"][kind]
        assert after["jobs"]["completed_by_kind"][kind] == done, f"{kind} ran again"
    assert after["cache"]["hits"] > before["cache"]["hits"]
