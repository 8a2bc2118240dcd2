"""`glurpc completion SHELL`: completion for `glurpc` (click's) and for
`glurpcd` (its flags, from the daemon's own option table).

Layer: CLI command for the shell. It reads glurpcd's argparse parser, which
is stdlib-only (no torch), so the two scripts never drift from the programs.
"""

from __future__ import annotations

import argparse
import shlex

import click

FILE_METAVARS = {"PATH", "DIR"}


def _flags() -> list[tuple[str, argparse.Action]]:
    from glurpcd.settings.config import build_parser

    return [
        (flag, action)
        for action in build_parser()._actions  # argparse has no public listing
        for flag in action.option_strings
        if flag.startswith("--")
    ]


def _summary(action: argparse.Action) -> str:
    text = (action.help or "").split(" (")[0].split(";")[0]
    return text.replace("[", "(").replace("]", ")").replace(":", " ").replace("'", "")


def _choices(action: argparse.Action) -> list[str]:
    from glurpcd.settings.options import BY_KEY

    option = BY_KEY.get(action.dest)
    return list(option.choices) if option else []


def glurpcd_bash() -> str:
    cases = []
    for flag, action in _flags():
        if action.nargs == 0:
            continue
        if action.metavar in FILE_METAVARS:
            cases.append(f'        {flag}) COMPREPLY=($(compgen -f -- "$cur")); return;;')
        elif _choices(action):
            words = " ".join(_choices(action))
            cases.append(f'        {flag}) COMPREPLY=($(compgen -W "{words}" -- "$cur")); return;;')
        else:
            cases.append(f"        {flag}) return;;")
    words = " ".join(flag for flag, _ in _flags())
    return "\n".join(
        [
            "_glurpcd_complete() {",
            '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
            '    case "$prev" in',
            *cases,
            "    esac",
            f'    COMPREPLY=($(compgen -W "{words}" -- "$cur"))',
            "}",
            "complete -F _glurpcd_complete glurpcd",
        ]
    )


def glurpcd_zsh() -> str:
    specs = []
    for flag, action in _flags():
        spec = f"{flag}[{_summary(action)}]"
        if action.nargs != 0:
            values = (
                "_files" if action.metavar in FILE_METAVARS else f"({' '.join(_choices(action))})"
            )
            spec = f"{flag}=[{_summary(action)}]:{action.metavar}:{values}"
        specs.append(f"    '{spec}'")
    return "\n".join(
        ["_glurpcd() {", "  _arguments \\", " \\\n".join(specs), "}", "compdef _glurpcd glurpcd"]
    )


def glurpcd_fish() -> str:
    lines = []
    for flag, action in _flags():
        parts = ["complete -c glurpcd", f"-l {flag[2:]}"]
        if action.nargs != 0:
            parts.append("-r" if action.metavar in FILE_METAVARS else "-x")
            if _choices(action):
                parts.append(f"-a {shlex.quote(' '.join(_choices(action)))}")
        parts.append(f"-d {shlex.quote(_summary(action))}")
        lines.append(" ".join(parts))
    return "\n".join(lines)


DAEMON_SCRIPTS = {"bash": glurpcd_bash, "zsh": glurpcd_zsh, "fish": glurpcd_fish}


@click.command()
@click.argument("shell", type=click.Choice(sorted(DAEMON_SCRIPTS)))
def completion(shell: str) -> None:
    """Print completion for glurpc and glurpcd, e.g. `eval "$(glurpc completion bash)"`."""
    from click.shell_completion import get_completion_class

    ctx = click.get_current_context()
    root = ctx.find_root().command
    completer_class = get_completion_class(shell)
    assert completer_class is not None  # click ships all three
    completer = completer_class(root, {}, "glurpc", "_GLURPC_COMPLETE")
    click.echo(completer.source())
    click.echo(DAEMON_SCRIPTS[shell]())
