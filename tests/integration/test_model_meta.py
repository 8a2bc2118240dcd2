"""Forecast and plot replies say which model and calibration made them (the
shipped model, calibrated on its validation subjects), as status does."""

from __future__ import annotations

import pytest

from .samples import cgm_csv

pytestmark = pytest.mark.integration


def test_forecast_and_plot_replies_carry_the_model_id_and_calibration(daemon):
    upload = cgm_csv(hours=10, seed=5)
    with daemon.connect() as conn:
        model = conn.call("status")["data"]["model"]
        forecast = conn.call("forecast", {"csv": upload, "index": 0})["data"]
        plot = conn.call("plot", {"csv": upload, "index": 0})["data"]
    assert model["calibration"] == "mixture-stretch-per-step/1"
    assert model["precision"] == "float32"
    for reply in (forecast, plot):
        assert reply["model"] == model["id"]
        assert reply["calibration"] == model["calibration"]
        assert (reply["seed"], reply["samples"]) == (model["seed"], model["samples"])
