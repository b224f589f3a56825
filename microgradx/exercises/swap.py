"""Rules the student writes: put your own derivative rule in the table for a ``with`` block.

:func:`swap_rule` replaces one primitive's rule by yours: every operation
recorded inside the block (``x * y``, ``mgx.multiply``, the Scalar operators
on both backends, the function transforms) records your rule, so
``.backward()``, ``mgx.grad``, ``mgx.jvp``, ``mgx.check_grad``, the graph
pictures and the narrator all run on it.  Leaving the block (normally or by
an exception) puts the table's rule back.  The swap belongs to the thread
that entered the block: other threads keep the table's rules.

A rule is bound when an operation is *recorded*: build the graph and run the
sweep inside the block.

Examples
--------
>>> import microgradx as mgx
>>> from microgradx.exercises import swap_rule
>>> def my_mul(g, out, x, y):          # reverse mode: one cotangent per input
...     return g * x, g * y            # a classic mistake: the partials swapped round
>>> a, b = mgx.Scalar(2.0), mgx.Scalar(5.0)
>>> with swap_rule("mul", vjp=my_mul):
...     (a * b).backward()
>>> a.grad, b.grad                     # should be (5.0, 2.0)
(2.0, 5.0)
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator, Sequence

from ..core import dispatch
from ..core import rules as _rules

__all__ = ["swap_rule", "rule_names"]

_lock = threading.Lock()
_in_force: dict[str, int] = {}  # primitive name -> swaps of it in force, all threads together


def rule_names() -> list[str]:
    """Names of the rule-table primitives that have derivative rules (what :func:`swap_rule` accepts).

    >>> "mul" in rule_names() and "sum" in rule_names()
    True
    """
    return sorted(name for name, p in _rules.table.items() if p.vjp is not None or p.jvp is not None)


def _table_entry(name):
    if not isinstance(name, str):
        raise TypeError(f"name must be a str naming a primitive; got {type(name).__name__}")
    prim = _rules.table.get(name)
    if prim is None or (prim.vjp is None and prim.jvp is None):
        raise ValueError(f"name: no primitive with derivative rules is called {name!r}; "
                         f"choose one of {', '.join(rule_names())}")
    return prim


def _as_tuple(cts, n: int, name: str) -> tuple:
    if not isinstance(cts, (tuple, list)):
        cts = (cts,)
    if len(cts) != n:
        raise ValueError(f"your {name} vjp returned {len(cts)} cotangent(s); {name} has {n} input(s)")
    return tuple(cts)


def _vjp_from_partials(partials):
    def vjp(g, out, inputs, params, needs):
        return tuple(_rules.unbroadcast(g * d(*inputs, out), x) if need and d is not None else None
                     for d, x, need in zip(partials, inputs, needs))
    return vjp


def _jvp_from_partials(partials):
    def jvp(tangents, out, inputs, params):
        total = None
        for t, d in zip(tangents, partials):
            if t is not None and d is not None:
                term = t * d(*inputs, out)
                total = term if total is None else total + term
        if total is not None and _rules.shape_of(total) != _rules.shape_of(out):
            total = _rules.broadcast_to(total, _rules.shape_of(out))
        return total
    return jvp


def _student_vjp(fn, name):
    def vjp(g, out, inputs, params, needs):
        cts = _as_tuple(fn(g, out, *inputs, **params), len(inputs), name)
        return tuple(c if need else None for c, need in zip(cts, needs))
    return vjp


def _student_jvp(fn):
    def jvp(tangents, out, inputs, params):
        return fn(tuple(tangents), out, *inputs, **params)
    return jvp


def replacement(name: str, *, partials: Sequence[Callable] | None = None, vjp: Callable | None = None,
                jvp: Callable | None = None):
    """The rule-table entry :func:`swap_rule` puts in place of ``name``'s (a new ``Primitive``).

    Same name and forward computation as the table's; the rules are yours
    where you give them and the table's elsewhere.

    >>> replacement("exp", partials=[lambda x, out: out]).name
    'exp'
    """
    prim = _table_entry(name)
    for label, fn in (("vjp", vjp), ("jvp", jvp)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{label} must be a function; got {type(fn).__name__}")
    new_vjp, new_jvp, new_partials = prim.vjp, prim.jvp, prim.partials
    if partials is not None:
        if prim.partials is None:
            raise ValueError(f"partials: {name} is not elementwise; give vjp= and/or jvp= instead")
        partials = tuple(partials)
        if len(partials) != len(prim.partials) or not all(d is None or callable(d) for d in partials):
            raise ValueError(f"partials: {name} needs {len(prim.partials)} local derivative function(s), "
                             f"d(*inputs, out), one per input")
        new_partials = partials
        new_vjp, new_jvp = _vjp_from_partials(partials), _jvp_from_partials(partials)
    if vjp is not None:
        new_vjp = _student_vjp(vjp, name)
    if jvp is not None:
        new_jvp = _student_jvp(jvp)
    if partials is None and vjp is None and jvp is None:
        raise ValueError("give your rule: partials=, vjp= and/or jvp=")
    # an elementwise primitive stays elementwise (the Scalar accepts it); the narrator's formulas are yours
    return _rules.Primitive(name, prim.forward, partials=new_partials, vjp=new_vjp, jvp=new_jvp,
                            formulas=(f"{name}: your rule",))


def _tell_compiled(name: str, delta: int) -> None:
    with _lock:
        count = _in_force.get(name, 0) + delta
        _in_force[name] = count
        compiled = sys.modules.get("microgradx._ext.scalar")
        if compiled is not None and hasattr(compiled, "_set_swapped") and name in compiled._OP_NAMES:
            compiled._set_swapped(name, count > 0)


@contextlib.contextmanager
def swap_rule(name: str, *, partials: Sequence[Callable] | None = None, vjp: Callable | None = None,
              jvp: Callable | None = None) -> Iterator:
    """Use your rule for primitive ``name`` inside the ``with`` block (this thread only).

    Parameters
    ----------
    name : str
        A rule-table primitive (:func:`rule_names`): ``"mul"``, ``"tanh"``, ``"sum"``, ...
    partials : sequence of functions, optional
        Elementwise primitives: one local derivative ``d(*inputs, out)`` per
        input.  Both modes are built from them, as the table builds its own
        (reverse: ``g * d`` summed back to the input's shape; forward: the
        tangents times ``d``, added up).
    vjp : function, optional
        Reverse mode written directly: ``vjp(g, out, *inputs, **params)``
        returns one cotangent per input (a tuple; a bare value for one input).
        Your function must sum a broadcast input's cotangent back to its shape.
    jvp : function, optional
        Forward mode written directly: ``jvp(tangents, out, *inputs, **params)``
        (``tangents[i]`` is ``None`` for a constant input) returns the output's tangent.

    Yields
    ------
    Primitive
        The entry in force (its ``vjp``/``jvp`` call yours).

    Examples
    --------
    >>> import microgradx as mgx
    >>> with swap_rule("sin", partials=[lambda x, out: mgx.cos(x)]):
    ...     mgx.grad(mgx.sin)(mgx.array(0.0)).item()
    1.0
    """
    prim = _table_entry(name)
    new = replacement(name, partials=partials, vjp=vjp, jvp=jvp)
    token = dispatch._swap(prim, new)
    _tell_compiled(name, +1)
    try:
        yield new
    finally:
        dispatch._unswap(token)
        _tell_compiled(name, -1)
