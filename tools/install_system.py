"""Install glurpc on a lab workstation from a venv: systemd units, man pages,
an example /etc/glurpc/glurpcd.toml, commands on PATH, and the glurpc
user and group.

Layer: an installer run from the clone, as the venv's own interpreter:

    sudo /opt/glurpc/bin/python -m tools.install_system

The units' ExecStart is this venv's glurpcd, so the two always match. It
prints every step, writes a file only where none is or an identical one is,
and refuses (writing nothing) when any target holds something else: it never
replaces a file it did not write. `--root DIR` writes the same tree under DIR
(no user or group is created then), which is what CI checks.
"""

from __future__ import annotations

import argparse
import grp
import os
import pwd
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE_PREFIX = "/opt/glurpc"  # what the units in systemd/ say; replaced by the venv's
SERVICE_USER = "glurpc"
MAN_DIR = Path("usr/local/share/man")
EXAMPLE_CONFIG = """\
# glurpcd settings: every key is documented in glurpcd.toml(5).
# `glurpcd --print-config` shows the effective values and where each came from;
# `systemctl reload glurpcd` (SIGHUP) applies log level, cache bounds,
# duplicate policy, precompute hours and the background cap without a restart.
#
# device = "auto"
# samples = 10
# cache_mb = 512
# disk_cache_mb = 4096
# duplicates = "coalesce"
# log_format = "plain"
"""


@dataclass(frozen=True)
class Step:
    path: Path  # absolute, under the root
    content: bytes | None = None  # a file ...
    link_to: Path | None = None  # ... or a symlink
    mode: int = 0o644
    keep_existing: bool = False  # the admin's to edit: an existing one is kept as is

    def state(self) -> str:
        """'new', 'same' or 'different' (someone else's file: never replaced)."""
        if self.link_to is not None:
            if not self.path.is_symlink():
                return "different" if self.path.exists() else "new"
            return "same" if Path(os.readlink(self.path)) == self.link_to else "different"
        if self.path.is_symlink() or (self.path.exists() and not self.path.is_file()):
            return "different"
        if not self.path.exists():
            return "new"
        return "same" if self.path.read_bytes() == self.content else "different"

    def apply(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        if self.link_to is not None:
            self.path.symlink_to(self.link_to)
            return
        assert self.content is not None
        temporary = self.path.with_name(f".{self.path.name}.glurpc-install")
        temporary.write_bytes(self.content)
        temporary.chmod(self.mode)
        os.rename(temporary, self.path)


def unit_text(template: Path, venv: Path) -> bytes:
    return template.read_text().replace(TEMPLATE_PREFIX, str(venv)).encode()


def plan(root: Path, venv: Path) -> list[Step]:
    def at(relative: str | Path) -> Path:
        return root / relative

    steps = [
        Step(at(f"etc/systemd/system/{name}"), unit_text(REPO / "systemd" / name, venv))
        for name in ("glurpcd.service", "glurpcd.socket")
    ]
    steps += [
        Step(at(f"etc/systemd/user/{name}"), unit_text(REPO / "systemd" / "user" / name, venv))
        for name in ("glurpcd.service", "glurpcd.socket")
    ]
    for page in sorted((REPO / "man").glob("*.[1-8]")):
        section = page.suffix[1:]
        steps.append(Step(at(MAN_DIR / f"man{section}" / page.name), page.read_bytes()))
    steps.append(Step(at("etc/glurpc/glurpcd.toml"), EXAMPLE_CONFIG.encode(), keep_existing=True))
    for command in ("glurpc", "glurpcd"):
        steps.append(Step(at(f"usr/local/bin/{command}"), link_to=venv / "bin" / command))
    return steps


def ensure_account(dry_run: bool) -> None:
    """The system user and group the service runs as (members may use the socket)."""
    commands = []
    try:
        grp.getgrnam(SERVICE_USER)
    except KeyError:
        commands.append(["groupadd", "--system", SERVICE_USER])
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        commands.append(
            [
                "useradd",
                "--system",
                "--gid",
                SERVICE_USER,
                "--home-dir",
                "/var/lib/glurpc",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ]
        )
    for command in commands:
        print(("would run: " if dry_run else "run: ") + " ".join(command))
        if not dry_run:
            subprocess.run(command, check=True)
    if not commands:
        print(f"user and group {SERVICE_USER}: present")


def _first_paragraph(text: str) -> str:
    """The docstring's first paragraph as one sentence (its first line alone stops
    mid-sentence in `--help`)."""
    return " ".join(text.split("\n\n")[0].split())


def _state(step: Step) -> str:
    """As `Step.state`, except that an admin's file which differs from ours is 'kept'
    (an identical one is plainly 'same': nobody edited it)."""
    state = step.state()
    return "kept" if step.keep_existing and state == "different" else state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=_first_paragraph(__doc__ or ""))
    parser.add_argument("--root", type=Path, default=Path("/"), help="install under DIR")
    parser.add_argument("--dry-run", action="store_true", help="print the steps only")
    args = parser.parse_args(argv)
    venv = Path(sys.prefix)
    if not (venv / "bin" / "glurpcd").is_file():
        print(f"{venv}/bin/glurpcd not found: run this with the venv's python", file=sys.stderr)
        return 1
    steps = plan(args.root.resolve(), venv)
    states = {step.path: _state(step) for step in steps}
    conflicts = [path for path, state in states.items() if state == "different"]
    for path in conflicts:
        print(f"refusing: {path} exists with other content (not ours to replace)", file=sys.stderr)
    if conflicts:
        print("nothing written; move those files aside or merge them by hand", file=sys.stderr)
        return 1
    for step in steps:
        verb = {"same": "unchanged", "kept": "keep (edited here)"}.get(states[step.path], "write")
        if step.link_to is not None and verb == "write":
            verb = "link"
        target = f" -> {step.link_to}" if step.link_to is not None else ""
        would = "would " if args.dry_run and states[step.path] == "new" else ""
        print(f"{would}{verb} {step.path}{target}")
        if states[step.path] == "new" and not args.dry_run:
            step.apply()
    if args.root.resolve() == Path("/"):
        ensure_account(args.dry_run or os.geteuid() != 0)
        print("next: systemctl daemon-reload && systemctl enable --now glurpcd.socket")
    else:
        print(f"under {args.root}: no user or group created (only for --root /)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
