"""glurpcd: serve the wire protocol on a Unix socket.

Layer: the top. `serve()` builds the model, caches, lifecycle registry, engine
and ops, passes them down, accepts connections, and shuts down in a fixed
order: stop accepting, answer new requests `shutting_down`, let in-flight
requests finish within the grace period, cancel the rest, stop the workers,
flush the caches, remove the socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from typing import Any

from glurpc_wire import framing
from glurpc_wire import messages as wire
from glurpc_wire.codes import ErrorCode
from glurpcd import __version__
from glurpcd.observe import logsetup
from glurpcd.server import systemd
from glurpcd.server.connection import Connection
from glurpcd.server.descriptors import raise_descriptor_limit
from glurpcd.server.listener import (
    AlreadyRunning,
    Created,
    UnsafePath,
    bind_socket,
    lock_state_dir,
    remove_socket,
    socket_identity,
)
from glurpcd.server.peer import PeerPolicy, peer_of
from glurpcd.services import Services, build_services
from glurpcd.settings.config import ConfigError, DaemonConfig, describe, parse_args
from glurpcd.settings.reload import reload_settings

log = logging.getLogger("glurpcd")

LISTEN_BACKLOG = 1024
CLOSE_FLUSH_S = 2.0  # for last frames to reach clients at shutdown
SOCKET_CHECK_S = 2.0  # how often the daemon looks for its socket file
# Failures, so systemd's Restart=on-failure brings the daemon back.
EXIT_SOCKET_LOST = 1
EXIT_ENGINE_FAILED = 1


class Daemon:
    def __init__(
        self,
        config: DaemonConfig,
        services: Services,
        sock: socket.socket,
        identity: tuple[int, int] | None,
    ) -> None:
        self.config = config
        self.services = services
        self.sock = sock
        # A socket systemd passed us (None here) stays systemd's: never unlink it.
        self.socket_identity = identity
        self.policy = PeerPolicy(config.group)
        self.connections: set[Connection] = services.connections
        self._connection_tasks: set[asyncio.Task[None]] = set()
        self.accepting = True
        self._server: asyncio.base_events.Server | None = None

    def describe_load(self) -> str:
        """systemd's STATUS= line."""
        lanes = self.services.engine.queues.lengths()
        active = len(self.services.registry.open_requests)
        return (
            f"{active} active requests, {sum(lanes.values())} queued jobs "
            f"({', '.join(f'{lane} {depth}' for lane, depth in lanes.items())}), "
            f"{len(self.connections)} connections"
        )

    def hello(self) -> dict[str, Any]:
        return wire.hello_reply(
            f"glurpcd/{__version__}", self.services.model_info(), self.services.device
        )

    async def start(self) -> None:
        # asyncio re-listens with its own backlog (100 by default); shell
        # scripts open hundreds of connections at once.
        self._server = await asyncio.start_unix_server(
            self._accept, sock=self.sock, limit=2**16, backlog=LISTEN_BACKLOG
        )

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = peer_of(writer.get_extra_info("socket"))
        if not self.policy.allows(peer):
            log.warning("refused connection from %s", peer)
            writer.write(
                framing.encode_frame(
                    wire.error(
                        None,
                        None,
                        ErrorCode.PERMISSION_DENIED,
                        f"uid {peer.uid} may not use this daemon",
                    )
                )
            )
            writer.close()
            return
        limit = self.services.bounds.limit
        if not limit.admits(len(self.connections), peer):
            writer.write(framing.encode_frame(limit.refusal()))
            writer.close()
            return
        connection = Connection(
            reader,
            writer,
            peer=peer,
            registry=self.services.registry,
            dispatch=self.services.ops.handler,
            hello=self.hello,
            max_frame=self.config.max_frame,
            accepting=lambda: self.accepting,
            flow=self.services.bounds.new_flow(),
        )
        self.connections.add(connection)
        log.debug("connection opened by %s (%d open)", peer, len(self.connections))
        task = asyncio.current_task()
        assert task is not None
        self._connection_tasks.add(task)
        try:
            await connection.serve()
        finally:
            self.connections.discard(connection)
            self._connection_tasks.discard(task)
            log.debug("connection closed by %s (%d open)", peer, len(self.connections))

    async def shutdown(self) -> None:
        systemd.notify("STOPPING=1")
        log.info("shutting down: waiting up to %.1f s for in-flight requests", self.config.grace_s)
        if self._server is not None:
            self._server.close()
        self.accepting = False
        registry = self.services.registry
        in_flight = [r.task for r in registry.open_requests if r.task is not None]
        if in_flight:
            await asyncio.wait(in_flight, timeout=self.config.grace_s)
        cut_short = [r.task for r in registry.open_requests if r.task is not None]
        for request in registry.open_requests:
            registry.cancel(request)
        if cut_short:
            # Each cancelled task writes its `shutting_down` frame when it
            # next runs: close the connections only after that.
            await asyncio.wait(cut_short, timeout=CLOSE_FLUSH_S)
        for connection in list(self.connections):
            connection.close()
        if self._connection_tasks:
            await asyncio.wait(self._connection_tasks, timeout=CLOSE_FLUSH_S)
        for connection in list(self.connections):
            connection.close(flush=False)
        await asyncio.gather(*self._connection_tasks, return_exceptions=True)
        await self.services.close()
        if self.socket_identity is not None:
            remove_socket(self.config.socket, self.socket_identity)
        log.info("stopped")


