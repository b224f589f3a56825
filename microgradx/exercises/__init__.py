"""Exercises that check themselves: checkers with feedback, rules a student writes, classic bugs to switch on.

``from microgradx.exercises import check`` gives the checkers a tutorial's
exercise cells call (``check.sweep(my_sweep)``, ``check.vjp("mul", my_vjp)``,
``check.dual(MyDual)``, ...): each prints a one-line verdict, ✓ or ✗ with the
reason, and returns a :class:`Result` a grader can read.  A wrong answer
never raises from inside the library.

:func:`swap_rule` runs the whole engine on a rule the student wrote;
:mod:`microgradx.exercises.bugs` switches on the classic autodiff bugs, one
``with`` block each.

Examples
--------
>>> from microgradx.exercises import swap_rule
>>> callable(swap_rule)
True
"""

from . import bugs, check
from .results import Result
from .swap import replacement, rule_names, swap_rule

__all__ = ["check", "bugs", "Result", "swap_rule", "rule_names", "replacement"]
