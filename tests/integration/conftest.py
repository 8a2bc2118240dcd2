from __future__ import annotations

import pytest

from .daemons import DaemonProcess, launch_under


@pytest.fixture(scope="session")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> DaemonProcess:
    """One shared daemon for tests that do not depend on its options."""
    base = tmp_path_factory.mktemp("shared-daemon")
    process = launch_under(
        base,
        "--render-workers",
        "1",
        "--precompute-hours",
        "0",
    )
    yield process
    process.stop()
