"""Who is on the other end of a Unix socket (SO_PEERCRED) and may they talk.

Layer: connection admission. Allowed: the daemon's own uid, root, and members
of the configured group (by primary gid or membership).
"""

from __future__ import annotations

import grp
import os
import pwd
import socket
import struct
from dataclasses import dataclass

_UCRED = struct.Struct("3i")  # pid, uid, gid


@dataclass(frozen=True)
class Peer:
    pid: int
    uid: int
    gid: int

    def __str__(self) -> str:
        return f"uid={self.uid}/pid={self.pid}"


def peer_of(sock: socket.socket) -> Peer:
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    pid, uid, gid = _UCRED.unpack(raw)
    return Peer(pid, uid, gid)


class PeerPolicy:
    def __init__(self, group: str | None = None) -> None:
        self.own_uid = os.getuid()
        self.group_gid: int | None = None
        self.group_members: frozenset[str] = frozenset()
        if group:
            entry = grp.getgrnam(group)  # KeyError for an unknown group: a startup error
            self.group_gid = entry.gr_gid
            self.group_members = frozenset(entry.gr_mem)

    def allows(self, peer: Peer) -> bool:
        if peer.uid in (self.own_uid, 0):
            return True
        if self.group_gid is None:
            return False
        if peer.gid == self.group_gid:
            return True
        try:
            return pwd.getpwuid(peer.uid).pw_name in self.group_members
        except KeyError:
            return False
