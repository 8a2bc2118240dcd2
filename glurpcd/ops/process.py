"""The `process` op: prepare an upload, report its windows, stretches and rows.

Layer: ops. For a table of several subjects sent without `subject`, every
subject is prepared by one job that reads the table once, and listed (span,
windows, warnings), so a user can see what the file holds before choosing; one
subject too short to use is listed with its error instead of failing the
listing. `windows: true` adds the list of every window (index, stretch,
history start, forecast start, whether the next hour is known), the same
numbering `plot` and `forecast` take.
"""

from __future__ import annotations

from typing import Any

from glurpc_core.errors import CodedError
from glurpc_core.requests.args import optional_bool
from glurpc_core.requests.styles import window_times
from glurpc_core.requests.uploads import checked_upload, prepare_settings
from glurpc_core.series import MAX_AHEAD, CgmSeries
from glurpcd.lifecycle import Request
from glurpcd.ops.data import Resolved, UploadResolver
from glurpcd.ops.forecasts import ForecastOps

UPLOAD_ARGS = ("csv", "handle", "subject", "sequence")


async def process(
    uploads: UploadResolver, forecasts: ForecastOps, request: Request, args: dict[str, Any]
) -> dict[str, Any]:
    force = optional_bool(args, "force")
    listing = optional_bool(args, "windows")
    # `evaluate` asks for every window itself: background forecasts would repeat them.
    precompute = optional_bool(args, "precompute", default=True)
    upload = {k: v for k, v in args.items() if k in UPLOAD_ARGS}
    try:
        resolved = await uploads.resolve(request, upload, force=force)
    except CodedError as exc:
        # A table of several subjects sent without `subject`: list them all.
        # Asked only then, so a one-person export is parsed once.
        if exc.details.get("reason") != "several_subjects" or "csv" not in upload:
            raise
        raw = checked_upload(args, uploads.max_upload)
        each = await uploads.every_subject(request, raw, prepare_settings(upload))
        return _every_subject(each, listing)
    if precompute:
        forecasts.precompute_if_fresh(resolved, request.uid)
    return summary(resolved, listing)


def _every_subject(each: list[tuple[str, Resolved | CodedError]], listing: bool) -> dict[str, Any]:
    entries = []
    for subject, resolved in each:
        if isinstance(resolved, CodedError):
            entries.append(
                {"subject": subject, "code": str(resolved.code), "message": resolved.message}
            )
        else:
            entries.append(summary(resolved, listing))
    windows = sum(int(entry.get("windows", 0)) for entry in entries)
    return {"subjects": entries, "handle": None, "samples": windows, "windows": windows}


def summary(resolved: Resolved, listing: bool) -> dict[str, Any]:
    prepared = resolved.prepared
    series = prepared.series
    facts = resolved.upload
    data = {
        "handle": resolved.handle,
        "samples": series.windows,  # the reference's name, kept for its clients
        "windows": series.windows,
        "points": series.points,
        "warnings": facts.get("warnings", []),
        "start": prepared.start,
        "end": prepared.end,
        "format": facts.get("format", prepared.source_format),
        "unit": resolved.unit,
        "subject": facts.get("subject"),
        "accounting": facts.get("accounting", {}),
        "stretches": facts.get("stretches", []),
    }
    if listing:
        data["window_list"] = window_list(series, facts.get("stretches", []), facts.get("subject"))
    return data


def window_list(
    series: CgmSeries, stretches: list[dict[str, Any]], subject: Any
) -> list[dict[str, Any]]:
    """Every window with a known next hour (latest first), then the `--ahead` one.
    `stretch` numbers the report's stretches (short ones included), from 0."""
    used = [n for n, stretch in enumerate(stretches) if stretch.get("used")]
    table = series.window_table()
    rows = [
        {
            "index": int(index),
            "stretch": used[int(kept)] if int(kept) < len(used) else int(kept),
            "subject": subject,
            "history_start": str(history),
            "forecast_start": str(start),
            "future_known": True,
        }
        for index, kept, history, start in zip(
            table["index"],
            table["stretch"],
            table["history_start"],
            table["forecast_start"],
            strict=True,
        )
    ]
    if series.has_index(MAX_AHEAD):  # even a file too short for a whole window
        ahead = window_times(series, MAX_AHEAD)
        rows.append(
            {
                "index": MAX_AHEAD,
                "stretch": used[-1] if used else len(series.stretch_starts) - 1,
                "subject": subject,
                "history_start": ahead["window_start"],
                "forecast_start": ahead["forecast_start"],
                "future_known": False,
            }
        )
    return rows
