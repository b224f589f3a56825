"""Reverse mode, reference implementation: topological order and backward sweep.

Two ways to run the chain rule backwards, both iterative:

* :func:`topological_order` + :func:`backward_sweep` -- the classic two
  passes: sort the graph, then visit it in reverse.  ``Scalar.backward()``
  (reference), ``Tensor.backward()`` and the function transforms use it.
  Readable twin of ``microgradx._ext.engine``.
* :func:`backward_by_counts` -- one pass: every Scalar counts its consumers
  as the graph is recorded, so a node can be released as soon as all of them
  have sent their share (Kahn's algorithm), with no sort first.  Readable twin
  of the compiled Scalar's own sweep (``_Sweep`` in ``ext/scalar_sweep.pxi``),
  tested against it.

Both sweeps take the chain rule's one step from :func:`chain_rule_step`: the
contributions of one node's complete cotangent to its operands, computed by
its rule-table entry.

The two-pass functions work on any reverse node (Tensor, or the reference
Scalar) -- anything with the attributes of :class:`ReverseNode`.

Every walk is iterative (an explicit stack or queue), so a chain of a
million nodes is fine: Python's recursion limit never comes into it.

Examples
--------
>>> import microgradx as mgx
>>> x = mgx.Tensor(3.0)
>>> y = x * x + x
>>> [n._prim.name if n._prim else "leaf" for n in topological_order(y)]
['leaf', 'mul', 'add']
"""

from __future__ import annotations

from collections import deque
from itertools import repeat
from operator import is_not
from typing import Any, Protocol, runtime_checkable

from .state import epochs

__all__ = ["ReverseNode", "topological_order", "chain_rule_step", "backward_sweep", "backward_by_counts"]


@runtime_checkable
class ReverseNode(Protocol):
    """What the sweeps read and write in a node: Tensor and both Scalars have it.

    ``_parents``
        tuple, one entry per operand: the operand's node, or ``None`` for a constant
        (``()`` for a leaf: a leaf is a node with no parents)
    ``_prim``, ``_saved``, ``_params``
        the rule-table entry, the operand values it saved, its parameters
    ``_inner()``
        the node's value
    ``_mark``, ``_cot``
        a visit mark for graph walks, and the cotangent being accumulated
    ``_accumulate_grad(g)``
        add ``g`` to the user-visible ``.grad`` (eager ``backward()`` only)

    (The compiled Scalar keeps these in C and sweeps itself; it still shows
    them, so viz and explain read it like the others.)

    Examples
    --------
    >>> import microgradx as mgx
    >>> isinstance(mgx.Tensor(1.0), ReverseNode), isinstance(mgx.Dual(1.0, 0.0), ReverseNode)
    (True, False)
    """

    _parents: tuple
    _prim: Any
    _saved: tuple
    _params: dict
    _mark: int
    _cot: Any

    def _inner(self) -> Any: ...

    def _accumulate_grad(self, g: Any) -> None: ...


def topological_order(root: ReverseNode) -> list:
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
    epoch = next(epochs)  # a fresh visit mark
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


def backward_sweep(root: ReverseNode, seed, write_grads: bool = True) -> list:
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
                continue  # no gradient reaches this node
            parents = node._parents
            if parents:
                for p, c in zip(parents, chain_rule_step(node, g)):
                    if p is not None and c is not None:
                        p._cot = c if p._cot is None else p._cot + c  # contributions add up
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


def chain_rule_step(node: ReverseNode, g) -> list:
    """The chain rule's one step: what ``node``'s complete cotangent ``g`` contributes to each operand.

    ``node``'s rule-table entry turns ``g`` into one cotangent per operand
    (``None`` for a constant operand).  Every sweep adds these contributions
    at the operands -- and :func:`microgradx.explain` prints them.

    Examples
    --------
    >>> import microgradx as mgx
    >>> x = mgx.Tensor(3.0); y = mgx.Tensor(4.0)
    >>> [float(c) for c in chain_rule_step(x * y, 1.0)]   # d(xy)/dx = y, d(xy)/dy = x
    [4.0, 3.0]
    """
    needs = tuple(map(is_not, node._parents, repeat(None)))  # needs[i]: operand i is a node, not a constant
    return node._prim.vjp(g, node._inner(), node._saved, node._params, needs)


