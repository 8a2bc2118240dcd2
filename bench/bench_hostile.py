"""Hostile load against a real daemon on this machine, over its Unix socket:
peak RSS, the longest ping stall of a healthy client, and RSS afterwards.

    .venv/bin/python -m bench.bench_hostile [--cases amplification,...]

Each case runs while a healthy client pings on its own connection; its row
stands beside the idle row measured in the same run (RSS at rest, longest
ping with nothing else going on). Cases (ISSUE 17's reproductions, bounded
in count and time):
- amplification: three 64 MiB frames of empty maps at once (and one before hello);
- never_reading: 20,000 pipelined cached plot requests, results never read;
- silent_partial: 20 connections send a 64 MiB header and 60 MiB, then go silent;
- descriptors: 1,100 connections at once against a limit of 1,000;
- large_upload: a 30 MB, 1.25-million-row table parsed, then one abandoned mid-parse;
- background: 300 distinct small uploads (background work capped).
ISSUE 25's reproductions (parsing within a budget):
- line_flood: 30 MB of `1\\n` lines (15 million lines);
- unclosed_quote: one `"` and then 15 million lines;
- four_floods: four line floods at once;
- under_child_size: six 3.9 MiB files of `1\\n` lines at once (they used to
  parse inside the daemon);
- many_line_tables: six 3.9 MiB real tables (170,000 rows each) at once, parsed
  in children held to the parse memory bound;
- wide_plot: a plot of 1,024 windows at 600 dpi (refused before it is drawn);
- ray_file: the Ray engine's prepare stage on a 40 MB file, in a process of its
  own (its peak is in the note; the daemon is idle).
Each row also notes the peak of the daemon with its children (parsing
children, render workers) above the same at idle.
Targets (reported, never asserted): peak RSS of amplification, never_reading
and ISSUE 25's cases < 300 MB above idle; longest ping < 250 ms in every case.
"""

from __future__ import annotations

import argparse
import json
import selectors
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.probes import MIB, Watch, settled_rss, tree_rss
from glurpc_wire import framing
from glurpc_wire import messages as wire
from tests.integration.daemons import DaemonProcess, launch
from tests.integration.samples import cgm_csv, wait_for_status

DAEMON_ARGS = (
    "--render-workers", "1", "--write-timeout", "5", "--frame-timeout", "5",
    "--max-connections", "1000", "--precompute-hours", "0",
)  # fmt: skip
# The background case needs a daemon that precomputes (the CPU default, 6 hours).
PRECOMPUTING_ARGS = ("--render-workers", "1")


def _raw(daemon: DaemonProcess, hello: bool = True) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(60)
    sock.connect(str(daemon.socket))
    if hello:
        sock.sendall(framing.encode_frame(wire.hello("bench/1")))
        sock.recv(1 << 16)
    return sock


def _in_threads(work: Callable[[int], None], count: int) -> None:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass  # refused or dropped by the daemon: what is being measured


def amplification(daemon: DaemonProcess) -> str:
    count = 64 * MIB - 64
    body = b"\x81\xa1x\xdd" + struct.pack(">I", count) + b"\x80" * count
    frame = framing.HEADER.pack(len(body)) + body
    codes: list[str] = []

    def attack(_: int) -> None:
        with _raw(daemon) as sock:
            _send_quietly(sock, frame)
            decoder = framing.FrameDecoder()
            while not (messages := decoder.feed(sock.recv(1 << 16))):
                pass
            codes.append(messages[0].get("code", "?"))

    with _raw(daemon, hello=False) as early:
        _send_quietly(early, framing.HEADER.pack(64 * MIB))
    _in_threads(attack, 3)
    return f"answers: {', '.join(sorted(codes))}"


def never_reading(daemon: DaemonProcess) -> str:
    with daemon.connect() as conn:
        handle = conn.call("process", {"csv": cgm_csv(hours=12, seed=71)})["data"]["handle"]
        conn.call("plot", {"handle": handle, "index": 0})
        hog = _raw(daemon)
        frames = b"".join(
            framing.encode_frame(wire.request(n, "plot", {"handle": handle, "index": 0}))
            for n in range(1, 20_001)
        )
        sender = threading.Thread(target=_send_quietly, args=(hog, frames))
        sender.start()
        started = time.monotonic()
        wait_for_status(conn, lambda s: s["connections"] == 2 and s["requests"]["active"] == 1)
        dropped_after = time.monotonic() - started
        sender.join()
        hog.close()
    return f"dropped after {dropped_after:.1f} s (--write-timeout 5)"


