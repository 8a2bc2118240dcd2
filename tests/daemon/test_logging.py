"""Log formats and request ids: plain and JSON lines, ids that follow a
request into executor threads and onto warnings raised there."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

from glurpcd.observe import logsetup
from glurpcd.observe.logcontext import in_context, serving
from glurpcd.observe.trace import RequestTrace, log_request, request_fields


class Written:
    """What was written to the stream so far."""

    def __init__(self, stream: io.TextIOBase) -> None:
        self.stream = stream

    def getvalue(self) -> str:
        self.stream.flush()
        self.stream.seek(0)
        return self.stream.read()


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """The daemon's logging set up on a buffer; restored afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = open(tmp_path / "stderr.log", "w+")  # a real file: it has a device and inode

    def configure(fmt: str, journal: bool = False) -> io.TextIOBase:
        # Here, not at setup: pytest puts its own stderr back when the test starts.
        monkeypatch.setattr("sys.stderr", stream)
        info = os.fstat(stream.fileno())
        # journald's stream is stderr itself, or (a child that inherited it) another file.
        device, inode = (info.st_dev, info.st_ino) if journal else (info.st_dev, info.st_ino + 1)
        monkeypatch.setenv("JOURNAL_STREAM", f"{device}:{inode}")
        logsetup.configure("INFO", fmt)
        return Written(stream)

    yield configure
    stream.close()
    logging.captureWarnings(False)
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def fields(**overrides: object) -> dict:
    trace = RequestTrace(handle="ab" * 32, subject="p 7", windows=[-3, 0])
    trace.waited(attached_at=10.0, started_at=10.5, now=12.0)
    return request_fields(
        trace,
        request_id=41,
        peer_uid=1000,
        peer_pid=99,
        op="plot",
        outcome="completed",
        code=None,
        total_s=2.25,
        **overrides,
    )


def test_trace_splits_queue_and_compute_time() -> None:
    trace = RequestTrace()
    trace.waited(attached_at=1.0, started_at=3.0, now=4.0)  # queued 2 s, computed 1 s
    trace.waited(attached_at=5.0, started_at=4.0, now=5.5)  # joined a running job
    trace.waited(attached_at=6.0, started_at=None, now=6.25)  # left before it started
    assert trace.queue_s == pytest.approx(2.25) and trace.compute_s == pytest.approx(1.5)


def test_plain_request_line(captured) -> None:
    buffer = captured("plain", journal=True)
    log_request(logging.getLogger("glurpcd.request"), fields())
    line = buffer.getvalue().strip()
    assert line == (
        "INFO glurpcd.request: request_id=41 peer_uid=1000 peer_pid=99 op=plot "
        'handle=abababababab subject="p 7" windows=-3,0 outcome=completed code=- '
        "queue_ms=500.0 compute_ms=1500.0 total_ms=2250.0"
    )


def test_json_request_line_has_every_field_and_a_time(captured) -> None:
    buffer = captured("json")
    log_request(logging.getLogger("glurpcd.request"), fields())
    entry = json.loads(buffer.getvalue())
    assert entry["level"] == "INFO" and entry["logger"] == "glurpcd.request" and "time" in entry
    assert {key: entry[key] for key in fields()} == fields()


def test_warnings_in_an_executor_thread_carry_the_request_id(captured) -> None:
    buffer = captured("json", journal=True)

    def library_code() -> None:
        logging.getLogger("cgm_format.parser").warning("metadata drift")
        warnings.warn("a deprecated column", UserWarning, stacklevel=1)

    async def serve() -> None:
        with ThreadPoolExecutor(1) as pool, serving([7]):
            await asyncio.get_running_loop().run_in_executor(pool, in_context(library_code))
        logging.getLogger("glurpcd").info("after the request")

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        asyncio.run(serve())
    entries = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [(e["logger"], e.get("request_id")) for e in entries] == [
        ("cgm_format.parser", 7),
        ("py.warnings", 7),
        ("glurpcd", None),
    ]
    assert all("time" not in e for e in entries)  # journald stamps lines itself


def test_a_job_shared_by_requests_names_them_all(captured) -> None:
    buffer = captured("plain")
    with serving([9, 4]):
        logging.getLogger("glurpcd.engine").warning("slow batch")
    assert buffer.getvalue().rstrip().endswith("WARNING glurpcd.engine: slow batch request_id=4,9")


FORGED = "\r2026-12-05 10:00:00 INFO glurpcd.request: request_id=424242 op=plot\n\x1b[2J"


def _log_forgeries() -> None:
    log = logging.getLogger("glurpcd.test")
    log.warning("title %s", FORGED)
    try:
        raise ValueError(f"bad title {FORGED}\n{'{' * 300_000}")
    except ValueError:
        log.exception("render failed for %s", FORGED)


def test_client_text_never_makes_a_plain_line_of_its_own(captured) -> None:
    out = captured("plain")
    _log_forgeries()
    text = out.getvalue()
    records = [line for line in text.splitlines() if line and not line.startswith("  ")]
    assert len(records) == 2, records  # a traceback's lines are all indented
    assert "\r" not in text and "\x1b" not in text and "\\x1b[2J" in records[0]
    assert len(text) < 40_000  # the 300 KB message is cut in its middle
    assert text.rstrip().endswith("{")  # ... keeping its tail


def test_client_text_in_json_lines_is_escaped_and_bounded(captured) -> None:
    out = captured("json")
    _log_forgeries()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    entries = [json.loads(line) for line in lines]
    assert entries[0]["message"] == f"title {FORGED}"
    assert len(lines[1]) < 40_000 and "ValueError" in entries[1]["exception"]
