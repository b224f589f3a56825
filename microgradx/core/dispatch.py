"""How one operation is recorded: find the innermost level, compute, wrap.

``apply(prim, *args, **params)`` is the single entry point every operation goes
through (``x * y``, ``mgx.exp(x)``, and the derivative rules themselves):

1. Among the arguments, find the node of the **innermost active level**
   (see :mod:`microgradx.core.state`).  Nodes of levels that are not active are
   constants: they are replaced by their values.  Plain arrays
   (``mgx.array``, level :data:`~microgradx.core.state.PLAIN`) are never active.
2. No active node: compute ``prim.forward`` on the plain values and return a
   plain value (float or ndarray).
3. Otherwise unwrap the arguments of that level to their values and call
   ``apply`` again on those values.  The values may be nodes of *outer* levels,
   so this step records on the outer levels, which is what makes derivative
   rules differentiable themselves (grad of grad, jvp of grad, ...).
4. Wrap the result for the level: a new reverse node (``Tensor``) that
   remembers its rule, parents and saved values, or a ``Dual`` whose tangent
   the rule computes right away.

Examples
--------
>>> import numpy as np
>>> from microgradx.core import rules
>>> apply(rules.MUL, np.array([1.0, 2.0]), 3.0)
array([3., 6.])
"""

from __future__ import annotations

import threading
from typing import Any, Literal, Protocol, runtime_checkable

from .state import effective_level, is_active, this_thread

__all__ = ["Node", "NodeLike", "apply", "node_types", "register_node_type", "raw_value"]


@runtime_checkable
class NodeLike(Protocol):
    """What :func:`apply` reads in a node -- Tensor, Dual, and both Scalars have it.

    ``_level``
        its differentiation level (see :mod:`microgradx.core.state`);
    ``_kind``
        which family it belongs to: ``"reverse"`` (Tensor), ``"forward"``
        (Dual) or ``"scalar"`` (either Scalar).  Nodes of one level combine only
        with nodes of the same kind; a Scalar runs its operations itself
        (``_apply``: its C twin cannot be a subclass of :class:`Node`);
    ``_inner()``
        its value one level out (a plain value, or a node of an outer level).

    The reverse sweep needs more of a node: see
    :class:`microgradx.core.engine.ReverseNode`.  ``tests/test_engine.py``
    checks every node class against both.

    Examples
    --------
    >>> import microgradx as mgx
    >>> isinstance(mgx.Dual(1.0, 0.0), NodeLike), isinstance(2.0, NodeLike)
    (True, False)
    """

    _level: float
    _kind: Literal["reverse", "forward", "scalar"]

    def _inner(self) -> Any: ...


class Node:
    """Base class of the Python node types (Tensor, Dual, reference Scalar): see :class:`NodeLike`.

    A node has a ``_level`` and ``_inner()``, its value one level out.
    """

    __slots__ = ()
    _kind = ""  # "reverse" (Tensor), "forward" (Dual) or "scalar"


_node_types: tuple[type, ...] = (Node,)


def register_node_type(cls: type) -> None:
    """Register a node class that cannot inherit from :class:`Node` (the compiled Scalar).

    Examples
    --------
    >>> Node in node_types()
    True
    """
    global _node_types
    if cls not in _node_types:
        _node_types = _node_types + (cls,)


def node_types() -> tuple[type, ...]:
    """The classes whose instances take part in differentiation.

    >>> len(node_types()) >= 1
    True
    """
    return _node_types


def raw_value(x):
    """Strip every level: the plain float/ndarray inside ``x``.

    Examples
    --------
    >>> import microgradx as mgx
    >>> raw_value(mgx.Dual(3.0, 1.0))
    3.0
    """
    types = _node_types
    while isinstance(x, types):
        x = x._inner()
    return x


def _strip_inactive(args):
    """Replace nodes of inactive levels by their values.

    Returns (innermost active node or None, its effective level, args).
    """
    types = _node_types
    cleaned = []
    best = None
    best_level = 0
    for a in args:
        while isinstance(a, types) and not is_active(a._level):
            a = a._inner()
        cleaned.append(a)
        if isinstance(a, types):
            level = effective_level(a._level)
            if best is None or level > best_level:
                best, best_level = a, level
    return best, best_level, tuple(cleaned)


