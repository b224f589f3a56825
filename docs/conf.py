"""Sphinx configuration for the microgradx docs.

Build: ``sphinx-build -W --keep-going docs docs/_build/html`` (``.ci/after-tests`` does this in CI).
The tutorials in ``tutorials/`` (MyST text notebooks; ``docs/tutorials`` is a link to them) are
executed by myst-nb during the build, so their outputs and figures are always current.
Nothing is downloaded at build time.
"""

import os

import microgradx

project = "microgradx"
author = "microgradx developers"
copyright = "2026, microgradx developers"  # noqa: A001
release = microgradx.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.autosummary",  # the API index's summary tables (no stub pages are generated)
    "sphinx-mathjax-offline",  # ships MathJax into _static: formulas render without a network
    "myst_nb",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "tutorials/README.md", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

# -- autodoc / napoleon: numpy-style docstrings -------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_ivar = True  # "Attributes" sections as fields, so they never clash with autodoc's members
napoleon_use_rtype = False
# Type fields like "array of shape (n,)" become cross-references; "shape" then matches both Tensor.shape and
# Dual.shape, and Sphinx warns that the target is ambiguous.  Those (and only those: nitpicky is off, so
# missing targets are not reported) are harmless, so the python-domain reference warnings are silenced.
suppress_warnings = ["ref.python"]

# -- doctest builder ------------------------------------------------------------------------------------
# Docstring examples are run by pytest (--doctest-modules); the doctest builder runs the examples written
# in the pages themselves (``.. doctest::`` blocks), so plain ">>>" blocks from docstrings are not re-run.
doctest_test_doctest_blocks = ""
doctest_global_setup = """
import numpy as np
import microgradx as mgx
"""

# -- myst-nb: execute the tutorials ---------------------------------------------------------------------
nb_execution_mode = os.environ.get("MICROGRADX_NB_EXECUTION", "force")
# The kernel that runs the tutorials inherits this process's environment. With a non-inline matplotlib
# backend there (CI exports MPLBACKEND=Agg for headless runs), plt.show() would draw nothing and the pages
# would lose every figure without a warning; so the kernel always gets the inline backend.
os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_code_prompt_show = "Show the solution"  # only the solutions of the exercises are folded (tag hide-cell)
nb_code_prompt_hide = "Hide the solution"
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# -- HTML -----------------------------------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"microgradx {release}"
html_static_path = ["_static"]
html_css_files = ["course.css"]  # graph pictures at natural size (scrolling when wide)
html_theme_options = {
    "description": "automatic differentiation you can read",
    "fixed_sidebar": True,
    "page_width": "1180px",  # room for ~110-character code lines next to the sidebar at a 1280 px window
    "body_max_width": "none",  # (Sphinx's default caps the text column at 800 px whatever the page width)
    "sidebar_width": "230px",
}


# -- Each tutorial page offers its notebook ----------------------------------------------------------------
# The tutorials are MyST text files; at build time jupytext converts each one to a .ipynb (no outputs: the
# reader runs it), and a download link is added under the page's title.
NOTEBOOK_LINK = (
    "\n```{{note}}\nRun this tutorial yourself: {{download}}`download it as a Jupyter notebook <{path}>` "
    "and open it in Jupyter, with microgradx installed as {{doc}}`/install` describes (plus matplotlib and "
    "scikit-learn).\n```\n"
)


_NOTEBOOKS: dict = {}  # docname -> the .ipynb written for it


def _write_notebooks(app):
    import pathlib

    import jupytext

    out = pathlib.Path(app.outdir).parent / "notebooks"
    out.mkdir(parents=True, exist_ok=True)
    for md in sorted((pathlib.Path(app.srcdir) / "tutorials").glob("[0-9][0-9]_*.md")):
        target = out / (md.stem + ".ipynb")
        jupytext.write(jupytext.read(md), target, fmt="ipynb")
        _NOTEBOOKS["tutorials/" + md.stem] = target


def _add_notebook_link(app, docname, source):
    target = _NOTEBOOKS.get(docname)
    if target is None:
        return
    text = source[0]
    title = text.find("\n# ")  # the first heading, after the front matter
    end = text.index("\n", title + 1)
    # a path starting with "/" is relative to the source directory (docs/tutorials is a symlink, so a path
    # relative to the page would be resolved from the real tutorials/ folder)
    link = NOTEBOOK_LINK.format(path="/" + os.path.relpath(target, app.srcdir).replace(os.sep, "/"))
    source[0] = text[: end + 1] + link + text[end + 1 :]


def setup(app):
    app.connect("builder-inited", _write_notebooks)
    app.connect("source-read", _add_notebook_link)
