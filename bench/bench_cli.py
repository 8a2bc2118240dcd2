"""How fast the CLI starts and how fast a request round-trips, side by side.

    .venv/bin/python -m bench.bench_cli [--runs 21] [--pings 2000]
        [--socket PATH | --fake | --daemon-args '--model PATH --device cpu']

Starts its own glurpcd (`<venv>/bin/python -m glurpcd --socket <tmp>`) unless
`--socket` names a running one, or `--fake` serves the protocol from the test
suite's fake daemon (for measuring the client alone). Prints medians of:
`glurpc ping` as a process (the venv's console script, `--no-autostart`), the
floor (the same interpreter importing click and msgpack only), the bare
interpreter start (`-c pass`), and one `ping` over an open connection.
Targets (reported, not asserted): glurpc ping <= 1.3x the floor; round trip
<= 100 us.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from glurpc_cli.client import Client

REPO = Path(__file__).resolve().parents[1]


VENV_BIN = Path(sys.executable).parent
READY_TIMEOUT_S = 300.0


def glurpc_command() -> tuple[list[str], str]:
    script = VENV_BIN / "glurpc"
    if script.exists():
        return [str(script)], str(script)
    # Not installed yet: the same work the console script does.
    code = "import sys; from glurpc_cli.cli import main; sys.exit(main())"
    return [sys.executable, "-c", code], "python -c 'from glurpc_cli.cli import main' (no script)"


@contextlib.contextmanager
def real_daemon(directory: Path, extra: list[str]) -> Iterator[Path]:
    socket_path = directory / "glurpcd.sock"
    read_end, write_end = os.pipe()
    command = [sys.executable, "-m", "glurpcd", "--socket", str(socket_path)]
    command += ["--state-dir", str(directory / "state"), "--ready-fd", str(write_end), *extra]
    with open(directory / "glurpcd.log", "ab") as log:
        daemon = subprocess.Popen(
            command, pass_fds=(write_end,), stdout=log, stderr=log, cwd=REPO, env=_env()
        )
    os.close(write_end)
    try:
        readable, _, _ = select.select([read_end], [], [], READY_TIMEOUT_S)
        if not readable or b"READY" not in os.read(read_end, 64):
            log_text = (directory / "glurpcd.log").read_text(errors="replace")[-2000:]
            raise SystemExit(f"glurpcd did not become ready:\n{log_text}")
        yield socket_path
    finally:
        os.close(read_end)
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)


@contextlib.contextmanager
def fake_daemon(directory: Path) -> Iterator[Path]:
    from tests.cli.fake_daemon import FakeDaemon

    with FakeDaemon(directory / "fake.sock") as daemon:
        yield daemon.path


def _env() -> dict[str, str]:
    # An installed package has its bytecode compiled (pip does it); let the
    # warm-up run write ours too, or every run would measure the compiler.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPATH": str(REPO)}


def time_process(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=_env())
    return time.perf_counter() - started


def startup_medians(socket_path: Path, runs: int) -> dict[str, float]:
    glurpc, _ = glurpc_command()
    commands = {
        "glurpc ping": [*glurpc, "--socket", str(socket_path), "--no-autostart", "ping"],
        "floor: import click, msgpack": [sys.executable, "-c", "import click, msgpack"],
        "bare interpreter (-c pass)": [sys.executable, "-c", "pass"],
    }
    for command in commands.values():
        time_process(command)  # warm the page cache and the .pyc files
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):  # interleaved, so background load hits all three alike
        for name, command in commands.items():
            samples[name].append(time_process(command))
    return {name: statistics.median(values) for name, values in samples.items()}


def round_trips(socket_path: Path, pings: int) -> list[float]:
    with Client(socket_path) as client:
        for _ in range(min(200, pings)):
            client.ping()
        timings = []
        for _ in range(pings):
            started = time.perf_counter_ns()
            client.ping()
            timings.append((time.perf_counter_ns() - started) / 1000)
    return sorted(timings)


def raw_round_trips(count: int) -> list[float]:
    """The floor of any round trip: 16 bytes echoed by a thread over a Unix
    socketpair in this interpreter (no framing, no msgpack, no event loop)."""
    import socket
    import threading

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)

    def echo() -> None:
        while data := theirs.recv(64):
            theirs.sendall(data)

    thread = threading.Thread(target=echo, daemon=True)
    thread.start()
    timings = []
    for _ in range(count):
        started = time.perf_counter_ns()
        ours.sendall(b"0123456789abcdef")
        ours.recv(64)
        timings.append((time.perf_counter_ns() - started) / 1000)
    ours.close()
    thread.join()
    theirs.close()
    return sorted(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--pings", type=int, default=2000)
    parser.add_argument("--socket", type=Path, help="use this running daemon")
    parser.add_argument("--fake", action="store_true", help="use the test suite's fake daemon")
    parser.add_argument(
        "--daemon-args", default="", help="extra glurpcd options, e.g. '--model tiny.pth'"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="glurpc-bench-", dir="/tmp") as scratch:
        if args.socket is not None:
            server: contextlib.AbstractContextManager[Path] = contextlib.nullcontext(args.socket)
        elif args.fake:
            server = fake_daemon(Path(scratch))
        else:
            server = real_daemon(Path(scratch), shlex.split(args.daemon_args))
        with server as socket_path:
            medians = startup_medians(socket_path, args.runs)
            rtt = round_trips(socket_path, args.pings)
    report(medians, rtt, raw_round_trips(args.pings), args)


def report(
    medians: dict[str, float], rtt: list[float], raw: list[float], args: argparse.Namespace
) -> None:
    daemon = "fake daemon" if args.fake else str(args.socket or "glurpcd started by the bench")
    print(f"daemon: {daemon}; glurpc: {glurpc_command()[1]}; {args.runs} runs each")
    for name, seconds in medians.items():
        print(f"  {name:<32} {seconds * 1000:8.1f} ms")
    ratio = medians["glurpc ping"] / medians["floor: import click, msgpack"]
    print(f"  glurpc ping / floor              {ratio:8.2f} x   (target <= 1.3)")
    p50, p99 = statistics.median(rtt), rtt[int(len(rtt) * 0.99) - 1]
    print(
        f"  ping round trip (open Client)    {p50:8.1f} us median, {p99:.1f} us p99"
        f"   (target <= 100 us; {len(rtt)} pings)"
    )
    print(f"  raw socket round trip (floor)    {statistics.median(raw):8.1f} us median")


if __name__ == "__main__":
    main()
