"""The course as notebooks: instructor and student editions, and the grader.

The tutorials are MyST Markdown files (``tutorials/`` in the repository,
shipped inside the package as ``microgradx/_tutorials`` when it is built).
:func:`write_tutorials` converts them to ``.ipynb`` with jupytext:

* the **instructor edition** is the course as the documentation shows it,
  solutions included;
* the **student edition** (``student=True``) replaces every solution cell by
  the stub written for it (its ``student`` metadata: the names the exercise
  asks for, still ``...``), and keeps the check cells;
* the **wrong edition** (``edition="wrong"``, for CI) puts in each
  solution cell's place the deliberately wrong answer written for it (its
  ``wrong`` metadata), so that every checker can be seen to fail.

A check cell carries the exercise's id in its ``exercise`` metadata
(``"02.3"``: tutorial 2, exercise 3) and calls a checker from
:mod:`microgradx.exercises.check` with that id.  :func:`grade` runs
notebooks with nbclient and collects the checkers' verdicts through the
grade log (see :mod:`microgradx.exercises.results`).

Examples
--------
>>> [p.name for p in tutorial_sources()][:1]
['01_derivatives_and_dual_numbers.md']
"""

from __future__ import annotations

import json
import os
import pathlib
import tempfile
from dataclasses import dataclass

from .results import FAILED, LOG_VARIABLE, NOT_ATTEMPTED, PASSED, verdict

__all__ = ["tutorial_sources", "write_tutorials", "exercises_of", "grade", "GradeRow", "format_table",
           "EDITIONS", "SOLUTION_TAG", "CHECK_TAG"]

EDITIONS = ("instructor", "student", "wrong")
SOLUTION_TAG = "hide-cell"  # the folded solutions of the tutorials
CHECK_TAG = "check"


def _source_dir() -> pathlib.Path:
    here = pathlib.Path(__file__).resolve().parent.parent  # the microgradx package
    for candidate in (here / "_tutorials", here.parent / "tutorials"):
        if any(candidate.glob("[0-9][0-9]_*.md")):
            return candidate
    raise FileNotFoundError("the tutorials' sources are not installed with this copy of microgradx "
                            "(looked in microgradx/_tutorials and in the repository's tutorials/)")


def tutorial_sources() -> list[pathlib.Path]:
    """The numbered tutorials' MyST sources, in order (from the installed package, or the repository).

    >>> len(tutorial_sources()) >= 9
    True
    """
    return sorted(_source_dir().glob("[0-9][0-9]_*.md"))


def _jupytext():
    try:
        import jupytext
    except ImportError:
        raise ImportError("writing the notebooks needs jupytext: pip install 'microgradx[exercises]'") from None
    return jupytext


def _edit(nb, edition: str):
    """Turn the instructor's notebook into the ``edition`` asked for (in place)."""
    if edition == "instructor":
        return nb
    for cell in nb.cells:
        if cell.cell_type != "code" or SOLUTION_TAG not in cell.metadata.get("tags", []):
            continue
        replacement = cell.metadata.get(edition)
        if replacement is None:
            if edition != "student":  # the wrong edition keeps the solutions that have no wrong answer
                continue
            prompt = cell.metadata.get("mystnb", {}).get("code_prompt_show", "")
            number = prompt.rsplit(" ", 1)[-1] if "exercise" in prompt else ""
            replacement = f"# Exercise {number}: your code here\n" if number else "# your code here\n"
        cell.source = replacement.rstrip("\n")
        cell.metadata["tags"] = [t for t in cell.metadata["tags"] if t != SOLUTION_TAG]
        cell.metadata.pop("mystnb", None)
        cell.outputs, cell.execution_count = [], None
    for cell in nb.cells:  # the editions do not carry the other editions' answers
        for key in ("student", "wrong"):
            cell.metadata.pop(key, None)
    return nb


