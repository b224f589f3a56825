"""What the two MLX batteries share: a case, its outcome, the three kinds of case, and outcome checks.

tests/test_mlx_conformance.py (the transforms) and tests/test_mlx_face_conformance.py (the
``mlx.core`` face) each write their cases once against a namespace that is either MLX or
microgradx, run them through both and compare.  A case is

* ``same``: the same result (each battery's own comparison), or the same exception class and message;
* ``same_class``: the same exception class;
* ``differs``: a documented difference (docs/mlx.rst); an assertion on each library's outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Case:
    name: str
    fn: Callable
    kind: str = "same"  # "same", "same_class" or "differs"
    mlx: Callable | None = None  # differs: assertion on MLX's outcome (None: MLX is not run)
    ours: Callable | None = None  # differs: assertion on our outcome


@dataclass
class Battery:
    """A list of cases and the three ways of adding one."""

    cases: list = field(default_factory=list)

    def same(self, name, fn):
        self.cases.append(Case(name, fn))

    def same_class(self, name, fn):
        self.cases.append(Case(name, fn, "same_class"))

    def differs(self, name, fn, mlx, ours):
        self.cases.append(Case(name, fn, "differs", mlx, ours))


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None


def run(fn, lib) -> Outcome:
    """``fn(lib)``'s result, or the exception it raised."""
    try:
        return Outcome(value=fn(lib))
    except Exception as exc:  # the outcome of a case may be an exception
        return Outcome(error=exc)


def raises(cls, message=None, *, exact: bool = False):
    """An outcome check: an exception of class ``cls`` whose message contains ``message`` (is it, if ``exact``)."""

    def check(o: Outcome):
        assert o.error is not None, f"expected {cls.__name__}, got result {o.value!r}"
        assert type(o.error) is cls, f"expected {cls.__name__}, got {type(o.error).__name__}: {o.error}"
        if message is not None and exact:
            assert str(o.error) == message, f"message {str(o.error)!r} != {message!r}"
        elif message is not None:
            assert message in str(o.error), f"message {str(o.error)!r} lacks {message!r}"

    return check


def returns(check_value):
    """An outcome check: a result for which ``check_value(value)`` holds (it may assert)."""

    def check(o: Outcome):
        assert o.error is None, f"expected a result, got {type(o.error).__name__}: {o.error}"
        assert check_value(o.value) is not False

    return check
