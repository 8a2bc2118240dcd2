"""The small bounding parts on their own: log fields, drain-rate advice, the
background budget and the connection limit (no sockets, no clocks)."""

from __future__ import annotations

import asyncio

from glurpcd.engine.background import BackgroundBudget
from glurpcd.engine.drain import MAX_ADVICE_S, DrainRate
from glurpcd.lifecycle import JobSpec, Registry
from glurpcd.observe.logfields import MAX_FIELD_CHARS, log_field
from glurpcd.server.admission import ConnectionLimit
from glurpcd.server.peer import Peer


def test_log_fields_are_printable_and_bounded():
    assert log_field("ping") == "ping"
    assert log_field("a\nb\x1b[31m") == "a\\nb\\x1b[31m"
    long = log_field("x" * 50_000_000)
    assert len(long) <= MAX_FIELD_CHARS and long.endswith("(50000000 chars)")
    assert all(ch.isprintable() for ch in log_field("\n" * 100))
    assert len(log_field("\n" * 100)) <= MAX_FIELD_CHARS


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_retry_after_follows_the_measured_drain_rate():
    clock = FakeClock()
    rate = DrainRate(clock=clock)
    for _ in range(64):  # a burst of cheap jobs: 20 per second
        rate.record()
        clock.now += 0.05
    assert abs(rate.seconds_to_drain(256) - 256 / 20) < 1.0
    clock.now += 120.0  # history too old: fall back to one second per job
    assert rate.seconds_to_drain(10) == 10.0
    assert rate.seconds_to_drain(10_000) == MAX_ADVICE_S


def test_background_budget_drops_the_oldest_uploads_first():
    async def scenario() -> None:
        registry = Registry()
        loop = asyncio.get_running_loop()
        budget = BackgroundBudget(5, 3, registry.drop_background)

        def queue(upload: str, uid: int, wanted: int) -> int:
            granted = budget.room_for(uid, wanted)
            for n in range(granted):
                job = registry.add_background(JobSpec(f"{upload}:{n}", "forecast", upload), loop)
                assert job is not None
                budget.track(upload, uid, job)
            return granted

        assert queue("a", uid=1, wanted=10) == 3  # the uid's share
        assert queue("b", uid=2, wanted=2) == 2
        assert queue("c", uid=1, wanted=3) == 3  # uid 1's oldest ("a") made room
        snapshot = budget.snapshot()
        assert snapshot["queued"] == 5 and snapshot["dropped"] == 3
        assert snapshot["by_uid"] == {"2": 2, "1": 3}
        assert registry.counters.jobs_abandoned == 3

    asyncio.run(scenario())


def test_connection_limit_refuses_with_a_code_and_logs_once_per_interval(caplog):
    clock = FakeClock()
    limit = ConnectionLimit(2, clock=clock)
    peer = Peer(pid=1, uid=1000, gid=1000)
    assert limit.admits(1, peer)
    assert not limit.admits(2, peer) and not limit.admits(2, peer)
    clock.now += 11.0
    assert not limit.admits(2, peer)
    assert limit.refused == 3
    assert [r.getMessage().split(" ")[1] for r in caplog.records] == ["1", "2"]
    refusal = limit.refusal()
    assert refusal["code"] == "overloaded" and refusal["details"]["reason"] == "connections"
