"""Reverse mode, compiled: the twin of :mod:`microgradx.core.engine`.

Same functions, same algorithm, same results as the reference (a test
compares them on random graphs): ``topological_order(root)`` is an
iterative depth-first walk with per-walk epoch marks, and
``backward_sweep(root, seed, write_grads=True)`` sends cotangents through
each node's rule in reverse topological order.  The walk keeps its stack in
a C array instead of a list of tuples; the sweep calls the same rule-table
``vjp`` functions, so most of its time is spent in them (numpy for Tensors).

It works on any node of the Python node protocol (``_parents``, ``_prim``,
``_saved``, ``_params``, ``_inner()``, ``_mark``, ``_cot``,
``_accumulate_grad``): Tensors, the reference Scalar, and the compiled
Scalar too (whose own ``backward()`` uses its faster C sweep).

Examples
--------
>>> import microgradx as mgx
>>> from microgradx._ext import engine
>>> x = mgx.Tensor(3.0)
>>> y = x * x + x
>>> [n._prim.name if n._prim else "leaf" for n in engine.topological_order(y)]
['leaf', 'mul', 'add']
"""

from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from libc.stdlib cimport free, malloc, realloc

from microgradx.core.state import new_epoch as _new_epoch

__all__ = ["topological_order", "backward_sweep"]


cdef struct Frame:
    PyObject* node      # owned reference
    PyObject* parents   # owned reference to the node's parents (a tuple)
    Py_ssize_t next     # index of the next parent to look at
    Py_ssize_t count    # number of parents


cdef class _Stack:
    """The walk's explicit stack: C frames that own their node and its parents tuple."""

    cdef Frame* frames
    cdef Py_ssize_t depth, capacity

    def __cinit__(self):
        self.capacity = 256
        self.depth = 0
        self.frames = <Frame*>malloc(self.capacity * sizeof(Frame))
        if self.frames == NULL:
            raise MemoryError()

    def __dealloc__(self):
        while self.depth:
            self.pop()
        free(self.frames)

    cdef int push(self, object node) except -1:
        cdef Frame* grown
        parents = node._parents
        if type(parents) is not tuple:
            parents = tuple(parents)
        if self.depth == self.capacity:
            grown = <Frame*>realloc(self.frames, 2 * self.capacity * sizeof(Frame))
            if grown == NULL:
                raise MemoryError()
            self.frames = grown
            self.capacity *= 2
        Py_INCREF(node)
        Py_INCREF(parents)
        self.frames[self.depth].node = <PyObject*>node
        self.frames[self.depth].parents = <PyObject*>parents
        self.frames[self.depth].next = 0
        self.frames[self.depth].count = PyTuple_GET_SIZE(parents)
        self.depth += 1
        return 0

    cdef void pop(self) noexcept:
        self.depth -= 1
        Py_XDECREF(self.frames[self.depth].node)
        Py_XDECREF(self.frames[self.depth].parents)


def topological_order(root):
    """Nodes reachable from ``root``, every node after all of its parents.

    A depth-first walk with an explicit stack (C frames: the node and the
    index of its next parent to look at); a node is emitted once all its
    parents are.  A per-walk *epoch* number from
    :func:`microgradx.core.state.new_epoch` marks visited nodes.

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
    epoch = _new_epoch()
    order = []
    cdef _Stack stack = _Stack()
    cdef Frame* top
    cdef PyObject* item
    cdef bint descended
    root._mark = epoch
    stack.push(root)
    while stack.depth:
        top = &stack.frames[stack.depth - 1]
        descended = False
        while top.next < top.count:
            item = PyTuple_GET_ITEM(<tuple>top.parents, top.next)
            top.next += 1
            if item == <PyObject*>None:
                continue
            p = <object>item
            if p._mark != epoch:
                p._mark = epoch
                stack.push(p)  # may move the frames: `top` is not used after this
                descended = True
                break
        if not descended:  # all parents done
            order.append(<object>top.node)
            stack.pop()
    return order


# ``needs`` (which operands are nodes) for one and two operands, indexed by a bit mask:
# the sweep hands out these shared tuples instead of building one per node.
cdef tuple _NEEDS_ONE = ((False,), (True,))
cdef tuple _NEEDS_TWO = ((False, False), (True, False), (False, True), (True, True))


cdef object _needs(object parents):
    """``tuple(p is not None for p in parents)``, without building it for one or two operands."""
    cdef Py_ssize_t n
    if type(parents) is tuple:
        n = PyTuple_GET_SIZE(parents)
        if n == 1:
            return _NEEDS_ONE[PyTuple_GET_ITEM(parents, 0) != <PyObject*>None]
        if n == 2:
            return _NEEDS_TWO[(PyTuple_GET_ITEM(parents, 0) != <PyObject*>None)
                              + 2 * (PyTuple_GET_ITEM(parents, 1) != <PyObject*>None)]
    return tuple([p is not None for p in parents])


def backward_sweep(root, seed, bint write_grads=True):
    """Propagate cotangent ``seed`` from ``root`` to every node it depends on.

    Nodes are visited in reverse topological order, so a node's cotangent is
    complete (all its consumers have contributed) before its rule sends it
    on to its parents.  Contributions from several consumers add up: that
    sum is the multivariate chain rule.

    Parameters
    ----------
    root : node
        The output.
    seed : float or ndarray
        Cotangent of ``root`` (1.0 for a scalar loss).
    write_grads : bool
        True (eager ``backward()``): every node's ``.grad`` is increased by
        its cotangent.  False (function transforms): nothing is written;
        leaves keep their cotangent in ``_cot`` for the caller to collect.

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
    cdef list order = topological_order(root)
    cdef Py_ssize_t k, i, n
    root._cot = seed if root._cot is None else root._cot + seed  # several sweeps may reach one leaf
    try:
        for k in range(len(order) - 1, -1, -1):
            node = order[k]
            g = node._cot
            if g is None:
                continue
            parents = node._parents
            if parents:
                cts = node._prim.vjp(g, node._inner(), node._saved, node._params, _needs(parents))
                if type(cts) is not tuple and type(cts) is not list:
                    cts = tuple(cts)
                n = min(len(parents), len(cts))
                for i in range(n):
                    p = parents[i]
                    c = cts[i]
                    if p is not None and c is not None:
                        old = p._cot
                        p._cot = c if old is None else old + c
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
