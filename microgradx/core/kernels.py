"""Elementwise kernels, numpy reference: the twin of the compiled ``microgradx._ext.kernels``.

The rule table (:mod:`microgradx.core.rules`) states every derivative once.  For
the activations that a network spends its time in, the backward formula is
also available as a *fused kernel*: one pass over memory instead of the
three or four temporaries numpy needs for ``g * (1 - y * y)``.  This module
is the readable reference of those kernels, with the same functions and
signatures as the compiled module; tests check that the two agree, and that
both agree with the rule table.

``sigmoid(x)`` (the one forward with a compiled loop: numpy needs six passes
for it) and ``backward(name, g, x, out)`` take plain numpy values.
``backward`` returns ``None`` when its inputs are not plain float arrays of
one shape and dtype (for example nodes of an outer level, during
higher-order differentiation); the caller then uses the rule-table formula.
``accumulate(acc, g, d=None)`` adds a gradient (or the product ``g * d``) into
an accumulator the caller owns.

Examples
--------
>>> import numpy as np
>>> y = sigmoid(np.array([0.0, 1.0]))
>>> backward("sigmoid", np.ones(2), None, y)
array([0.25      , 0.19661193])
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "backward", "accumulate", "BACKWARD"]


def sigmoid(x):
    """Elementwise ``1 / (1 + exp(-x))``, without overflow.

    Examples
    --------
    >>> sigmoid(np.array([0.0, 800.0, -800.0]))
    array([0.5, 1. , 0. ])
    """
    x = np.asarray(x)
    if x.dtype.kind != "f":  # bools and integers: float32 or float64, as numpy promotes them
        x = x.astype(np.result_type(x, np.float32))
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


BACKWARD = {
    "tanh": lambda g, x, y: g * (1 - y * y),
    "sigmoid": lambda g, x, y: g * (y * (1 - y)),
    "relu": lambda g, x, y: np.where(x > 0, g, 0),
    "exp": lambda g, x, y: g * y,
    "log": lambda g, x, y: g / x,
}


def _known(name: str) -> str:
    if name not in BACKWARD:
        raise ValueError(f"unknown kernel {name!r}; expected one of {sorted(BACKWARD)}")
    return name


def _plain_float(a) -> bool:
    return type(a) is np.ndarray and a.dtype.kind == "f"


def backward(name: str, g, x, out):
    """Fused ``g * local_derivative`` for ``name``; ``None`` if the inputs are not plain float arrays.

    Parameters
    ----------
    name : str
        Kernel name (``tanh``, ``sigmoid``, ``relu``, ``exp``, ``log``).
    g : ndarray
        Upstream gradient, same shape as ``out``.
    x, out : ndarray
        The primitive's input and output.

    Examples
    --------
    >>> backward("relu", np.ones(3), np.array([-1.0, 0.0, 2.0]), None)
    array([0., 0., 1.])
    >>> backward("relu", 1.0, 2.0, 2.0) is None
    True
    """
    _known(name)
    if not _plain_float(g):
        return None
    needed = x if name in ("relu", "log") else out
    if not _plain_float(needed) or needed.shape != g.shape or needed.dtype != g.dtype:
        return None
    return BACKWARD[name](g, x, out)


def accumulate(acc, g, d=None):
    """``acc + g`` (or ``acc + g * d``), added into ``acc`` in place when it may be written; returns the sum.

    In place needs ``acc`` to be a writeable float ndarray and ``g`` (and
    ``d``) arrays of the same shape and dtype; otherwise a new array is
    returned and ``acc`` is untouched.  The caller must own ``acc`` (no one
    else may see it change).  With ``d``, this is how forward mode adds the
    second term of a tangent such as ``dx * y + x * dy``: the compiled twin
    does it in one pass with no temporary for the product.

    Examples
    --------
    >>> a = np.zeros(3)
    >>> accumulate(a, np.ones(3)) is a, a
    (True, array([1., 1., 1.]))
    >>> accumulate(a, np.ones(3), np.full(3, 2.0)) is a, a
    (True, array([3., 3., 3.]))
    >>> accumulate(np.zeros(2, np.float32), np.ones(2)).dtype  # mixed dtypes: a new array
    dtype('float64')
    """
    term = g if d is None else g * d
    if (type(acc) is np.ndarray and acc.dtype.kind == "f" and acc.flags.writeable
            and type(term) is np.ndarray and term.shape == acc.shape and term.dtype == acc.dtype):
        np.add(acc, term, out=acc)
        return acc
    return acc + term
