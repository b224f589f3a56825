"""Fast paths of the rule table: the same formulas as :mod:`microgradx.core.rules`, with less work.

The rule table states each derivative plainly (``unbroadcast(g * d)``).  This
module keeps every speed-up beside it, and puts them in place when a primitive
is registered (:func:`microgradx.core.rules.on_register`): the faster function
*replaces* ``prim.forward``/``prim.vjp``/``prim.jvp``, so the hot path gains no
call; ``prim.plain_forward``/``plain_vjp``/``plain_jvp`` keep the plain ones,
and ``tests/test_fast_rules.py`` checks that both give the same numbers.

What is faster here:

* **exact ones** -- a local derivative that is exactly ``ONE`` passes ``g`` on
  unchanged, ``MINUS_ONE`` makes ``-g``: no multiplication;
* **no needless unbroadcast** -- a cotangent already of its input's shape and
  dtype (or a float for a float) is used as it is;
* **fused compiled kernels** (compiled backend only) -- ``g * (1 - y*y)`` for
  tanh, and the like, in one pass over memory, for reverse mode and for the
  one-input tangent of forward mode; sigmoid's forward too;
* **scratch reuse** -- in forward mode, the first product of ``t_i * d_i`` is a
  temporary nobody else holds, so the next products are added into it
  (:func:`_scratch`, counted with :func:`sys.getrefcount` as numpy does for
  its own temporaries).

Examples
--------
>>> from microgradx.core import rules
>>> rules.TANH.vjp is not rules.TANH.plain_vjp      # the fast version is in place
True
>>> import numpy as np
>>> g, x = np.ones(2), np.array([0.5, -1.0])
>>> out = np.tanh(x)
>>> np.allclose(rules.TANH.vjp(g, out, (x,), {}, (True,))[0], rules.TANH.plain_vjp(g, out, (x,), {}, (True,))[0])
True
"""

from __future__ import annotations

import sys

import numpy as np

from . import backend, rules
from .rules import MINUS_ONE, ONE, adjoint, broadcast_to, local_derivative, shape_of, unbroadcast

__all__ = ["accelerate", "fast_vjp", "fast_jvp"]

_ndarray = np.ndarray  # a module global: cheaper than np.ndarray in the per-node rules


def fast_vjp(prim):
    """The reverse rule of elementwise ``prim``: its plain rule, with the speed-ups above."""
    numbered = tuple(enumerate(prim.partials))  # (input number, its partial): no enumerate per call
    kernel = prim.kernel if backend.NAME == "compiled" else None

    def vjp(g, out, inputs, params, needs):
        if kernel is not None and needs[0]:
            fused = backend.kernels.backward(kernel, g, inputs[0], out)
            if fused is not None:  # None: not plain float arrays of one shape, use the formula
                return (fused,)
        cotangents = []
        for i, d in numbered:
            if needs[i] and d is not None:
                x = inputs[i]
                local = local_derivative(prim, i, inputs, out)
                if local is ONE:
                    c = g
                elif local is MINUS_ONE:
                    c = -g
                elif type(local) is float or type(local) is _ndarray and local.dtype.kind != "c":
                    c = g * local  # a real derivative is its own adjoint: no call on the real path
                else:
                    c = g * adjoint(local)
                if type(c) is _ndarray and type(x) is _ndarray:
                    if c.shape != x.shape or c.dtype != x.dtype:
                        c = unbroadcast(c, x)
                elif type(c) is not float or type(x) is not float:
                    c = unbroadcast(c, x)
                cotangents.append(c)
            else:
                cotangents.append(None)
        return cotangents

    return vjp


