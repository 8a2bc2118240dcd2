"""The training script's date augmentation (glurpc_train/train.py, DateShift)."""

from __future__ import annotations

import numpy as np
import torch

from glurpc_core.model.inputs import NATURAL_RANGES, Scaling
from glurpc_train.train import DEFAULT_CONFIG, DateShift, windows
from tests.model.conftest import seeded_series

LABEL_LEN = DEFAULT_CONFIG.label_len


def shifted_windows() -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    scaling = Scaling.from_bundle(NATURAL_RANGES)
    # 600 points (50 hours) from 06:02 cross two midnights, so days turn inside windows
    data = windows([seeded_series(600, seed=4)], scaling, LABEL_LEN)
    enc, dec = DateShift(scaling, LABEL_LEN, seed=1).marks(data.starts)
    return enc, dec, data.tensors


def test_shift_moves_dates_by_whole_days_only() -> None:
    enc, dec, (_, _, mark_enc, _, mark_dec, _) = shifted_windows()
    assert enc.shape == mark_enc.shape and dec.shape == mark_dec.shape
    # hour, minute, second: the time of day survives
    assert torch.equal(enc[..., 3:], mark_enc[..., 3:])
    assert torch.equal(dec[..., 3:], mark_dec[..., 3:])
    # day, month, year: moved for (almost) every window
    moved = (enc[..., :3] != mark_enc[..., :3]).any(dim=(1, 2))
    assert moved.float().mean() > 0.99


def test_decoder_marks_cover_the_same_instants_as_the_encoder() -> None:
    enc, dec, _ = shifted_windows()
    overlap = DEFAULT_CONFIG.len_seq - LABEL_LEN
    assert torch.equal(dec[:, :LABEL_LEN], enc[:, overlap:])


def test_a_day_boundary_inside_a_window_stays_a_day_boundary() -> None:
    enc, _, (_, _, mark_enc, _, _, _) = shifted_windows()
    day = 0
    # where the original day of month changes, the shifted one changes too, and nowhere else
    original_turns = np.diff(mark_enc[..., day].numpy(), axis=1) != 0
    shifted_turns = np.diff(enc[..., day].numpy(), axis=1) != 0
    assert original_turns.any()
    assert np.array_equal(original_turns, shifted_turns)
