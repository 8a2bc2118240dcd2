"""`--engine` on the CLI without a cluster: usage errors, the install hint when
Ray is missing, and no Ray (or torch) import unless `--engine ray` is given."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from glurpc_cli import engine
from glurpc_cli.cli import cli


def test_ray_options_need_the_ray_engine() -> None:
    result = CliRunner().invoke(cli, ["plot", "x.csv", "--all", "--actors", "2", "-o", "out"])
    assert result.exit_code == 2
    assert "--actors only apply with --engine ray" in result.output


def test_several_windows_of_numbers_need_the_ray_engine() -> None:
    result = CliRunner().invoke(cli, ["forecast", "a.csv", "b.csv"])
    assert result.exit_code == 2
    assert "need --engine ray" in result.output


def test_missing_ray_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(engine.importlib.util, "find_spec", lambda name: None)
    args = ["plot", "x.csv", "--all", "-o", str(tmp_path), "--engine", "ray"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "pip install 'glurpc-local[ray]'" in result.output


def test_ray_never_writes_images_to_stdout() -> None:
    result = CliRunner().invoke(cli, ["plot", "x.csv", "-o", "-", "--engine", "ray"])
    assert result.exit_code == 2
    assert "--engine ray writes files" in result.output


def test_a_missing_model_is_one_line_before_any_cluster_starts() -> None:
    pytest.importorskip("ray", reason="the Ray engine needs ray: pip install 'glurpc-local[ray]'")
    args = ["forecast", "x.csv", "--engine", "ray", "--model", "/nonexistent/model.pth"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: --model names /nonexistent/model.pth, which is not a file [model_not_found]"
    ]
