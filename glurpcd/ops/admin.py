"""Administrative ops: `ping`, `status`, `cache`.

Layer: ops. `status` follows docs/PROTOCOL.md's keys exactly (more may be added,
none removed) and reads state without changing it.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from typing import Any

from glurpc_core.errors import OpError
from glurpc_core.requests.args import optional_str
from glurpc_wire.handles import is_handle
from glurpc_wire.messages import PROTOCOL_VERSION
from glurpcd import __version__
from glurpcd.lifecycle import Registry, Request
from glurpcd.observe.lifecycle_status import status_snapshot
from glurpcd.ops.data import UploadResolver
from glurpcd.ops.results import ResultStore

CACHE_ACTIONS = ("info", "flush", "delete", "save", "load")


class AdminOps:
    def __init__(
        self,
        registry: Registry,
        results: ResultStore,
        uploads: UploadResolver,
        *,
        model_info: Callable[[], dict[str, Any]],
        device: str,
        engine_info: Callable[[], dict[str, Any]],
        connections: Callable[[], int],
        flow: Callable[[], dict[str, Any]] = dict,
        runtime: dict[str, Any] | None = None,
        settings: Callable[[], dict[str, Any]] = dict,
        systemd: bool = False,
    ) -> None:
        self.registry = registry
        self.results = results
        self.uploads = uploads
        self.model_info = model_info
        self.device = device
        self.connections = connections
        self.flow = flow
        self.runtime = runtime or {}  # torch version, build, device
        self.settings = settings  # the run-time settings in force (SIGHUP changes them)
        self.systemd = systemd
        self.engine_info = engine_info
        self.started = time.monotonic()

    async def ping(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        return {"pong": True}

    async def status(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        info = self.results.cache.info()
        return {
            "version": __version__,
            "protocol": PROTOCOL_VERSION,
            "pid": os.getpid(),
            "uptime_s": round(time.monotonic() - self.started, 3),
            "device": self.device,
            "model": self.model_info(),
            "connections": self.connections(),
            "flow": self.flow(),
            **status_snapshot(self.registry, self._visible_to(request.uid)),
            "cache": {
                "entries": info["entries"],
                "bytes": info["bytes"],
                "hits": info["hits"],
                "misses": info["misses"],
                "persisted": info["persisted"],
                "disk_bytes": info["disk_bytes"],
            },
            "engine": self._engine_seen_by(request.uid),
            "torch": self.runtime,
            "settings": self.settings(),
            "systemd": self.systemd,
        }

    def _engine_seen_by(self, uid: int | None) -> dict[str, Any]:
        """A group member sees its own background work by uid, nobody else's."""
        engine = self.engine_info()
        background = engine.get("background")
        if self.uploads.owners.privileged(uid) or not isinstance(background, dict):
            return engine
        own = {k: v for k, v in background.get("by_uid", {}).items() if k == str(uid)}
        return {**engine, "background": {**background, "by_uid": own}}

    def _visible_to(self, uid: int | None) -> Callable[[Request], bool] | None:
        """Root and the daemon's uid see every request; a group member sees
        its own (other users' work shows only as counts)."""
        if self.uploads.owners.privileged(uid):
            return None
        return lambda other: other.uid == uid

    async def cache(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        action = optional_str(args, "action", CACHE_ACTIONS)
        if action is None:
            raise OpError.bad_request(f"'action' is required: one of {', '.join(CACHE_ACTIONS)}")
        store = self.results.cache
        owners = self.uploads.owners
        affected = 0
        if action in ("delete", "flush"):
            await asyncio.to_thread(self.results.wait_persisted)
        if action == "delete":
            handle = args.get("handle")
            if not is_handle(handle):
                raise OpError.bad_request("cache delete needs a 'handle' of 64 hex digits")
            affected = await self._delete_handles(request, [handle])
        elif action == "flush" and not owners.privileged(request.uid):
            # A group member's flush drops what that member uploaded, no more.
            affected = await self._delete_handles(request, owners.owned_by(request.uid))
        elif action == "flush":
            affected = await asyncio.to_thread(store.flush)
            self.uploads.forget()
        elif action == "save":
            affected = await asyncio.to_thread(store.save)
        elif action == "load":
            affected = await asyncio.to_thread(store.load)
        info = store.info()
        return {
            "action": action,
            "entries": info["entries"],
            "persisted": info["persisted"],
            "affected": affected,
            "bytes": info["bytes"],
        }

    async def _delete_handles(self, request: Request, handles: list[str]) -> int:
        """Delete the handles `request`'s uid may use; another user's handle
        counts 0, exactly like an unknown one."""
        affected = 0
        for handle in handles:
            if self.uploads.owners.allows(handle, request.uid):
                affected += await asyncio.to_thread(self.results.cache.delete_handle, handle)
                self.uploads.forget(handle)
        return affected
