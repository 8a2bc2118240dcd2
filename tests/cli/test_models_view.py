"""How `glurpc models` and `glurpc status` show the daemon's models."""

from __future__ import annotations

from glurpc_cli.commands_models import models_table
from glurpc_cli.status_view import resident_text

ROWS = [
    {
        "name": "default",
        "id": "gluformer_default-7c71c910e1a4",
        "bytes": 551588,
        "parameters": 131812,
        "calibration": "mixture-stretch-per-step/1",
        "resident": True,
        "default": True,
    },
    {
        "name": "broken",
        "id": "broken-0123456789ab",
        "bytes": 1024,
        "parameters": None,
        "calibration": None,
        "problem": "not a readable weights file",
        "resident": False,
        "default": False,
    },
]


def test_the_models_table_marks_the_default_and_says_why_a_file_does_not_read():
    lines = models_table(ROWS).splitlines()
    assert lines[0].split() == ["name", "id", "size", "parameters", "calibration", "resident"]
    assert lines[1].split()[:2] == ["default", "*"] and "131,812" in lines[1]
    assert lines[1].rstrip().endswith("yes")
    assert "not a readable weights file" in lines[2] and lines[2].rstrip().endswith("no")


def test_status_names_the_resident_models_and_their_budget():
    models = {
        "budget_bytes": 2 << 30,
        "resident_bytes": 3 << 20,
        "resident": [{"name": "default", "requests": 0}, {"name": "cohort", "requests": 2}],
        "loading": [{"name": "published", "requests": 1}],
    }
    text = resident_text(models)
    assert text.startswith("default, cohort (in use), published (loading): ")
    assert "3.0 MiB" in text and "2.0 GiB" in text
    assert resident_text(None) == "-"
