"""The shipped example export is the generator's output and prepares cleanly."""

from __future__ import annotations

from pathlib import Path

from glurpc_core.ingest import prepare
from tests.support.synthetic import make_trace, to_dexcom

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "dexcom_g6_sample.csv"


def test_example_matches_its_generator_command() -> None:
    expected = to_dexcom(*make_trace(days=2, seed=42, gaps=1), calibrations=1)
    assert EXAMPLE.read_bytes() == expected


def test_example_prepares_with_windows() -> None:
    prepared = prepare(EXAMPLE.read_bytes())
    assert prepared.source_format == "dexcom"
    assert prepared.series.windows > 400
    assert {w.flag for w in prepared.warnings} <= {"calibration", "imputation"}
