"""The import contract: every import inside the package points down the layers, and no modules import each other.

The layers and the few allowed exceptions (each with its reason) are listed
in ``tools/layers.py``, which reads every module with :mod:`ast` -- imports
inside functions included -- and also draws the architecture figure from
the same graph.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load_layers():
    spec = importlib.util.spec_from_file_location("microgradx_layers", ROOT / "tools" / "layers.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


layers = _load_layers()
KNOWN = layers.modules()
EDGES = layers.imports(KNOWN)


def test_every_module_has_a_layer():
    for name in KNOWN:
        layers.layer_of(name)  # raises KeyError naming the module otherwise


def test_every_import_points_down_the_layers():
    assert layers.wrong_way(EDGES) == []


def test_no_modules_import_each_other():
    assert layers.cycles(EDGES) == []


def test_exceptions_are_few_and_still_needed():
    assert len(layers.EXCEPTIONS) <= 3
    used = {(a, b) for a, b, _ in EDGES}
    for importer, imported, why in layers.EXCEPTIONS:
        assert (importer, imported) in used, f"exception {importer} -> {imported} is no longer needed"
        assert why


def test_the_reader_counts_imports_inside_functions(tmp_path, monkeypatch):
    pkg = tmp_path / "microgradx"
    (pkg / "core").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "core" / "__init__.py").write_text("")
    (pkg / "core" / "rules.py").write_text("def f():\n    from .. import ops\n    return ops\n")
    (pkg / "ops.py").write_text("from .core import rules\n")
    monkeypatch.setattr(layers, "ROOT", tmp_path)
    monkeypatch.setattr(layers, "PACKAGE", pkg)
    edges = layers.imports(layers.modules())
    assert ("microgradx.core.rules", "microgradx.ops", 2) in edges
    assert layers.wrong_way(edges) == [
        "microgradx.core.rules (layer rules) imports microgradx.ops (layer functions) at line 2"]
    assert layers.cycles(edges) == [["microgradx.core.rules", "microgradx.ops"]]


def test_the_figure_is_drawn_from_the_graph():
    svg = layers.draw(EDGES, KNOWN)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    for name, _, _ in layers.LAYERS[:-1]:
        assert f">{name}</text>" in svg
    committed = (ROOT / "docs" / "_static" / "layers.svg").read_text(encoding="utf-8")
    if committed != svg:
        pytest.fail("docs/_static/layers.svg is out of date: run python tools/layers.py")
