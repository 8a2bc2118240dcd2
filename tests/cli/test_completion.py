"""`glurpc completion SHELL` completes glurpc (click) and every glurpcd flag,
with the flag's values where it has a fixed set; the bash script parses."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from click.testing import CliRunner

from glurpc_cli.cli import cli
from glurpcd.settings.config import build_parser


def glurpcd_flags() -> set[str]:
    return {flag for a in build_parser()._actions for flag in a.option_strings if flag[:2] == "--"}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_every_glurpcd_flag_is_completed(shell: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0, result.output
    script = result.output
    assert "_GLURPC_COMPLETE" in script  # click's part, for glurpc itself
    if shell == "fish":
        missing = [f for f in glurpcd_flags() if f"complete -c glurpcd -l {f[2:]} " not in script]
    else:
        missing = [flag for flag in glurpcd_flags() if flag not in script]
    assert missing == []
    assert "coalesce supersede" in script and "plain json" in script


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_bash_script_completes_glurpcd_values() -> None:
    script = CliRunner().invoke(cli, ["completion", "bash"]).output
    probe = (
        f"{script}\nCOMP_WORDS=(glurpcd --duplicates s); COMP_CWORD=2; _glurpcd_complete; "
        'echo "${COMPREPLY[@]}"; COMP_WORDS=(glurpcd --log-f); COMP_CWORD=1; '
        '_glurpcd_complete; echo "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["supersede", "--log-format"]