def write_tutorials(directory, *, student: bool = False, edition: str | None = None,
                    only: list[str] | None = None) -> list[pathlib.Path]:
    """Write the tutorials as ``.ipynb`` notebooks into ``directory`` (created if needed).

    Parameters
    ----------
    directory : str or path
        Where the notebooks go.
    student : bool
        The student edition: solutions removed, check cells kept.
    edition : {"instructor", "student", "wrong"}, optional
        Overrides ``student``; ``"wrong"`` is CI's edition with a wrong answer per exercise.
    only : list of str, optional
        Tutorial numbers to write (``["02", "10"]``); default all.

    Returns
    -------
    list of pathlib.Path
        The notebooks written.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     paths = write_tutorials(d, student=True, only=["02"])
    >>> [p.name for p in paths]
    ['02_scalar_graph.ipynb']
    """
    edition = edition or ("student" if student else "instructor")
    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {EDITIONS}; got {edition!r}")
    jupytext = _jupytext()
    import nbformat

    out = pathlib.Path(directory)
    if out.exists() and not out.is_dir():
        raise ValueError(f"directory: {out} exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for src in tutorial_sources():
        if only is not None and src.name[:2] not in only:
            continue
        nb = _edit(jupytext.read(src), edition)
        nb.metadata.pop("jupytext", None)
        nb.metadata["microgradx"] = {"edition": edition, "source": src.name}
        path = out / (src.stem + ".ipynb")
        nbformat.write(nb, path)
        written.append(path)
    return written


def exercises_of(nb) -> list[str]:
    """The exercise ids of a notebook's check cells, in order.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", metadata={"exercise": "02.3"})])
    >>> exercises_of(nb)
    ['02.3']
    """
    return [str(c.metadata["exercise"]) for c in nb.cells if c.cell_type == "code" and "exercise" in c.metadata]


@dataclass
class GradeRow:
    """One exercise of one notebook in a grade report."""

    notebook: str
    exercise: str
    status: str
    reason: str
    hint: str = ""


def _cell_error(cell) -> str:
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            return f"{o.get('ename')}: {o.get('evalue')}"
    return ""


def grade(path, *, timeout: int = 600, report=None) -> list[GradeRow]:
    """Run a notebook (or every ``.ipynb`` in a folder) and collect each exercise's verdict.

    Every cell runs even if an earlier one fails.  An exercise whose check
    cell printed no verdict (the cell was never reached, or raised before
    checking) is *not attempted*, with the error named.

    Parameters
    ----------
    path : str or path
        A notebook, or a folder of notebooks.
    timeout : int
        Seconds allowed per cell.
    report : str or path, optional
        Where to write the JSON report (the rows, and a summary).

    Returns
    -------
    list of GradeRow
    """
    try:
        import nbclient
        import nbformat
    except ImportError:
        raise ImportError("grading needs nbclient and nbformat: pip install 'microgradx[exercises]'") from None
    path = pathlib.Path(path)
    if path.is_dir():
        notebooks = sorted(path.glob("*.ipynb"))
    elif path.suffix == ".ipynb" and path.exists():
        notebooks = [path]
    else:
        raise ValueError(f"path: {path} is neither a notebook (.ipynb) nor a folder")
    if not notebooks:
        raise ValueError(f"path: no notebooks (.ipynb) in {path}")
    rows: list[GradeRow] = []
    for nb_path in notebooks:
        nb = nbformat.read(nb_path, as_version=4)
        wanted = exercises_of(nb)
        with tempfile.TemporaryDirectory() as tmp:
            log = pathlib.Path(tmp) / "log.jsonl"
            saved = os.environ.get(LOG_VARIABLE)
            os.environ[LOG_VARIABLE] = str(log)
            try:
                client = nbclient.NotebookClient(nb, timeout=timeout, allow_errors=True,
                                                 resources={"metadata": {"path": str(nb_path.parent)}})
                client.execute()
            finally:
                if saved is None:
                    os.environ.pop(LOG_VARIABLE, None)
                else:
                    os.environ[LOG_VARIABLE] = saved
            results = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() \
                else []
        by_id: dict[str, dict] = {}
        for r in results:  # a check run twice: the last verdict counts
            by_id[str(r["exercise"])] = r
        errors = {str(c.metadata["exercise"]): _cell_error(c) for c in nb.cells
                  if c.cell_type == "code" and "exercise" in c.metadata}
        for ex in wanted:
            r = by_id.get(ex)
            if r is None:
                err = errors.get(ex)
                rows.append(GradeRow(nb_path.name, ex, NOT_ATTEMPTED,
                                     f"the check did not run ({err})" if err else "the check did not run"))
            else:
                rows.append(GradeRow(nb_path.name, ex, r["status"], r["reason"], r.get("hint", "")))
    if report is not None:
        counts = {s: sum(r.status == s for r in rows) for s in (PASSED, FAILED, NOT_ATTEMPTED)}
        pathlib.Path(report).write_text(json.dumps({"summary": counts, "exercises": [vars(r) for r in rows]},
                                                   indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return rows


def format_table(rows: list[GradeRow], width: int = 100) -> str:
    """The per-exercise table ``grade`` prints.

    >>> print(format_table([GradeRow("02_scalar_graph.ipynb", "02.3", "passed", "6 graphs agree")]))
    notebook               exercise  status         reason
    02_scalar_graph.ipynb  02.3      ✓ passed       6 graphs agree
    1 passed, 0 failed, 0 not attempted
    """
    nw = max([len("notebook")] + [len(r.notebook) for r in rows])
    lines = [f"{'notebook':<{nw}}  {'exercise':<8}  {'status':<13}  reason"]
    for r in rows:
        status, reason = verdict(r.status, r.reason, r.hint).split(": ", 1)
        if len(reason) > width:
            reason = reason[: width - 1] + "…"
        lines.append(f"{r.notebook:<{nw}}  {r.exercise:<8}  {status:<13}  {reason}")
    counts = [sum(r.status == s for r in rows) for s in (PASSED, FAILED, NOT_ATTEMPTED)]
    lines.append(f"{counts[0]} passed, {counts[1]} failed, {counts[2]} not attempted")
    return "\n".join(lines)
