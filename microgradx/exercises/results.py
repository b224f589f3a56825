"""What a checker returns: a :class:`Result`, printed as a one-line verdict and collected for a grader.

A checker never lets a student's mistake escape as a traceback: whatever the
student's code does (a wrong number, a wrong shape, an exception, nothing at
all), the checker prints ``✓`` or ``✗`` with the reason and returns a
:class:`Result`.  When the environment variable ``MICROGRADX_GRADE_LOG``
names a file, every result is also appended to it as one JSON line; that is
how ``python -m microgradx grade`` collects the verdicts of a notebook it runs.

Examples
--------
>>> r = Result("01.2", "failed", "the tangent of 1/x at x = 2 is -0.5; yours gives 0.5", hint="check the sign")
>>> print(r)
✗ exercise 01.2: the tangent of 1/x at x = 2 is -0.5; yours gives 0.5 (hint: check the sign)
>>> bool(r), r.to_dict()["status"]
(False, 'failed')
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

__all__ = ["Result", "PASSED", "FAILED", "NOT_ATTEMPTED", "LOG_VARIABLE", "MARKS", "verdict"]

PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
LOG_VARIABLE = "MICROGRADX_GRADE_LOG"
MARKS = {PASSED: "✓", FAILED: "✗", NOT_ATTEMPTED: "·"}


def verdict(status: str, reason: str, hint: str = "") -> str:
    """The one way a verdict is written, in a notebook and in the grader's table: mark, status, reason, hint.

    >>> verdict("failed", "node a: expected 2, received 1", "add, do not overwrite")
    '✗ failed: node a: expected 2, received 1 (hint: add, do not overwrite)'
    """
    return f"{MARKS[status]} {status}: {reason}" + (f" (hint: {hint})" if hint else "")


@dataclass
class Result:
    """The verdict of one checker.

    Attributes
    ----------
    exercise : str
        Which exercise or checker (``"02.3"``, ``"sweep"``).
    status : str
        ``"passed"``, ``"failed"`` or ``"not attempted"``.
    reason : str
        One sentence: what was checked, or what is wrong (which node, input, axis; expected vs received).
    hint : str
        For a failure that looks like a classic mistake: which one, and what to change.
    details : dict
        Anything else a grader may want (numbers, the case that failed); JSON-serialisable.

    Examples
    --------
    >>> Result("sweep", "passed", "5 graphs agree with the engine").passed
    True
    """

    exercise: str
    status: str
    reason: str
    hint: str = ""
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in MARKS:
            raise ValueError(f"status must be one of {sorted(MARKS)}; got {self.status!r}")

    @property
    def passed(self) -> bool:
        """True for a ✓."""
        return self.status == PASSED

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        text = verdict(self.status, self.reason, self.hint)  # "✓ passed: ..." -> "✓ exercise 02.3: ..."
        return text.replace(f" {self.status}:", f" exercise {self.exercise}:", 1)

    def _repr_pretty_(self, p, cycle) -> None:  # IPython shows the verdict, not the dataclass
        p.text(str(self))

    def to_dict(self) -> dict:
        """The result as plain JSON data.

        >>> sorted(Result("x", "passed", "ok").to_dict())
        ['details', 'exercise', 'hint', 'reason', 'status']
        """
        return json.loads(json.dumps(asdict(self), default=repr))


def report(result: Result, *, quiet: bool = False) -> Result:
    """Print ``result`` (unless ``quiet``), append it to the grade log if one is set, and return it."""
    if not quiet:
        print(result)
    path = os.environ.get(LOG_VARIABLE)
    if path:
        try:
            with open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(result.to_dict()) + "\n")
        except OSError as e:  # a grader's problem, not the student's: say so once, never raise
            print(f"(could not write the grade log {path}: {e})")
    return result
