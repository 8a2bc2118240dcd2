"""Turn docs/PROTOCOL.md into the man page glurpc-protocol(7).

Layer: a build tool for the docs (run as `python -m tools.md2man`; a test
checks the committed page is what it writes). It knows the Markdown this
project writes and no more: headings, paragraphs, `-` and `1.` lists,
indented code blocks, pipe tables and inline `code`.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from glurpc_wire import __version__

CODE_SPAN = re.compile(r"`([^`]+)`")


def escape(text: str) -> str:
    """Roff text: backslashes doubled, inline code in bold, a leading dot guarded."""
    parts = []
    for number, piece in enumerate(CODE_SPAN.split(text.replace("\\", "\\e"))):
        if number % 2:
            parts.append("\\fB" + piece.replace("-", "\\-") + "\\fR")
        else:
            parts.append(piece.replace("\\e|", "|"))
    line = "".join(parts)
    return "\\&" + line if line.startswith((".", "'")) else line


def _table(rows: list[str]) -> list[str]:
    cells = [[cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip())[1:-1]] for row in rows]
    header, body = cells[0], cells[2:]
    out = [
        ".TS",
        "allbox tab(@);",
        " ".join("lb" for _ in header),
        " ".join("lx" for _ in header) + ".",
    ]
    for row in [header, *body]:
        # .na: narrow cells cannot be justified without warnings; left-align them.
        out.append("@".join(f"T{{\n.na\n{escape(cell)}\nT}}" for cell in row))
    out.append(".TE")
    return out


def convert(markdown: str, name: str, section: str) -> str:
    lines = markdown.splitlines()
    title = lines[0].lstrip("# ").strip()
    out = [
        "'\\\" t",
        f'.TH {name.upper()} {section} "" "glurpc {__version__}" "glurpc"',
        ".SH NAME",
        f"{name} \\- {escape(title)}",
    ]
    i = 1
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("### "):
            out += [".SS " + escape(line[4:])]
            i += 1
        elif line.startswith("## "):
            out += [".SH " + escape(line[3:].upper())]
            i += 1
        elif line.startswith("    "):
            block = []
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                block.append(lines[i][4:])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            out += [".PP", ".RS 4", ".nf"]
            out += ["\\&" + b.replace("\\", "\\e").replace("-", "\\-") for b in block]
            out += [".fi", ".RE"]
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i])
                i += 1
            out += _table(rows)
        else:
            paragraph, i = _paragraph(lines, i)
            out += paragraph
    return "\n".join(out) + "\n"


def _paragraph(lines: list[str], i: int) -> tuple[list[str], int]:
    """A paragraph or one list item, with its continuation lines."""
    item = re.match(r"^(- |\d+\. )", lines[i])
    text = [lines[i][len(item.group(1)) :] if item else lines[i]]
    i += 1
    while i < len(lines) and lines[i].strip() and not _starts_block(lines[i]):
        text.append(lines[i].strip())
        i += 1
    if item is None:
        macro = ".PP"
    elif item.group(1) == "- ":
        macro = ".IP \\(bu 2"
    else:
        macro = f".IP {item.group(1).strip()} 4"
    return [macro, escape(" ".join(text))], i


def _starts_block(line: str) -> bool:
    return bool(re.match(r"^(#|\||- |\d+\. )", line)) or line.startswith("    ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("markdown", type=Path, nargs="?", default=Path("docs/PROTOCOL.md"))
    parser.add_argument("--name", default="glurpc-protocol")
    parser.add_argument("--section", default="7")
    args = parser.parse_args()
    sys.stdout.write(convert(args.markdown.read_text(encoding="utf-8"), args.name, args.section))


if __name__ == "__main__":
    main()
