"""The generator's shape, read with `ast` from every .py file under generator/ (subpackages
included): no module over 400 lines, no function or method over 60 lines, no import cycle
among the generator's modules, and the pipeline's stages only look forward (no module of an
earlier stage imports one of a later stage, directly or through helper modules of no stage).

Imports counted: `import generator.x`, `from generator.x import y`, `from . import x`,
`from .x import y`, `from ..x import y` (in subpackages), wherever they are: at the top, in a
function, in a class, under `try:`, and under `if TYPE_CHECKING:` (a type an earlier stage
names from a later one is still a dependency on it; those edges are marked "type-checking
only" in the messages, and COUNT_TYPE_CHECKING below turns them off). `from P import x`
where P.x is a module counts as importing P.x, else as importing P. Importing P.x does not
count as importing the package P itself (its __init__ importing its submodules and them
importing each other through it, `from . import sibling`, is no cycle).

Every failure lists all the violations, not only the first.
"""

from __future__ import annotations

import ast
import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "generator"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
COUNT_TYPE_CHECKING = True

# The pipeline, in order: each stage names its modules (relative to generator/) or package
# prefixes ("listings" is generator/listings/ and everything in it). A module of a stage may
# import the modules of its own stage and of earlier ones, never those of a later stage.
# Modules named here that do not exist (yet) are skipped. Modules not named here (helpers:
# errors, models, markup, slugs, ...) are held to no order themselves, but a stage reaching a
# later stage's module through them (config -> a helper -> render) counts as importing it.
STAGES: list[tuple[str, tuple[str, ...]]] = [
    ("config", ("config", "config_yaml", "config_fields", "config_taxonomy", "yaml_errors")),
    ("ingest", ("ingest", "listings", "records", "listing_dates", "titles", "front")),
    # the model: papers, groups, topics, tags
    ("site", ("site", "paper_fields", "groups", "classify")),
    ("plan", ("plan",)),  # the pages to draw
    # drawing a page, the theme it is drawn with, the keys of what it shows, the exports
    ("render", ("render", "themes", "keys", "item_keys", "digests", "exports")),
    ("write", ("write", "manifest", "workers")),  # workers draw and hand the bytes to write
    ("search", ("search", "pagefind_service")),
    # what runs the stages: one build, its render stage, the incremental seam, a session
    ("build", ("build", "result", "drawing", "incremental", "ahead", "session", "notes_edit")),
    (
        "front end",
        ("serve", "serve_http", "serve_files", "live_site", "last_good", "cli", "cli_parser"),
    ),
]


@dataclass(frozen=True)
class Import:
    source: str  # dotted module name, e.g. "generator.listings.daily"
    target: str
    line: int
    type_only: bool  # under `if TYPE_CHECKING:`


# -- reading the package ----------------------------------------------------------------


def module_name(path: Path, root: Path) -> str:
    """generator/listings/daily.py -> generator.listings.daily; an __init__.py names its
    package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_files(root: Path) -> dict[str, Path]:
    """Every module of the package under `root`, by dotted name."""
    return {
        module_name(path, root): path
        for path in sorted(root.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


@functools.cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _import_nodes(
    tree: ast.AST, type_only: bool = False
) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
    """Every import statement in `tree`, however deeply nested, and whether it sits under
    `if TYPE_CHECKING:` (its `else:` branch is a runtime one)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_only
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from _import_nodes(ast.Module(body=[child], type_ignores=[]), True)
            for child in node.orelse:
                yield from _import_nodes(ast.Module(body=[child], type_ignores=[]), type_only)
        else:
            yield from _import_nodes(node, type_only)


def _resolve_from(node: ast.ImportFrom, source: str, is_package: bool) -> str | None:
    """The module `from ... import` names: absolute, or relative to the source's package."""
    if node.level == 0:
        return node.module
    package = source.split(".") if is_package else source.split(".")[:-1]
    if node.level - 1 > len(package):
        return None  # beyond the top-level package: Python refuses it too
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(source: str, tree: ast.AST, is_package: bool, modules: set[str]) -> list[Import]:
    """The modules of `modules` that `source` imports, with the line of each import."""
    found: list[Import] = []

    def add(target: str, node: ast.stmt, type_only: bool) -> None:
        if target in modules and target != source:
            found.append(Import(source, target, node.lineno, type_only))

    for node, type_only in _import_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, node, type_only)
            continue
        base = _resolve_from(node, source, is_package)
        if base is None:
            continue
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            add(submodule if submodule in modules else base, node, type_only)
    return found


@functools.cache
def package_graph(
    root: Path = ROOT, type_checking: bool = COUNT_TYPE_CHECKING
) -> tuple[Import, ...]:
    files = package_files(root)
    modules = set(files)
    edges: list[Import] = []
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        edges += imports_of(name, parsed(path), is_package, modules)
    if not type_checking:
        edges = [e for e in edges if not e.type_only]
    return tuple(edges)


