"""Who may use each handle: per-uid ownership on a shared (`--group`) daemon.

Layer: ops. A uid owns a handle once it has sent the data behind it (a
`process`, `plot` or `forecast` with `csv`); a member's handles name its uid
(UploadResolver.scope), so two members sending the same bytes get two handles
and share no computation, cache entry or progress. Root and the daemon's own
uid use every handle. Anyone else asking for a handle it does not own gets
exactly the `not_found` that an unknown handle gets, so the answer reveals
nothing. The table is bounded: a forgotten grant costs the owner one re-upload
(the CLI does it itself on `not_found`), never another user's access.
"""

from __future__ import annotations

from collections import OrderedDict

DEFAULT_LIMIT = 65_536  # handles remembered; each costs ~200 bytes


class Owners:
    def __init__(self, daemon_uid: int, limit: int = DEFAULT_LIMIT) -> None:
        self.daemon_uid = daemon_uid
        self.limit = limit
        self._by_handle: OrderedDict[str, set[int]] = OrderedDict()

    def privileged(self, uid: int | None) -> bool:
        """Root, the daemon's uid, and in-process callers (no peer: uid None)."""
        return uid is None or uid in (0, self.daemon_uid)

    def grant(self, handle: str, uid: int | None) -> None:
        if self.privileged(uid):
            return
        assert uid is not None
        self._by_handle.setdefault(handle, set()).add(uid)
        self._by_handle.move_to_end(handle)
        while len(self._by_handle) > self.limit:
            self._by_handle.popitem(last=False)

    def allows(self, handle: str, uid: int | None) -> bool:
        if self.privileged(uid):
            return True
        return uid in self._by_handle.get(handle, ())

    def owned_by(self, uid: int | None) -> list[str]:
        return [handle for handle, uids in self._by_handle.items() if uid in uids]

    def forget(self, handle: str | None = None) -> None:
        """The cache dropped `handle` (or everything): so do the grants."""
        if handle is None:
            self._by_handle.clear()
        else:
            self._by_handle.pop(handle, None)
