"""Subject ids as parts of output file names: one name per id, whatever the id."""

from __future__ import annotations

from pathlib import Path

from glurpc_cli.targets import OutputPlan, safe_subject


def test_ids_that_clean_to_one_name_keep_distinct_names() -> None:
    tagged = safe_subject("a/b")  # an id spelled like another id's tagged name
    ids = [".", "..", "a/b", "a_b", "_", "", "x" * 300, "x" * 301, tagged, "é", "e"]
    plan = OutputPlan(directory=Path("out"))
    paths = {plan.path_for(Path("cohort.csv"), 0, "png", subject) for subject in ids}
    assert len(paths) == len(ids)
    for path in paths:
        assert path is not None and path.parent == Path("out")
        assert len(path.name) < 255 and not path.name.startswith(".")


def test_plain_ids_keep_their_names() -> None:
    assert [safe_subject(s) for s in ("7", "A-12", "p_3.v2")] == ["7", "A-12", "p_3.v2"]
