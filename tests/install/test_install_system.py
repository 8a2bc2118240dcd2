"""The README's workstation install, the part that needs no root: the
installer writes units, man pages, config and commands into a prefix, with
ExecStart pointing at this venv's glurpcd; `systemd-analyze verify` accepts
the units where it exists; nothing that differs is ever replaced."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_GLURPCD = Path(sys.prefix) / "bin" / "glurpcd"


def install(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.install_system", "--root", str(root)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def exec_start(unit: Path) -> str:
    (line,) = [text for text in unit.read_text().splitlines() if text.startswith("ExecStart=")]
    return line.removeprefix("ExecStart=").split()[0]


def test_install_into_a_prefix(tmp_path: Path) -> None:
    first = install(tmp_path)
    assert first.returncode == 0, first.stderr
    for unit in ("system/glurpcd.service", "user/glurpcd.service"):
        assert exec_start(tmp_path / "etc/systemd" / unit) == str(VENV_GLURPCD)
    assert VENV_GLURPCD.is_file()
    man = tmp_path / "usr/local/share/man"
    for page in (
        "man1/glurpc.1",
        "man8/glurpcd.8",
        "man5/glurpcd.toml.5",
        "man7/glurpc-protocol.7",
    ):
        assert (man / page).read_bytes() == (REPO / "man" / Path(page).name).read_bytes()
    assert os.readlink(tmp_path / "usr/local/bin/glurpc") == str(Path(sys.prefix) / "bin/glurpc")
    assert "write " in first.stdout and "no user or group created" in first.stdout

    again = install(tmp_path)
    assert again.returncode == 0 and "write " not in again.stdout
    # Every file, the untouched example config too; the last line is the "under" note.
    assert again.stdout.count("unchanged ") == len(first.stdout.splitlines()) - 1


def test_edited_files_are_refused_or_kept(tmp_path: Path) -> None:
    assert install(tmp_path).returncode == 0
    config = tmp_path / "etc/glurpc/glurpcd.toml"
    config.write_text('device = "cpu"\n')
    kept = install(tmp_path)
    assert kept.returncode == 0 and f"keep (edited here) {config}" in kept.stdout
    assert config.read_text() == 'device = "cpu"\n'

    unit = tmp_path / "etc/systemd/system/glurpcd.service"
    unit.write_text(unit.read_text() + "# local change\n")
    page = tmp_path / "usr/local/share/man/man8/glurpcd.8"
    page.unlink()
    refused = install(tmp_path)
    assert refused.returncode == 1
    assert f"refusing: {unit}" in refused.stderr and "nothing written" in refused.stderr
    assert unit.read_text().endswith("# local change\n") and not page.exists()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verifies_the_installed_units(tmp_path: Path) -> None:
    root = tmp_path / "root"
    assert install(root).returncode == 0
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "MANPATH": f"{root}/usr/local/share/man:",  # where man finds the pages
        "XDG_RUNTIME_DIR": str(runtime),
    }
    for scope, directory in (("--system", "system"), ("--user", "user")):
        units = [
            str(root / "etc/systemd" / directory / f"glurpcd.{kind}")
            for kind in ("service", "socket")
        ]
        done = subprocess.run(
            ["systemd-analyze", "verify", scope, *units],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=env,
            cwd=root,
        )
        assert done.returncode == 0, done.stderr


def test_an_untouched_config_is_unchanged_and_help_is_whole_sentences(tmp_path: Path) -> None:
    assert install(tmp_path).returncode == 0
    again = install(tmp_path)
    config = tmp_path / "etc" / "glurpc" / "glurpcd.toml"
    assert again.returncode == 0 and f"unchanged {config}" in again.stdout
    assert "edited here" not in again.stdout
    helped = subprocess.run(
        [sys.executable, "-m", "tools.install_system", "--help"],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    description = " ".join(helped.stdout.split("options:")[0].split("\n\n")[1].split())
    assert description.endswith("user and group."), description
