"""Socket paths, runtime directories and lock files: nothing of the user's is
ever removed, and no directory is trusted before its owner, mode and type are
checked. Real `glurpcd` and `glurpc` processes throughout."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .daemons import launch
from .users import OTHER_UID, abandon, finish, needs_root, start_as_user

pytestmark = pytest.mark.integration

RUN_TIMEOUT_S = 120


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """Unix socket paths are limited to ~107 bytes: pytest's tmp_path is too long."""
    directory = Path(tempfile.mkdtemp(prefix="glurpc-s-", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def _env(base: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLURPC_", "XDG_"))}
    env["XDG_STATE_HOME"] = str(base / "state-home")
    return env | extra


def run_daemon(base: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A daemon start expected to fail before it serves: its exit and stderr."""
    return subprocess.run(
        [sys.executable, "-m", "glurpcd", "--state-dir", str(base / "state"), *args],
        capture_output=True,
        text=True,
        env=_env(base, **env),
        timeout=RUN_TIMEOUT_S,
    )


def run_cli(base: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "glurpc_cli", *args],
        capture_output=True,
        text=True,
        env=_env(base, **env),
        cwd=base,
        timeout=RUN_TIMEOUT_S,
    )


def test_a_regular_file_at_the_socket_path_is_never_removed(short_dir):
    notes = short_dir / "notes.txt"
    notes.write_text("my notes\n")
    refused = run_daemon(short_dir, "--socket", str(notes))
    assert refused.returncode == 1
    assert "is not a socket" in refused.stderr and "Traceback" not in refused.stderr
    # The commands that only ask never start a daemon; the others refuse to.
    for command in (["ping"], ["status"], ["cache", "info"], ["process", "notes.txt"]):
        result = run_cli(short_dir, "--socket", str(notes), *command)
        assert result.returncode == 3, (command, result.stderr)
    assert "not a socket" in result.stderr
    assert notes.read_text() == "my notes\n"
    assert sorted(p.name for p in short_dir.iterdir()) == ["notes.txt"]  # no lock, no state


def test_ping_status_and_cache_report_no_daemon_instead_of_starting_one(short_dir):
    sock = short_dir / "run" / "glurpcd.sock"
    for command in (["ping"], ["status"], ["cache", "info"]):
        result = run_cli(short_dir, "--socket", str(sock), *command)
        assert result.returncode == 3, (command, result.stderr)
        assert "[daemon_unreachable]" in result.stderr
        assert "starting it" not in result.stderr
    assert not (short_dir / "run").exists()  # nothing was spawned to create it


@pytest.mark.parametrize("flaw", ["symlink", "mode_0777", "other_owner"])
def test_an_untrusted_runtime_directory_is_refused_by_daemon_and_cli(short_dir, flaw):
    runtime = short_dir / "xdg" / "glurpc"
    runtime.parent.mkdir(mode=0o700)
    elsewhere = short_dir / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    if flaw == "symlink":
        runtime.symlink_to(elsewhere)
        expected = "is a symlink"
    elif flaw == "mode_0777":
        runtime.mkdir()
        runtime.chmod(0o777)
        expected = f"run chmod 700 {runtime}"
    else:
        if os.geteuid() != 0:
            pytest.skip("giving a directory to another uid needs root")
        runtime.mkdir(mode=0o700)
        os.chown(runtime, OTHER_UID, OTHER_UID)
        expected = f"belongs to uid {OTHER_UID}"
    xdg = {"XDG_RUNTIME_DIR": str(runtime.parent)}
    daemon = run_daemon(short_dir, **xdg)
    assert daemon.returncode == 1 and expected in daemon.stderr, daemon.stderr
    client = run_cli(short_dir, "--no-autostart", "ping", **xdg)
    assert client.returncode == 6 and expected in client.stderr, client.stderr
    assert list(elsewhere.iterdir()) == []  # no socket was made through the link


def test_lock_files_are_never_followed_through_a_symlink(short_dir):
    victim = short_dir / "victim.txt"
    victim.write_text("precious\n")
    run = short_dir / "run"
    run.mkdir(mode=0o700)
    (run / "glurpcd.sock.lock").symlink_to(victim)
    refused = run_daemon(short_dir, "--socket", str(run / "glurpcd.sock"))
    assert refused.returncode == 1 and "is a symlink" in refused.stderr, refused.stderr
    state = short_dir / "state2"
    state.mkdir(mode=0o700)
    (state / "glurpcd.lock").symlink_to(victim)
    refused = subprocess.run(
        [sys.executable, "-m", "glurpcd", "--state-dir", str(state), "--socket", str(run / "s")],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert refused.returncode == 1 and "is a symlink" in refused.stderr, refused.stderr
    assert victim.read_text() == "precious\n" and not victim.is_symlink()


def test_a_failed_start_removes_only_what_it_created(short_dir):
    kept = short_dir / "kept"
    kept.mkdir(mode=0o700)
    (kept / "mine.txt").write_text("x")
    too_long = kept / "new" / "deeper" / ("s" * 120 + ".sock")
    refused = run_daemon(short_dir, "--socket", str(too_long))
    assert refused.returncode == 1 and "cannot listen" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert sorted(p.name for p in kept.iterdir()) == ["mine.txt"]
    assert not (short_dir / "state").exists()  # its state directory was new too


def test_a_stale_socket_nobody_answers_is_replaced(short_dir):
    sock_path = short_dir / "run" / "glurpcd.sock"
    sock_path.parent.mkdir(mode=0o700)
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(sock_path))
    stale.close()  # a socket file with no listener: what a killed daemon leaves
    daemon = launch(sock_path, short_dir / "state", "--render-workers", "0")
    try:
        with daemon.connect() as conn:
            assert conn.call("ping")["data"] == {"pong": True}
    finally:
        daemon.stop()


def test_a_daemon_exits_when_its_socket_file_is_replaced_and_leaves_the_new_file(short_dir):
    sock_path = short_dir / "run" / "glurpcd.sock"
    daemon = launch(sock_path, short_dir / "state", "--render-workers", "0")
    try:
        sock_path.unlink()
        sock_path.write_text("somebody else's file\n")
        assert daemon.process.wait(RUN_TIMEOUT_S) == 1
    finally:
        daemon.kill()
    assert "was removed or replaced" in daemon.log()
    assert sock_path.read_text() == "somebody else's file\n"


def test_one_daemon_per_state_directory(daemon, short_dir):
    other_socket = short_dir / "second.sock"
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "glurpcd",
            "--socket",
            str(other_socket),
            "--state-dir",
            str(daemon.state_dir),
        ],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert second.returncode == 1
    assert f"(pid {daemon.process.pid}) uses the state directory" in second.stderr
    assert not other_socket.exists() and not Path(f"{other_socket}.lock").exists()
    with daemon.connect() as conn:
        assert conn.call("ping")["data"] == {"pong": True}


@needs_root
def test_the_cli_sends_nothing_to_a_daemon_run_by_another_user(short_dir):
    short_dir.chmod(0o711)  # the other user may pass through, as through /tmp
    listen_dir = short_dir / "theirs"
    listen_dir.mkdir(mode=0o700)
    os.chown(listen_dir, OTHER_UID, OTHER_UID)
    sock_path = listen_dir / "glurpcd.sock"
    ready_read, ready_write = os.pipe()

    def impostor() -> list[int]:
        """Listen as another uid; report what each of three clients sends first."""
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(sock_path))
        server.listen(8)
        os.write(ready_write, b"ready")
        received = []
        for _ in range(3):
            conn, _ = server.accept()
            received.append(len(conn.recv(1 << 16)))  # b"" once the client closes
            conn.close()
        return received

    started = start_as_user(OTHER_UID, OTHER_UID, impostor)
    os.close(ready_write)
    try:
        if os.read(ready_read, 5) != b"ready":
            finish(started)  # raises with the impostor's traceback
        (short_dir / "cgm.csv").write_text("timestamp,glucose\n2024-01-01T00:00:00,100\n")
        for command in (["ping"], ["process", "cgm.csv"]):
            refused = run_cli(short_dir, "--socket", str(sock_path), *command)
            assert refused.returncode == 6, refused.stderr
            assert f"served by uid {OTHER_UID}" in refused.stderr
        # Trusting that user on purpose ($GLURPC_DAEMON_USER) lets the hello go out.
        run_cli(short_dir, "--socket", str(sock_path), "ping", GLURPC_DAEMON_USER=str(OTHER_UID))
        assert finish(started) == [0, 0, len(_hello_frame())]
    finally:
        abandon(started)


def _hello_frame() -> bytes:
    from glurpc_cli import __version__
    from glurpc_wire import framing
    from glurpc_wire import messages as wire

    return framing.encode_frame(wire.hello(f"glurpc-py/{__version__}"))
