"""SIGHUP: read the settings again and apply what a running daemon can change.

Layer: operations on the composed services. Reloadable (options.py
`reloadable`): log level, cache bounds, duplicate policy, precompute hours,
background caps. Any other changed setting is named in the log as needing a
restart. A reload is all or nothing and says which in the log: a file that no
longer parses, or a value out of range, leaves every setting as it was; a
change that fails while being applied is rolled back to the settings before.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from glurpcd.observe import logsetup
from glurpcd.services import MIB, Services
from glurpcd.settings.config import ConfigError, DaemonConfig, reload
from glurpcd.settings.options import OPTIONS

log = logging.getLogger("glurpcd")


def reload_settings(services: Services) -> None:
    old = services.config
    try:
        new = reload(old)
    except ConfigError as exc:
        log.error("reload refused, settings unchanged: %s", exc)
        return
    changed = _changes(old, new, reloadable=True)
    restart = _changes(old, new, reloadable=False)
    for key in restart:
        log.warning("reload: %s changed (%s) but needs a restart to apply", key, restart[key])
    if not changed:
        log.info("reload: no run-time setting changed")
        return
    try:
        _apply(services, new)
    except Exception:  # a bug: the settings in force must stay whole
        _apply(services, old)
        log.exception("reload refused, settings unchanged: applying %s failed", ", ".join(changed))
        return
    kept = {o.field: getattr(new, o.field) for o in OPTIONS if o.reloadable}
    sources = {**old.sources, **{key: new.sources[key] for key in changed}}
    services.current.value = dataclasses.replace(old, **kept, sources=sources)
    log.info("reload: %s", "; ".join(f"{key} {text}" for key, text in changed.items()))


def _changes(old: DaemonConfig, new: DaemonConfig, *, reloadable: bool) -> dict[str, str]:
    changes = {}
    for option in OPTIONS:
        if option.reloadable != reloadable:
            continue
        before, after = getattr(old, option.field), getattr(new, option.field)
        if before != after:
            changes[option.key] = f"{_text(before)} -> {_text(after)} ({new.sources[option.key]})"
    return changes


def _apply(services: Services, new: DaemonConfig) -> None:
    logsetup.set_level(new.log_level)
    services.registry.duplicates = new.duplicates
    evicted = services.cache.set_limits(
        memory_bytes=new.cache_mb * MIB, disk_bytes=new.disk_cache_mb * MIB
    )
    if evicted:
        log.info("reload: %d cache entries evicted to fit the new bounds", evicted)
    services.forecasts.precompute_windows = new.precompute_windows(services.device)
    services.engine.background.set_limits(new.background_jobs, new.background_jobs_per_uid)


def _text(value: Any) -> str:
    return "auto" if value is None else str(value)
