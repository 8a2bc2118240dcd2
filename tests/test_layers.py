"""The import rules between the project's packages (docs/ARCHITECTURE.md).

What a package loads is checked in fresh interpreters (everything it imports,
third-party packages included); what its source names is checked statically,
every import statement counted, those inside functions and TYPE_CHECKING
blocks too, since a lazy import is still a dependency:

- the compute core imports neither the daemon, the CLI, the Ray engine nor
  the training tool, and names no asyncio or socket;
- the daemon imports neither the CLI nor the training tool, and its server
  layer never reaches the engine;
- the Ray engine imports nothing from the daemon, and from the CLI only its
  output and report helpers;
- the pure compute layers load no msgpack, the wire package nothing beyond the
  standard library and msgpack, the CLI none of the compute stack;
- no import circle among the project's modules.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = (
    "glurpc_wire", "glurpc_cli", "glurpc_local", "glurpc_core", "glurpcd", "glurpc_ray",
    "glurpc_train",
)  # fmt: skip
HEAVY = {"torch", "numpy", "polars", "matplotlib", "pyarrow", "scipy", "pandas", "ray"}

PROBE = """
import importlib, json, pkgutil, sys
for name in {modules!r}:
    module = importlib.import_module(name)
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), name + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_by(*modules: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules=list(modules))],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout))


def _roots(loaded: set[str]) -> set[str]:
    return {name.split(".")[0] for name in loaded}


# -- the static import graph ------------------------------------------------


