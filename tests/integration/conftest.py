from __future__ import annotations

import pytest

from .daemons import DaemonProcess, launch_under


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every module here starts real daemons and says so itself (`pytestmark`);
    one that forgot would run under `-m "not integration"`: refuse to start."""
    unmarked = sorted(
        {
            item.nodeid.split("::")[0]
            for item in items
            if "tests/integration/" in item.nodeid
            and item.get_closest_marker("integration") is None
        }
    )
    if unmarked:
        raise pytest.UsageError(f"mark these modules pytest.mark.integration: {unmarked}")


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