def silent_partial(daemon: DaemonProcess) -> str:
    socks = [_raw(daemon) for _ in range(20)]
    chunk = framing.HEADER.pack(64 * MIB) + b"\0" * (60 * MIB)
    _in_threads(lambda n: _send_quietly(socks[n], chunk), len(socks))
    with daemon.connect() as conn:
        status = wait_for_status(conn, lambda s: s["flow"]["partial_frame_bytes"] == 0)
    for sock in socks:
        sock.close()
    return f"partial-frame budget {status['flow']['partial_frame_limit'] // MIB} MiB"


def descriptors(daemon: DaemonProcess) -> str:
    socks = []
    for _ in range(1100):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(str(daemon.socket))
        socks.append(sock)
    refused = 0
    with selectors.DefaultSelector() as selector:  # epoll: past select()'s 1024 descriptors
        for sock in socks:
            selector.register(sock, selectors.EVENT_READ)
        # Refusals arrive at once; admitted connections stay quiet.
        while ready := selector.select(timeout=1.0):
            for key, _ in ready:
                refused += b"overloaded" in key.fileobj.recv(1 << 12)  # type: ignore[union-attr]
                selector.unregister(key.fileobj)
    for sock in socks:
        sock.close()
    return f"{refused} of 1100 refused with overloaded (limit 1000, the pinger is one)"


def _table(rows: int) -> bytes:
    start = 1_700_000_000
    lines = [
        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(start + 300 * n))},{100 + n % 50}"
        for n in range(rows)
    ]
    return ("time,gl\n" + "\n".join(lines) + "\n").encode()


def large_upload(daemon: DaemonProcess) -> str:
    table = _table(1_250_000)
    with daemon.connect() as conn:
        started = time.monotonic()
        reply = conn.call("process", {"csv": table})
        parsed_s = time.monotonic() - started
        abandoned = daemon.connect()
        msg_id = abandoned.request("process", {"csv": table, "force": True})
        while abandoned.receive().get("stage") != "parsing":
            pass
        abandoned.close()
        wait_for_status(conn, lambda s: s["requests"]["active"] == 1)
    outcome = reply.get("code") or f"{reply['data']['samples']} windows"
    return f"{len(table) / 1e6:.0f} MB parsed in {parsed_s:.1f} s ({outcome}); #{msg_id} abandoned"


LINE_FLOOD = b"1\n" * 15_000_000


def _answers(daemon: DaemonProcess, uploads: list[bytes]) -> str:
    """Send the uploads at once (a connection each); their answers, counted."""
    answers: list[str] = []

    def send(n: int) -> None:
        with daemon.connect() as conn:
            reply = conn.call("process", {"csv": uploads[n]})
            code = reply.get("code") or "result"
            reason = reply.get("details", {}).get("reason")
            answers.append(f"{code} ({reason})" if reason else code)

    _in_threads(send, len(uploads))
    return ", ".join(f"{answers.count(a)} {a}" for a in sorted(set(answers)))


def line_flood(daemon: DaemonProcess) -> str:
    return _answers(daemon, [LINE_FLOOD])


def unclosed_quote(daemon: DaemonProcess) -> str:
    return _answers(daemon, [b'"' + LINE_FLOOD])


def four_floods(daemon: DaemonProcess) -> str:
    return _answers(daemon, [LINE_FLOOD[: len(LINE_FLOOD) - n] for n in range(4)])


