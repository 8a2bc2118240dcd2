"""This repo's Gluformer reproduces GlucoBench's outputs (fixtures made by
tests/fixtures/make_parity.py from GlucoBench 0.4.1 itself)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from glurpc_core.model import load_checkpoint

FIXTURES = Path(__file__).parents[1] / "fixtures"
PUBLISHED = Path(os.environ.get("GLURPC_PARITY_PUBLISHED", "/tmp/glurpc-parity-published"))


def check_parity(folder: Path) -> None:
    expected = json.loads((folder / "config.json").read_text())
    weights = next(folder.glob("*_weights.pth"))
    model, config = load_checkpoint(weights)
    for key, value in config.as_dict().items():
        if key != "r_drop":  # not stored in a state dict; the published 0.2 is assumed
            assert expected[key] == value, key
    io = torch.load(folder / "io.pt", weights_only=True)
    with torch.inference_mode():
        mean, logvar = model(
            io["x_id"], io["x_enc"], io["x_mark_enc"], io["x_dec"], io["x_mark_dec"]
        )
    assert mean.shape == io["mean"].shape and logvar.shape == io["logvar"].shape
    torch.testing.assert_close(mean, io["mean"], rtol=0, atol=1e-5)
    torch.testing.assert_close(logvar, io["logvar"], rtol=0, atol=1e-5)


def test_tiny_glucobench_outputs_reproduced() -> None:
    check_parity(FIXTURES / "parity_tiny")


@pytest.mark.skipif(not (PUBLISHED / "io.pt").is_file(), reason="published-size fixture absent")
def test_published_size_glucobench_outputs_reproduced() -> None:
    check_parity(PUBLISHED)
