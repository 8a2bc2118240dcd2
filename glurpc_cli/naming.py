"""`--name TEMPLATE`: output file names of a batch, from fields of each image.

Layer: CLI planning (pure: no I/O). The default name `cgm_i3.png` is the input's
stem, the subject and the window; two inputs with one stem (`p1/export.csv`,
`p2/export.csv`) would write the same file, so such a batch is refused unless a
template tells them apart, e.g. `--name {parent}_{stem}_{window}`. The
extension is always the image format's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FIELDS = {
    "stem": "the input's file name without its extension (stdin: 'stdin')",
    "parent": "the name of the input's directory",
    "subject": "the subject id ('' for a one-person file)",
    "window": "i3 for --index 3, ahead for --ahead",
    "index": "3 for --index 3, ahead for --ahead",
}


class TemplateError(ValueError):
    """A template that cannot name files; the message says why."""


@dataclass(frozen=True)
class NameTemplate:
    text: str

    def __post_init__(self) -> None:
        import string  # only --name pays for it

        try:
            parsed = list(string.Formatter().parse(self.text))
        except ValueError as exc:
            raise TemplateError(f"--name {self.text!r}: {exc}") from None
        names = {field for _, field, _, _ in parsed if field is not None}
        unknown = sorted(names - set(FIELDS))
        if unknown or any(spec or conv for _, f, spec, conv in parsed if f is not None):
            known = ", ".join(f"{{{name}}}" for name in FIELDS)
            raise TemplateError(f"--name {self.text!r}: fields are {known} (no format specs)")
        if "/" in self.text or not names:
            raise TemplateError(f"--name {self.text!r}: a file name with at least one field, no /")

    @property
    def fields(self) -> set[str]:
        import string

        return {f for _, f, _, _ in string.Formatter().parse(self.text) if f is not None}

    def render(self, values: dict[str, str], fmt: str) -> str:
        return f"{self.text.format(**values)}.{fmt}"


def name_values(stem: str, source: Path, window: str, subject: str | None) -> dict[str, str]:
    index = window[1:] if window.startswith("i") else window
    parent = source.resolve().parent.name if str(source) != "-" else "stdin"
    return {
        "stem": stem,
        "parent": parent,
        "subject": subject or "",
        "window": window,
        "index": index,
    }
