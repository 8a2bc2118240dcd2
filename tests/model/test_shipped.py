"""The shipped default model is the one its model card (docs/MODEL.md) describes:
same id, calibrated, small, trained on the subjects the card names."""

from __future__ import annotations

import re
from pathlib import Path

import torch

from glurpc_core.model import Forecaster
from glurpc_core.model.resolve import SHIPPED_DEFAULT

CARD = Path(__file__).resolve().parents[2] / "docs" / "MODEL.md"


def card_value(label: str) -> str:
    found = re.search(rf"^\*\*{label}:\*\* `([^`]+)`", CARD.read_text(), re.MULTILINE)
    assert found, f"docs/MODEL.md has no '**{label}:** `...`' line"
    return found.group(1)


def test_shipped_file_id_matches_the_model_card() -> None:
    forecaster = Forecaster(SHIPPED_DEFAULT, source="shipped")
    assert forecaster.model_id == card_value("Model id")
    assert forecaster.calibration_name == card_value("Calibration")
    assert SHIPPED_DEFAULT.stat().st_size <= 5 * 1024 * 1024


def test_shipped_file_records_its_training_subjects() -> None:
    meta = torch.load(SHIPPED_DEFAULT, weights_only=True)["meta"]
    card = CARD.read_text()
    assert meta["trained_on"].startswith("Hall et al. 2018")
    for name in meta["train_subjects"] + meta["validation_subjects"] + meta["test_subjects"]:
        assert name in card
    assert not set(meta["test_subjects"]) & set(
        meta["train_subjects"] + meta["validation_subjects"]
    )