def fast_jvp(prim):
    """The forward rule of elementwise ``prim``: its plain rule, with the speed-ups above."""
    kernel = prim.kernel if backend.NAME == "compiled" else None

    def jvp(tangents, out, inputs, params):
        if kernel is not None and tangents[0] is not None:
            # one input: its tangent times the local derivative is the same product as
            # reverse mode's cotangent times it, so the same fused loop computes it
            fused = backend.kernels.backward(kernel, tangents[0], inputs[0], out)
            if fused is not None:
                return fused
        total = None
        for i, (t, d) in enumerate(zip(tangents, prim.partials)):
            if t is None or d is None:
                continue
            if total is None:
                total = _scale(t, local_derivative(prim, i, inputs, out))
            elif _scratch(total):  # the first product is ours: add the next into it, with no temporary
                total = _add_product(total, t, local_derivative(prim, i, inputs, out))
            else:
                total = total + _scale(t, local_derivative(prim, i, inputs, out))
        if total is not None and shape_of(total) != shape_of(out):
            total = broadcast_to(total, shape_of(out))
        return total

    return jvp


def _scale(g, d):
    """g times a local derivative, skipping exact ones.

    When ``d`` is a scratch array (see :func:`_scratch`) of the product's
    shape and dtype, the product is written over it instead of into a new
    array: one allocation fewer per rule, which is what large arrays pay for.
    """
    if d is ONE:
        return g
    if d is MINUS_ONE:
        return -g
    if (type(g) is _ndarray and _scratch(d) and g.shape == d.shape
            and (g.dtype == d.dtype or np.result_type(g, d) == d.dtype)):
        return np.multiply(d, g, out=d)
    return g * d


def _add_product(total, t, d):
    """``total + t * d`` for forward mode's sum of partial products, written into ``total`` (a scratch array).

    The kernel adds the product in the same pass, with no temporary array for
    it; anything it does not take (broadcasting, mixed dtypes, nodes of an
    outer level) gets a new array.
    """
    if d is ONE:
        return backend.kernels.accumulate(total, t)
    if d is MINUS_ONE:
        return total - t
    return backend.kernels.accumulate(total, t, d)


def _scratch(a, others=2) -> bool:
    """True when ``a`` is an ndarray that nobody else can see, so it may be overwritten.

    That is: it owns its memory (not a view of another array), it is
    writeable, and the only references to it are the caller's ``others`` (by
    default one variable, plus the argument of this call; counted with
    :func:`sys.getrefcount`, numpy's own test for reusing temporaries).  An
    input, an output or a saved array of the graph is always referenced from
    elsewhere, so it never qualifies.

    Examples
    --------
    >>> x = np.ones(3)
    >>> _scratch(x * 2.0, others=1)     # a fresh temporary
    True
    >>> _scratch(x, others=1)           # also held by ``x``
    False
    """
    return (_EXACT_REFCOUNTS and type(a) is _ndarray and a.base is None and a.flags.writeable
            and sys.getrefcount(a) <= others + 1)


# CPython before 3.14 counts every reference, the interpreter stack's included; later
# versions may borrow stack references, and then a low count proves nothing.
_EXACT_REFCOUNTS = sys.implementation.name == "cpython" and sys.version_info < (3, 14)


def _compiled_sigmoid(x):
    return backend.kernels.sigmoid(x) if type(x) not in (float, int) else rules.SIGMOID.plain_forward(x)


def accelerate(prim) -> None:
    """Put the fast versions of ``prim``'s rules in place (the plain ones stay as ``prim.plain_*``).

    Called for every primitive of the table, and for every primitive
    registered later (:func:`microgradx.core.rules.on_register`).

    Examples
    --------
    >>> from microgradx.core import rules
    >>> accelerate(rules.EXP); rules.EXP.plain_vjp is not rules.EXP.vjp
    True
    """
    if prim.partials is not None and prim.vjp is prim.plain_vjp:
        prim.vjp = fast_vjp(prim)
        prim.jvp = fast_jvp(prim)
    if prim is rules.SIGMOID and backend.NAME == "compiled":
        prim.forward = _compiled_sigmoid  # one pass instead of numpy's six


rules.on_register(accelerate)
