"""The house rules (issue 16), checked from the source on every run: no import cycle (imports inside
functions count), no import from a lower layer into a higher one, every module in a layer, nothing in
qirrt importing a deprecated path, and the old public paths still working (with a warning where the
module moved)."""

from __future__ import annotations

import importlib
import sys
import warnings
from pathlib import Path

import pytest

from tests.import_graph import TARGET_LAYERS, cycles, import_graph, layer_violations, unresolved_imports

PACKAGE = Path(__file__).resolve().parents[1] / "qirrt"
SHIM_MARK = "# qirrt-move: re-export of a moved module"
PUBLIC_ALIASES = {"qirrt.qiskit": "qirrt.api.qiskit", "qirrt.exact": "qirrt.api.exact", "qirrt.cirq": "qirrt.api.cirq"}
"""Old paths that stay public names of their new home, without a warning."""


def _shims() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if SHIM_MARK in path.read_text(encoding="utf-8")[:2000]:
            found[".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)] = path
    return found


@pytest.fixture(scope="module")
def graph():
    return import_graph(PACKAGE)


def test_every_import_resolves(graph):
    assert unresolved_imports(graph) == []


def test_no_import_cycle(graph):
    assert cycles(graph) == [], "import cycles (imports inside functions count too)"


def test_no_import_from_a_lower_layer_into_a_higher_one(graph):
    violations, _ = layer_violations(graph, TARGET_LAYERS)
    assert [str(v) for v in violations] == []


def test_every_module_has_a_layer(graph):
    _, unassigned = layer_violations(graph, TARGET_LAYERS)
    assert set(unassigned) <= set(_shims())


def test_nothing_in_qirrt_imports_an_old_path(graph):
    shims = set(_shims())
    assert sorted((a, b) for a, b in graph.edges() if b in shims and a not in shims) == []


@pytest.mark.parametrize("old", sorted(_shims()))
def test_old_import_paths_still_work(old):
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    moved = [w for w in caught if issubclass(w.category, DeprecationWarning) and old in str(w.message)]
    if old in PUBLIC_ALIASES:
        assert moved == [] and module.__all__ == importlib.import_module(PUBLIC_ALIASES[old]).__all__
    else:
        assert len(moved) == 1 and "import from qirrt." in str(moved[0].message)
        new = importlib.import_module(str(moved[0].message).rsplit("import from ", 1)[1].split()[0])
        assert all(getattr(module, name) is getattr(new, name) for name in module.__all__)


def test_the_top_level_api_is_unchanged():
    import qirrt

    before = {"AdapterError", "CalibrationError", "CompiledProgram", "ExecutionError", "FrontendError",
              "InvalidProgramError", "MissingOptionalDependencyError", "PassError", "PluginError", "Profile",
              "Program", "QirrtError", "Resources", "__version__", "compile", "connect", "load", "run",
              "run_batch"}  # qirrt.__all__ before the move
    assert before <= set(qirrt.__all__) and all(hasattr(qirrt, name) for name in qirrt.__all__)
    assert qirrt.exact.exact_distribution is importlib.import_module("qirrt.api.exact").exact_distribution
