"""An in-memory transport, so code that uses the client library is tested
without a daemon or a socket (the model is httpx's MockTransport).

    def daemon(message):                     # each message the client sends...
        if message["type"] == "hello":
            return [messages.hello_reply("glurpcd/test", {"id": "m"}, "cpu")]
        return [messages.result(message["id"], 1, {"pong": True})]   # ...is answered

    client = Client(connect=MockTransport.connector(daemon))

Every message goes through the real framing both ways, so what a test sends
must be something the wire can carry. When the answers run out, `receive`
ends the stream as a daemon that closed the connection would.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from glurpc_wire.framing import DEFAULT_MAX_FRAME, HEADER, Message, decode_payload

from .transport import Connect, Transport, connection_lost, encode_for_sending

# Answers one message from the client with the messages the daemon would send back.
Responder = Callable[[Message], Iterable[Message]]


class MockTransport:
    def __init__(self, respond: Responder, *, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self._respond = respond
        self.max_frame = max_frame
        self._inbox: deque[Message] = deque()
        self._closed = False

    @classmethod
    def connector(cls, respond: Responder) -> Connect:
        """A `connect` for `Client`: each connection gets a fresh transport."""

        def connect(path: Path, timeout: float | None) -> Transport:
            return cls(respond)

        return connect

    @property
    def closed(self) -> bool:
        return self._closed

    def send(self, message: Message) -> None:
        if self._closed:
            raise connection_lost("memory", None)
        sent = decode_payload(encode_for_sending(message, self.max_frame)[HEADER.size :])
        for answer in self._respond(sent):
            self._inbox.append(
                decode_payload(encode_for_sending(answer, self.max_frame)[HEADER.size :])
            )

    def _through_the_wire(self, message: Message) -> Message:
        return decode_payload(encode_for_sending(message, self.max_frame)[HEADER.size :])

    def receive(self) -> Message:
        if self._closed or not self._inbox:
            self._closed = True
            raise connection_lost("memory", None)
        return self._inbox.popleft()

    def interrupt(self) -> None:
        self._closed = True

    def close(self) -> None:
        self._closed = True
