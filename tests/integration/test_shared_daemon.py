"""A shared `--group` daemon keeps each user's data to that user.

Two fresh uids in the daemon's group (tests/integration/users.py): user A
uploads a file and keeps a plot of it running; user B, knowing A's handle,
gets exactly the `not_found` an unknown handle gets, cannot delete A's cache
entries, and sees A's work in `status` only as counts. A still uses the
handle, and root sees everything. Real daemon, real sockets, the real CLI
for B's `status` and `cache delete`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from glurpc_cli import commands_admin, status_view  # noqa: F401 - loaded before B's fork
from glurpc_cli.cli import cli as glurpc_cli

from .daemons import RawConnection, launch
from .samples import cgm_csv, published_size_checkpoint
from .users import (
    OTHER_UID,
    THIRD_UID,
    abandon,
    as_user,
    finish,
    needs_root,
    shared_group,
    start_as_user,
)

pytestmark = [pytest.mark.integration, needs_root]

FAR_INDEX = 999_999  # the handle is resolved first: its owner gets index_out_of_range
UNKNOWN = "ab" * 32


@pytest.fixture
def group_daemon(tmp_path_factory):
    """A root daemon whose socket directory and socket the group may use.
    Many MC samples in small batches keep one plot running for a while."""
    name, gid = shared_group()
    base = Path(tempfile.mkdtemp(prefix="glurpc-g-", dir="/tmp"))
    base.chmod(0o711)
    run = base / "run"
    run.mkdir(mode=0o750)
    os.chown(run, -1, gid)
    checkpoint = published_size_checkpoint(tmp_path_factory.mktemp("ckpt") / "published.pth")
    daemon = launch(
        run / "glurpcd.sock",
        tmp_path_factory.mktemp("state"),
        "--group",
        name,
        "--model",
        str(checkpoint),
        "--samples",
        "400",
        "--batch-rows",
        "20",
        "--precompute-hours",
        "0",
        "--render-workers",
        "1",
    )
    yield daemon, gid
    daemon.stop()
    shutil.rmtree(base, ignore_errors=True)


def _cli_json(socket_path: Path, *args: str) -> dict:
    """The real CLI, in this (already setuid) process: its JSON output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        glurpc_cli.main(["--socket", str(socket_path), "--no-autostart", *args])
    return json.loads(out.getvalue())


def test_users_of_a_shared_daemon_never_see_each_others_data(group_daemon):
    daemon, gid = group_daemon
    csv = cgm_csv(hours=12, seed=21)
    handle_read, handle_write = os.pipe()
    go_read, go_write = os.pipe()

    def user_a() -> dict:
        with RawConnection(daemon.socket) as conn:
            handle = conn.call("process", {"csv": csv})["data"]["handle"]
            conn.request("plot", {"handle": handle, "index": -5})
            while (frame := conn.receive())["type"] == "progress":
                if frame["stage"] == "inference" and frame.get("done", 0) >= 1:
                    break
            assert frame["type"] == "progress", frame
            os.write(handle_write, handle.encode())
            os.read(go_read, 1)  # B looks now, while this plot runs
            own = conn.final(conn.request("plot", {"handle": handle, "index": FAR_INDEX}))
            return {"handle": handle, "own": own["code"]}

    started_a = start_as_user(OTHER_UID, gid, user_a)
    os.close(handle_write)
    try:
        handle = os.read(handle_read, 64).decode()
        if len(handle) != 64:
            finish(started_a)  # raises with A's traceback
        _root_sees_everything(daemon, handle)
        seen_by_b = as_user(THIRD_UID, gid, lambda: _user_b(daemon.socket, handle))
        os.write(go_write, b"g")
        a = finish(started_a)
    finally:
        abandon(started_a)

    theirs, unknown = seen_by_b["theirs"], seen_by_b["unknown"]
    assert theirs["code"] == "not_found"
    for key in ("type", "code", "message", "details"):
        assert json.dumps(theirs[key]).replace(handle, UNKNOWN) == json.dumps(unknown[key])
    assert seen_by_b["delete"]["affected"] == seen_by_b["delete_unknown"]["affected"] == 0
    status = seen_by_b["status"]
    assert handle not in json.dumps(status) and f"uid={OTHER_UID}/" not in json.dumps(status)
    assert status["attached_others"]["jobs"] >= 1 and status["attached"] == []
    # A's handle still works for A: B's delete removed nothing.
    assert a["handle"] == handle and a["own"] == "index_out_of_range"