def short(module: str) -> str:
    """generator.listings.daily -> listings.daily (generator itself stays generator)."""
    return module.removeprefix(PACKAGE + ".")


def where(edge: Import) -> str:
    return f"line {edge.line}" + (", type-checking only" if edge.type_only else "")


# -- cycles -------------------------------------------------------------------------------


def strongly_connected(nodes: Iterable[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = edges.get(node, [])
            if child < len(successors):
                work.append((node, child + 1))
                succ = successors[child]
                if succ not in index:
                    work.append((succ, 0))
                elif succ in on_stack:
                    low[node] = min(low[node], index[succ])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def shortest_cycle(start: str, members: set[str], edges: dict[str, list[str]]) -> list[str]:
    """The shortest path start -> ... -> start inside one component (breadth first)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for succ in edges.get(node, []):
                if succ not in members:
                    continue
                if succ == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [*reversed(path), start]
                if succ not in previous:
                    previous[succ] = node
                    following.append(succ)
        frontier = following
    return [start]


def _rotated(cycle: list[str]) -> tuple[str, ...]:
    """a -> b -> c -> a and b -> c -> a -> b are one cycle: start it at its least module."""
    ring = cycle[:-1]
    first = ring.index(min(ring))
    ring = ring[first:] + ring[:first]
    return (*ring, ring[0])


def import_cycles(graph: Iterable[Import]) -> list[str]:
    """One message per group of modules that import each other: the members and, for each
    member, the shortest cycle through it, with the line of every import on it."""
    graph = list(graph)
    edges: dict[str, list[str]] = {}
    line: dict[tuple[str, str], Import] = {}
    nodes: set[str] = set()
    for edge in graph:
        nodes.update((edge.source, edge.target))
        if (edge.source, edge.target) not in line:
            line[edge.source, edge.target] = edge
            edges.setdefault(edge.source, []).append(edge.target)
    for targets in edges.values():
        targets.sort()
    messages = []
    for component in strongly_connected(nodes, edges):
        if len(component) < 2:
            continue
        members = set(component)
        paths = {_rotated(shortest_cycle(m, members, edges)) for m in component}
        lines = [f"cycle among {', '.join(short(m) for m in component)}:"]
        for path in sorted(paths, key=lambda p: (len(p), p)):
            hops = [short(path[0])]
            for a, b in itertools.pairwise(path):
                hops.append(f"-> {short(b)} ({short(a)}.py {where(line[a, b])})")
            lines.append("    " + " ".join(hops))
        messages.append("\n".join(lines))
    return messages


# -- stages -------------------------------------------------------------------------------


def stage_of(module: str, stages: list[tuple[str, tuple[str, ...]]] = STAGES) -> int | None:
    """The position of the stage `module` belongs to, or None (a helper)."""
    name = short(module)
    for position, (_, members) in enumerate(stages):
        if any(name == m or name.startswith(m + ".") for m in members):
            return position
    return None


def backward_imports(
    graph: Iterable[Import], stages: list[tuple[str, tuple[str, ...]]] = STAGES
) -> list[str]:
    """Every import of a later stage's module by an earlier stage's module: directly, or
    through helper modules (ones of no stage) that lead to it."""
    graph = list(graph)
    imported: dict[str, list[Import]] = {}
    for edge in graph:
        imported.setdefault(edge.source, []).append(edge)
    messages = []
    for edge in graph:
        source = stage_of(edge.source, stages)
        if source is None:
            continue
        for path in _through_helpers(edge, imported, stages):
            target = stage_of(path[-1].target, stages)
            assert target is not None
            if target <= source:
                continue
            helpers = " -> ".join(short(e.target) for e in path[:-1])
            messages.append(
                f"{short(edge.source)} (stage {stages[source][0]}) imports "
                f"{short(path[-1].target)} (later stage {stages[target][0]})"
                + (f" through {helpers}" if helpers else "")
                + f", {where(edge)}"
            )
    return sorted(set(messages))


def _through_helpers(
    first: Import,
    imported: dict[str, list[Import]],
    stages: list[tuple[str, tuple[str, ...]]],
) -> list[list[Import]]:
    """The import paths from `first` that end at a module of a stage, passing only through
    helper modules (each helper visited once)."""
    paths: list[list[Import]] = []
    seen: set[str] = set()
    frontier = [[first]]
    while frontier:
        path = frontier.pop()
        module = path[-1].target
        if stage_of(module, stages) is not None:
            paths.append(path)
        elif module not in seen:
            seen.add(module)
            frontier += [[*path, edge] for edge in imported.get(module, [])]
    return paths


# -- sizes --------------------------------------------------------------------------------


def long_modules(files: dict[str, Path]) -> list[str]:
    messages = []
    for path in files.values():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            messages.append(f"{path.relative_to(ROOT.parent)}: {lines} lines")
    return messages


def _functions(tree: ast.AST, prefix: str = "") -> Iterable[tuple[str, ast.AST]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield prefix + node.name, node
            yield from _functions(node, f"{prefix}{node.name}.<locals>.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{prefix}{node.name}.")
        else:
            yield from _functions(node, prefix)


def long_functions(files: dict[str, Path]) -> list[str]:
    messages = []
    for path in files.values():
        for name, node in _functions(parsed(path)):
            assert isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            lines = (node.end_lineno or node.lineno) - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                place = f"{path.relative_to(ROOT.parent)}:{node.lineno}"
                messages.append(f"{place} {name}: {lines} lines")
    return messages


def _report(what: str, messages: list[str]) -> str:
    return f"{len(messages)} {what}:\n" + "\n".join(f"  {m}" for m in messages)


# -- the tests ----------------------------------------------------------------------------


def test_no_module_over_400_lines() -> None:
    messages = long_modules(package_files(ROOT))
    if messages:
        pytest.fail(_report(f"modules over {MAX_MODULE_LINES} lines", messages), pytrace=False)


def test_no_function_over_60_lines() -> None:
    messages = long_functions(package_files(ROOT))
    if messages:
        pytest.fail(_report(f"functions over {MAX_FUNCTION_LINES} lines", messages), pytrace=False)


def test_no_import_cycle() -> None:
    messages = import_cycles(package_graph())
    if messages:
        pytest.fail(_report("import cycles", messages), pytrace=False)


def test_stages_only_look_forward() -> None:
    messages = backward_imports(package_graph())
    order = " -> ".join(name for name, _ in STAGES)
    if messages:
        pytest.fail(_report(f"imports of a later stage ({order})", messages), pytrace=False)


# -- the checks themselves, on a package made for them -------------------------------------


@pytest.fixture
def fake_package(tmp_path: Path) -> Path:
    root = tmp_path / "generator"
    files = {
        "__init__.py": "",
        "config.py": "import os\nfrom .errors import Oops\nfrom . import markup\n",
        "markup.py": "from .errors import Oops\nfrom .write import w\n",
        "errors.py": "class Oops(Exception):\n    pass\n",
        "render.py": "from . import write\n",
        "write.py": "def later():\n    from generator.render import x\n",
        "site.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from .render import Page\n"
            "else:\n    from .errors import Oops\n"
        ),
        "listings/__init__.py": "from . import daily\nfrom .daily import parse\n",
        "listings/daily.py": (
            "from ..config import x\nfrom ..search import y\nfrom . import lines\n"
        ),
        "listings/lines.py": "from .. import config\n",
        "search.py": "import generator.listings.daily as d\nimport json\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_the_checks_read_every_kind_of_import(fake_package: Path) -> None:
    graph = package_graph(fake_package, type_checking=True)
    found = {(short(e.source), short(e.target), e.type_only) for e in graph}
    assert found == {
        ("config", "errors", False),
        ("config", "markup", False),
        ("markup", "errors", False),
        ("markup", "write", False),
        ("render", "write", False),
        ("write", "render", False),  # inside a function, absolute
        ("site", "render", True),
        ("site", "errors", False),
        ("listings", "listings.daily", False),
        ("listings.daily", "config", False),
        ("listings.daily", "search", False),
        ("listings.daily", "listings.lines", False),
        ("listings.lines", "config", False),
        ("search", "listings.daily", False),
    }
    cycles = import_cycles(graph)
    assert len(cycles) == 2, cycles
    assert "render -> write (render.py line 1) -> render (write.py line 2)" in "\n".join(cycles)
    assert "cycle among listings.daily, search:" in cycles[0] + cycles[1]
    backward = backward_imports(graph)
    assert backward == [
        "config (stage config) imports write (later stage write) through markup, line 3",
        "listings.daily (stage ingest) imports search (later stage search), line 2",
        "render (stage render) imports write (later stage write), line 1",
        "site (stage site) imports render (later stage render), line 3, type-checking only",
    ]


def test_every_module_has_tests_named() -> None:
    """Every module has a test file named after it (tests/test_<module>.py), or its docstring
    has a line "Tests: ..." naming the test files that cover it, and those files exist."""
    tests = Path(__file__).resolve().parent
    own = {p.stem for p in tests.rglob("test_*.py")}
    problems = []
    for name, path in package_files(ROOT).items():
        short = name.rsplit(".", 1)[-1]
        if path.name == "__init__.py" and name == PACKAGE:
            continue
        doc = ast.get_docstring(parsed(path)) or ""
        named = [line for line in doc.splitlines() if line.startswith("Tests:")]
        if not named:
            if f"test_{short}" not in own:
                problems.append(f"{name}: no tests/test_{short}.py and no 'Tests:' line")
            continue
        for mention in named[0].removeprefix("Tests:").replace(",", " ").split():
            if not (tests.parent / mention).is_file():
                problems.append(f"{name}: its 'Tests:' line names {mention}, which is not there")
    if problems:
        pytest.fail(f"{len(problems)} modules without tests named:\n  " + "\n  ".join(problems))