async def serve(config: DaemonConfig, sock: socket.socket, identity: tuple[int, int] | None) -> int:
    """Serve until SIGTERM/SIGINT (exit 0) or until our socket file is gone."""
    extend = asyncio.create_task(systemd.extend_start_timeout())
    try:
        services = await build_services(config)
    finally:
        extend.cancel()
    daemon = Daemon(config, services, sock, identity)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Every signal the daemon handles, in one place.
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, reload_settings, services)
    engine_failed = asyncio.Event()

    def engine_failure() -> None:
        engine_failed.set()
        stop.set()

    services.engine.start(on_failure=engine_failure)
    await daemon.start()
    torch = services.admin.runtime
    log.info(
        "glurpcd %s serving %s (model %s; torch %s, %s build, on %s: %s)",
        __version__,
        config.socket,
        services.model_info()["id"],
        torch.get("version"),
        torch.get("build"),
        services.device,
        torch.get("device_name"),
    )
    _announce_ready(config)
    lost = asyncio.Event()
    async with asyncio.TaskGroup() as watchers:
        beat = watchers.create_task(systemd.heartbeat(daemon.describe_load))
        watch = watchers.create_task(_watch_socket(config, identity, lost, stop))
        await stop.wait()
        watch.cancel()
        beat.cancel()
    await daemon.shutdown()
    if engine_failed.is_set():
        return EXIT_ENGINE_FAILED
    return EXIT_SOCKET_LOST if lost.is_set() else 0


async def _watch_socket(
    config: DaemonConfig,
    identity: tuple[int, int] | None,
    lost: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    """A daemon whose socket file was removed or replaced can never be reached
    again: say so and exit, rather than hold the state directory forever."""
    if identity is None:
        return  # systemd owns the socket file
    while not stop.is_set():
        await asyncio.sleep(SOCKET_CHECK_S)
        if socket_identity(config.socket) != identity:
            log.error(
                "socket %s was removed or replaced; nobody can reach this daemon: exiting",
                config.socket,
            )
            lost.set()
            stop.set()


def _sighup_while_starting(*_: object) -> None:
    log.info("SIGHUP during start-up ignored: the settings are read as the daemon starts")


def _announce_ready(config: DaemonConfig) -> None:
    systemd.notify("READY=1")
    if config.ready_fd is not None:
        with contextlib.suppress(OSError):
            os.write(config.ready_fd, b"READY\n")
            os.close(config.ready_fd)


def _run(config: DaemonConfig, sock: socket.socket, identity: tuple[int, int] | None) -> int:
    try:
        import uvloop
    except ImportError:  # uvloop is optional off Linux
        return asyncio.run(serve(config, sock, identity))
    return uvloop.run(serve(config, sock, identity))


def main(argv: list[str] | None = None) -> int:
    try:
        config, ns = parse_args(argv)
    except ConfigError as exc:
        print(f"glurpcd: {exc}", file=sys.stderr)
        return 2
    if ns.print_config:
        print(describe(config))
        return 0
    logsetup.configure(config.log_level, config.log_format)
    # Until the loop installs the reload handler (after the slow model load),
    # a SIGHUP must not kill the daemon.
    signal.signal(signal.SIGHUP, _sighup_while_starting)
    raise_descriptor_limit()
    if config.ready_fd is not None:
        # Ours alone: a render worker holding it would hide our exit from the CLI.
        with contextlib.suppress(OSError):
            os.set_inheritable(config.ready_fd, False)
    created = Created()
    doing = f"cannot use the state directory {config.state_dir}"
    try:
        _state_lock = lock_state_dir(config.state_dir, created)  # held until exit
        doing = f"cannot listen on {config.socket}"
        activated = systemd.activated_socket()
        sock = activated or bind_socket(config.socket, created, config.group)
    except (AlreadyRunning, UnsafePath, OSError) as exc:
        created.undo()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        prefix = "" if isinstance(exc, AlreadyRunning | UnsafePath) else f"{doing}: "
        print(f"glurpcd: {prefix}{reason}", file=sys.stderr)
        return 1
    identity = None if activated else socket_identity(config.socket)
    from glurpc_core.model import ModelError  # after the socket: a second daemon must refuse fast

    try:
        return _run(config, sock, identity)
    except ModelError as exc:
        print(f"glurpcd: cannot serve with this model: {exc.message} [{exc.code}]", file=sys.stderr)
        if identity is not None:
            remove_socket(config.socket, identity)
        created.undo()
        return 1


if __name__ == "__main__":
    sys.exit(main())
