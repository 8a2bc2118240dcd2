"""Autostart with the real glurpcd (tiny test checkpoint, CPU): ready pipe, race, log."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from glurpc_cli.client import Client
from glurpc_cli.errors import DaemonUnreachable

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TINY_MODEL = REPO / "tests/fixtures/parity_tiny/gluformer_tiny_3heads_reluactivation_weights.pth"


@pytest.fixture
def daemon_env(socket_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What a user's environment supplies: a model, a state dir for the log."""
    monkeypatch.setenv("GLURPC_MODEL", str(TINY_MODEL))
    monkeypatch.setenv("XDG_STATE_HOME", str(socket_dir / "state"))
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    return socket_dir


def _stop(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    try:
        os.waitpid(pid, 0)  # our child: reaped here, so it cannot linger
    except ChildProcessError:
        pass  # subprocess's own bookkeeping reaped it first


def test_two_racing_clients_share_one_autostarted_daemon(daemon_env: Path) -> None:
    socket_path = daemon_env / "glurpcd.sock"
    clients: list[Client] = []
    failures: list[BaseException] = []

    def connect() -> None:
        try:
            clients.append(Client(socket_path, autostart=True))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    racers = [threading.Thread(target=connect) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(120)
    assert failures == []
    pids = {client.status()["pid"] for client in clients}
    assert len(pids) == 1  # the loser exited; its client found the winner
    for client in clients:
        assert client.ping() == {"pong": True}
        client.close()
    (pid,) = pids
    assert pid in {client.daemon_pid for client in clients}
    _stop(pid)
    log = (daemon_env / "state" / "glurpc" / "glurpcd.log").read_text()
    assert "serving" in log


def test_a_daemon_that_cannot_start_names_its_log(
    daemon_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLURPC_MODEL", str(daemon_env / "missing.pth"))
    with pytest.raises(DaemonUnreachable) as caught:
        Client(daemon_env / "glurpcd.sock", autostart=True)
    assert caught.value.code == "autostart_failed"
    assert str(daemon_env / "state" / "glurpc" / "glurpcd.log") in caught.value.message
