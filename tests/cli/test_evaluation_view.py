"""`glurpc evaluate`'s Markdown and CSV views of a report, and of a comparison
of models (pure formatting)."""

from __future__ import annotations

import json

from glurpc_cli.evaluation_compare import comparison_csv_rows
from glurpc_cli.evaluation_view import CSV_HEADER, csv_rows, markdown
from glurpc_core.evaluation.assess import assess
from tests.evaluation.test_assess import source
from tests.render.test_evaluation_compare import NAMES, compared


def report(sources: int) -> dict:
    made = assess([source(f"p{k}.csv", k + 1) for k in range(sources)], draws=100).report
    # What the CLI gets: the wire's plain types (as JSON keeps them).
    return json.loads(json.dumps({**made, "model": {"model": "m-1", "samples": 10}}))


def test_markdown_has_every_table_and_the_intervals_only_with_two_sources() -> None:
    two = markdown(report(2))
    captions = ("Pooled RMSE", "Pooled MAE", "Pooled MARD", "Ratio to persistence", "Band coverage",
                "By range of the truth", "Error-grid zones", "Per source")  # fmt: skip
    assert all(caption in two for caption in captions)
    assert "| p0.csv |" in two and "| p1.csv |" in two
    assert "[" in ratio_row(two)  # "0.xx [low, high]"
    assert "[" not in ratio_row(markdown(report(1)))


def ratio_row(text: str) -> str:
    """The served model's row of the ratio table."""
    after = text.split("Ratio to persistence", 1)[1]
    return next(line for line in after.splitlines() if line.startswith("| served model |"))


def test_csv_has_one_row_per_number_with_intervals_where_they_exist() -> None:
    rows = list(csv_rows(report(2)))
    assert rows[0] == CSV_HEADER and all(len(row) == len(CSV_HEADER) for row in rows)
    per_group = (
        4 * 4 * 12  # forecasters x (rmse, mae, mard, bias) x horizons
        + 4 * 2 * 12  # ratios to persistence
        + 2 * 12  # coverage
        + 4 * (12 + 2 * 4 * 12 + 2 * 12)  # ranges: points, bias and rmse, coverage
        + 2 * 2 * 4 * 5  # grids x minutes x forecasters x zones
    )
    assert len(rows) - 1 == 3 * per_group  # two sources and the pool
    pooled_rmse = [r for r in rows[1:] if r[0] == "pooled" and r[3] == "rmse" and r[1] == "all"]
    assert all(r[6] is not None and r[6] <= r[5] <= r[7] for r in pooled_rmse if r[2] == "model")
    assert all(r[6] is None for r in rows[1:] if r[0] == "p0.csv")


def test_a_comparisons_csv_holds_every_models_rows_and_the_differences() -> None:
    reply = json.loads(json.dumps(compared(2)))  # as the CLI gets it
    rows = list(comparison_csv_rows(reply))
    assert rows[0] == ("model", *CSV_HEADER)
    assert all(len(row) == len(rows[0]) for row in rows)
    one_model = len(list(csv_rows(reply["models"][0]))) - 1
    differences = [row for row in rows[1:] if "_minus_" in row[4]]
    assert len(rows) - 1 == len(NAMES) * one_model + len(differences)
    assert [row[0] for row in rows[1 : 1 + one_model]] == [NAMES[0]] * one_model
    # Each later model: rmse, mae and 90 % coverage minus the first's, 12 horizons each.
    assert len(differences) == (len(NAMES) - 1) * 3 * 12
    beta_rmse = [row for row in differences if row[0] == "beta" and row[4] == "rmse_minus_alpha"]
    assert [row[5] for row in beta_rmse] == reply["models"][0]["horizons_min"]
    assert [row[6] for row in beta_rmse] == reply["differences"][0]["rmse"]
    assert beta_rmse[0][7:] == tuple(reply["differences"][0]["rmse_ci"][0])
