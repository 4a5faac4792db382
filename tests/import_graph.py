"""qirrt's module import graph, its cycles and its layer violations, from the source alone (`ast`).

Every import counts: module level, inside functions and methods, and under ``if TYPE_CHECKING:``
(each edge records which kind it is). Relative imports are resolved against the importing module;
``from pkg import name`` points at the submodule ``pkg.name`` when that is a module of the package,
and at ``pkg`` itself otherwise. Importing ``a.b.c`` also runs ``a/__init__`` and ``a/b/__init__``,
but those implicit parent edges are left out: counting them would put every package ``__init__``
that re-exports its children in a cycle with each child, which is not a design problem.

Library use (the basis of ``tests/test_layout.py``)::

    graph = import_graph("qirrt")                    # networkx.DiGraph, nodes are dotted names
    cycles(graph)                                    # list of strongly connected components (> 1 module)
    layer_violations(graph, TARGET_LAYERS)           # imports from a lower layer into a higher one

"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

__all__ = ["TARGET_LAYERS", "Violation", "cycles", "import_graph", "layer_of", "layer_violations",
           "module_files", "unresolved_imports"]

# Lowest layer first; a module may import from its own layer and every layer before it.
# Prefixes match a module and everything under it; the longest matching prefix wins.
TARGET_LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("qirrt.errors", "qirrt.plugins", "qirrt.result", "qirrt.observables", "qirrt._compat")),
    ("qir", ("qirrt.qir",)),
    ("device", ("qirrt.device",)),
    ("bindings/passes", ("qirrt.bindings", "qirrt.passes")),
    ("executors/adapters", ("qirrt.executors", "qirrt.adapters")),
    ("api", ("qirrt.api", "qirrt.qiskit", "qirrt.cirq", "qirrt")),        # "qirrt" here means the top-level __init__ only (exact match)
    ("cli", ("qirrt.cli",)),
)


# --- discovery ------------------------------------------------------------------------------------

def module_files(package_dir: str | Path) -> dict[str, Path]:
    """Dotted module name → file, for every ``.py`` file of the package (``__init__`` names the package)."""
    package_dir = Path(package_dir).resolve()
    root = package_dir.parent
    found: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    base = ".".join(parts)
    if target:
        return f"{base}.{target}" if base else target
    return base


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of import nodes that sit under ``if TYPE_CHECKING:``."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If):
            test = node.test
            name = test.id if isinstance(test, ast.Name) else test.attr if isinstance(test, ast.Attribute) else None
            if name == "TYPE_CHECKING":
                for child in node.body:
                    for sub in ast.walk(child):
                        if isinstance(sub, (ast.Import, ast.ImportFrom)):
                            ids.add(id(sub))
    return ids


def _function_nodes(tree: ast.AST) -> set[int]:
    """ids of import nodes inside a function or method body."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for sub in ast.walk(node):
                if isinstance(sub, (ast.Import, ast.ImportFrom)):
                    ids.add(id(sub))
    return ids


@dataclass(frozen=True)
class _Import:
    target: str          # dotted name as written, resolved to absolute
    names: tuple[str, ...]
    line: int
    kind: str            # "module", "function" or "type-checking"


