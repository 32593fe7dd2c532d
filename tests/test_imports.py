"""The house rules of the code, checked: layers import only downward, and nothing circles.

The allowed imports between packages are written once, in ``docs/architecture.md``'s
"may import" table, and read from there, so the document and the check cannot drift.
Every import counts, wherever it stands: at the top of a module, inside a function, or
under ``if TYPE_CHECKING:`` (a type-only import is still a dependency: it is what makes
two modules unable to be read, tested or moved apart).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
PACKAGE = SRC / "dateline"
ARCHITECTURE = REPO / "docs" / "architecture.md"
MAX_MODULE_LINES = 600


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imported(module: str, source: str, *, is_package: bool = False) -> set[str]:
    """Every dateline module ``module`` imports, resolved to the longest known module."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # `from pkg import mod` depends on pkg.mod; `from pkg import name` on pkg
            names = [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


GRAPH: dict[str, set[str]] = {
    m: _imported(m, p.read_text(encoding="utf-8"), is_package=p.name == "__init__.py")
    for m, p in MODULES.items()
}


def layer(module: str) -> str:
    """The package (or top-level module) a module belongs to: ``dateline.store.db`` → store."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "dateline"


def allowed_imports() -> dict[str, set[str]]:
    """The "may import" table of docs/architecture.md: layer → the layers it may import."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    block = re.search(r"<!-- layers:start -->\n(.*?)<!-- layers:end -->", text, re.S)
    assert block, "docs/architecture.md has no <!-- layers:start/end --> table"
    table: dict[str, set[str]] = {}
    for line in block.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([\w.]+)`", cells[1])
        table[cells[0].strip("`")] = set(names)
    return table


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_graph_sees_imports_of_every_kind():
    """The check is only as good as its parser: known imports of each form are found."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "import dateline.errors\n"
        "from . import db\n"
        "from .models import Article\n"
        "if TYPE_CHECKING:\n"
        "    from dateline.settings import Settings\n"
        "def late():\n"
        "    from dateline.clock import now\n"
    )
    assert _imported("dateline.store.queries", source) == {
        "dateline.errors",
        "dateline.store.db",
        "dateline.store.models",
        "dateline.settings",
        "dateline.clock",
    }
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_in_a_circle():
    assert _cycles(GRAPH) == []


def test_no_package_imports_in_a_circle():
    packages: dict[str, set[str]] = defaultdict(set)
    for module, deps in GRAPH.items():
        packages[layer(module)] |= {layer(d) for d in deps if layer(d) != layer(module)}
    assert _cycles(packages) == []


def test_every_layer_is_in_the_table():
    table = allowed_imports()
    assert sorted({layer(m) for m in MODULES} - set(table)) == []
    unknown = {name for names in table.values() for name in names} - set(table)
    assert sorted(unknown) == []


@pytest.mark.parametrize("package", sorted({layer(m) for m in MODULES}))
def test_package_imports_only_what_the_architecture_allows(package: str):
    allowed = allowed_imports()[package] | {package}
    forbidden = sorted(
        f"{module} imports {dep}"
        for module, deps in GRAPH.items()
        if layer(module) == package
        for dep in deps
        if layer(dep) not in allowed
    )
    assert forbidden == []


def test_the_store_stands_below_the_stages_that_use_it():
    """Spelled out, since it is the rule most easily broken by a convenient import."""
    upward = sorted(
        f"{m} imports {d}"
        for m, deps in GRAPH.items()
        if layer(m) == "store"
        for d in deps
        if layer(d) in {"enrich", "rank", "web", "readers", "cli", "demo", "pipeline"}
    )
    assert upward == []


def test_no_module_is_an_oversized_room():
    big = {
        str(p.relative_to(REPO)): n
        for p in MODULES.values()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert big == {}
