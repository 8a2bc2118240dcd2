"""The client library against a scripted daemon: in memory (MockTransport)
for what the client does with messages, and on a real Unix socket for what
only a socket can show (no listener, timeouts, interrupting a blocked call)."""

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
from glurpc_cli.mock import MockTransport
from glurpc_cli.transport import UnixTransport
from glurpc_wire import messages

from .fake_daemon import CLOSE, FakeDaemon, ScriptedDaemon, error_frame, handle_of


@pytest.fixture
def script() -> ScriptedDaemon:
    return ScriptedDaemon()


def in_memory(script: ScriptedDaemon, **options: object) -> Client:
    return Client("unused.sock", connect=MockTransport.connector(script.respond), **options)


def test_handshake_sends_client_name_and_keeps_the_reply(script: ScriptedDaemon) -> None:
    with in_memory(script, client_name="notebook/1") as client:
        assert client.hello["server"] == "glurpcd/fake"
        assert client.hello["device"] == "cpu"
    assert script.hellos == [messages.hello("notebook/1")]


def test_progress_frames_reach_the_callback_before_the_result(script: ScriptedDaemon) -> None:
    script.handlers["plot"] = lambda args: [
        {"type": "progress", "stage": "queued", "position": 2, "done": 0, "total": 1},
        {"type": "progress", "stage": "inference", "done": 1, "total": 1},
        {"image": b"img", "index": args["index"]},
    ]
    seen: list[dict] = []
    with in_memory(script) as client:
        data = client.plot(handle="abc", index=-3, on_progress=seen.append)
    assert data == {"image": b"img", "index": -3}
    assert [frame["stage"] for frame in seen] == ["queued", "inference"]
    assert seen[0]["position"] == 2
    assert script.requests[0]["args"] == {"handle": "abc", "index": -3, "format": "png"}


def test_request_ids_increase_on_one_connection(script: ScriptedDaemon) -> None:
    with in_memory(script) as client:
        client.ping()
        client.status()
        client.process(b"csv-bytes", force=True)
    assert [request["id"] for request in script.requests] == [1, 2, 3]
    assert script.requests[2]["args"] == {"csv": b"csv-bytes", "force": True}


def test_late_frames_of_an_earlier_request_are_skipped(script: ScriptedDaemon) -> None:
    stale = {"type": "progress", "id": 99, "stage": "inference", "done": 1, "total": 2}
    script.handlers["ping"] = lambda args: [stale, {"pong": True}]
    with in_memory(script) as client:
        assert client.ping() == {"pong": True}


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
    script: ScriptedDaemon, code: str, exception: type
) -> None:
    script.handlers["forecast"] = lambda args: error_frame(code, "no good", retry_after=2.5)
    with in_memory(script) as client:
        with pytest.raises(exception) as caught:
            client.forecast(csv=b"x", index=0)
        assert caught.value.code == code
        assert caught.value.message == "no good"
        assert caught.value.request_id == 1
        assert client.ping() == {"pong": True}  # same connection, next id
    assert [request["id"] for request in script.requests] == [1, 2]
    assert len(script.hellos) == 1
    if exception is OverloadedError:
        assert caught.value.retry_after == 2.5


def test_refused_handshake_is_a_protocol_mismatch() -> None:
    script = ScriptedDaemon(greeting=error_frame("unsupported_protocol", "not spoken here"))
    with pytest.raises(ProtocolMismatch) as caught:
        in_memory(script)
    assert caught.value.exit_code == 4


def test_a_peer_refused_before_the_handshake_gets_permission_denied() -> None:
    script = ScriptedDaemon(greeting=error_frame("permission_denied", "uid 7"))
    with pytest.raises(PermissionDenied):
        in_memory(script)


def test_a_connection_level_error_frame_ends_the_call(script: ScriptedDaemon) -> None:
    script.handlers["ping"] = lambda args: [{**error_frame("bad_frame", "garbled"), "id": None}]
    with in_memory(script) as client:
        with pytest.raises(ProtocolMismatch):
            client.ping()


def test_a_daemon_closing_mid_request_is_unreachable_and_the_next_call_reconnects(
    script: ScriptedDaemon,
) -> None:
    script.handlers["plot"] = lambda args: CLOSE
    with in_memory(script) as client:
        with pytest.raises(DaemonUnreachable) as caught:
            client.plot(csv=b"x", index=0)
        assert caught.value.code == "connection_lost"
        assert client.ping() == {"pong": True}
    assert len(script.hellos) == 2  # a fresh connection and handshake
    assert script.requests[-1]["id"] == 1  # ids restart on the new connection


def test_a_closed_client_refuses_calls(script: ScriptedDaemon) -> None:
    client = in_memory(script)
    client.close()
    with pytest.raises(Exception, match="closed"):
        client.ping()


def test_a_frame_too_large_to_send_fails_the_request_only(script: ScriptedDaemon) -> None:
    transport = MockTransport(script.respond, max_frame=80)
    with pytest.raises(RequestFailed) as caught:
        transport.send(messages.request(1, "process", {"csv": b"x" * 100}))
    assert caught.value.code == "frame_too_large"
    transport.send(messages.hello("t"))
    assert transport.receive()["type"] == "hello"


def test_plot_needs_exactly_one_source(script: ScriptedDaemon) -> None:
    with in_memory(script) as client:
        with pytest.raises(ValueError):
            client.plot(index=0)
        assert client.plot(csv=b"abc")["handle"] == handle_of(b"abc")


# -- what only a real socket shows ---------------------------------------------


def test_no_listener_is_unreachable(socket_dir) -> None:
    with pytest.raises(DaemonUnreachable) as caught:
        Client(socket_dir / "nobody.sock")
    assert caught.value.code == "daemon_unreachable"
    assert caught.value.exit_code == 3


def test_the_unix_transport_carries_the_same_conversation(fake: FakeDaemon) -> None:
    with Client(fake.path, client_name="notebook/1") as client:
        assert client.ping() == {"pong": True}
    assert fake.hellos == [messages.hello("notebook/1")]


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


def test_a_frame_too_large_for_the_socket_fails_before_a_byte_is_sent(fake: FakeDaemon) -> None:
    transport = UnixTransport(fake.path, max_frame=80)
    with pytest.raises(RequestFailed):
        transport.send(messages.request(1, "process", {"csv": b"x" * 100}))
    transport.send(messages.hello("t"))
    assert transport.receive()["type"] == "hello"
    transport.close()


def test_plot_and_forecast_pass_units_subject_and_history_hours(script: ScriptedDaemon) -> None:
    script.handlers["plot"] = lambda args: {"image": b"img", "index": args["index"]}
    script.handlers["forecast"] = lambda args: {"index": args["index"]}
    with in_memory(script) as client:
        client.plot(csv=b"x", index=-3, units="mmol/L", subject="7", history_hours=3)
        client.forecast(csv=b"x", index=-1, units="mmol/L", subject="7")
    plot, forecast = (request["args"] for request in script.requests[-2:])
    assert plot == {
        "csv": b"x", "index": -3, "format": "png", "units": "mmol/L", "subject": "7",
        "history_hours": 3,
    }  # fmt: skip
    assert forecast == {"csv": b"x", "index": -1, "units": "mmol/L", "subject": "7"}
