"""Index specs, wire indices and output names (pure planning, no daemon)."""

from __future__ import annotations

from pathlib import Path

import pytest

from glurpc_cli.targets import (
    OutputPlan,
    SpecError,
    all_wire_indices,
    check_template,
    cli_index,
    default_name,
    find_collisions,
    image_format,
    parse_index_spec,
    plan_outputs,
    wire_indices,
)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("3", [3]),
        ("0,3,5", [0, 3, 5]),
        ("0..3", [0, 1, 2, 3]),
        ("5, 0..2, 1", [5, 0, 1, 2]),
        ("7..7", [7]),
    ],
)
def test_index_specs(spec: str, expected: list[int]) -> None:
    assert parse_index_spec(spec) == expected


@pytest.mark.parametrize("spec", ["", "a", "1,", "3..1", "-2", "0..x", "0..99999999"])
def test_bad_index_specs_say_why(spec: str) -> None:
    with pytest.raises(SpecError):
        parse_index_spec(spec)


def test_cli_index_n_is_wire_minus_n_and_ahead_is_12() -> None:
    assert wire_indices([0, 3], ahead=False) == [0, -3]
    assert wire_indices([], ahead=True) == [12]
    assert wire_indices([1], ahead=True) == [-1, 12]
    assert all_wire_indices(3, ahead=False) == [0, -1, -2]
    assert all_wire_indices(0, ahead=True) == [12]
    assert cli_index(-4) == 4
    assert cli_index(12) is None


def test_default_names() -> None:
    assert default_name(Path("data/cgm.csv"), -3, "png") == "cgm_i3.png"
    assert default_name(Path("cgm.csv"), 0, "svg") == "cgm_i0.svg"
    assert default_name(Path("cgm.csv"), 12, "pdf") == "cgm_ahead.pdf"


def test_output_plans(tmp_path: Path) -> None:
    source = Path("in/cgm.csv")
    assert plan_outputs(None, single=True).path_for(source, -2, "png") == Path("cgm_i2.png")
    assert plan_outputs("-", single=True) == OutputPlan(stdout=True)
    assert plan_outputs("fig.png", single=True).path_for(source, -2, "png") == Path("fig.png")
    into_dir = plan_outputs(str(tmp_path), single=True)
    assert into_dir.path_for(source, 0, "png") == tmp_path / "cgm_i0.png"
    many = plan_outputs("out/", single=False)
    assert many.path_for(source, -1, "png") == Path("out/cgm_i1.png")
    with pytest.raises(SpecError):
        plan_outputs("-", single=False)
    existing = tmp_path / "file.png"
    existing.write_bytes(b"")
    with pytest.raises(SpecError):
        plan_outputs(str(existing), single=False)


def test_several_images_need_a_directory_name() -> None:
    assert plan_outputs("out/", single=False).create
    with pytest.raises(SpecError, match="out/"):
        plan_outputs("out", single=False)


@pytest.mark.parametrize(
    ("explicit", "output", "expected"),
    [
        (None, "fig.pdf", "pdf"),
        (None, "fig.SVG", "svg"),
        ("svg", "fig.svg", "svg"),
        ("pdf", "fig", "pdf"),
        (None, None, "png"),
        ("pdf", "out/", "pdf"),
    ],
)
def test_the_format_follows_the_extension(explicit, output, expected) -> None:
    assert image_format(explicit, plan_outputs(output, single=True)) == expected


@pytest.mark.parametrize(("explicit", "output"), [("pdf", "fig.png"), (None, "fig.jpg")])
def test_a_format_the_extension_contradicts_is_refused(explicit, output) -> None:
    with pytest.raises(SpecError):
        image_format(explicit, plan_outputs(output, single=True))


def test_stdin_outputs_are_named_stdin() -> None:
    assert default_name(Path("-"), -3, "png") == "stdin_i3.png"


def test_collisions_are_found_by_stem() -> None:
    assert find_collisions([Path("a/cgm.csv"), Path("b/cgm.csv"), Path("c.csv")]) == ["cgm"]
    assert find_collisions([Path("a.csv"), Path("b.csv")]) == []


def test_a_name_template_tells_apart_inputs_with_one_stem() -> None:
    sources = [Path("p1/export.csv"), Path("p2/export.csv")]
    assert find_collisions(sources) == ["export"]
    plan = plan_outputs("out/", single=False, name="{parent}_{stem}_{window}")
    assert find_collisions(sources, plan) == []
    assert plan.path_for(sources[0], -3, "png") == Path("out/p1_export_i3.png")
    assert plan.path_for(sources[1], 12, "svg", "7") == Path("out/p2_export_ahead.svg")
    named = plan_outputs("out/", single=False, name="{subject}-{index}")
    assert named.path_for(Path("c.csv"), -2, "png", "7") == Path("out/7-2.png")
    odd = named.path_for(Path("c.csv"), -2, "png", "7/a").name  # made safe, as default names
    assert "/" not in odd and odd.startswith("7_a-") and odd.endswith("-2.png")


@pytest.mark.parametrize("template", ["{nope}", "{stem:>9}", "a/{stem}", "plain", "{stem"])
def test_a_template_that_cannot_name_files_is_refused(template: str) -> None:
    with pytest.raises(SpecError):
        plan_outputs("out/", single=False, name=template)


def test_a_template_must_tell_apart_each_files_images() -> None:
    plan = plan_outputs("out/", single=False, name="{parent}_{stem}")
    with pytest.raises(SpecError, match="window"):
        check_template(plan, several_windows=True, subjects=False)
    with pytest.raises(SpecError, match="subject"):
        check_template(plan, several_windows=False, subjects=True)
    check_template(plan, several_windows=False, subjects=False)
    with pytest.raises(SpecError, match="-o DIR"):
        plan_outputs("fig.png", single=True, name="{stem}")
