"""Where a Ray run's results go: stdout, or one file (`forecast -o`).

Layer: cohort engine, driver side. Lines go to stdout as they arrive (flushed,
so a pipe sees them at once), or to a temporary file beside `-o FILE` that is
renamed over it only when the run completes: an interrupted run leaves the
old file (or nothing), never half a table.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import IO

from glurpc_cli.records import csv_header


class TextSink:
    """`records`: plot runs with --json print their report records here."""

    def __init__(self, output: str | None, fmt: str, *, records: bool = False) -> None:
        self.records = records
        self.target = Path(output) if output not in (None, "-") else None
        self.temporary: Path | None = None
        self.stream: IO[str] = sys.stdout
        if self.target is not None:
            name = f".{self.target.name}.{secrets.token_hex(8)}.part"
            self.temporary = self.target.with_name(name)
            self.stream = open(self.temporary, "x", encoding="utf-8")  # noqa: SIM115 - closed in finish/discard
        if fmt == "csv":
            self.write(csv_header())

    def write(self, text: str) -> None:
        if not text:
            return
        self.stream.write(text)
        if self.target is None:
            self.stream.flush()

    def finish(self) -> None:
        if self.temporary is None or self.target is None:
            return
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.stream.close()
        os.replace(self.temporary, self.target)

    def discard(self) -> None:
        if self.temporary is not None:
            self.stream.close()
            self.temporary.unlink(missing_ok=True)
