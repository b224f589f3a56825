"""Classic autodiff bugs you can switch on: see it break, then see why.

Each function here is a context manager that puts one famous mistake into
the engine for the duration of a ``with`` block, and takes it out again on
exit (also on an error):

* :func:`overwrite_gradients`: a parent's gradient is *set* by each consumer
  instead of added to (micrograd's ``+=`` bug: ``b = a + a`` gives 1);
* :func:`recursive_topological_sort`: the graph is sorted by a recursive
  walk, so a deep chain hits ``RecursionError``;
* :func:`parents_in_a_set`: a node keeps its parents in a set, so ``a * a``
  loses one of its two uses, and ``a - b`` may send each cotangent to the
  wrong parent depending on memory addresses;
* :func:`untagged_perturbations`: forward mode without perturbation tags, so
  a nested derivative confuses the two ε's (1 becomes 2);
* :func:`no_unbroadcast`: the rule of a broadcasting operation skips the sum
  back to the input's shape, so a bias gets a gradient of the batch's shape.

The sweeps with a bug switched on are short Python twins of
:mod:`microgradx.core.engine`; they replace the engine used by
``Tensor.backward()``, the function transforms, the graph pictures and both
Scalar classes: while one of the first three switches is on, the compiled
Scalar's ``backward()`` leaves its C sweep for the buggy Python one (as it
leaves its C formula for a rule swapped by :func:`~microgradx.exercises.swap_rule`),
so the bug shows on either backend.  The switches act on the whole
process (except :func:`no_unbroadcast`, a swapped rule, which acts on the
thread that entered it); use them one demonstration at a time.

Examples
--------
>>> import microgradx as mgx
>>> from microgradx.exercises import bugs
>>> a = mgx.Tensor(3.0)
>>> with bugs.overwrite_gradients():
...     (a + a).backward()
>>> float(a.grad)       # should be 2
1.0
"""

from __future__ import annotations

import contextlib
import sys
import threading
import types
from collections.abc import Iterator

from ..core import backend as _backend
from ..core import engine as _engine
from ..core import state as _state
from ..nodes import scalar as _scalar_module
from .swap import swap_rule

__all__ = ["overwrite_gradients", "recursive_topological_sort", "parents_in_a_set", "untagged_perturbations",
           "no_unbroadcast", "sweep_with_bugs", "recursive_order"]

_lock = threading.RLock()
_active: dict[str, int] = {}
_originals = {"engine": _backend.engine, "scalar_engine": _scalar_module.engine,
              "transform_level": _state.transform_level}


def recursive_order(root) -> list:
    """The textbook recursive topological sort (depth first, a node after its parents).

    Right, but each level of the graph is one level of Python recursion:
    a chain longer than ``sys.getrecursionlimit()`` raises ``RecursionError``.

    >>> import microgradx as mgx
    >>> a = mgx.Tensor(1.0); b = a * 2.0
    >>> [n._prim.name if n._prim else "leaf" for n in recursive_order(b + a)]
    ['leaf', 'mul', 'add']
    """
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for p in node._parents:
                if p is not None:
                    visit(p)
            order.append(node)

    visit(root)
    return order


def sweep_with_bugs(root, seed, write_grads: bool = True, *, overwrite: bool = False, recursive: bool = False,
                    parent_set: bool = False) -> list:
    """:func:`microgradx.core.engine.backward_sweep` with some classic bugs switched on.

    Parameters
    ----------
    root, seed, write_grads
        As for the engine's sweep.
    overwrite : bool
        A parent's cotangent is replaced by each contribution instead of added to.
    recursive : bool
        Sort with :func:`recursive_order`.
    parent_set : bool
        Pair the cotangents with ``set(parents)`` instead of the parents in operand order.

    Returns
    -------
    list
        The order swept.

    Examples
    --------
    >>> import microgradx as mgx
    >>> x = mgx.Tensor(3.0)
    >>> _ = sweep_with_bugs(x * x, 1.0, parent_set=True)    # x used twice, kept once
    >>> float(x.grad)
    3.0
    """
    order = recursive_order(root) if recursive else _engine.topological_order(root)
    root._cot = seed if root._cot is None else root._cot + seed
    try:
        for node in reversed(order):
            g = node._cot
            if g is None:
                continue
            parents = node._parents
            if parents:
                needs = tuple(p is not None for p in parents)
                cts = node._prim.vjp(g, node._inner(), node._saved, node._params, needs)
                if parent_set:  # the bug: a set forgets the operand order and keeps a repeated parent once
                    pairs = zip(set(p for p in parents if p is not None),
                                [c for p, c in zip(parents, cts) if p is not None])
                else:
                    pairs = zip(parents, cts)
                for p, c in pairs:
                    if p is not None and c is not None:
                        p._cot = c if (overwrite or p._cot is None) else p._cot + c
            if write_grads:
                node._cot = None
                node._accumulate_grad(g)
            elif parents:
                node._cot = None
    except BaseException:
        for node in order:
            node._cot = None
        raise
    return order


