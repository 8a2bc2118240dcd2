"""The rows that flow between the pipeline's stages (pure data: pyarrow and json).

Layer: cohort engine, shared by every stage and the driver. One schema for
every stage, so blocks from different tasks always concatenate:

    kind  "plan"    meta {"planned": N}: a file's windows, for the progress bar
          "record"  meta: one report line (written, skipped, failed), with the
                    forecast's text for `glurpc forecast`
          "chunk"   data: the prepared series (the daemon's cache encoding);
                    meta {"wires": [...], "targets": [...]}
          "window"  data: one forecast, pickled with its plot style (plot),
                    or what scoring reads of it (evaluate);
                    meta {"wire", "target", "subject", "model_id"}, and the
                    window in wire form (forecast)
          "source"  evaluate: data: a prepared series; meta {"subject",
                    "wires"}: its windows in the order they are scored
          "node"    meta {"stage", "node"}: a stage ran a call on that node
                    (the run's summary counts the nodes that did work)
    file  the input path as given

Stages transform the kinds they own and pass the others through unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

SCHEMA = pa.schema(
    [("kind", pa.string()), ("file", pa.string()), ("data", pa.binary()), ("meta", pa.string())]
)


def row(kind: str, file: str, meta: dict[str, Any], data: bytes = b"") -> dict[str, Any]:
    return {"kind": kind, "file": file, "data": data, "meta": json.dumps(meta, default=str)}


def record_row(record: dict[str, Any]) -> dict[str, Any]:
    return row("record", str(record["file"]), record)


def node_id() -> str:
    """The Ray node this worker runs on (inside a task or an actor)."""
    import ray

    return str(ray.get_runtime_context().get_node_id())


def node_row(stage: str) -> dict[str, Any]:
    return row("node", "", {"stage": stage, "node": node_id()})


def meta(item: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(item["meta"])
    return decoded


def table(rows: Iterable[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(list(rows), schema=SCHEMA)


def items(batch: pa.Table) -> list[dict[str, Any]]:
    return batch.to_pylist()
