"""The man pages cover every command, option and config key, render without
warnings, and glurpc-protocol(7) is what tools.md2man makes of docs/PROTOCOL.md."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from glurpc_cli.cli import cli
from glurpcd.settings.config import build_parser
from glurpcd.settings.options import OPTIONS
from tools.md2man import convert

REPO = Path(__file__).resolve().parents[2]
MAN = REPO / "man"
PAGES = sorted(MAN.glob("*.[1-8]"))


def page_text(name: str) -> str:
    """The roff source with escapes undone, enough to search for names."""
    text = (MAN / name).read_text()
    text = text.replace("\\-", "-").replace("\\e", "\\")
    return re.sub(r"\\f[BIRP]", "", text)


def click_commands(group: click.Group, ctx: click.Context, prefix: str = ""):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        yield f"{prefix}{name}", command
        if isinstance(command, click.Group):
            yield from click_commands(command, ctx, f"{prefix}{name} ")


def long_flags(command: click.Command) -> set[str]:
    return {
        flag
        for param in command.params
        if isinstance(param, click.Option)
        for flag in param.opts + param.secondary_opts
        if flag.startswith("--")
    }


def test_glurpc_1_has_every_command_and_option() -> None:
    text = page_text("glurpc.1")
    ctx = click.Context(cli)
    missing = [f"--{flag}" for flag in ("quiet",) if f"--{flag}" not in text]
    missing += [flag for flag in long_flags(cli) if flag not in text]
    for name, command in click_commands(cli, ctx):
        if name not in text:
            missing.append(name)
        missing += [f"{name} {flag}" for flag in long_flags(command) if flag not in text]
    assert missing == []


def test_no_help_listing_cuts_a_sentence() -> None:
    """`glurpc --help` lists the COMMANDS table's lines; a group's --help
    (`glurpc daemon --help`) lists its subcommands' short help."""
    from glurpc_cli.cli import COMMANDS

    ctx = click.Context(cli)
    cut = [
        name
        for name, command in click_commands(cli, ctx)
        if " " in name and command.get_short_help_str(limit=45).endswith("...")
    ]
    assert cut == [] and all(not text.endswith("...") for _, _, text in COMMANDS.values())


def test_glurpcd_8_has_every_flag() -> None:
    text = page_text("glurpcd.8")
    flags = {f for action in build_parser()._actions for f in action.option_strings}
    assert sorted(flag for flag in flags if flag.startswith("--") and flag not in text) == []
    assert "SIGHUP" in text and "glurpcd.toml" in text


def test_glurpcd_toml_5_has_every_key_flag_and_variable() -> None:
    text = page_text("glurpcd.toml.5")
    missing = [
        name
        for option in OPTIONS
        for name in (f'.BR {option.key} " = "', option.flag, option.env)
        if name not in text
    ]
    assert missing == []


def test_protocol_page_is_generated_from_the_document() -> None:
    markdown = (REPO / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
    expected = convert(markdown, "glurpc-protocol", "7")
    assert (MAN / "glurpc-protocol.7").read_text() == expected, (
        "regenerate: python -m tools.md2man > man/glurpc-protocol.7"
    )


def render_command(page: Path) -> list[str] | None:
    if shutil.which("man"):
        return ["man", "--warnings", "-E", "UTF-8", "-l", str(page)]
    if shutil.which("groff"):
        return ["groff", "-t", "-man", "-ww", "-z", str(page)]
    return None


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_every_page_renders_without_warnings(page: Path) -> None:
    command = render_command(page)
    if command is None:
        pytest.skip("neither man nor groff is installed")
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"MANWIDTH": "80", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert len(done.stdout) > 500


def test_every_page_is_checked() -> None:
    assert {page.name for page in PAGES} == {
        "glurpc.1",
        "glurpcd.8",
        "glurpcd.toml.5",
        "glurpc-protocol.7",
    }