@cache
def _sources() -> dict[str, Path]:
    """Every module of the project's packages by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _named(module: str, path: Path) -> set[str]:
    """Every module (the project's or not) that `module`'s source imports."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                names.add(submodule if submodule in _sources() else base)
    names.discard(module)
    return names


@cache
def _graph() -> dict[str, frozenset[str]]:
    return {module: frozenset(_named(module, path)) for module, path in _sources().items()}


def _in(package: str, module: str) -> bool:
    return module == package or module.startswith(package + ".")


def _imports_of(package: str) -> set[str]:
    return {
        name
        for module, names in _graph().items()
        if _in(package, module)
        for name in names
        if not _in(package, name)
    }


def _reachable(start: set[str]) -> set[str]:
    graph, seen, todo = _graph(), set(), list(start)
    while todo:
        module = todo.pop()
        if module in seen or module not in graph:
            continue
        seen.add(module)
        todo.extend(graph[module])
    return seen


def _circles(graph: Mapping[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        on_stack.add(module)
        for name in graph[module]:
            if name not in graph:
                continue
            if name not in order:
                visit(name)
                low[module] = min(low[module], low[name])
            elif name in on_stack:
                low[module] = min(low[module], order[name])
        if low[module] == order[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in graph:
        if module not in order:
            visit(module)
    return circles


# -- the rules ----------------------------------------------------------------


def test_no_import_circle_among_the_projects_modules():
    assert _circles(_graph()) == []


def test_the_circle_finder_finds_a_circle():
    """The rule above can fail: one lazy import from the series module back
    into the preparation (which imports the series) closes a circle."""
    graph = dict(_graph())
    graph["glurpc_core.series"] |= {"glurpc_core.ingest.prepare"}
    closed = {"glurpc_core.ingest.prepare", "glurpc_core.series"}
    assert any(closed <= set(circle) for circle in _circles(graph))


def test_the_core_imports_no_other_side_and_no_event_loop():
    named = _imports_of("glurpc_core")
    roots = {name.split(".")[0] for name in named}
    assert roots & {"glurpcd", "glurpc_cli", "glurpc_ray", "glurpc_train"} == set()
    assert roots & {"asyncio", "socket", "msgpack"} == set()
    loaded = _roots(_loaded_by("glurpc_core"))
    assert loaded & {"glurpcd", "glurpc_cli", "glurpc_ray", "glurpc_train", "msgpack"} == set()


def test_the_daemon_never_imports_the_cli_or_the_training_tool():
    roots = _roots(_loaded_by("glurpcd"))
    assert "glurpc_cli" not in roots
    assert "glurpc_train" not in roots
    assert {"glurpc_wire", "glurpc_core"} <= roots


def test_the_server_layer_never_reaches_the_engine():
    server = {module for module in _graph() if _in("glurpcd.server", module)}
    assert server, "glurpcd/server/ holds the socket side"
    reached = _reachable(server)
    assert {module for module in reached if _in("glurpcd.engine", module)} == set()


def test_the_ray_engine_uses_the_core_and_only_the_clis_output_helpers():
    named = _imports_of("glurpc_ray")
    assert {name for name in named if _in("glurpcd", name)} == set()
    from_cli = {name for name in named if _in("glurpc_cli", name)}
    helpers = {"output", "report", "records", "targets", "errors"}
    assert from_cli <= {f"glurpc_cli.{name}" for name in helpers}


@pytest.mark.parametrize(
    "layer", ["glurpc_core.ingest", "glurpc_core.render.worker", "glurpc_core.model"]
)
def test_pure_layers_load_no_msgpack(layer: str):
    assert "msgpack" not in _roots(_loaded_by(layer))


def test_the_wire_package_is_standard_library_and_msgpack():
    roots = _roots(_loaded_by("glurpc_wire")) - set(sys.stdlib_module_names)
    # An editable install adds its own path finder, and msgpack its compiled
    # extension's Cython runtime: neither is a dependency of ours.
    roots = {
        root
        for root in roots
        if not root.startswith(("__editable__", "_distutils", "cython_runtime", "_cython_"))
    }
    assert roots <= {"glurpc_wire", "msgpack", "__main__"}


CLI_RUN = """
import json, sys
from glurpc_cli.cli import main
try:
    main(["plot", "--help"])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""
CLIENT_UNWANTED = HEAVY | {"glurpc_ray", "glurpc_core", "glurpcd", "rich"}


def test_the_cli_loads_no_compute_stack_and_no_ray_until_asked():
    """Every CLI module imported, and `plot --help` run (its options name the
    Ray engine): torch, numpy, ray and rich stay behind the calls that need
    them."""
    roots = _roots(_loaded_by("glurpc_cli"))
    done = subprocess.run(
        [sys.executable, "-c", CLI_RUN], capture_output=True, text=True, check=True
    )
    assert "--engine [daemon|ray]" in done.stdout
    roots |= _roots(set(json.loads(done.stdout.splitlines()[-1])))
    assert roots & CLIENT_UNWANTED == set()


def test_the_notebook_api_loads_no_compute_stack():
    """pandas and polars stay behind `to_pandas()`/`to_polars()`."""
    assert _roots(_loaded_by("glurpc_local")) & CLIENT_UNWANTED == set()


# What one call may load beyond `import click, msgpack` (the floor every click CLI
# pays): our own modules, the C socket module, and what click itself loads while
# parsing (gettext's `locale` for the help option, `difflib` for a short option).
CALL_MAY_LOAD = {"_socket", "locale", "_locale", "difflib", "heapq", "_heapq"}
CALL_PROBE = """
import sys
import click, msgpack
floor = set(sys.modules)
from glurpc_cli.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print(" ".join(sorted(set(sys.modules) - floor)))
"""


@pytest.mark.parametrize(
    "argv",
    [["ping"], ["plot", "cgm.csv", "--index", "3", "-o", "fig.png"]],
    ids=["ping", "plot"],
)
def test_a_calls_import_path_is_click_msgpack_and_our_own(argv: list[str], tmp_path):
    """`glurpc ping` and a cached `glurpc plot` pay start-up for every module they
    load before a byte is sent (bench/bench_startup.py measures it): a new module
    in that path (dataclasses, socket's enums, json, typing extras) must be a
    deliberate choice, made here."""
    (tmp_path / "cgm.csv").write_bytes(b"timestamp,glucose\n")
    command = ["--socket", str(tmp_path / "none.sock"), "--no-autostart", *argv]
    done = subprocess.run(
        [sys.executable, "-c", CALL_PROBE.format(argv=command)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    loaded = set(done.stdout.splitlines()[-1].split())
    ours = {name for name in loaded if name.split(".")[0] in ("glurpc_cli", "glurpc_wire")}
    assert loaded - ours <= CALL_MAY_LOAD, sorted(loaded - ours - CALL_MAY_LOAD)
