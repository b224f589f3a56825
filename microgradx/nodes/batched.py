"""Batched values: what the function inside ``vmap`` holds instead of one example.

A :class:`Batched` node stands for *one* example to the code that holds it --
its ``shape`` is an example's shape -- while its value is the whole batch: an
array with one more axis, the **batch axis** (``_axis``).  Every operation on
it goes through :func:`microgradx.core.dispatch.apply` as usual; there, the
primitive's batching rule (``prim.batch``, in the rule table next to its
derivatives) computes all examples in one call and says where the batch axis
of the result is.  So ``vmap(f)(X)`` runs ``f`` once, on the whole batch.

Like the other nodes, a Batched node belongs to a level (the ``vmap`` call
that made it), and its value may be a node of an outer level: that is how
``vmap`` composes with ``grad``, ``jvp`` and itself in any order.

Two things a batching rule cannot do:

* a primitive without a batching rule is computed with a loop over the
  batch, for that primitive only (:func:`loop_over_batch`), with a
  :class:`VmapFallbackWarning` once per primitive;
* code that needs the *numbers* of a batched value (``float(x)``,
  ``if x > 0:``, numpy functions on ``x``) cannot be vectorised: reading
  them raises :class:`BatchedValueError`, and ``vmap`` then computes the
  whole function with a loop over the batch (again with a warning).

Examples
--------
>>> import numpy as np
>>> import microgradx as mgx
>>> seen = []
>>> def f(x):
...     seen.append(x.shape)               # one example's shape
...     return mgx.sum(x * x)
>>> mgx.vmap(f)(np.ones((5, 3)))
Tensor([3., 3., 3., 3., 3.])
>>> seen                                   # f ran once, for all five examples
[(3,)]
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

from ..core import rules as R
from ..core.dispatch import Node, apply, node_types, value_shape
from ..core.state import is_active
from .tensor import ArrayOps

__all__ = ["Batched", "BatchedValueError", "VmapFallbackWarning", "loop_over_batch", "constant_of"]


class VmapFallbackWarning(UserWarning):
    """``vmap`` computes something with a loop over the batch (correct, but not vectorised)."""


class BatchedValueError(RuntimeError):
    """Code inside ``vmap`` needed the numbers of a batched value; ``vmap`` catches it and loops instead."""

    def __init__(self, message: str, level: int):
        super().__init__(message)
        self.level = level


_warned: set = set()


def warn_once(key: str, message: str) -> None:
    """Issue a :class:`VmapFallbackWarning` the first time ``key`` falls back in this process."""
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, VmapFallbackWarning, stacklevel=3)


def _caller() -> str:
    """The first function outside this module and the node machinery that asked for a value (for messages)."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.endswith(("batched.py", "dispatch.py", "tensor.py")):
        frame = frame.f_back
    if frame is None:
        return "?"
    module = frame.f_globals.get("__name__", "?")
    return f"{module}.{frame.f_code.co_name}"


class Batched(ArrayOps, Node):
    """One example, as seen by the function ``vmap`` runs; the value holds the whole batch.

    Made by :func:`microgradx.vmap` only.  ``shape`` is an example's shape;
    ``_value`` has the batch axis at ``_axis`` as well.
    """

    __slots__ = ("_value", "_axis", "_level")
    _kind = "batch"

    @classmethod
    def _make(cls, value, axis: int, level: int) -> Batched:
        b = cls.__new__(cls)
        b._value = value
        b._axis = axis
        b._level = level
        return b

    def _inner(self):
        if is_active(self._level):  # the numbers of one example do not exist: only the batch's do
            where = _caller()
            raise BatchedValueError(
                f"vmap: {where} needs the values of a batched array (of shape {self.shape} per example), "
                "which a batching rule cannot provide", self._level)
        return self._value  # a value that escaped its vmap: the whole batch

    @property
    def shape(self) -> tuple:
        """Shape of one example (the value's shape without the batch axis)."""
        s = list(value_shape(self._value))
        del s[self._axis]
        return tuple(s)

    def __repr__(self) -> str:
        return f"Batched(shape={self.shape} per example, batch axis {self._axis}, level={self._level})"

    @staticmethod
    def _apply(prim, args, params):
        """Run ``prim`` on operands among which is a batched value of the innermost level (called by ``apply``)."""
        level = max(a._level for a in args if isinstance(a, Batched) and is_active(a._level))
        values, axes = [], []
        for a in args:
            if isinstance(a, Batched) and a._level == level:
                values.append(a._value)
                axes.append(a._axis)
            else:
                values.append(a)
                axes.append(None)
        rule = getattr(prim, "batch", None)
        if rule is None:
            out, axis = loop_over_batch(prim, values, axes, params)
        else:
            out, axis = rule(values, axes, params)
        if axis is None:
            return out
        return Batched._make(out, axis, level)


def loop_over_batch(prim, values, axes, params):
    """The fallback for a primitive without a batching rule: apply it to each example and stack the results.

    Correct for every primitive (it is what ``vmap`` means), but one call per
    example; a :class:`VmapFallbackWarning` says so, once per primitive.

    Examples
    --------
    >>> twice = R.Primitive("twice_example", lambda x: 2 * x)      # no batching rule
    >>> out, axis = loop_over_batch(twice, [np.zeros((3, 2))], [0], {})
    >>> out.shape, axis
    ((3, 2), 0)
    """
    n = R.batch_size(values, axes)
    warn_once(prim.name, f"vmap: the primitive {prim.name!r} has no batching rule; it is computed with a "
                         f"loop over the batch")
    if n == 0:
        raise ValueError(f"vmap: the primitive {prim.name!r} has no batching rule, and a loop over an empty "
                         "batch cannot tell the shape of its result")
    rows = []
    for b in range(n):
        operands = [v if a is None else R.getitem(v, (slice(None),) * a + (b,)) for v, a in zip(values, axes)]
        out = apply(prim, *operands, **params)
        rows.append(R.reshape(out, (1,) + tuple(R.shape_of(out))))
    return R.concatenate(rows, 0), 0


def as_batched(value, axis: int, level: int) -> Batched:
    """Wrap ``value`` (an array, or a node of an outer level) with its batch axis ``axis`` for ``level``."""
    if not isinstance(value, Node) and not isinstance(value, np.ndarray):
        value = np.asarray(value)
    return Batched._make(value, axis, level)


def constant_of(x):
    """``x`` without its derivatives: every differentiation level stripped, the running ``vmap`` batches kept.

    Outside ``vmap`` this is the plain value (as :func:`~microgradx.core.dispatch.raw_value`); inside, a
    batched value whose value is a constant -- what ``stop_gradient`` and the constant masks and shifts of
    :mod:`microgradx.ops` need, so that they stay batched instead of reading numbers.

    >>> import microgradx as mgx
    >>> constant_of(mgx.Dual(2.0, 1.0))
    2.0
    """
    types = node_types()
    while isinstance(x, types):
        if isinstance(x, Batched):
            if is_active(x._level):
                return Batched._make(constant_of(x._value), x._axis, x._level)
            x = x._value
        else:
            x = x._inner()
    return x