def _install() -> None:
    """Point the engine users at a buggy engine for the bugs now on (or back at the real one)."""
    flags = {"overwrite": bool(_active.get("overwrite")), "recursive": bool(_active.get("recursive")),
             "parent_set": bool(_active.get("parent_set"))}
    if any(flags.values()):
        def backward_sweep(root, seed, write_grads=True):
            return sweep_with_bugs(root, seed, write_grads, **flags)

        def backward_by_counts(root, seed):
            sweep_with_bugs(root, seed, True, **flags)

        topo = recursive_order if flags["recursive"] else _engine.topological_order
        buggy = types.SimpleNamespace(backward_sweep=backward_sweep, backward_by_counts=backward_by_counts,
                                      topological_order=topo)
        _backend.engine = buggy
        _scalar_module.engine = buggy
        _tell_compiled(backward_by_counts)
    else:
        _backend.engine = _originals["engine"]
        _scalar_module.engine = _originals["scalar_engine"]
        _tell_compiled(None)
    if _active.get("untagged"):
        _state.transform_level = _untagged_level
    else:
        _state.transform_level = _originals["transform_level"]


def _tell_compiled(sweep) -> None:
    """Send the compiled Scalar's ``backward()`` through ``sweep`` (``None``: back to its C sweep)."""
    compiled = sys.modules.get("microgradx._ext.scalar")  # (not imported: no compiled Scalar exists)
    if compiled is not None and hasattr(compiled, "_set_sweep_with_bug"):
        compiled._set_sweep_with_bug(sweep)


@contextlib.contextmanager
def _switch(name: str) -> Iterator[None]:
    with _lock:
        _active[name] = _active.get(name, 0) + 1
        _install()
    try:
        yield
    finally:
        with _lock:
            _active[name] -= 1
            _install()


def overwrite_gradients():
    """Switch on micrograd's famous bug: ``grad = contribution`` instead of ``grad += contribution``.

    A node used more than once keeps only the last contribution.

    >>> import microgradx as mgx
    >>> a = mgx.Tensor(3.0)
    >>> with overwrite_gradients():
    ...     (a * a).backward()
    >>> float(a.grad)        # d(a²)/da = 6
    3.0
    """
    return _switch("overwrite")


def recursive_topological_sort():
    """Sort the graph with a recursive walk (:func:`recursive_order`): a deep chain raises ``RecursionError``.

    >>> import sys, microgradx as mgx
    >>> y = x = mgx.Tensor(1.0)
    >>> for _ in range(2 * sys.getrecursionlimit()):
    ...     y = y * 1.0
    >>> with recursive_topological_sort():
    ...     y.backward()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    RecursionError: maximum recursion depth exceeded...
    """
    return _switch("recursive")


def parents_in_a_set():
    """Keep each node's parents in a set, as micrograd's ``_prev`` does, and pair them with the cotangents.

    A parent used twice by one operation is kept once (``a * a`` gives
    ``a`` instead of ``2a``), and the order of two different parents is
    the set's order, which depends on memory addresses: ``a - b`` may give
    ``a`` the gradient ``-1`` in one run and ``+1`` in the next.

    >>> import microgradx as mgx
    >>> a = mgx.Tensor(3.0)
    >>> with parents_in_a_set():
    ...     (a * a).backward()
    >>> float(a.grad)
    3.0
    """
    return _switch("parent_set")


@contextlib.contextmanager
def _untagged_level():
    """A transform level that reuses the running one: nested derivatives share one ε (no tags)."""
    if _state.this_thread.active:
        yield _state.this_thread.active[-1]
    else:
        with _originals["transform_level"]() as level:
            yield level


def untagged_perturbations():
    """Forward (and reverse) mode without perturbation tags: a nested transform reuses its caller's level.

    The classic case: the derivative of ``x * d/dy (x + y)`` is 1 (the inner
    derivative is 1 whatever ``x`` is); with one ε for both, the inner
    derivative also sees ``x``'s perturbation and the answer is 2.

    >>> import microgradx as mgx
    >>> D = lambda f: lambda x: mgx.jvp(f, [x], [1.0])[1][0]
    >>> f = lambda x: x * D(lambda y: x + y)(1.0)
    >>> with untagged_perturbations():
    ...     D(f)(1.0).item()
    2.0
    >>> D(f)(1.0).item()
    1.0
    """
    return _switch("untagged")


def _no_unbroadcast_vjp(sign_y: float):
    def vjp(g, out, x, y):
        return g, sign_y * g  # the bug: no sum back to x's and y's shapes
    return vjp


@contextlib.contextmanager
def no_unbroadcast() -> Iterator[None]:
    """The rules of ``add`` and ``sub`` without the sum back to each input's shape (this thread only).

    A bias ``b`` of shape ``(3,)`` added to a batch of shape ``(4, 3)`` then
    receives a cotangent of shape ``(4, 3)``: the reduction over the batch
    axis that the chain rule asks for is missing.  The engine notices when
    it stores the gradient of ``b`` -- 12 numbers for a place that holds 3.

    >>> import numpy as np, microgradx as mgx
    >>> b = mgx.Tensor(np.zeros(3))
    >>> with no_unbroadcast():
    ...     mgx.sum(mgx.array(np.ones((4, 3))) + b).backward()
    Traceback (most recent call last):
    ValueError: cannot reshape array of size 12 into shape (3,)
    >>> mgx.sum(mgx.array(np.ones((4, 3))) + b).backward(); b.grad
    array([4., 4., 4.])
    """
    with swap_rule("add", vjp=_no_unbroadcast_vjp(1.0)), swap_rule("sub", vjp=_no_unbroadcast_vjp(-1.0)):
        yield