def under_child_size(daemon: DaemonProcess) -> str:
    size = 3_900 * 1024 // 2 * 2
    return _answers(daemon, [b"1\n" * (size // 2 - n) for n in range(6)])


def many_line_tables(daemon: DaemonProcess) -> str:
    return _answers(daemon, [_table(170_000 - n) for n in range(6)])


def wide_plot(daemon: DaemonProcess) -> str:
    with daemon.connect() as conn:
        handle = conn.call("process", {"csv": cgm_csv(hours=100, seed=72)})["data"]["handle"]
        started = time.monotonic()
        wide = {"handle": handle, "indices": [-n for n in range(1024)], "dpi": 600}
        reply = conn.call("plot", wide)
    return f"{reply.get('code', 'result')} after {time.monotonic() - started:.2f} s"


RAY_STAGE = """
import resource, sys
from pathlib import Path
from glurpc_cli.targets import OutputPlan
from glurpc_ray.options import CohortOptions, Selection
from glurpc_ray.selection import plan_file
def rss_kb():
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
before, imports_peak = rss_kb(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
options = CohortOptions(kind="plot", selection=Selection(None, ahead=False),
                        plan=OutputPlan(directory=Path("out")), cwd=sys.argv[1])
plan = plan_file(Path("big.csv"), options)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
outcome = plan.records[0]["code"] if plan.records else "prepared"
print(before // 1024, imports_peak // 1024, peak // 1024, outcome)
"""


def ray_file(daemon: DaemonProcess) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "big.csv").write_bytes(b"1\n" * 20_000_000)
        done = subprocess.run(
            [sys.executable, "-c", RAY_STAGE, tmp], capture_output=True, text=True, check=True
        )
    before, imports_peak, peak, outcome = done.stdout.split()
    return (
        f"40 MB file: {outcome}; the stage's process held {before} MB after its imports"
        f" (which peaked at {imports_peak} MB) and at most {peak} MB in all"
    )


def background(daemon: DaemonProcess) -> str:
    uploads = 150
    most = 0
    with daemon.connect() as conn:
        for seed in range(uploads):
            conn.call("process", {"csv": cgm_csv(hours=14, seed=1000 + seed)})
            if seed % 10 == 9:
                info = conn.call("status")["data"]["engine"]["background"]
                most = max(most, info["queued"])
    return (
        f"{uploads} uploads, precomputing 6 h each: at most {most} queued"
        f" (limit {info['limit']}, {info['per_uid_limit']} per uid), {info['dropped']} dropped"
    )


CASES: dict[str, Callable[[DaemonProcess], str]] = {
    "amplification": amplification,
    "never_reading": never_reading,
    "silent_partial": silent_partial,
    "descriptors": descriptors,
    "large_upload": large_upload,
    "background": background,
    "line_flood": line_flood,
    "unclosed_quote": unclosed_quote,
    "four_floods": four_floods,
    "under_child_size": under_child_size,
    "many_line_tables": many_line_tables,
    "wide_plot": wide_plot,
    "ray_file": ray_file,
}


def run(cases: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    plain = [name for name in cases if name != "background"]
    if plain:
        rows += _run_on_daemon(plain, DAEMON_ARGS, "idle (reference)")
    if "background" in cases:
        rows += _run_on_daemon(["background"], PRECOMPUTING_ARGS, "idle, precomputing daemon")
    return rows


def _run_on_daemon(cases: list[str], args: tuple[str, ...], idle_name: str) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        daemon = launch(Path(tmp) / "glurpcd.sock", Path(tmp) / "state", *args)
        try:
            pid = daemon.process.pid
            with daemon.connect() as warm:  # load the parsers and the renderer first
                warm.call("plot", {"csv": cgm_csv(hours=12, seed=70), "index": 0})
                wait_for_status(warm, lambda s: s["jobs"]["queued"] + s["jobs"]["running"] == 0)
            idle = settled_rss(pid)
            idle_tree = tree_rss(pid)
            with Watch(daemon) as watch:
                time.sleep(2.0)
            rows = [_row(idle_name, (idle, idle_tree), watch, idle, "nothing else running", True)]
            for name in cases:
                with Watch(daemon) as watch:
                    note = CASES[name](daemon)
                rows.append(_row(name, (idle, idle_tree), watch, settled_rss(pid), note))
        finally:
            daemon.stop()
    return rows


def _row(
    name: str,
    idles: tuple[int, int],
    watch: Watch,
    after: int,
    note: str,
    reference: bool = False,
) -> dict[str, Any]:
    idle, idle_tree = idles
    return {
        "case": name,
        "reference": reference,
        "idle_mb": idle / 1e6,
        "peak_above_idle_mb": 0.0 if reference else (watch.peak_rss - idle) / 1e6,
        "tree_peak_above_idle_mb": 0.0 if reference else (watch.peak_tree_rss - idle_tree) / 1e6,
        "longest_ping_ms": watch.longest_ping_s * 1000,
        "pings": watch.pings,
        "after_above_idle_mb": (after - idle) / 1e6,
        "note": note,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = run(args.cases.split(","))
    if args.json:
        print(json.dumps(rows))
        return
    print(
        f"{'case':<18}{'peak MB':>9}{'+kids MB':>9}{'ping ms':>9}{'after MB':>10}"
        "  note (RSS above idle)"
    )
    for row in rows:
        print(
            f"{row['case']:<18}{row['peak_above_idle_mb']:>9.0f}"
            f"{row['tree_peak_above_idle_mb']:>9.0f}{row['longest_ping_ms']:>9.1f}"
            f"{row['after_above_idle_mb']:>10.0f}  {row['note']}"
        )
    idle = ", ".join(f"{row['idle_mb']:.0f} MB" for row in rows if row["reference"])
    print(f"idle RSS {idle}; RSS sampled every 10 ms")


if __name__ == "__main__":
    main()
