"""Dual numbers: forward-mode differentiation.

A dual number is ``a + b·ε`` where ε is a new number with the one rule
``ε² = 0`` (think of ε as "so small that its square vanishes").  Multiply two
of them and the rule does calculus for you::

    (a + bε)(c + dε) = ac + (ad + bc)ε + bd·ε² = ac + (ad + bc)ε

-- the ε part is exactly the product rule.  The same happens for any smooth
``f``: Taylor's expansion ``f(a + bε) = f(a) + f'(a)·b·ε + f''(a)·b²ε²/2 + ...``
stops after the first-order term, so putting ``x + 1·ε`` into a function
gives its value *and* its derivative.  The ε part (the *tangent*) is computed
right away, operation by operation, from the same local derivatives that
reverse mode uses (the rule table, :mod:`microgradx.core.rules`): forward mode
multiplies them by the incoming tangent, reverse mode by the outgoing
cotangent.  There is no second copy of the formulas here.

Each Dual belongs to a level (see :mod:`microgradx.core.state`).  ``mgx.jvp`` gives
every call its own level, so nested forward derivatives never confuse their
ε's.  Duals you make by hand share one ε.

Examples
--------
>>> import microgradx as mgx
>>> x = mgx.Dual(3.0, 1.0)
>>> x * x
Dual(9.0 + 6.0ε)
>>> mgx.sin(mgx.Dual(0.0, 2.0))
Dual(0.0 + 2.0ε)
>>> 1.0 / mgx.Dual(2.0, 1.0)            # d(1/x)/dx = -1/x² at 2
Dual(0.5 - 0.25ε)
"""

from __future__ import annotations

import numpy as np

from ..core.dispatch import Node, node_types, value_dtype, value_shape
from ..core.state import user_dual_level
from .tensor import ArrayOps, operand

__all__ = ["Dual"]


def _part(x, name):
    if x is None:
        return None
    if isinstance(x, (int, bool)) and not isinstance(x, np.integer):
        return float(x)
    return operand(x, name)


def _levels_inside(x) -> float:
    best = 0.0
    types = node_types()
    while isinstance(x, types):
        best = max(best, x._level)
        x = x._inner()
    return best


class Dual(ArrayOps, Node):
    """A dual number ``primal + tangent·ε`` with ``ε² = 0`` (forward mode).

    Parameters
    ----------
    primal : number, ndarray, Tensor or Dual
        The value.
    tangent : same shape as ``primal``, optional
        The ε part, a direction; ``None`` means zero.

    Examples
    --------
    >>> d = Dual(2.0, 1.0) ** 3        # d/dx x³ at 2 is 12
    >>> d.primal, d.tangent
    (8.0, 12.0)
    >>> Dual(np.zeros(2), np.zeros(3))
    Traceback (most recent call last):
    ...
    ValueError: Dual: primal has shape (2,) but tangent has shape (3,); they must match
    """

    __slots__ = ("_primal", "_tangent", "_level")
    _kind = "forward"

    def __init__(self, primal, tangent=None):
        if primal is None:
            raise TypeError("Dual: primal must be a number, numpy array, Tensor or Dual; got None")
        primal = _part(primal, "primal")
        tangent = _part(tangent, "tangent")
        if tangent is not None:
            ps, ts = value_shape(primal), value_shape(tangent)
            if ps != ts:
                raise ValueError(f"Dual: primal has shape {ps} but tangent has shape {ts}; they must match")
        self._primal = primal
        self._tangent = tangent
        self._level = user_dual_level(max(_levels_inside(primal), _levels_inside(tangent)))

    @classmethod
    def _make(cls, primal, tangent, level):
        d = cls.__new__(cls)
        d._primal = primal
        d._tangent = tangent
        d._level = level
        return d

    @classmethod
    def _record(cls, out, level, prim, parents, saved, params):
        """Forward-mode step (called by :func:`microgradx.core.dispatch.apply`): tangent from the rule's jvp."""
        tangents = tuple(None if p is None else p._tangent for p in parents)
        tangent = None
        if any(t is not None for t in tangents):
            tangent = prim.jvp(tangents, out, saved, params)
        return cls._make(out, tangent, level)

    def _inner(self):
        return self._primal

    @property
    def primal(self):
        """The value part."""
        return self._primal

    @property
    def tangent(self):
        """The ε part (zeros when nothing perturbed this value)."""
        if self._tangent is None:
            p = self._primal
            shape = value_shape(p)
            return np.zeros(shape, dtype=value_dtype(p)) if shape else 0.0
        return self._tangent

    def __repr__(self) -> str:
        def fmt(v):
            if isinstance(v, np.ndarray) and v.ndim:
                return np.array2string(v, separator=", ")
            if isinstance(v, (np.ndarray, np.generic)):
                return repr(v.item())
            return repr(v)

        tangent = self.tangent
        sign = "+"
        if isinstance(tangent, (float, int, np.generic, np.ndarray)) and np.ndim(tangent) == 0 and tangent < 0:
            sign, tangent = "-", -tangent  # Dual(0.5 - 0.25ε), not Dual(0.5 + -0.25ε)
        level = "" if self._level == 0.5 else f", level={self._level}"
        return f"Dual({fmt(self._primal)} {sign} {fmt(tangent)}ε{level})"
