"""``python -m microgradx tutorials DIR [--student]`` and ``python -m microgradx grade NOTEBOOK_OR_DIR``.

``tutorials`` writes the course's notebooks (``.ipynb``) into ``DIR``, from
the sources installed with the package (no network): the instructor edition
with the solutions, or with ``--student`` the student edition (solutions
replaced by stubs, check cells kept).

``grade`` runs one notebook, or every notebook in a folder, prints a table
with one row per exercise (passed / failed with the checker's reason / not
attempted) and writes a JSON report (``--report``, default
``grade-report.json`` in the current folder).

Exit status of ``grade``: **0** every exercise passed (or, with ``--expect
STATUS``, every exercise has that status); **1** some did not; **2** nothing
could be graded (no such notebook or folder, no notebooks in it, nbclient or
jupytext missing).

Examples
--------
>>> from microgradx.cli import build_parser
>>> build_parser().parse_args(["tutorials", "nb", "--student"]).student
True
>>> build_parser().parse_args(["grade", "nb"]).report
'grade-report.json'
"""

from __future__ import annotations

import argparse

from ..exercises.results import FAILED, NOT_ATTEMPTED, PASSED

__all__ = ["add_tutorials_arguments", "run_tutorials", "add_grade_arguments", "run_grade"]

_EXPECT = {"passed": PASSED, "failed": FAILED, "not-attempted": NOT_ATTEMPTED}


def add_tutorials_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``tutorials``."""
    parser.add_argument("directory", help="folder to write the notebooks into (created if needed)")
    parser.add_argument("--student", action="store_true",
                        help="student edition: solutions removed, check cells kept")
    parser.add_argument("--edition", choices=("instructor", "student", "wrong"),
                        help="choose the edition by name ('wrong': one deliberately wrong answer per exercise, "
                             "to see every checker fail)")
    parser.add_argument("--only", nargs="+", metavar="NN", help="tutorial numbers to write, e.g. 02 10")


def run_tutorials(args: argparse.Namespace) -> int:
    """Write the notebooks; print what was written."""
    from ..exercises.notebooks import write_tutorials

    try:
        paths = write_tutorials(args.directory, student=args.student, edition=args.edition, only=args.only)
    except (ImportError, ValueError, FileNotFoundError) as e:
        print(f"microgradx tutorials: {e}")
        return 2
    edition = args.edition or ("student" if args.student else "instructor")
    print(f"wrote {len(paths)} notebooks ({edition} edition) into {args.directory}")
    for p in paths:
        print(f"  {p.name}")
    return 0


def add_grade_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``grade``."""
    parser.add_argument("path", help="a notebook (.ipynb) or a folder of notebooks")
    parser.add_argument("--report", default="grade-report.json", help="where to write the JSON report")
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell (default 600)")
    parser.add_argument("--expect", choices=sorted(_EXPECT),
                        help="exit 0 only if every exercise has this status (CI uses it to check the checkers)")


def run_grade(args: argparse.Namespace) -> int:
    """Run the notebooks, print the table, write the report; the exit status is documented above."""
    from ..exercises.notebooks import format_table, grade

    try:
        rows = grade(args.path, timeout=args.timeout, report=args.report)
    except (ImportError, ValueError) as e:
        print(f"microgradx grade: {e}")
        return 2
    print(format_table(rows))
    print(f"report written to {args.report}")
    want = _EXPECT[args.expect] if args.expect else PASSED
    return 0 if rows and all(r.status == want for r in rows) else 1