def _root_sees_everything(daemon, handle: str) -> None:
    with daemon.connect() as root:
        everything = root.call("status")["data"]
    mine = [job for job in everything["attached"] if job["handle"] == handle]
    assert mine and any(f"uid={OTHER_UID}/" in peer for peer in mine[0]["peers"])


def _user_b(socket_path: Path, handle: str) -> dict:
    """What another member of the group gets, knowing A's handle."""
    with RawConnection(socket_path) as conn:
        theirs = conn.call("plot", {"handle": handle, "index": FAR_INDEX})
        unknown = conn.call("plot", {"handle": UNKNOWN, "index": FAR_INDEX})
    return {
        "theirs": theirs,
        "unknown": unknown,
        "status": _cli_json(socket_path, "status", "--json"),
        "delete": _cli_json(socket_path, "cache", "delete", handle, "--json"),
        "delete_unknown": _cli_json(socket_path, "cache", "delete", UNKNOWN, "--json"),
    }


@pytest.fixture
def precomputing_group_daemon(tmp_path_factory):
    """A shared daemon that forecasts each upload's newest hour in the
    background, slowly enough (many samples in small batches of a
    published-size model) that an upload's background work is still queued
    while the next user looks at `status`."""
    name, gid = shared_group()
    base = Path(tempfile.mkdtemp(prefix="glurpc-g-", dir="/tmp"))
    base.chmod(0o711)
    run = base / "run"
    run.mkdir(mode=0o750)
    os.chown(run, -1, gid)
    checkpoint = published_size_checkpoint(tmp_path_factory.mktemp("ckpt") / "published.pth")
    daemon = launch(
        run / "glurpcd.sock",
        tmp_path_factory.mktemp("state"),
        *("--group", name, "--model", str(checkpoint), "--samples", "200"),
        *("--batch-rows", "20", "--precompute-hours", "1", "--render-workers", "1"),
    )
    yield daemon, gid
    daemon.stop()
    shutil.rmtree(base, ignore_errors=True)


PLOT = {"index": -3, "title": "A's plot"}


def _plot_frames(conn: RawConnection, handle: str) -> tuple[list[str], dict]:
    """The progress stages and the final frame of one plot."""
    msg_id = conn.request("plot", {"handle": handle, **PLOT})
    stages = []
    while (frame := conn.receive())["type"] == "progress":
        stages.append(frame["stage"])
    assert frame["id"] == msg_id
    return stages, frame


def test_members_sending_the_same_bytes_share_no_work_progress_or_flush(
    precomputing_group_daemon,
):
    daemon, gid = precomputing_group_daemon
    csv = cgm_csv(hours=12, seed=23)
    crlf = csv.replace(b"\n", b"\r\n")

    def alice_uploads() -> str:
        with RawConnection(daemon.socket) as conn:
            handle = conn.call("process", {"csv": csv})["data"]["handle"]
            assert _plot_frames(conn, handle)[1]["type"] == "result"
            return handle

    def bob_tries() -> dict:
        with RawConnection(daemon.socket) as conn:
            status = conn.call("status")["data"]
            handles = [
                conn.call("process", {"csv": data})["data"]["handle"] for data in (csv, crlf)
            ]
            stages, final = _plot_frames(conn, handles[0])
            flushed = conn.call("cache", {"action": "flush"})["data"]["affected"]
        return {"status": status, "handles": handles, "stages": stages, "final": final,
                "flushed": flushed}  # fmt: skip

    def alice_again(handle: str) -> tuple[list[str], dict]:
        with RawConnection(daemon.socket) as conn:
            return _plot_frames(conn, handle)

    alice = as_user(OTHER_UID, gid, alice_uploads)
    with daemon.connect() as root:  # the test is not vacuous: A's work is queued now
        assert root.call("status")["data"]["engine"]["background"]["by_uid"][str(OTHER_UID)] > 0
    bob = as_user(THIRD_UID, gid, bob_tries)

    assert alice not in bob["handles"]  # the same bytes, LF or CRLF: never A's handle
    assert str(OTHER_UID) not in bob["status"]["engine"]["background"]["by_uid"]
    # B's plot of A's window with A's title computes like any other: nothing cached shows.
    assert bob["final"]["type"] == "result" and "rendering" in bob["stages"]
    assert bob["flushed"] > 0
    stages, final = as_user(OTHER_UID, gid, lambda: alice_again(alice))
    assert final["type"] == "result" and stages == []  # B's flush left A's image cached
