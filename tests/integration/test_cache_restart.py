"""Finished work survives the daemon: a restart serves it from disk without
recomputing, and a kill -9 in the middle of cache writes never leads to a torn
file being served."""

from __future__ import annotations

import pytest

from .daemons import launch
from .samples import cgm_csv

pytestmark = pytest.mark.integration

ARGS = ("--render-workers", "0", "--precompute-hours", "0")


def _computed(conn):
    return conn.call("status")["data"]["jobs"]["completed_by_kind"]


def test_restart_serves_cached_plots_without_recomputing(tmp_path):
    socket, state = tmp_path / "run" / "s.sock", tmp_path / "state"
    upload = cgm_csv(hours=12, seed=31)
    first = launch(socket, state, *ARGS)
    try:
        with first.connect() as conn:
            original = conn.call("plot", {"csv": upload, "index": -3})["data"]
    finally:
        assert first.stop() == 0
    second = launch(socket, state, *ARGS)
    try:
        with second.connect() as conn:
            again = conn.call("plot", {"handle": original["handle"], "index": -3})["data"]
            by_upload = conn.call("plot", {"csv": upload, "index": -3})["data"]
            status = conn.call("status")["data"]
    finally:
        second.stop()
    assert again["image"] == original["image"] == by_upload["image"]
    assert status["jobs"]["completed_by_kind"] == {}  # nothing parsed, forecast or drawn
    assert status["cache"]["hits"] >= 3


def test_kill_9_during_cache_writes_never_serves_a_torn_entry(tmp_path):
    upload = cgm_csv(hours=14, seed=32)
    indices = list(range(0, -40, -1))
    socket, state = tmp_path / "run" / "s.sock", tmp_path / "state"
    victim = launch(socket, state, *ARGS)
    with victim.connect() as conn:
        handle = conn.call("process", {"csv": upload})["data"]["handle"]
        sent = [conn.request("plot", {"handle": handle, "index": i}) for i in indices]
        for _ in range(len(sent) // 2):  # half answered: writes are streaming to disk
            conn.final()
        victim.kill()

    survivor = launch(socket, state, *ARGS)
    reference = launch(tmp_path / "ref" / "s.sock", tmp_path / "ref-state", *ARGS)
    try:
        with survivor.connect() as after, reference.connect() as clean:
            clean.call("process", {"csv": upload})
            for index in indices:
                served = after.call("plot", {"csv": upload, "index": index})
                fresh = clean.call("plot", {"handle": handle, "index": index})
                assert served["type"] == "result", served
                assert served["data"]["image"] == fresh["data"]["image"], index
            reused = after.call("status")["data"]["cache"]["hits"]
    finally:
        survivor.stop()
        reference.stop()
    assert reused > 0  # some of the victim's work was kept, verified, and served


def test_flushed_entries_stay_gone_after_a_restart(tmp_path):
    socket, state = tmp_path / "run" / "s.sock", tmp_path / "state"
    daemon = launch(socket, state, *ARGS)
    try:
        with daemon.connect() as conn:
            handle = conn.call("process", {"csv": cgm_csv(hours=14, seed=33)})["data"]["handle"]
            for index in range(0, -20, -1):
                conn.call("plot", {"handle": handle, "index": index})
            flushed = conn.call("cache", {"action": "flush"})["data"]
        assert flushed["entries"] == 0 and flushed["persisted"] == 0
    finally:
        daemon.stop()
    restarted = launch(socket, state, *ARGS)
    try:
        with restarted.connect() as conn:
            loaded = conn.call("cache", {"action": "load"})["data"]
            missing = conn.call("plot", {"handle": handle, "index": 0})
        assert loaded["affected"] == 0 and loaded["persisted"] == 0
        assert missing["code"] == "not_found"
    finally:
        restarted.stop()
