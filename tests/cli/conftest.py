"""Fixtures for the client and CLI tests: a fake daemon on a short socket path."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .fake_daemon import FakeDaemon


@pytest.fixture
def socket_dir() -> Iterator[Path]:
    # Unix socket paths are limited to ~107 bytes; pytest's tmp_path can be longer.
    directory = Path(tempfile.mkdtemp(prefix="glurpc-t-", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def fake(socket_dir: Path) -> Iterator[FakeDaemon]:
    with FakeDaemon(socket_dir / "glurpcd.sock") as daemon:
        yield daemon
