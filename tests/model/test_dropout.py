"""Seeded per-row dropout: the right rate, and a row's mask is its own."""

from __future__ import annotations

import torch

from glurpc_core.model.dropout import McDropout, RowStreams, row_seed


def test_drop_rate_and_scaling() -> None:
    site = McDropout(0.2).eval()
    site.streams = RowStreams.for_rows(0, [(0, s) for s in range(8)], "cpu")
    out = site(torch.ones(8, 100, 100))
    dropped = float((out == 0).float().mean())
    assert abs(dropped - 0.2) < 0.01
    assert set(out.unique().tolist()) == {0.0, 1.25}


def test_row_mask_ignores_its_neighbours() -> None:
    rows = [(index, sample) for index in range(-3, 1) for sample in range(5)]
    all_rows = RowStreams.for_rows(7, rows, "cpu").keep_mask(torch.Size((20, 9, 11)), 0.2)
    alone = RowStreams.for_rows(7, [rows[13]], "cpu").keep_mask(torch.Size((1, 9, 11)), 0.2)
    assert torch.equal(all_rows[13], alone[0])
    assert not torch.equal(all_rows[12], all_rows[13])


def test_off_without_streams_and_plain_in_training() -> None:
    site = McDropout(0.5).eval()
    x = torch.randn(4, 10)
    assert torch.equal(site(x), x)
    site.train()
    assert (site(torch.ones(4, 1000)) == 0).any()


def test_row_seeds_are_stable_and_distinct() -> None:
    assert row_seed(0, -3, 2) == row_seed(0, -3, 2)
    assert len({row_seed(0, i, s) for i in range(-5, 5) for s in range(10)}) == 100
    assert 0 <= row_seed(2**40, 12, 99) < 2**63
