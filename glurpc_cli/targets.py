"""Which windows to plot and where each image goes (pure: no I/O besides path tests).

Layer: CLI planning. It turns `--index` specs (`3`, `0,3,5`, `0..23`),
`--ahead` and `--all` into wire indices (docs/PROTOCOL.md: CLI index N >= 0 is
wire index -N, `--ahead` is wire index 12) and names the output files. It
never talks to the daemon and never writes files.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .naming import NameTemplate

AHEAD_WIRE_INDEX = 12
IMAGE_FORMATS = ("png", "svg", "pdf")  # the first is the default
STDIN_STEM = "stdin"
MAX_SUBJECT_CHARS = 64  # of a subject id in a file name
SUBJECT_TAG_CHARS = 12
# An id that looks like a tagged name gets a tag of its own.
_TAGGED = re.compile(rf"-[0-9a-f]{{{SUBJECT_TAG_CHARS}}}$")
MAX_SPEC_WINDOWS = 1_000_000  # a typo like 0..10**9 should fail fast, not allocate


class SpecError(ValueError):
    """An `--index` spec that cannot be read; the message says why."""


def parse_index_spec(spec: str) -> list[int]:
    """CLI indices (each >= 0) from `N`, `A..B` and comma lists of both, in order, unique."""
    seen: dict[int, None] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            raise SpecError(f"empty item in index list {spec!r}")
        if ".." in part:
            low_text, _, high_text = part.partition("..")
            low, high = _index(low_text, spec), _index(high_text, spec)
            if high < low:
                raise SpecError(f"range {part!r} runs backwards")
            if high - low >= MAX_SPEC_WINDOWS:
                raise SpecError(f"range {part!r} is too large")
            seen.update(dict.fromkeys(range(low, high + 1)))
        else:
            seen[_index(part, spec)] = None
    return list(seen)


def _index(text: str, spec: str) -> int:
    text = text.strip()
    try:
        value = int(text)
    except ValueError:
        raise SpecError(f"{text!r} in {spec!r} is not a window index") from None
    if value < 0:
        raise SpecError(
            f"index {value} is negative: N counts windows back from the latest "
            "(0 is the latest); use --ahead for the next hour"
        )
    return value


def wire_indices(cli_indices: list[int], ahead: bool) -> list[int]:
    wire = [-n for n in cli_indices]
    if ahead and AHEAD_WIRE_INDEX not in wire:
        wire.append(AHEAD_WIRE_INDEX)
    return wire


def all_wire_indices(samples: int, ahead: bool) -> list[int]:
    """Every window with a known future (`samples` from `process`), latest first."""
    return wire_indices(list(range(max(0, samples))), ahead)


def cli_index(wire: int) -> int | None:
    """The CLI's N for a wire index, or None for windows past the data."""
    return -wire if wire <= 0 else None


def window_label(wire: int) -> str:
    if wire <= 0:
        return f"i{-wire}"
    return "ahead" if wire == AHEAD_WIRE_INDEX else f"ahead{wire}"


def default_name(
    source: Path,
    wire: int,
    fmt: str,
    subject: str | None = None,
    template: NameTemplate | None = None,
) -> str:
    """`cgm.csv`, index 3 -> `cgm_i3.png`; `--ahead` -> `cgm_ahead.png`; subject 7 of
    `cohort.csv` -> `cohort_7_i3.png`; stdin (`-`) -> `stdin_i3.png` (a name that
    cannot read as an option). A `--name` template replaces all of that but the
    extension."""
    safe = safe_subject(subject) if subject is not None else None
    if template is not None:
        from .naming import name_values  # only --name pays for it

        values = name_values(source_stem(source), source, window_label(wire), safe)
        return template.render(values, fmt)
    who = f"_{safe}" if safe is not None else ""
    return f"{source_stem(source)}{who}_{window_label(wire)}.{fmt}"


def source_stem(source: Path) -> str:
    return STDIN_STEM if str(source) == "-" else source.stem


