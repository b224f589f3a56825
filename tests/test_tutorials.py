"""The tutorials: nine MyST notebooks with exercises and hidden solutions, all in the docs' toctree.

They are *executed* by the docs build (``.ci/after-tests``: myst-nb runs every notebook top to bottom and any
exception fails CI).  These fast checks need no Jupyter: the files are valid text notebooks, every code cell
compiles, and each tutorial covers its topic and ends with exercises and solutions.
"""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
TUTORIALS = sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.md"))

# what each tutorial must use (its subject, from the course plan)
SUBJECTS = {
    "01": ["mgx.Dual", "mgx.jvp", "plt."],
    "02": ["mgx.viz.draw", "mgx.explain", "topological_order", ".backward()"],
    "03": ["nn.MLP", "optim.SGD", "contourf"],
    "04": ["unbroadcast", "mgx.explain", "check_grad"],
    "05": ["mgx.jacfwd", "mgx.jacrev", "mgx.jvp", "mgx.vjp", "plt."],
    "06": ["mgx.grad", "mgx.value_and_grad", "argnums", "argnames", "mlx.core"],
    "07": ["mgx.hessian", "rosenbrock", "np.linalg.solve", "contour"],
    "08": ["microgradx._ext", "ReferenceScalar", "reference_engine.backward_sweep", "compiled_kernels"],
    "09": ["load_digits", "nn.TensorMLP", "nn.cross_entropy", "optim.Adam", "value_and_grad"],
    "10": ["unbroadcast", "swap_rule", "check.vjp", "mgx.explain", "G @ B.T"],
    "11": ["while", "mgx.relu", "mgx.abs", "mgx.max", "check.value"],
    "12": ["sympy", "bugs.overwrite_gradients", "bugs.recursive_topological_sort", "bugs.parents_in_a_set",
           "bugs.untagged_perturbations", "bugs.no_unbroadcast", "check.sweep"],
}


def _parse(path: pathlib.Path):
    """(front matter, [(tags, source) for each code cell], markdown text) of a MyST notebook."""
    text = path.read_text(encoding="utf-8")
    m = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert m, f"{path.name}: no front matter"
    cells, markdown = [], []
    body = text[m.end():]
    pattern = re.compile(r"^```\{code-cell\} ipython3\n(.*?)^```\s*$", re.S | re.M)
    last = 0
    for cell in pattern.finditer(body):
        markdown.append(body[last:cell.start()])
        last = cell.end()
        source = cell.group(1)
        tags = []
        lines = source.splitlines()
        options = []  # ":key: value" lines, or a YAML block between "---" lines
        if lines and lines[0] == "---":
            end = lines.index("---", 1)
            options, lines = lines[1:end], lines[end + 1:]
        while lines and lines[0].startswith(":"):
            options.append(lines.pop(0)[1:])
        for option in options:
            key, _, value = option.partition(":")
            if key.strip() == "tags":
                tags = [t.strip() for t in value.strip().strip("[]").split(",") if t.strip()]
            elif key.strip() in ("code_prompt_show", "code_prompt_hide"):
                tags.append(f"{key.strip()}={value.strip()}")
        cells.append((tags, "\n".join(lines)))
    markdown.append(body[last:])
    return m.group(1), cells, "".join(markdown)


def test_there_are_nine_numbered_tutorials():
    numbers = [p.name[:2] for p in TUTORIALS]
    assert numbers == [f"{i:02d}" for i in range(1, len(TUTORIALS) + 1)]
    assert len(TUTORIALS) >= 9


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_is_a_text_notebook(path):
    front, cells, markdown = _parse(path)
    assert "format_name: myst" in front and "name: python3" in front
    assert markdown.lstrip().startswith(f"# {int(path.name[:2])}. "), "the title names the tutorial's number"
    assert len(cells) >= 5
    for i, (_, source) in enumerate(cells):
        ast.parse(source, filename=f"{path.name} cell {i}")  # every cell is valid Python
    assert "```{code-cell}" not in markdown  # no cell the parser missed


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_ends_with_exercises_and_hidden_solutions(path):
    _, cells, markdown = _parse(path)
    assert "\n## Exercises\n" in markdown and "\n## Solutions\n" in markdown
    exercises = markdown.split("\n## Exercises\n", 1)[1].split("\n## Solutions\n", 1)[0]
    assert len(re.findall(r"^\d+\. ", exercises, re.M)) >= 3
    text = path.read_text(encoding="utf-8")
    after_solutions = text.split("\n## Solutions\n", 1)[1]
    n_checks = len([tags for tags, _ in cells if "check" in tags])  # the exercises' check cells (issue 12)
    n_solutions = after_solutions.count("```{code-cell}") - n_checks
    hidden = [source for tags, source in cells if "hide-cell" in tags]
    assert n_solutions >= 3 and len(hidden) == n_solutions, "every solution cell is hidden, and only those"
    assert all(source.lstrip().startswith("# ") for source in hidden), "each solution says which exercise it solves"
    for tags, source in cells:  # and its "show" button names the exercise too (not just "Show the solution")
        if "hide-cell" in tags and re.match(r"# (\d+)\.", source.lstrip()):
            number = re.match(r"# (\d+)\.", source.lstrip()).group(1)
            assert f"code_prompt_show=Show the solution to exercise {number}" in tags, source[:40]


@pytest.mark.parametrize("path", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_covers_its_subject(path):
    text = path.read_text(encoding="utf-8")
    for needle in SUBJECTS[path.name[:2]]:
        assert needle in text, f"{path.name} should use {needle}"


def test_index_lists_every_tutorial():
    index = (ROOT / "tutorials" / "index.md").read_text(encoding="utf-8")
    toctree = index.split("```{toctree}", 1)[1].split("```", 1)[0]
    assert [line.strip() for line in toctree.splitlines() if re.match(r"^\d\d_", line.strip())] == [
        p.stem for p in TUTORIALS]


def test_tutorials_download_nothing():
    for path in TUTORIALS:
        text = path.read_text(encoding="utf-8")
        for needle in ("urlopen", "requests.", "urlretrieve", "fetch_openml", "download=True", "!pip"):
            assert needle not in text, f"{path.name} uses {needle}"
