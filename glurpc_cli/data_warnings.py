"""An upload's data warnings on stderr, where the data is used (plot, forecast).

Layer: CLI presentation. `process` and `quick-plot` always showed what the
daemon noticed about a file (interpolated stretches, merged duplicates, ...);
`plot` and `forecast` show the same lines once per file and subject, so a
figure drawn from a mostly interpolated export never arrives without notice.
`-q` silences them (they are notes, not errors); `--json` carries them.
"""

from __future__ import annotations

from typing import Any

from .output import info


def warning_lines(file: str, subject: str | None, warnings: list[dict[str, Any]]) -> list[str]:
    who = file if subject is None else f"{file} subject {subject}"
    return [f"{who}: warning: {w.get('flag')}: {w.get('message')}" for w in warnings]


class WarningsShown:
    """Prints each (file, subject)'s warnings the first time they arrive."""

    def __init__(self) -> None:
        self._seen: set[tuple[str, str | None]] = set()

    def show(self, file: str, subject: str | None, warnings: list[dict[str, Any]] | None) -> None:
        if (file, subject) in self._seen:
            return
        self._seen.add((file, subject))
        for line in warning_lines(file, subject, warnings or []):
            info(line)
