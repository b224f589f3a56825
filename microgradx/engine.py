"""Reverse mode, reference implementation: topological order and backward sweep.

This is the readable twin of the compiled ``microgradx._ext.engine`` (same
functions, same algorithm).  It works on any reverse node (Tensor, or the
reference Scalar) that provides:

``_parents``
    tuple, one entry per operand: the operand's node, or ``None`` for a constant
``_prim``, ``_saved``, ``_params``
    the rule-table entry, the operand values it saved, its parameters
``_inner()``
    the node's value
``_mark``, ``_cot``
    a visit mark for graph walks, and the cotangent being accumulated
``_accumulate_grad(g)``
    add ``g`` to the user-visible ``.grad`` (eager ``backward()`` only)

Both walks are iterative (an explicit stack), so a chain of a million nodes
is fine: Python's recursion limit never comes into it.

Examples
--------
>>> import microgradx as mgx
>>> x = mgx.Tensor(3.0)
>>> y = x * x + x
>>> [n._prim.name if n._prim else "leaf" for n in topological_order(y)]
['leaf', 'mul', 'add']
"""

from __future__ import annotations

from .state import new_epoch

__all__ = ["topological_order", "backward_sweep"]


def topological_order(root) -> list:
    """Nodes reachable from ``root``, every node after all of its parents.

    A depth-first walk with an explicit stack.  Each stack entry is a node and
    the index of the next parent to look at; a node is emitted once all its
    parents are.  A per-walk *epoch* number marks visited nodes (cheaper
    than a set of ids, and it needs no cleaning afterwards).

    Parameters
    ----------
    root : node
        Where the walk starts (the output whose gradient we want).

    Returns
    -------
    list
        Parents before children; ``root`` is last.

    Examples
    --------
    >>> import microgradx as mgx
    >>> a = mgx.Tensor(1.0); b = a * 2.0; c = b + a
    >>> topological_order(c)[-1] is c
    True
    """
    epoch = new_epoch()
    order = []
    root._mark = epoch
    stack = [(root, 0)]
    while stack:
        node, i = stack.pop()
        parents = node._parents
        n = len(parents)
        while i < n:
            p = parents[i]
            i += 1
            if p is not None and p._mark != epoch:
                p._mark = epoch
                stack.append((node, i))  # come back for the remaining parents
                stack.append((p, 0))
                break
        else:
            order.append(node)  # all parents done
    return order


def backward_sweep(root, seed, write_grads: bool = True) -> list:
    """Propagate cotangent ``seed`` from ``root`` to every node it depends on.

    Nodes are visited in reverse topological order, so a node's cotangent is
    complete (all its consumers have contributed) before its rule sends it on
    to its parents.  Contributions from several consumers add up: that sum is
    the multivariate chain rule.

    Parameters
    ----------
    root : node
        The output.
    seed : float or ndarray
        Cotangent of ``root`` (1.0 for a scalar loss).
    write_grads : bool
        True (eager ``backward()``): every node's ``.grad`` is increased by its
        cotangent.  False (function transforms): nothing is written; leaves
        keep their cotangent in ``_cot`` for the caller to collect.

    Returns
    -------
    list
        The topological order that was swept.

    Examples
    --------
    >>> import microgradx as mgx
    >>> x = mgx.Tensor(3.0)
    >>> _ = backward_sweep(x * x, 1.0)
    >>> float(x.grad)
    6.0
    """
    order = topological_order(root)
    root._cot = seed if root._cot is None else root._cot + seed  # several sweeps may reach one leaf
    try:
        for node in reversed(order):
            g = node._cot
            if g is None:
                continue
            parents = node._parents
            if parents:
                needs = tuple(p is not None for p in parents)
                cts = node._prim.vjp(g, node._inner(), node._saved, node._params, needs)
                for p, c in zip(parents, cts):
                    if p is not None and c is not None:
                        p._cot = c if p._cot is None else p._cot + c
            if write_grads:
                node._cot = None
                node._accumulate_grad(g)
            elif parents:
                node._cot = None  # leaves keep theirs for the caller
    except BaseException:
        for node in order:  # leave no half-accumulated cotangents behind
            node._cot = None
        raise
    return order
