"""Student/instructor/wrong editions of the tutorials, and the grader (one small notebook run by a kernel)."""

import json

import pytest

from microgradx.cli import main
from microgradx.exercises import notebooks

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("jupytext")


def _sources(nb):
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def test_every_tutorial_is_written_in_each_edition(tmp_path):
    for edition in notebooks.EDITIONS:
        paths = notebooks.write_tutorials(tmp_path / edition, edition=edition)
        assert [p.stem for p in paths] == [s.stem for s in notebooks.tutorial_sources()]
    student = nbformat.read(tmp_path / "student" / "10_gates_and_sensitivities.ipynb", 4)
    instructor = nbformat.read(tmp_path / "instructor" / "10_gates_and_sensitivities.ipynb", 4)
    wrong = nbformat.read(tmp_path / "wrong" / "10_gates_and_sensitivities.ipynb", 4)
    assert "unbroadcast(g * y, x), unbroadcast(g * x, y)" in _sources(instructor)
    assert "unbroadcast(g * y, x), unbroadcast(g * x, y)" not in _sources(student)  # the solution is gone
    assert 'raise NotImplementedError("your code here")' in _sources(student)
    assert "return g * y, g * x" in _sources(wrong)
    for nb in (student, instructor, wrong):  # the check cells are in every edition
        assert notebooks.exercises_of(nb) == ["10.1", "10.2", "10.3"]
    assert not any(notebooks.SOLUTION_TAG in c.metadata.get("tags", []) for c in student.cells
                   if c.cell_type == "code")  # no solution of any kind left folded in the student edition


def test_every_check_cell_follows_a_solution_with_a_stub_and_a_wrong_answer(tmp_path):
    jupytext = pytest.importorskip("jupytext")
    for src in notebooks.tutorial_sources():
        nb = jupytext.read(src)
        for i, cell in enumerate(nb.cells):
            if "exercise" in cell.metadata:
                before = [c for c in nb.cells[:i] if c.cell_type == "code"
                          and notebooks.SOLUTION_TAG in c.metadata.get("tags", [])]
                assert before and "student" in before[-1].metadata and "wrong" in before[-1].metadata, \
                    f"{src.name}: check of {cell.metadata['exercise']} has no solution cell with student/wrong"


def test_grade_reports_passed_failed_and_not_attempted(tmp_path):
    v4 = nbformat.v4
    cells = [
        v4.new_code_cell("from microgradx.exercises import check"),
        v4.new_code_cell("check.value(1.0, 1.0, exercise='T.1');", metadata={"exercise": "T.1"}),
        v4.new_code_cell("check.value(2.0, 1.0, exercise='T.2');", metadata={"exercise": "T.2"}),
        v4.new_code_cell("answer = ..."),
        v4.new_code_cell("check.value(answer, 1.0, exercise='T.3');", metadata={"exercise": "T.3"}),
        v4.new_code_cell("check.value(undefined_name, 1.0, exercise='T.4');", metadata={"exercise": "T.4"}),
    ]
    path = tmp_path / "t.ipynb"
    nbformat.write(v4.new_notebook(cells=cells), path)
    report = tmp_path / "report.json"
    rows = notebooks.grade(path, report=report)
    assert [(r.exercise, r.status) for r in rows] == [
        ("T.1", "passed"), ("T.2", "failed"), ("T.3", "not attempted"), ("T.4", "not attempted")]
    assert "NameError" in rows[3].reason
    data = json.loads(report.read_text())
    assert data["summary"] == {"passed": 1, "failed": 1, "not attempted": 2}
    assert main(["grade", str(path), "--report", str(report)]) == 1
    assert main(["grade", str(path), "--report", str(report), "--expect", "passed"]) == 1


def test_cli_exit_codes(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "missing.ipynb"), "--report", str(tmp_path / "r.json")]) == 2
    assert main(["grade", str(tmp_path), "--report", str(tmp_path / "r.json")]) == 2  # no notebooks
    assert main(["tutorials", str(tmp_path / "nb"), "--student", "--only", "12"]) == 0
    assert "1 notebooks (student edition)" in capsys.readouterr().out
    (tmp_path / "file").write_text("x")
    assert main(["tutorials", str(tmp_path / "file")]) == 2


def test_every_listed_exercise_has_a_check_cell():
    """Issue 12: all code exercises (the numbered items under '## Exercises') have a checker: 44 of 44."""
    import re

    jupytext = pytest.importorskip("jupytext")
    listed, checked = 0, 0
    for src in notebooks.tutorial_sources():
        text = src.read_text(encoding="utf-8")
        section = text.split("## Exercises", 1)[1].split("## Solutions", 1)[0]
        n = len(re.findall(r"^\d+\. ", section, flags=re.M))
        ids = notebooks.exercises_of(jupytext.read(src))
        assert ids == [f"{src.name[:2]}.{k}" for k in range(1, n + 1)], src.name
        listed, checked = listed + n, checked + len(ids)
    assert (listed, checked) == (44, 44)
