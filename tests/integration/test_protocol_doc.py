"""A real daemon's status reply: every key documented in docs/PROTOCOL.md, the
values that describe the asking request itself right."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

DOC = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"
# Maps whose keys are data (job kinds), not part of the schema.
DATA_KEYED = {"completed_by_kind"}


def key_paths(value: Any, prefix: str = "") -> list[str]:
    paths = []
    if isinstance(value, dict):
        for key, item in value.items():
            paths.append(prefix + key)
            if key not in DATA_KEYED:
                paths.extend(key_paths(item, f"{prefix}{key}."))
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        paths.extend(key_paths(value[0], prefix))
    return paths


def test_every_status_key_is_documented(daemon) -> None:
    with daemon.connect() as conn:
        status = conn.call("status")["data"]
        hello = conn.server_hello
    text = DOC.read_text(encoding="utf-8")
    status_section = text[text.index("## Status") : text.index("## Error codes")]
    names = set(re.findall(r"`([^`\s]+)`", status_section))
    paths = key_paths(status)
    assert len(paths) > 60
    assert sorted(path for path in paths if path.rsplit(".", 1)[-1] not in names) == []
    assert status["pid"] == daemon.process.pid
    assert status["requests"]["active"] == 1  # this very request
    assert status["connections"] >= 1
    handshake = text[text.index("## Handshake") : text.index("## Requests")]
    assert all(f'"{key}"' in handshake for key in hello)