def safe_subject(subject: str) -> str:
    """A subject id as a file name part, one per id: an id that is not already
    a plain name (`a/b`, `.`, `..`, very long, or ending like a tag of ours) has
    its odd characters made `_` and a tag of the id's digest appended, so `a/b`
    and `a_b` never write one file."""
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", subject).strip(".") or "_"
    if plain == subject and len(subject) <= MAX_SUBJECT_CHARS and not _TAGGED.search(subject):
        return subject
    import hashlib  # only odd ids pay for it: every `glurpc plot` loads this module

    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{plain[:MAX_SUBJECT_CHARS]}-{digest[:SUBJECT_TAG_CHARS]}"


class OutputPlan(NamedTuple):
    """Where images go: stdout, one exact file, or a directory of default names
    (`create`: the user named it with a trailing slash, so it may be made). A
    NamedTuple, not a dataclass: `dataclasses` costs every `glurpc plot` start-up."""

    stdout: bool = False
    file: Path | None = None
    directory: Path = Path(".")
    create: bool = False
    template: NameTemplate | None = None  # --name

    def path_for(
        self, source: Path, wire: int, fmt: str, subject: str | None = None
    ) -> Path | None:
        if self.stdout:
            return None
        if self.file is not None:
            return self.file
        return self.directory / default_name(source, wire, fmt, subject, self.template)


def plan_outputs(output: str | None, single: bool, name: str | None = None) -> OutputPlan:
    """`-o` for one image (a file, `-`, or a directory) or for many (a directory),
    with the file names of `--name`."""
    if name is None:
        return _plan(output, single)
    from .naming import NameTemplate, TemplateError  # only --name pays for it

    try:
        template = NameTemplate(name)
    except TemplateError as exc:
        raise SpecError(str(exc)) from None
    plan = _plan(output, single)
    if plan.stdout or plan.file is not None:
        raise SpecError("--name names the files of an output directory: give -o DIR/")
    return OutputPlan(directory=plan.directory, create=plan.create, template=template)


def _plan(output: str | None, single: bool) -> OutputPlan:
    if output is None:
        return OutputPlan()
    if output == "-":
        if not single:
            raise SpecError("-o - writes one image to stdout; several need -o DIR/")
        return OutputPlan(stdout=True)
    path = Path(output)
    if output.endswith("/"):
        return OutputPlan(directory=path, create=True)
    if path.is_dir():
        return OutputPlan(directory=path)
    if single:
        return OutputPlan(file=path)
    if path.exists():
        raise SpecError(f"{output} is a file; several images need a directory")
    raise SpecError(f"several images need a directory: write -o {output}/ to create {output}")


def image_format(explicit: str | None, plan: OutputPlan) -> str:
    """The format follows the output file's extension; `-f` must agree with it."""
    if plan.file is None or not plan.file.suffix:
        return explicit or IMAGE_FORMATS[0]
    extension = plan.file.suffix[1:].lower()
    if extension not in IMAGE_FORMATS:
        raise SpecError(f"{plan.file} ends in .{extension}; images are {', '.join(IMAGE_FORMATS)}")
    if explicit is not None and explicit != extension:
        raise SpecError(f"-f {explicit} disagrees with {plan.file}: drop -f or rename the file")
    return extension


def find_collisions(sources: list[Path], plan: OutputPlan | None = None) -> list[str]:
    """Output names that two inputs would share (the same stem, or a `--name`
    template that does not tell them apart)."""
    template = plan.template if plan is not None else None
    by_name: dict[str, int] = {}
    for source in sources:
        name = default_name(source, 0, "x", None, template) if template else source_stem(source)
        by_name[name] = by_name.get(name, 0) + 1
    return sorted(name for name, count in by_name.items() if count > 1)


def check_template(plan: OutputPlan, *, several_windows: bool, subjects: bool) -> None:
    """A `--name` template must tell apart every image one input makes."""
    if plan.template is None:
        return
    fields = plan.template.fields
    if several_windows and not fields & {"window", "index"}:
        raise SpecError("--name needs {window} or {index}: each file gives several images")
    if subjects and "subject" not in fields:
        raise SpecError("--name needs {subject} with --subject all")