def apply(prim, *args, **params):
    """Run primitive ``prim`` on ``args``, recording it on the innermost active level.

    Parameters
    ----------
    prim : microgradx.core.rules.Primitive
        The rule-table entry.
    *args
        Operands: plain values (floats, ndarrays) or nodes.
    **params
        Non-differentiable parameters (``axis``, ``shape``, ...).

    Returns
    -------
    A plain value when no operand is an active node, else a node of the
    innermost active level.

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx.core import rules
    >>> y = apply(rules.EXP, mgx.Dual(0.0, 1.0))
    >>> y.primal, y.tangent
    (1.0, 1.0)
    """
    if _n_swapped:  # a student's rule replaces this primitive's in this thread (see rule_in_use)
        prim = rule_in_use(prim)
    # Step 1: the node of the innermost active level (nodes of inactive levels become constants)
    types = _node_types
    top = None
    top_level = 0
    for a in args:
        if isinstance(a, types):
            level = a._level
            if level == 0:  # the eager level: recording unless no_grad() or a transform is on
                active = this_thread.eager
            elif level < 0:  # a plain value (mgx.array): never records
                active = False
            else:
                active = is_active(level)
                if level < 1:  # a floating hand-made Dual: just inside the innermost transform
                    level = effective_level(level)
            if not active:
                top, top_level, args = _strip_inactive(args)
                break
            if top is None or level > top_level:
                top, top_level = a, level
    if top is None:  # Step 2: plain values
        return prim.forward(*args, **params) if params else prim.forward(*args)
    kind = top._kind
    if kind == "scalar":
        return top._apply(prim, args, params)
    # Step 3: unwrap the operands of that level
    level = top_level
    cls = type(top)
    values = []
    at_level = []
    nested = False  # does a value still hold a node (of an outer level)?
    for a in args:
        if not isinstance(a, types):  # a plain value: a constant
            values.append(a)
            at_level.append(None)
        elif a._level == level or (a._level < 1 and effective_level(a._level) == level):
            if type(a) is not cls and a._kind != kind:  # (the type test first: it spares a lookup)
                if not isinstance(a, Node):  # e.g. the compiled Scalar
                    raise TypeError(
                        f"cannot combine a {type(a).__name__} with a {cls.__name__} in one eager graph; "
                        "use plain numbers (s.data) or make both Tensors"
                    )
                raise TypeError(
                    f"cannot combine a {type(a).__name__} and a {cls.__name__} of the same "
                    "differentiation level in one operation"
                )
            value = a._inner()
            values.append(value)
            at_level.append(a)
            if isinstance(value, types):
                nested = True
        else:  # a node of an outer level: a constant here, recorded by the next apply
            values.append(a)
            at_level.append(None)
            nested = True
    # values that are nodes of outer levels go through apply again (which records there)
    if nested:
        out = apply(prim, *values, **params)
    else:
        out = prim.forward(*values, **params) if params else prim.forward(*values)
    if prim.vjp is None and prim.jvp is None:  # no derivative (comparisons, sign): a constant
        return out
    # Step 4: wrap the result as a node of this level (a floating hand-made Dual's result floats on
    # unless it holds nodes of a transform, which pin it just inside that transform)
    if level != top._level and not any(isinstance(v, types) and v._level >= 1 for v in values):
        level = top._level
    return cls._record(out, level, prim, tuple(at_level), tuple(values), params)


# ---------------------------------------------------------------------------
# Rules swapped in one thread: microgradx.exercises.swap_rule
# ---------------------------------------------------------------------------
class _Swaps(threading.local):
    def __init__(self) -> None:
        self.rules: dict = {}  # rule-table Primitive -> the Primitive used instead, in this thread


_swaps = _Swaps()
_n_swapped = 0  # swaps in force in any thread: 0 keeps apply's hot path to one test
_swap_lock = threading.Lock()


def rule_in_use(prim):
    """The primitive this thread records for ``prim``: a swapped-in replacement, or ``prim`` itself.

    :func:`microgradx.exercises.swap_rule` puts a student's rule in place of a
    table entry for the duration of a ``with`` block, in the thread that
    entered it; every operation (:func:`apply`, the Scalar operators) asks
    this function which entry to record.

    Examples
    --------
    >>> from microgradx import rules
    >>> rule_in_use(rules.MUL) is rules.MUL
    True
    """
    return _swaps.rules.get(prim, prim) if _n_swapped else prim


def _swap(prim, replacement):
    """Record ``replacement`` instead of ``prim`` in this thread; returns what to pass to :func:`_unswap`."""
    global _n_swapped
    previous = _swaps.rules.get(prim)
    _swaps.rules[prim] = replacement
    with _swap_lock:
        _n_swapped += 1
    return prim, previous


def _unswap(token) -> None:
    global _n_swapped
    prim, previous = token
    if previous is None:
        _swaps.rules.pop(prim, None)
    else:
        _swaps.rules[prim] = previous
    with _swap_lock:
        _n_swapped -= 1
