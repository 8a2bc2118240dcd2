"""Pause points for rehearsing failures: hold one worker per node mid-work, on cue.

Layer: cohort engine, inside Ray workers; file system only. A node lost or an
actor killed at a random moment tests nothing reliably: the work may already
be done. With `GLURPC_RAY_PAUSE=DIR` in the cluster's environment (the nodes',
not the driver's), a stage that reaches pause point NAME while `DIR/NAME`
exists as a FIFO writes `DIR/NAME-held-<node id>` (its pid, O_EXCL: the first
worker on each node, once) and blocks opening the FIFO for reading until
somebody holds it open for writing. Meanwhile the rehearsal kills that pid or
its node; then it opens the FIFO (O_RDWR never blocks) and keeps it open, so
every held worker and any later one goes on. Without the variable, or without
the FIFO, a pause point costs one `os.environ` lookup.

Points: `chunk` (a model actor, before it forecasts a chunk) and `write` (a
render task, after an image's temporary is written, before the rename).
"""

from __future__ import annotations

import os
from pathlib import Path

from .rows import node_id

ENV = "GLURPC_RAY_PAUSE"


def pause(point: str) -> None:
    folder = os.environ.get(ENV)
    if not folder:
        return
    cue = Path(folder) / point
    if not cue.is_fifo():
        return
    held = cue.with_name(f"{point}-held-{node_id()}")
    draft = cue.with_name(f".{held.name}.{os.getpid()}")
    draft.write_text(str(os.getpid()))
    try:
        os.link(draft, held)  # whole or absent: the rehearsal reads the pid at once
    except FileExistsError:
        return  # this node has held once already
    finally:
        draft.unlink()
    os.close(os.open(cue, os.O_RDONLY))  # returns once the rehearsal opens it for writing
