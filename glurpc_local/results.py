"""What the notebook API returns: plain, typed dataclasses (standard library only).

Layer: public Python API, result types. Each is built from one daemon reply
and holds plain Python values (datetimes, floats, lists), so a result prints,
pickles and compares without the daemon. `to_pandas()` / `to_polars()` import
their library only when called: `import glurpc_local` never pays for either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

QUANTILE_LEVELS = ("0.05", "0.25", "0.5", "0.75", "0.95")


@dataclass(frozen=True)
class DataWarning:
    """Something the daemon noticed about the file (interpolation, duplicates, ...)."""

    flag: str
    message: str
    count: int | None = None

    @classmethod
    def from_wire(cls, item: dict[str, Any]) -> DataWarning:
        count = item.get("count")
        return cls(
            str(item.get("flag")), str(item.get("message")), None if count is None else int(count)
        )


def warnings_of(reply: dict[str, Any]) -> tuple[DataWarning, ...]:
    return tuple(DataWarning.from_wire(item) for item in reply.get("warnings") or [])


def _time(text: Any) -> datetime | None:
    return None if text is None else datetime.fromisoformat(str(text))


def _times(texts: Any) -> list[datetime]:
    return [datetime.fromisoformat(str(text)) for text in texts or []]


def cli_index(wire: int) -> int | None:
    """The CLI's N (windows before the latest) for a wire index; None for the ahead ones."""
    return -wire if wire <= 0 else None


class Tabular:
    """`rows()` as a data frame; pandas or polars is imported only when asked."""

    def rows(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def to_pandas(self) -> Any:
        import pandas  # a heavy import

        return pandas.DataFrame.from_records(self.rows())

    def to_polars(self) -> Any:
        import polars  # a heavy import

        return polars.DataFrame(self.rows(), infer_schema_length=None)


@dataclass(frozen=True)
class Forecast(Tabular):
    """One window's forecast: 12 steps of 5 minutes after `forecast_start`."""

    index: int | None  # windows before the latest (the CLI's --index); None: past the data
    wire_index: int
    subject: str | None
    unit: str
    window_start: datetime | None
    forecast_start: datetime | None
    times: list[datetime]
    median: list[float | None]
    quantiles: dict[str, list[float | None]]
    truth: list[float | None]  # None where the data does not reach
    history_times: list[datetime]
    history: list[float | None]
    handle: str | None = None
    model: str | None = None
    seed: int | None = None
    samples: int | None = None
    calibration: str | None = None
    adapt: str | None = None  # the personal adaptation applied: "personal-ar/1" or "none"
    warnings: tuple[DataWarning, ...] = ()

    @classmethod
    def from_wire(cls, window: dict[str, Any], reply: dict[str, Any]) -> Forecast:
        wire = int(window.get("index", 0))
        return cls(
            index=cli_index(wire),
            wire_index=wire,
            subject=window.get("subject"),
            unit=str(window.get("unit", reply.get("unit", "mg/dL"))),
            window_start=_time(window.get("window_start")),
            forecast_start=_time(window.get("forecast_start")),
            times=_times(window.get("times")),
            median=list(window.get("median") or []),
            quantiles={k: list(v) for k, v in (window.get("quantiles") or {}).items()},
            truth=list(window.get("truth") or []),
            history_times=_times(window.get("history_times")),
            history=list(window.get("history") or []),
            handle=window.get("handle", reply.get("handle")),
            model=window.get("model"),
            seed=window.get("seed"),
            samples=window.get("samples"),
            calibration=window.get("calibration"),
            adapt=window.get("adapt", reply.get("adapt")),
            warnings=warnings_of(reply),
        )

    def rows(self) -> list[dict[str, Any]]:
        """One row per forecast step: time, minutes ahead, median, quantiles, truth."""
        rows = []
        for step, when in enumerate(self.times):
            row: dict[str, Any] = {
                "index": self.index,
                "subject": self.subject,
                "forecast_start": self.forecast_start,
                "time": when,
                "minutes_ahead": 5 * (step + 1),
                "median": self.median[step],
            }
            for level in QUANTILE_LEVELS:
                row[f"q{level}"] = self.quantiles.get(level, [None] * len(self.times))[step]
            row["truth"] = self.truth[step] if step < len(self.truth) else None
            row["unit"] = self.unit
            rows.append(row)
        return rows


@dataclass(frozen=True)
class Forecasts(Tabular):
    """Several windows' forecasts, in the order asked."""

    windows: list[Forecast]
    warnings: tuple[DataWarning, ...] = ()

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, position: int) -> Forecast:
        return self.windows[position]

    def rows(self) -> list[dict[str, Any]]:
        """A long table: one row per window and step."""
        return [row for window in self.windows for row in window.rows()]


@dataclass(frozen=True)
class Plot:
    """One forecast image; a notebook shows it inline (PNG or SVG)."""

    image: bytes = field(repr=False)  # a notebook shows the picture, not its bytes
    format: str
    index: int | None
    wire_index: int
    window_start: datetime | None
    forecast_start: datetime | None
    subject: str | None = None
    handle: str | None = None
    model: str | None = None
    adapt: str | None = None
    warnings: tuple[DataWarning, ...] = ()

    @classmethod
    def from_wire(cls, entry: dict[str, Any], reply: dict[str, Any]) -> Plot:
        wire = int(entry.get("index", 0))
        return cls(
            image=bytes(entry["image"]),
            format=str(reply.get("format", "png")),
            index=cli_index(wire),
            wire_index=wire,
            window_start=_time(entry.get("window_start")),
            forecast_start=_time(entry.get("forecast_start")),
            subject=reply.get("subject"),
            handle=reply.get("handle"),
            model=reply.get("model"),
            adapt=reply.get("adapt"),
            warnings=warnings_of(reply),
        )

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_bytes(self.image)
        return target

    def _repr_png_(self) -> bytes | None:
        return self.image if self.format == "png" else None

    def _repr_svg_(self) -> str | None:
        return self.image.decode() if self.format == "svg" else None


@dataclass(frozen=True)
class Processed(Tabular):
    """What the daemon made of a file: its handle, windows, rows and warnings."""

    handle: str | None
    windows: int
    unit: str | None
    format: str | None
    subject: str | None
    start: datetime | None
    end: datetime | None
    accounting: dict[str, Any] = field(default_factory=dict)
    stretches: list[dict[str, Any]] = field(default_factory=list)
    window_list: list[dict[str, Any]] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)  # a multi-subject table's ids
    warnings: tuple[DataWarning, ...] = ()

    @classmethod
    def from_wire(cls, reply: dict[str, Any]) -> Processed:
        windows = [
            {
                **entry,
                "index": cli_index(int(entry["index"])),
                "wire_index": int(entry["index"]),
                "history_start": _time(entry.get("history_start")),
                "forecast_start": _time(entry.get("forecast_start")),
            }
            for entry in reply.get("window_list") or []
        ]
        return cls(
            handle=reply.get("handle"),
            windows=int(reply.get("windows", reply.get("samples", 0))),
            unit=reply.get("unit"),
            format=reply.get("format"),
            subject=reply.get("subject"),
            start=_time(reply.get("start")),
            end=_time(reply.get("end")),
            accounting=dict(reply.get("accounting") or {}),
            stretches=list(reply.get("stretches") or []),
            window_list=windows,
            subjects=[str(s["subject"]) for s in reply.get("subjects") or []],
            warnings=warnings_of(reply),
        )

    def rows(self) -> list[dict[str, Any]]:
        """The window list: index, stretch, history start, forecast start."""
        return self.window_list
