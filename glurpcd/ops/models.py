"""The `models` op: list the store, show one model's card, add a file.

Layer: ops. `list` and `show` read the catalogue and the resident set;
`add` copies a file the daemon can read into its models directory after the
daemon's own loader accepted it (models/install.py), then rescans. Only
the daemon's uid and root may add: the daemon reads the path with its own
rights, which another user of a shared daemon must not borrow.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glurpc_core.errors import ErrorCode, OpError
from glurpc_core.requests.args import optional_str
from glurpcd.lifecycle import Request
from glurpcd.models import ModelFile, Models, check_name
from glurpcd.models.install import install
from glurpcd.ops.owners import Owners

ACTIONS = ("list", "show", "add")


class ModelOps:
    def __init__(
        self,
        models: Models,
        owners: Owners,
        *,
        validate: Callable[[Path], None],
    ) -> None:
        self.models = models
        self.owners = owners
        self.validate = validate  # the loader that serves models, on a path

    async def handle(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        action = optional_str(args, "action", ACTIONS, default="list") or "list"
        if action == "show":
            found = self.models.choose(_required_name(args))
            return {"model": self.row(found), "card": found.facts.get("card")}
        if action == "add":
            added = await self.add(request, args)
            return {"model": self.row(added)}
        catalog = self.models.catalog
        return {
            "models": [self.row(model) for model in catalog.entries()],
            "directory": str(catalog.directory) if catalog.directory else None,
            **{k: v for k, v in self.models.snapshot().items() if k.endswith("_bytes")},
        }

    def row(self, model: ModelFile) -> dict[str, Any]:
        return {
            **model.describe(),
            "resident": self.models.is_resident(model.model_id),
            "default": self.models.is_default(model),
        }

    async def add(self, request: Request, args: dict[str, Any]) -> ModelFile:
        if not self.owners.privileged(request.uid):
            raise OpError(
                ErrorCode.PERMISSION_DENIED,
                "only the daemon's own user and root may add models",
            )
        source = args.get("path")
        if not isinstance(source, str) or not source.startswith("/"):
            raise OpError.bad_request("'path' must be an absolute path to a weights file")
        directory = self.models.catalog.directory
        if directory is None:
            raise OpError.bad_request("this daemon has no models directory (--models-dir)")
        path = Path(source)
        try:
            name = check_name(args["name"] if "name" in args else _name_from(path))
        except ValueError as exc:
            raise OpError(ErrorCode.BAD_REQUEST, str(exc), {"reason": "bad_name"}) from None
        # A client that leaves stops the install before the file is linked in.
        left = threading.Event()
        try:
            await asyncio.to_thread(
                install, path, directory, name, self.validate, lambda: not left.is_set()
            )
        except asyncio.CancelledError:
            left.set()
            raise
        catalog = self.models.catalog
        await asyncio.to_thread(catalog.scan)
        added = catalog.get(name)
        if added is None:  # the new file failed the directory's ownership rules
            raise OpError(ErrorCode.INTERNAL, f"{name} was installed but is not listed")
        return added


def _required_name(args: dict[str, Any]) -> str:
    name = args.get("name")
    if not isinstance(name, str) or not name:
        raise OpError.bad_request("'name' is required: a model name from 'glurpc models'")
    return name


def _name_from(path: Path) -> str:
    """A store name from a file name: lower case, other characters as '-'."""
    return re.sub(r"[^a-z0-9._-]", "-", path.stem.lower()).lstrip("._-")[:128]
