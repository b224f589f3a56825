# The compiled Scalar (ext/scalar.pyx), part 6: its graph walks and ``backward()``'s sweep.
#
# The sweep is the one-pass algorithm of microgradx.core.engine.backward_by_counts, in C: read the two side
# by side.  ``_backward`` is ``backward_by_counts``, ``_Sweep.arrive`` and ``_Sweep.recount`` are
# ``_Sweep.arrive`` and ``_Sweep.recount``, and the node fields have the reference's attribute names
# (``_mark``, ``_pending``, ``_consumers``, ``_cot``; see the field list in ext/scalar_node.pxi).  What
# differs is C's: nodes are handled through borrowed pointers in a ``_NodeArray`` (ext/node_array.pxi);
# "``_cot`` is None" is a flag beside a double; the local derivatives come from the C formulas
# (``_partials``) except for an OP_RULE node, whose rule-table ``vjp`` is called; and the sweep asks the
# memory system early for the nodes it will visit next.

# A hint to start loading memory the sweep will need soon (see _backward: where and why).
cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define MGX_PREFETCH(p) __builtin_prefetch((const void*)(p))
    #else
    #define MGX_PREFETCH(p) ((void)0)
    #endif
    """
    void MGX_PREFETCH(const void* p) noexcept nogil

cdef enum:
    LOOKAHEAD = 8  # the sweep asks for the memory of the node this many places back in its queue


# ---------------------------------------------------------------------------
# Visit marks and a node's operands
# ---------------------------------------------------------------------------
# A walk stamps the nodes it reaches with a number no walk used before, so "reached in this walk?" is one
# comparison and nothing needs cleaning afterwards.  The compiled walks share one counter for the whole
# process (they all run holding the GIL) that counts down from the largest size_t:
# microgradx.core.state.new_epoch hands out numbers from its own process-wide counter, counting up from 1
# (for the reference engine, which may walk compiled Scalars too), so the two never meet, and threads that
# share nodes (a model's parameters) never reuse each other's marks.
cdef size_t _last_epoch = <size_t>-1


cdef inline size_t _new_epoch() noexcept:
    global _last_epoch
    _last_epoch -= 1
    return _last_epoch


cdef inline Py_ssize_t _parent_count(PyObject* node) noexcept:
    """Number of operand slots of a node (each holds a parent node or None): ``len(node._parents)``."""
    if (<Scalar>node)._prim_code == OP_RULE:
        return PyTuple_GET_SIZE((<Scalar>node)._extra.parents)
    return _ARITY[(<Scalar>node)._prim_code]


cdef inline PyObject* _parent_of(PyObject* node, Py_ssize_t i) noexcept:
    """Borrowed pointer to the parent in slot i (may be None): ``node._parents[i]``, i < _parent_count(node)."""
    if (<Scalar>node)._prim_code == OP_RULE:
        return PyTuple_GET_ITEM((<Scalar>node)._extra.parents, i)
    return <PyObject*>(<Scalar>node)._parent0 if i == 0 else <PyObject*>(<Scalar>node)._parent1


# ---------------------------------------------------------------------------
# Topological order
# ---------------------------------------------------------------------------
cdef _NodeArray _topological_order(Scalar root):
    """The nodes reachable from root, every node after all of its parents; root is last.

    microgradx.core.engine.topological_order in C, with the same order: a
    depth-first walk that emits a node once all its parents are emitted.  The
    stack holds nodes only: the node on top looks for its first parent not
    reached yet (a node has a handful of operands at most) -- found, that
    parent is marked and pushed; none left, the node is emitted.
    """
    cdef size_t epoch = _new_epoch()
    cdef _NodeArray order = _NodeArray()
    cdef _NodeArray stack = _NodeArray()
    cdef PyObject* none = <PyObject*>None
    cdef PyObject* node
    cdef PyObject* p
    cdef Py_ssize_t i, n
    root._mark = epoch
    stack.push(<PyObject*>root)
    while stack.size:
        node = stack.items[stack.size - 1]
        n = _parent_count(node)
        for i in range(n):
            p = _parent_of(node, i)
            if p != none and (<Scalar>p)._mark != epoch:
                (<Scalar>p)._mark = epoch
                stack.push(p)
                break
        else:  # all parents done
            stack.size -= 1
            order.push(node)
    return order


def topological_order(root):
    """Nodes reachable from compiled Scalar ``root``, parents first, in C.

    The same depth-first order as :func:`microgradx.core.engine.topological_order`
    (for pictures, the narrator and tests; ``backward()`` itself releases
    nodes by consumer counts and needs no list).

    Examples
    --------
    >>> a = Scalar(1.0); b = a * 2.0; c = b + a
    >>> [n._prim.name if n._prim else "" for n in topological_order(c)]
    ['', 'mul', 'add']
    """
    if type(root) is not Scalar:
        raise TypeError(f"root must be a compiled Scalar; got {_kind_name(root)}")
    cdef _NodeArray order = _topological_order(<Scalar>root)
    cdef Py_ssize_t k
    return [<object>order.items[k] for k in range(order.size)]


# ---------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------
cdef inline void _add_cot(Scalar p, double c) noexcept:
    """``p._cot = c if p._cot is None else p._cot + c``: contributions add up."""
    if p._has_cot:
        p._cot_value = p._cot_value + c
    else:
        p._cot_value = c
        p._has_cot = 1


cdef inline void _prefetch_for_sweep(PyObject* node) noexcept:
    """Ask the memory system early for what sweeping ``node`` will read: its second cache
    line (value, saved values, grad) and the first line of its parents (cotangent, counts)."""
    MGX_PREFETCH(&(<Scalar>node)._data)
    MGX_PREFETCH(<void*>(<Scalar>node)._parent0)
    MGX_PREFETCH(<void*>(<Scalar>node)._parent1)


cdef Py_ssize_t _recount_total = 0  # how many times sweeps have recounted (for tests: _recounts())


@cython.final
@cython.auto_pickle(False)
cdef class _Sweep:
    """The state of one ``_backward``: its mark, the ready queue, the leaves, the waiting."""
    cdef size_t epoch          # this sweep's mark: a node marked with it has been reached
    cdef _NodeArray ready      # nodes whose consumers are all done: a queue, first in first out
    cdef _NodeArray leaves     # the leaves reached, in the order first reached
    cdef _NodeArray waiting    # the nodes that had to wait for more consumers after the first
    cdef Py_ssize_t n_waiting  # how many of them still wait

    def __cinit__(self, size_t epoch):
        self.epoch = epoch
        self.ready = _NodeArray()
        self.leaves = _NodeArray()
        self.waiting = _NodeArray()
        self.n_waiting = 0

    cdef inline int arrive(self, Scalar p) except -1:
        """One consumer of ``p`` is done with it (it has sent its share of the cotangent, if any)."""
        if p._prim_code == OP_LEAF:  # a leaf passes nothing on: just collect it, once
            if p._mark != self.epoch:
                p._mark = self.epoch
                self.leaves.push(<PyObject*>p)
            return 0
        if p._mark != self.epoch:  # the first consumer to arrive: start counting down
            p._mark = self.epoch
            p._pending = p._consumers - 1
            if p._pending > 0:
                self.waiting.push(<PyObject*>p)
                self.n_waiting += 1
                return 0
        else:
            p._pending -= 1
            if p._pending > 0:
                return 0
            self.n_waiting -= 1
        _prefetch_for_sweep(<PyObject*>p)
        return self.ready.push(<PyObject*>p)  # that was the last one: p's cotangent is complete

    cdef int recount(self) except -1:
        """The queue ran dry while nodes wait: count again only the consumers still to come.

        Some waiting nodes count consumers that will never send: consumers that
        have been freed, or that are not part of the root's graph (nothing leads to
        them from the root).  The nodes not yet released are the waiting ones and
        their ancestors -- a released node's consumers were all released before it
        -- so a depth-first walk up from the waiting nodes, with a new mark, visits
        exactly them (and some leaves) and gives each a new ``_pending``: the
        number of its consumers among them -- the first pass of the classic
        two-pass algorithm, restricted to what is left.  The nodes whose count is
        0 are ready; with exact counts the sweep cannot stall again.
        """
        global _recount_total
        cdef size_t old = self.epoch
        cdef _NodeArray stack = _NodeArray()
        cdef _NodeArray left = _NodeArray()  # the nodes not released yet
        cdef PyObject* none = <PyObject*>None
        cdef PyObject* node
        cdef PyObject* p
        cdef Py_ssize_t i
        _recount_total += 1
        self.epoch = _new_epoch()
        for i in range(self.waiting.size):
            p = self.waiting.items[i]
            if (<Scalar>p)._pending > 0:  # still waiting (the others have been released since)
                (<Scalar>p)._mark = self.epoch
                (<Scalar>p)._pending = 0
                stack.push(p)
                left.push(p)
        while stack.size:
            stack.size -= 1
            node = stack.items[stack.size]
            for i in range(_parent_count(node)):
                p = _parent_of(node, i)
                if p == none:
                    continue
                if (<Scalar>p)._prim_code == OP_LEAF:
                    if (<Scalar>p)._mark == old:
                        (<Scalar>p)._mark = self.epoch  # already collected: keep it so under the new mark
                    continue
                if (<Scalar>p)._mark != self.epoch:  # first visit
                    (<Scalar>p)._mark = self.epoch
                    (<Scalar>p)._pending = 0
                    stack.push(p)
                    left.push(p)
                (<Scalar>p)._pending = (<Scalar>p)._pending + 1
        self.waiting.size = 0
        self.n_waiting = 0
        for i in range(left.size):
            p = left.items[i]
            if (<Scalar>p)._pending == 0:
                self.ready.push(p)
            else:
                self.waiting.push(p)
                self.n_waiting += 1
        if self.ready.size == self.ready.head:  # only if a rule changed the graph during the sweep
            raise RuntimeError("backward(): the graph changed during the sweep")
        return 0


cdef inline int _step(_Sweep sweep, Scalar node) except -1:
    """Sweep one ready node: send its complete cotangent on to its operands, add it to ``.grad``, tell them."""
    cdef PyObject* none = <PyObject*>None
    cdef PyObject* p0 = <PyObject*>node._parent0
    cdef PyObject* p1 = <PyObject*>node._parent1
    cdef double g, d0, d1
    if node._prim_code == OP_RULE or node._prim_code == OP_LEAF:
        return _step_other(sweep, node)
    if node._has_cot:
        g = node._cot_value
        _partials(node._prim_code, node._saved0, node._saved1, node._data, &d0, &d1)
        if p0 != none:
            _add_cot(<Scalar>p0, g * d0)
        if p1 != none:
            _add_cot(<Scalar>p1, g * d1)
        node._has_cot = 0
        node._grad += g
    if p0 != none:
        sweep.arrive(<Scalar>p0)
    if p1 != none:
        sweep.arrive(<Scalar>p1)
    return 0


cdef int _step_other(_Sweep sweep, Scalar node) except -1:
    """``_step`` for a rule-table node: any number of operands, and its ``vjp`` computes the contributions.

    (Or for a node turned into a leaf by calling ``__init__`` again while a rule ran.)
    """
    cdef Py_ssize_t i
    cdef PyObject* p
    cdef double g
    if node._has_cot:
        g = node._cot_value
        if node._prim_code == OP_RULE:
            parents = node._extra.parents
            needs = tuple([q is not None for q in parents])
            cts = node._extra.prim.vjp(g, node._data, node._extra.saved, _NO_PARAMS, needs)
            for parent, c in zip(parents, cts):
                if parent is not None and c is not None:
                    _add_cot(<Scalar>parent, float(c))
        node._has_cot = 0
        node._grad += g
    for i in range(_parent_count(<PyObject*>node)):
        p = _parent_of(<PyObject*>node, i)
        if p != <PyObject*>None:
            sweep.arrive(<Scalar>p)
    return 0


cdef int _backward(Scalar root, double seed) except -1:
    """The eager sweep: send cotangent ``seed`` from ``root`` to every node it depends on.

    Reverse mode's one rule: a node may pass its cotangent on to its parents
    only when it is complete, that is when *every* consumer of the node (every
    node that used it as an operand) has added its share.  The reference
    ``Scalar.backward()`` first sorts the graph (a depth-first walk) and then
    visits the sorted list backwards.  Here each node already knows how many
    consumers it has (``_consumers``, counted as nodes are recorded), so the
    sweep needs no first walk -- Kahn's algorithm, started at the root:

    1. the root gets the seed and is ready;
    2. take the oldest ready node (a queue), apply its local derivatives (the
       C formulas), add the products to its parents' cotangents and its own
       cotangent to its ``.grad``, and tell each parent that one of its
       consumers is done (``_Sweep.arrive``);
    3. a parent counts down from ``_consumers`` (``_pending``, which starts
       when its first consumer arrives -- recognised by the sweep's mark); at
       zero its cotangent is complete and it joins the queue;
    4. leaves pass nothing on: they are collected as they are reached, and
       each adds its complete cotangent to ``.grad`` at the end.

    In a training step -- ``loss.backward()``, every intermediate node
    consumed only inside the loss's graph -- that is all.  But a count may
    include consumers that will never send: nodes that have been freed (the
    count never goes down), or that are not part of the root's graph (the
    user keeps another expression built from the same nodes, or calls
    ``backward()`` on an intermediate node).  A count that is too high can
    only delay a node, never release it early, so the answer stays right: the
    queue runs dry while nodes still wait.  Then ``_Sweep.recount`` counts
    again the consumers still to come, and the sweep carries on.

    Speed comes from memory, not arithmetic: a fresh graph is mostly outside
    the CPU caches, and after a few training steps its nodes lie in no
    particular order.  A queue (rather than a stack) tells us early which
    nodes come next, so we ask for their memory in advance, twice: when a
    node joins the queue, and again when it is ``LOOKAHEAD`` places from the
    front (``_prefetch_for_sweep``).

    Sums of cotangents follow the order in which consumers arrive, which
    differs from the two-pass sweep's order: the two may differ in the last
    bit.  If a rule raises, every cotangent left in the graph is dropped, and
    no leaf's ``.grad`` has changed.
    """
    cdef _Sweep sweep = _Sweep(_new_epoch())
    cdef _NodeArray ready = sweep.ready
    cdef PyObject* leaf
    cdef Py_ssize_t i
    _add_cot(root, seed)  # a cotangent already there is added to
    root._mark = sweep.epoch
    if root._prim_code == OP_LEAF:
        sweep.leaves.push(<PyObject*>root)
    else:
        ready.push(<PyObject*>root)
    try:
        while True:
            while ready.head < ready.size:
                if ready.head + LOOKAHEAD < ready.size:
                    _prefetch_for_sweep(ready.items[ready.head + LOOKAHEAD])
                ready.head += 1
                _step(sweep, <Scalar>ready.items[ready.head - 1])
            if sweep.n_waiting == 0:
                break
            sweep.recount()
        for i in range(sweep.leaves.size):
            leaf = sweep.leaves.items[i]
            if (<Scalar>leaf)._has_cot:
                (<Scalar>leaf)._has_cot = 0
                (<Scalar>leaf)._grad = (<Scalar>leaf)._grad + (<Scalar>leaf)._cot_value
    except BaseException:
        _clear_cotangents(root)  # leave no half-accumulated cotangents behind
        raise
    return 0


cdef int _clear_cotangents(Scalar root) except -1:
    """After an exception: drop every cotangent left in the graph."""
    cdef _NodeArray order = _topological_order(root)
    cdef Py_ssize_t i
    for i in range(order.size):
        (<Scalar>order.items[i])._has_cot = 0
    return 0


def _recounts() -> int:
    """How many times ``backward()`` sweeps in this process have had to recount (for tests).

    >>> x = Scalar(1.0); h = x * 2.0; other = h + 1.0; before = _recounts()
    >>> (h * 3.0).backward()      # h waits for `other`, which is not in this graph: recount
    >>> _recounts() - before, x.grad
    (1, 6.0)
    """
    return _recount_total


# ---------------------------------------------------------------------------
# The classic bugs (microgradx.exercises.bugs)
# ---------------------------------------------------------------------------
cdef object _sweep_with_bug = None  # a Python sweep with a classic bug in it, while a switch is on


def _set_sweep_with_bug(sweep):
    """Make ``backward()`` run ``sweep(root, 1.0)`` instead of the C sweep; ``None`` restores the C sweep.

    Called by the switches of :mod:`microgradx.exercises.bugs` (overwrite instead
    of accumulate, recursive sort, parents in a set) while one is on, so the
    compiled Scalar shows the bug as the reference does, instead of hiding it.

    >>> _set_sweep_with_bug(None)
    """
    global _sweep_with_bug
    if sweep is not None and not callable(sweep):
        raise TypeError(f"sweep must be a function or None; got {_kind_name(sweep)}")
    _sweep_with_bug = sweep
