"""The data and forecasting ops through a real daemon with the shipped model:
every corpus file answered with its code, forecasts that make sense, caches
that hit, index errors, background precomputation that outlives its client."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.ingest.corpus import CORPUS

from .samples import cgm_csv, wait_for_status

pytestmark = pytest.mark.integration

HOURS = 12  # 144 points, 37 windows with a known future


@pytest.fixture(scope="module")
def upload():
    return cgm_csv(hours=HOURS, seed=21)


def test_corpus_through_the_daemon_and_it_keeps_serving(daemon):
    with daemon.connect() as conn:
        for case in CORPUS:
            args = {"csv": case.data, **({"subject": case.subject} if case.subject else {})}
            reply = conn.call("process", args)
            if case.name == "several_subjects":  # process lists them; the other ops refuse
                assert len(reply["data"]["subjects"]) > 1, reply
                reply = conn.call("plot", args)
            if case.kind == "error":
                assert reply["type"] == "error", case.name
                assert reply["code"] == case.expected, (case.name, reply)
                assert reply["message"]
            else:
                assert reply["type"] == "result", (case.name, reply)
                flags = {w["flag"] for w in reply["data"]["warnings"]}
                assert case.expected in flags, (case.name, flags)
        assert conn.call("ping")["data"] == {"pong": True}


def test_convert_returns_the_unified_csv(daemon, upload):
    with daemon.connect() as conn:
        data = conn.call("convert", {"csv": upload})["data"]
    assert data["format"] == "dexcom"
    assert data["csv"].splitlines()[0].startswith(b"sequence_id,")


def test_process_reports_windows_and_span(daemon, upload):
    with daemon.connect() as conn:
        data = conn.call("process", {"csv": upload})["data"]
    assert data["samples"] == data["points"] - 107
    assert len(data["handle"]) == 64
    assert data["start"] < data["end"]


def test_forecast_numbers(daemon, upload):
    with daemon.connect() as conn:
        data = conn.call("forecast", {"csv": upload, "index": -2})["data"]
        again = conn.call("forecast", {"csv": upload, "index": -2})["data"]
        ahead = conn.call("forecast", {"csv": upload, "index": 12})["data"]
    assert data == again  # seeded: the same request gives the same numbers
    assert len(data["times"]) == 12 and len(data["history"]) == 96
    assert data["unit"] == "mg/dL" and None not in data["truth"]
    levels = ["0.05", "0.25", "0.5", "0.75", "0.95"]
    assert sorted(data["quantiles"]) == levels
    for step in range(12):
        column = [data["quantiles"][level][step] for level in levels]
        assert column == sorted(column)
    assert data["median"] == data["quantiles"]["0.5"]
    assert ahead["truth"] == [None] * 12  # past the end of the data
    assert ahead["history"][-1] is not None


def test_adaptation_is_named_chosen_and_kept_in_the_sensor_range(daemon, upload):
    with daemon.connect() as conn:
        adapted = conn.call("forecast", {"csv": upload, "index": -2})["data"]
        network = conn.call("forecast", {"csv": upload, "index": -2, "adapt": "none"})["data"]
        plot = conn.call("plot", {"csv": upload, "index": -2, "adapt": "none"})["data"]
        odd = conn.call("forecast", {"csv": upload, "index": -2, "adapt": "psychic"})
    assert adapted["adapt"] == "personal-ar/1" and network["adapt"] == plot["adapt"] == "none"
    assert adapted["median"] != network["median"]
    for data in (adapted, network):
        values = [v for row in data["quantiles"].values() for v in row]
        assert 40 <= min(values) and max(values) <= 400
    assert odd["code"] == "bad_request"


def test_second_plot_is_a_byte_identical_cache_hit(daemon, upload):
    with daemon.connect() as conn:
        first = conn.call("plot", {"csv": upload, "index": -5})["data"]
        before = conn.call("status")["data"]
        second = conn.call("plot", {"handle": first["handle"], "index": -5})["data"]
        after = conn.call("status")["data"]
    assert second["image"] == first["image"]
    assert after["cache"]["hits"] > before["cache"]["hits"]
    assert after["jobs"]["completed_by_kind"] == before["jobs"]["completed_by_kind"]
    image = Image.open(io.BytesIO(first["image"]))
    assert image.format == "PNG" and image.size == (1000, 600)


@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_other_formats(daemon, upload, fmt, magic):
    with daemon.connect() as conn:
        data = conn.call("plot", {"csv": upload, "index": 0, "format": fmt})["data"]
    assert data["format"] == fmt and data["image"].startswith(magic)


def test_quick_plot_has_the_latest_window_and_warnings(daemon, upload):
    with daemon.connect() as conn:
        data = conn.call("quick_plot", {"csv": upload})["data"]
    assert data["index"] == 0 and data["image"].startswith(b"\x89PNG")
    assert isinstance(data["warnings"], list)


def test_index_out_of_range_and_unknown_handle(daemon, upload):
    with daemon.connect() as conn:
        processed = conn.call("process", {"csv": upload})["data"]
        handle, windows = processed["handle"], processed["samples"]
        low = conn.call("plot", {"handle": handle, "index": -1000})
        high = conn.call("forecast", {"handle": handle, "index": 13})
        missing = conn.call("plot", {"handle": "0" * 64, "index": 0})
    for reply in (low, high):
        assert reply["code"] == "index_out_of_range"
        assert reply["details"]["samples"] == windows
        assert (reply["details"]["min"], reply["details"]["max"]) == (-(windows - 1), 12)
    assert missing["code"] == "not_found"


def test_background_precompute_outlives_its_client(tmp_path):
    from .daemons import launch

    daemon = launch(
        tmp_path / "run" / "s.sock",
        tmp_path / "state",
        "--render-workers",
        "0",
        "--precompute-hours",
        "2",
    )
    try:
        with daemon.connect() as client:
            handle = client.call("process", {"csv": cgm_csv(hours=HOURS, seed=22)})["data"]
        # The client is gone; its upload's newest 24 windows are still forecast.
        with daemon.connect() as observer:
            status = wait_for_status(
                observer, lambda s: s["jobs"]["completed_by_kind"].get("forecast", 0) == 24
            )
            assert status["jobs"]["abandoned"] == 0
            before = status["cache"]["hits"]
            observer.call("forecast", {"handle": handle["handle"], "index": -23})
            after = observer.call("status")["data"]
        assert after["cache"]["hits"] == before + 1  # the precomputed forecast
        assert after["jobs"]["completed_by_kind"]["forecast"] == 24
    finally:
        daemon.stop()
