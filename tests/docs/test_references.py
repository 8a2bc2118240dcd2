"""Every document the repository cites is in the repository: no links out to
shared folders, every `docs/X.md` named in code or docs exists, and every
relative Markdown link resolves."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUTSIDE = re.compile(r"\.\./shared|/work/shared|GLUFORMER_FACTS|\bDESIGN\.md|\bSTYLE\.md")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    paths = [REPO / name for name in names if not name.startswith("tests/docs/")]
    return [
        p
        for p in paths
        if p.suffix in {".py", ".md", ".1", ".5", ".7", ".8", ".service", ".socket", ".toml"}
    ]


def test_nothing_cites_documents_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(REPO)}:{number}"
        for path in tracked_text_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_cited_docs_exist() -> None:
    cited = {
        name
        for path in tracked_text_files()
        for name in re.findall(r"docs/([A-Za-z_]+\.md)", path.read_text(errors="replace"))
    }
    assert "PROTOCOL.md" in cited
    assert sorted(name for name in cited if not (REPO / "docs" / name).is_file()) == []


def test_relative_markdown_links_resolve() -> None:
    broken = []
    for path in tracked_text_files():
        if path.suffix != ".md":
            continue
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            if not (path.parent / target).exists():
                broken.append(f"{path.relative_to(REPO)} -> {target}")
    assert broken == []
