"""A small glurpcd stand-in for client and CLI tests.

`ScriptedDaemon` speaks protocol v1 (handshake, requests, progress, result and
error frames) with answers scripted per op, and records what it received, so a
test can check what the client actually sent. Its `respond` serves an
in-memory `MockTransport`; `FakeDaemon` serves the same script on a real Unix
socket (one thread accepts; one thread serves each connection, so several
clients, a batch's workers, work at once) for tests of the CLI as a process.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glurpc_wire import framing
from glurpc_wire import messages as wire

CLOSE = object()  # a handler returning this closes the connection mid-request
Handler = Callable[[dict[str, Any]], Any]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # the IEND chunk every whole PNG ends with


def png_shaped(payload: bytes) -> bytes:
    """Bytes with a PNG's signature and end chunk: what --skip-existing accepts."""
    return PNG_MAGIC + payload + PNG_END


def fake_image(args: dict[str, Any]) -> bytes:
    return png_shaped(f"{args.get('handle')}:{args.get('index')}".encode())


def handle_of(csv: bytes) -> str:
    return hashlib.sha256(csv).hexdigest()


class ScriptedDaemon:
    def __init__(self, *, samples: int = 5, greeting: dict[str, Any] | None = None) -> None:
        self.samples = samples
        self.greeting = greeting or wire.hello_reply("glurpcd/fake", {"id": "fake"}, "cpu")
        self.handlers: dict[str, Handler] = {
            "ping": lambda args: {"pong": True},
            "status": lambda args: {"pid": 4242, "version": "fake", "attached": []},
            "process": self._process,
            "plot": self._plot,
            "quick_plot": self._plot,
            "convert": lambda args: {"csv": b"unified:" + args["csv"], "format": "unified"},
            "cache": lambda args: {"entries": 1, "persisted": 0, "affected": 0, "bytes": 10},
        }
        self.requests: list[dict[str, Any]] = []  # every request frame, in arrival order
        self.hellos: list[dict[str, Any]] = []
        self.received = threading.Event()  # set when any request arrives
        self.disconnected = threading.Event()  # set when a client closes its connection
        self._request_id = 0
        self._lock = threading.Lock()

    # -- default answers ------------------------------------------------------

    def _process(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "handle": handle_of(args["csv"]),
            "samples": self.samples,
            "warnings": [{"flag": "imputation", "message": "2 gaps filled"}],
            "start": "2024-01-01T00:00:00",
            "end": "2024-01-02T00:00:00",
        }

    def _plot(self, args: dict[str, Any]) -> dict[str, Any]:
        handle = args.get("handle") or handle_of(args["csv"])
        common = {"format": args.get("format", "png"), "handle": handle}
        if "indices" in args:  # several windows: one image entry each
            return {"images": [self._image(handle, i) for i in args["indices"]], **common}
        return {**self._image(handle, args.get("index", 0)), **common}

    def _image(self, handle: str, index: int) -> dict[str, Any]:
        return {
            "image": fake_image({"handle": handle, "index": index}),
            "index": index,
            "window_start": "2024-01-01T16:00:00",
            "forecast_start": "2024-01-02T00:00:00",
        }

    # -- answering ------------------------------------------------------------

    def greet(self, hello: dict[str, Any]) -> dict[str, Any]:
        self.hellos.append(hello)
        return self.greeting

    def answer(self, message: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The scripted frames for one request; None when the connection should end."""
        with self._lock:
            self.requests.append(message)
            self._request_id += 1
            request_id = self._request_id
        self.received.set()
        msg_id = message["id"]
        outcome = self._outcome(message["op"], message.get("args") or {})
        if outcome is CLOSE:
            return None
        frames = []
        for frame in outcome if isinstance(outcome, list) else [outcome]:
            if "type" not in frame:  # a bare dict is the result's data
                frame = wire.result(msg_id, request_id, frame)
            else:
                frame = {**frame, "id": msg_id, "request_id": request_id}
                if frame["type"] == "progress":
                    frame.pop("request_id")
            frames.append(frame)
        return frames

    def respond(self, message: dict[str, Any]) -> list[dict[str, Any]]:
        """For MockTransport: every answer to one message from the client."""
        if message.get("type") == "hello":
            return [self.greet(message)]
        return self.answer(message) or []

    def _outcome(self, op: str, args: dict[str, Any]) -> Any:
        """A scripted one-window plot handler answers a several-window request window
        by window, as the daemon would: the first failure fails the whole request."""
        handler = self.handlers[op]
        if op != "plot" or "indices" not in args or handler == self._plot:
            return handler(args)
        images = []
        for index in args["indices"]:
            one = {k: v for k, v in args.items() if k != "indices"}
            outcome = handler({**one, "index": index})
            if outcome is CLOSE or isinstance(outcome, list) or "type" in outcome:
                return outcome
            images.append(outcome)
        return {"images": images, "format": args.get("format", "png")}

    def ops(self, name: str) -> list[dict[str, Any]]:
        """The requests received for one op."""
        return [request for request in self.requests if request["op"] == name]


def error_frame(code: str, message: str = "it failed", **details: Any) -> dict[str, Any]:
    return wire.error(None, None, code, message, details)


class FakeDaemon(ScriptedDaemon):
    """The script served on a real Unix socket."""

    def __init__(self, path: Path, **options: Any) -> None:
        super().__init__(**options)
        self.path = path
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> FakeDaemon:
        self._listener.bind(str(self.path))
        self._listener.listen(16)
        self._spawn(self._accept_loop)
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        decoder = framing.FrameDecoder()
        greeted = False
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    self.disconnected.set()
                    return
                for message in decoder.feed(chunk):
                    if not greeted:
                        conn.sendall(framing.encode_frame(self.greet(message)))
                        if self.greeting.get("type") == "error":
                            return
                        greeted = True
                    elif not self._send_all(conn, self.answer(message)):
                        return

    def _send_all(self, conn: socket.socket, frames: list[dict[str, Any]] | None) -> bool:
        if frames is None:
            return False
        try:
            for frame in frames:
                conn.sendall(framing.encode_frame(frame))
        except OSError:  # the client went away first, as tests make it do
            return False
        return True
