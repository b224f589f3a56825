"""The documentation: its examples run, its API pages cover every public module, CI builds it strictly.

The full build (``sphinx-build -W``, which also executes the tutorials) runs in ``.ci/after-tests``; these
tests are the fast part that needs no Sphinx: the ``.. doctest::`` examples of the pages, run under the
backend being tested, and the structure the build relies on.
"""

import doctest
import importlib
import os
import pathlib
import re

import pytest

import microgradx as mgx

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.rst") if "_build" not in p.parts)


def _doctest_blocks(text: str) -> list[str]:
    """The bodies of the ``.. doctest::`` directives of an rst page, dedented."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].strip().startswith(".. doctest::"):
            i += 1
            body = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith((" ", "\t"))):
                body.append(lines[i])
                i += 1
            indent = min((len(line) - len(line.lstrip()) for line in body if line.strip()), default=0)
            blocks.append("\n".join(line[indent:] for line in body) + "\n")
        else:
            i += 1
    return blocks


PAGES_WITH_EXAMPLES = [p for p in PAGES if _doctest_blocks(p.read_text(encoding="utf-8"))]


def test_pages_have_examples():
    names = {p.relative_to(DOCS).as_posix() for p in PAGES_WITH_EXAMPLES}
    assert {"index.rst", "guide/scalars.rst", "guide/tensors.rst", "guide/forward.rst", "guide/transforms.rst",
            "guide/higher_order.rst", "guide/teaching.rst"} <= names


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_examples_run(page):
    """Every page's examples, in one namespace per page, with the flags Sphinx's doctest builder uses."""
    flags = doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL | doctest.NORMALIZE_WHITESPACE
    globs = {"__name__": "docs"}
    exec("import numpy as np\nimport microgradx as mgx", globs)  # conf.py's doctest_global_setup
    runner = doctest.DocTestRunner(optionflags=flags)
    parser = doctest.DocTestParser()
    for k, block in enumerate(_doctest_blocks(page.read_text(encoding="utf-8"))):
        test = parser.get_doctest(block, globs, f"{page.name}[{k}]", str(page), 0)
        runner.run(test, clear_globs=False)
        globs = test.globs  # DocTest copies its globals: carry them on to the next block, as Sphinx does
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} example(s) of {page.name} failed (output above)"


def _automodules() -> set[str]:
    found = set()
    for page in (DOCS / "api").glob("*.rst"):
        found |= set(re.findall(r"^\.\. automodule:: (\S+)", page.read_text(encoding="utf-8"), re.M))
    return found


def test_api_reference_covers_every_public_module():
    documented = _automodules()
    assert "microgradx" in documented  # its :members: follow microgradx.__all__, so new names appear by themselves
    package = ROOT / "microgradx"
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts) or parts[:2] == ("microgradx", "mlx"):  # mlx: docs/mlx.rst
            continue
        name = ".".join(parts)
        module = importlib.import_module(name)
        public = set(getattr(module, "__all__", ()))
        if public and not public <= set(mgx.__all__):  # else all of it is on the top-level page
            assert name in documented, f"{name} has no page in docs/api"


def test_top_level_api_page_documents_members():
    page = (DOCS / "api" / "microgradx.rst").read_text(encoding="utf-8")
    assert re.search(r"\.\. automodule:: microgradx\n\s+:members:", page)
    # every top-level name is either documented there or on its own module page
    own_pages = {"explain", "viz", "tree"}
    assert {n for n in mgx.__all__ if n in own_pages} <= {m.split(".")[-1] for m in _automodules()}


def test_every_page_is_reachable_from_a_toctree():
    text = "\n".join(p.read_text(encoding="utf-8") for p in PAGES)
    text += (ROOT / "tutorials" / "index.md").read_text(encoding="utf-8")
    for page in PAGES:
        rel = page.relative_to(DOCS).with_suffix("").as_posix()
        if rel == "index":
            continue
        leaf = rel.split("/")[-1]
        assert re.search(rf"^\s+{re.escape(rel)}\s*$|^\s+{re.escape(leaf)}\s*$", text, re.M), f"{rel} is in no toctree"


def test_tutorials_are_part_of_the_site():
    link = DOCS / "tutorials"
    assert link.is_symlink() and os.readlink(link) == "../tutorials"
    assert "tutorials/index" in (DOCS / "index.rst").read_text(encoding="utf-8")


def test_conf_executes_notebooks_strictly():
    conf = (DOCS / "conf.py").read_text(encoding="utf-8")
    assert 'nb_execution_mode = os.environ.get("MICROGRADX_NB_EXECUTION", "force")' in conf
    assert "nb_execution_raise_on_error = True" in conf
    for ext in ("sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.doctest", "myst_nb"):
        assert f'"{ext}"' in conf
    assert "intersphinx" not in conf  # nothing may be downloaded at build time


def test_ci_builds_the_docs_with_warnings_as_errors():
    script = ROOT / ".ci" / "after-tests"
    assert os.access(script, os.X_OK)
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert "python -m sphinx -W --keep-going -b html docs docs/_build/html" in text
    assert "-b doctest" in text
    assert '["optional-dependencies"]["docs"]' in text


def test_static_pictures_are_svg():
    import xml.etree.ElementTree as ET

    for name in ("layers.svg", "neuron.svg"):
        root = ET.parse(DOCS / "_static" / name).getroot()
        assert root.tag.endswith("svg")