def _imports(path: Path, module: str) -> Iterable[_Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    in_function = _function_nodes(tree)
    type_checking = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        kind = "type-checking" if id(node) in type_checking else "function" if id(node) in in_function else "module"
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield _Import(alias.name, (), node.lineno, kind)
        else:
            target = (_resolve_relative(module, _is_package(path), node.level, node.module) if node.level
                      else node.module or "")
            yield _Import(target, tuple(a.name for a in node.names), node.lineno, kind)


# --- the graph ------------------------------------------------------------------------------------

def import_graph(package_dir: str | Path, *, type_checking: bool = True) -> nx.DiGraph:
    """The package's import graph: nodes are dotted module names, an edge a → b means a imports b.

    Edge data: ``lines`` (sorted line numbers in a's file) and ``kinds`` (subset of ``module``,
    ``function``, ``type-checking``). Node data: ``path``. Imports of names the package does not
    define as modules land in ``graph.graph["unresolved"]`` as (module, line, target) triples.
    """
    files = module_files(package_dir)
    package = Path(package_dir).resolve().name
    graph = nx.DiGraph(unresolved=[])
    for module, path in files.items():
        graph.add_node(module, path=str(path))
    for module, path in files.items():
        for imp in _imports(path, module):
            if imp.kind == "type-checking" and not type_checking:
                continue
            if imp.target != package and not imp.target.startswith(package + "."):
                continue
            targets: list[str] = []
            if imp.names:
                for name in imp.names:
                    sub = f"{imp.target}.{name}"
                    targets.append(sub if sub in files else imp.target)
            else:
                targets.append(imp.target)
            for target in dict.fromkeys(targets):
                if target not in files:
                    graph.graph["unresolved"].append((module, imp.line, target))
                    continue
                if target == module:
                    continue
                if graph.has_edge(module, target):
                    data = graph.edges[module, target]
                    data["lines"] = sorted(set(data["lines"]) | {imp.line})
                    data["kinds"] = data["kinds"] | {imp.kind}
                else:
                    graph.add_edge(module, target, lines=[imp.line], kinds=frozenset({imp.kind}))
    return graph


def unresolved_imports(graph: nx.DiGraph) -> list[tuple[str, int, str]]:
    """(module, line, target) for every import of a package module that does not exist."""
    return sorted(graph.graph.get("unresolved", []))


def cycles(graph: nx.DiGraph) -> list[list[str]]:
    """Every strongly connected component of more than one module, largest first, members sorted."""
    comps = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    return sorted(comps, key=lambda c: (-len(c), c))


@dataclass(frozen=True)
class Violation:
    importer: str
    importer_layer: str
    imported: str
    imported_layer: str
    lines: tuple[int, ...]
    kinds: tuple[str, ...]

    def __str__(self) -> str:
        kinds = ",".join(self.kinds)
        lines = ",".join(map(str, self.lines))
        return (f"{self.importer} [{self.importer_layer}] -> {self.imported} [{self.imported_layer}]"
                f"  (line {lines}; {kinds})")


def _layer_table(layers: Sequence[tuple[str, Sequence[str]]] | Mapping[str, int]) -> dict[str, tuple[int, str]]:
    if isinstance(layers, Mapping):
        return {prefix: (rank, str(rank)) for prefix, rank in layers.items()}
    return {prefix: (rank, name) for rank, (name, prefixes) in enumerate(layers) for prefix in prefixes}


def layer_of(module: str, layers, *, package: str = "qirrt") -> tuple[int, str] | None:
    """(rank, layer name) of a module: its longest matching prefix; the bare package matches only itself."""
    table = _layer_table(layers)
    best: tuple[int, tuple[int, str]] | None = None
    for prefix, entry in table.items():
        exact_only = prefix == package
        matches = module == prefix or (not exact_only and module.startswith(prefix + "."))
        if matches and (best is None or len(prefix) > best[0]):
            best = (len(prefix), entry)
    return best[1] if best else None


def layer_violations(graph: nx.DiGraph, layers=TARGET_LAYERS) -> tuple[list[Violation], list[str]]:
    """Imports from a lower layer into a higher one, and the modules no layer claims."""
    violations: list[Violation] = []
    unassigned = sorted(n for n in graph if layer_of(n, layers) is None)
    for a, b, data in graph.edges(data=True):
        la, lb = layer_of(a, layers), layer_of(b, layers)
        if la is None or lb is None:
            continue
        if lb[0] > la[0]:
            violations.append(Violation(a, la[1], b, lb[1], tuple(data["lines"]), tuple(sorted(data["kinds"]))))
    violations.sort(key=lambda v: (v.importer, v.imported))
    return violations, unassigned
