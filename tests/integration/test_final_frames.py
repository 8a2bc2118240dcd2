"""Exactly one final frame per request, whatever the timing of cancel and EOF.

A real daemon and raw connections. A seeded schedule drives, many times, a
cancel frame or the end of the stream at every stage a request passes
through: before its task has started (in the same write as the request),
queued, parsing, inference, rendering and after its result. Each request
must end with one final frame (none after an EOF, which leaves nobody to read
it), and when everything is over the daemon's lifecycle tables are empty.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

import pytest

from glurpc_wire import framing
from glurpc_wire import messages as wire

from .daemons import RawConnection
from .samples import cgm_csv, wait_for_status

pytestmark = pytest.mark.integration

STAGES = ("before_start", "queued", "parsing", "inference", "rendering", "after_result")
ORDER = {stage: rank for rank, stage in enumerate(STAGES)}
TRIALS = 60
SEED = 1313


@pytest.fixture(scope="module")
def lifecycle_daemon(daemon):
    """The shared daemon (no precompute: every job belongs to a request) and a
    day of data whose windows the schedule plots."""
    with daemon.connect() as conn:
        handle = conn.call("process", {"csv": cgm_csv(hours=24, seed=5)})["data"]["handle"]
    return daemon, handle


def _idle_tables(status: dict) -> bool:
    """Nothing lingers but the status request asking."""
    return status["tables"] == {"requests": 1, "jobs": 0, "orphans": 0, "latest_request": 0}


def _finals(frames: list[dict]) -> Counter:
    return Counter(f["id"] for f in frames if f["type"] in ("result", "error"))


def test_cancels_in_the_same_write_as_their_requests_each_get_one_final_frame(lifecycle_daemon):
    daemon, handle = lifecycle_daemon
    with daemon.connect() as conn:
        burst = b"".join(
            framing.encode_frame(frame)
            for msg_id in range(1, 6)
            for frame in (
                wire.request(msg_id, "plot", {"handle": handle, "index": -msg_id}),
                {"type": "cancel", "id": msg_id},
            )
        )
        conn.send_raw(burst)
        frames = [conn.receive() for _ in range(5)]
        frames += _through_ping(conn, 99)
    finals = _finals(frames)
    assert finals == Counter({msg_id: 1 for msg_id in range(1, 6)} | {99: 1})
    assert {f["code"] for f in frames if f["type"] == "error"} == {"cancelled"}
    with daemon.connect() as observer:
        wait_for_status(observer, _idle_tables)


def test_a_reused_id_is_answered_without_an_id_and_the_first_keeps_its_one_final(
    lifecycle_daemon,
):
    daemon, handle = lifecycle_daemon
    with daemon.connect() as conn:
        conn.send_raw(
            framing.encode_frame(wire.request(7, "plot", {"handle": handle, "index": -30}))
            + framing.encode_frame(wire.request(7, "ping", None))
        )
        frames = _through_final(conn, 7) + _through_ping(conn, 8)
    complaints = [f for f in frames if f["type"] == "error" and f["id"] is None]
    assert [(f["code"], f["details"]) for f in complaints] == [("bad_request", {"reused_id": 7})]
    assert _finals(frames) == Counter({None: 1, 7: 1, 8: 1})
    first = next(f for f in frames if f["id"] == 7 and f["type"] in ("result", "error"))
    assert first["type"] == "result" and first["data"]["image"].startswith(b"\x89PNG")


@dataclass
class Planned:
    msg_id: int
    stage: str
    action: str  # "cancel" or "eof"
    args: dict
    acted_at: str | None = None
    finals: int = 0


@dataclass
class Trial:
    planned: list[Planned]
    frames: list[dict] = field(default_factory=list)
    closed: bool = False


def _plan(rng: random.Random, handle: str, trial: int) -> Trial:
    planned = []
    for msg_id in range(1, rng.randint(1, 3) + 1):
        stage = rng.choice(STAGES)
        if stage == "parsing":
            # A fresh upload is parsed; the seed makes it new to the daemon.
            args = {"csv": cgm_csv(hours=9, seed=10_000 + trial * 10 + msg_id), "index": 0}
        else:
            args = {"handle": handle, "index": -rng.randrange(0, 150)}
        planned.append(Planned(msg_id, stage, rng.choice(("cancel", "eof")), args))
    return Trial(planned)


def _run_trial(daemon, trial: Trial) -> None:
    conn = daemon.connect()
    try:
        out = b""
        for item in trial.planned:
            out += framing.encode_frame(wire.request(item.msg_id, "plot", item.args))
            if item.stage == "before_start":
                item.acted_at = "before_start"
                out += _act(conn, item, trial, send=False)
        conn.send_raw(out)
        if trial.closed:
            return
        _drive(conn, trial)
        if not trial.closed:
            trial.frames += _through_ping(conn, 1000)
    finally:
        conn.close()


def _act(conn: RawConnection, item: Planned, trial: Trial, send: bool = True) -> bytes:
    """Cancel `item` (the frame, sent or returned to go with its request) or
    end the stream (at once, or after the requests written so far)."""
    if item.action == "eof":
        trial.closed = True
        if send:
            conn.close()
        return b""
    frame = framing.encode_frame({"type": "cancel", "id": item.msg_id})
    if send:
        conn.send_raw(frame)
    return frame


def _drive(conn: RawConnection, trial: Trial) -> None:
    by_id = {item.msg_id: item for item in trial.planned}
    open_ids = set(by_id)
    while open_ids:
        frame = conn.receive()
        trial.frames.append(frame)
        item = by_id.get(frame.get("id"))
        if item is None:
            continue
        final = frame["type"] in ("result", "error")
        reached = "after_result" if final else frame.get("stage")
        if final:
            item.finals += 1
            open_ids.discard(item.msg_id)
        if item.acted_at is None and reached in ORDER and ORDER[reached] >= ORDER[item.stage]:
            item.acted_at = reached
            _act(conn, item, trial)
            if trial.closed:
                return


def _through_final(conn: RawConnection, msg_id: int) -> list[dict]:
    frames = []
    while True:
        frames.append(conn.receive())
        if frames[-1]["type"] in ("result", "error") and frames[-1]["id"] == msg_id:
            return frames


def _through_ping(conn: RawConnection, msg_id: int) -> list[dict]:
    """Everything the daemon still sends before a ping's answer: a second
    final frame for an earlier request would be among these."""
    conn.send(wire.request(msg_id, "ping", None))
    return _through_final(conn, msg_id)


def test_seeded_cancel_and_eof_at_every_stage_leave_one_final_each_and_empty_tables(
    lifecycle_daemon,
):
    daemon, handle = lifecycle_daemon
    rng = random.Random(SEED)
    acted: Counter = Counter()
    for number in range(TRIALS):
        trial = _plan(rng, handle, number)
        _run_trial(daemon, trial)
        finals = _finals(trial.frames)
        for item in trial.planned:
            acted[item.acted_at] += 1
            if not trial.closed:
                # Every request of a connection still open ended exactly once.
                assert finals[item.msg_id] == 1, (number, item, trial.frames)
            else:
                assert finals[item.msg_id] <= 1, (number, item, trial.frames)
    # The schedule really reached every stage (None: an EOF came first).
    assert set(STAGES) <= set(acted), acted
    with daemon.connect() as observer:
        status = wait_for_status(observer, _idle_tables)
    assert status["requests"]["active"] == 1