def backward_by_counts(root, seed) -> None:
    """The compiled Scalar's ``backward()``, in Python: one pass, releasing each node when its consumers are done.

    This is the readable twin of the compiled sweep (tests run both on the
    same graphs); the reference ``Scalar.backward()`` uses the textbook
    :func:`backward_sweep`, which gives the same gradients.

    Reverse mode's one rule is that a node may pass its cotangent on only
    when it is complete -- when *every* consumer (every node that used it as
    an operand) has added its share.  :func:`backward_sweep` guarantees that
    by sorting the graph first.  Here each node already knows how many
    consumers it has (``_consumers``, counted as the graph was recorded), so
    no sort is needed (Kahn's algorithm, started at the root):

    1. the root gets the seed and is ready;
    2. take the oldest ready node (a queue), apply its rule, add the results
       to its parents' cotangents and its own cotangent to its ``.grad``, and
       tell each parent that one consumer is done;
    3. a parent counts down from ``_consumers`` (``_pending``, started when
       its first consumer arrives -- recognised by this sweep's mark); at
       zero its cotangent is complete and it joins the queue;
    4. leaves pass nothing on: they are collected when first reached and add
       their complete cotangent to ``.grad`` at the end.

    A count can be too high -- it includes consumers that will never send:
    nodes since freed, or not part of the root's graph (another expression
    built on the same nodes, or ``backward()`` called on an intermediate
    node).  That only ever *delays* a node, so the answer stays right: the
    queue runs dry while nodes still wait, and ``_Sweep.recount`` counts
    again the consumers still to come.  In a training step that never happens.

    If a rule raises, every cotangent left in the graph is dropped and the
    error propagates; no leaf's ``.grad`` has changed.

    Parameters
    ----------
    root : Scalar
        The output (reference Scalar: ``_consumers`` and ``_pending`` slots).
    seed : float
        Its cotangent (1.0 for ``backward()``).

    Examples
    --------
    >>> from microgradx.nodes.scalar import Scalar
    >>> x = Scalar(3.0); y = x * x + x          # x has 3 consumers (two slots of mul, one of add)
    >>> x._consumers
    3
    >>> backward_by_counts(y, 1.0); x.grad      # 2x + 1
    7.0
    """
    sweep = _Sweep(next(epochs))
    root._cot = seed if root._cot is None else root._cot + seed  # a cotangent already there is added to
    root._mark = sweep.epoch
    (sweep.ready if root._parents else sweep.leaves).append(root)
    try:
        while True:
            while sweep.ready:
                node = sweep.ready.popleft()
                g = node._cot
                if g is not None:
                    for p, c in zip(node._parents, chain_rule_step(node, g)):
                        if p is not None and c is not None:
                            p._cot = c if p._cot is None else p._cot + c
                    node._cot = None
                    node._accumulate_grad(g)
                for p in node._parents:
                    if p is not None:
                        sweep.arrive(p)
            if sweep.n_waiting == 0:
                break
            sweep.recount()
        for leaf in sweep.leaves:
            if leaf._cot is not None:
                g, leaf._cot = leaf._cot, None
                leaf._accumulate_grad(g)
    except BaseException:
        for node in topological_order(root):  # leave no half-accumulated cotangents behind
            node._cot = None
        raise


class _Sweep:
    """The state of one :func:`backward_by_counts`: its mark, the ready queue, the leaves, the waiting."""

    recounts = 0  # how many times sweeps in this process have recounted (for tests)

    def __init__(self, epoch: int):
        self.epoch = epoch
        self.ready = deque()  # complete nodes, first in first out
        self.leaves = []  # leaves reached, in the order first reached
        self.waiting = []  # nodes that had to wait for more consumers after the first
        self.n_waiting = 0  # how many of them still wait

    def arrive(self, p) -> None:
        """One consumer of ``p`` is done with it (it has sent its share of the cotangent, if any)."""
        if not p._parents:  # a leaf passes nothing on: just collect it, once
            if p._mark != self.epoch:
                p._mark = self.epoch
                self.leaves.append(p)
            return
        if p._mark != self.epoch:  # the first consumer to arrive: start counting down
            p._mark = self.epoch
            p._pending = p._consumers - 1
            if p._pending > 0:
                self.waiting.append(p)
                self.n_waiting += 1
                return
        else:
            p._pending -= 1
            if p._pending > 0:
                return
            self.n_waiting -= 1
        self.ready.append(p)  # that was the last one: p's cotangent is complete

    def recount(self) -> None:
        """The queue ran dry while nodes wait: count again only the consumers still to come.

        The nodes not yet released are the waiting ones and their ancestors
        (a released node's consumers were all released before it), so a walk
        up from the waiting nodes, with a new mark, visits exactly them and
        gives each a new ``_pending``: the number of its consumers among
        them -- the first pass of the two-pass algorithm, restricted to what
        is left.  The nodes whose count is 0 are ready; with exact counts the
        sweep cannot stall again.
        """
        _Sweep.recounts += 1
        old, self.epoch = self.epoch, next(epochs)
        left = [p for p in self.waiting if p._pending > 0]  # the nodes not released yet
        for p in left:
            p._mark = self.epoch
            p._pending = 0
        stack = list(left)
        while stack:
            node = stack.pop()
            for p in node._parents:
                if p is None:
                    continue
                if not p._parents:  # a leaf
                    if p._mark == old:
                        p._mark = self.epoch  # already collected: keep it so under the new mark
                    continue
                if p._mark != self.epoch:  # first visit
                    p._mark = self.epoch
                    p._pending = 0
                    stack.append(p)
                    left.append(p)
                p._pending += 1
        self.waiting = [p for p in left if p._pending > 0]
        self.n_waiting = len(self.waiting)
        self.ready.extend(p for p in left if p._pending == 0)
        if not self.ready:  # only if a rule changed the graph during the sweep
            raise RuntimeError("backward(): the graph changed during the sweep")
