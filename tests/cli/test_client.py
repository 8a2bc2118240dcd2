"""The client library against a fake daemon on a real Unix socket."""

from __future__ import annotations

import threading

import pytest

from glurpc_cli.client import Client
from glurpc_cli.errors import (
    DaemonUnreachable,
    OverloadedError,
    PermissionDenied,
    ProtocolMismatch,
    RequestFailed,
)
from glurpc_cli.transport import Transport
from glurpc_wire import messages

from .fake_daemon import CLOSE, FakeDaemon, error_frame, handle_of


def test_handshake_sends_client_name_and_keeps_the_reply(fake: FakeDaemon) -> None:
    with Client(fake.path, client_name="notebook/1") as client:
        assert client.hello["server"] == "glurpcd/fake"
        assert client.hello["device"] == "cpu"
    assert fake.hellos == [messages.hello("notebook/1")]


def test_progress_frames_reach_the_callback_before_the_result(fake: FakeDaemon) -> None:
    fake.handlers["plot"] = lambda args: [
        {"type": "progress", "stage": "queued", "position": 2, "done": 0, "total": 1},
        {"type": "progress", "stage": "inference", "done": 1, "total": 1},
        {"image": b"img", "index": args["index"]},
    ]
    seen: list[dict] = []
    with Client(fake.path) as client:
        data = client.plot(handle="abc", index=-3, on_progress=seen.append)
    assert data == {"image": b"img", "index": -3}
    assert [frame["stage"] for frame in seen] == ["queued", "inference"]
    assert seen[0]["position"] == 2
    assert fake.requests[0]["args"] == {"handle": "abc", "index": -3, "format": "png"}


def test_request_ids_increase_on_one_connection(fake: FakeDaemon) -> None:
    with Client(fake.path) as client:
        client.ping()
        client.status()
        client.process(b"csv-bytes", force=True)
    assert [request["id"] for request in fake.requests] == [1, 2, 3]
    assert fake.requests[2]["args"] == {"csv": b"csv-bytes", "force": True}


@pytest.mark.parametrize(
    ("code", "exception"),
    [
        ("invalid_data", RequestFailed),
        ("index_out_of_range", RequestFailed),
        ("overloaded", OverloadedError),
        ("permission_denied", PermissionDenied),
    ],
)
def test_error_frames_raise_by_code_and_keep_the_connection(
    fake: FakeDaemon, code: str, exception: type
) -> None:
    fake.handlers["forecast"] = lambda args: error_frame(code, "no good", retry_after=2.5)
    with Client(fake.path) as client:
        with pytest.raises(exception) as caught:
            client.forecast(csv=b"x", index=0)
        assert caught.value.code == code
        assert caught.value.message == "no good"
        assert caught.value.request_id == 1
        assert client.ping() == {"pong": True}  # same connection, next id
    assert [request["id"] for request in fake.requests] == [1, 2]
    if exception is OverloadedError:
        assert caught.value.retry_after == 2.5


def test_refused_handshake_is_a_protocol_mismatch(socket_dir) -> None:
    refusal = error_frame("unsupported_protocol", "protocol 1 is not spoken here")
    with FakeDaemon(socket_dir / "s", greeting=refusal):
        with pytest.raises(ProtocolMismatch) as caught:
            Client(socket_dir / "s")
    assert caught.value.exit_code == 4


def test_a_peer_refused_before_the_handshake_gets_permission_denied(socket_dir) -> None:
    with FakeDaemon(socket_dir / "s", greeting=error_frame("permission_denied", "uid 7")):
        with pytest.raises(PermissionDenied):
            Client(socket_dir / "s")


def test_no_listener_is_unreachable(socket_dir) -> None:
    with pytest.raises(DaemonUnreachable) as caught:
        Client(socket_dir / "nobody.sock")
    assert caught.value.code == "daemon_unreachable"
    assert caught.value.exit_code == 3


def test_a_daemon_closing_mid_request_is_unreachable_and_the_next_call_reconnects(
    fake: FakeDaemon,
) -> None:
    fake.handlers["plot"] = lambda args: CLOSE
    with Client(fake.path) as client:
        with pytest.raises(DaemonUnreachable) as caught:
            client.plot(csv=b"x", index=0)
        assert caught.value.code == "connection_lost"
        assert client.ping() == {"pong": True}
    assert len(fake.hellos) == 2  # a fresh connection and handshake
    assert fake.requests[-1]["id"] == 1  # ids restart on the new connection


def test_a_silent_daemon_times_out(fake: FakeDaemon) -> None:
    fake.handlers["status"] = lambda args: []  # never answers
    with Client(fake.path, timeout=0.2) as client:
        with pytest.raises(DaemonUnreachable) as caught:
            client.status()
    assert caught.value.code == "timed_out"


def test_interrupt_from_another_thread_closes_the_connection(fake: FakeDaemon) -> None:
    """Closing is how the daemon learns to cancel: the fake must see the EOF."""
    fake.handlers["forecast"] = lambda args: []  # the computation never ends
    client = Client(fake.path)
    failure: list[BaseException] = []

    def call() -> None:
        try:
            client.forecast(csv=b"x")
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            failure.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    assert fake.received.wait(5)
    client.interrupt()
    caller.join(5)
    assert isinstance(failure[0], DaemonUnreachable)
    assert fake.disconnected.wait(5)
    client.close()


def test_a_closed_client_refuses_calls(fake: FakeDaemon) -> None:
    client = Client(fake.path)
    client.close()
    with pytest.raises(Exception, match="closed"):
        client.ping()


def test_a_frame_too_large_to_send_fails_the_request_only(fake: FakeDaemon) -> None:
    transport = Transport(fake.path, max_frame=80)
    with pytest.raises(RequestFailed) as caught:
        transport.send(messages.request(1, "process", {"csv": b"x" * 100}))
    assert caught.value.code == "frame_too_large"
    transport.send(messages.hello("t"))
    assert transport.receive()["type"] == "hello"
    transport.close()


def test_plot_needs_exactly_one_source(fake: FakeDaemon) -> None:
    with Client(fake.path) as client:
        with pytest.raises(ValueError):
            client.plot(index=0)
        assert client.plot(csv=b"abc")["handle"] == handle_of(b"abc")
