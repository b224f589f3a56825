# The compiled Scalar (ext/scalar.pyx), part 4: copying and pickling (as the reference Scalar does them).
#
# copy, deepcopy and pickle rebuild a node as a leaf (_restore_leaf), then record it on the same operands
# (_record_on).  No step recurses along the graph, so a chain of any length copies and pickles.


cdef object _prim_reference(Scalar node):
    """How ``__reduce__`` names a node's primitive: ``None`` for a leaf, the name of a
    rule-table entry (a copy then has the very same primitive and C op code), else the
    primitive itself."""
    prim = node._prim
    if prim is None:
        return None
    if _rules().table.get(prim.name) is prim:
        return prim.name
    return prim


def _restore(data, grad, label, prim, parents, saved):
    """Rebuild a node pickled by microgradx 0.1.0 (its ``__reduce__`` named this function).

    The node is recorded like any new one, so it counts as a consumer of its
    operands.

    >>> x = Scalar(2.0); y = x * x
    >>> z = _restore(4.0, 0.0, "", "mul", (x, x), (2.0, 2.0))
    >>> z._parents[0] is x, x._consumers
    (True, 4)
    """
    if prim is None:
        if parents or saved:
            raise ValueError("a leaf (prim None) has no parents and no saved values")
        return _restore_leaf(data, grad, label)
    node = _restore_leaf(data, grad, label)
    _record_on(node, prim, parents, saved)
    return node


def _restore_leaf(data, grad, label):
    """A leaf with this value, gradient and label (copy, deepcopy and pickle start each node with it).

    >>> _restore_leaf(2.0, 0.5, "x")
    Scalar(data=2.0, grad=0.5)
    """
    cdef Scalar node = Scalar(data, label)
    node._grad = _to_double(grad, "grad")
    return node


cdef int _record_on(Scalar node, object prim, object parents, object saved) except -1:
    """Turn leaf ``node`` into the node primitive ``prim`` made from ``parents`` (its operands count it)."""
    cdef Py_ssize_t n
    cdef object code
    rules = _rules()
    if isinstance(prim, str):
        if prim not in rules.table:
            raise ValueError(f"prim: no rule-table primitive named {prim!r}")
        prim = rules.table[prim]
    if type(parents) is not tuple or type(saved) is not tuple:
        raise TypeError("parents and saved must be tuples")
    for p in parents:
        if p is not None and type(p) is not Scalar:
            raise TypeError(f"parents must hold compiled Scalars or None; got {_kind_name(p)}")
    n = len(parents)
    if len(saved) != n:
        raise ValueError(f"saved must hold one value per parent ({n}); got {len(saved)}")
    code = _code_of_prim.get(prim)
    if code is not None and n == _ARITY[<int>code]:
        node._prim_code = <int>code
        node._parent0 = parents[0]
        node._saved0 = _to_double(saved[0], "saved values")
        if n == 2:
            node._parent1 = parents[1]
            node._saved1 = _to_double(saved[1], "saved values")
    else:
        node._prim_code = OP_RULE
        if node._extra is None:
            node._extra = _Extra()
        node._extra.prim = prim
        node._extra.saved = saved
        node._extra.parents = parents
    for p in parents:
        if p is not None:
            _count_consumer(<Scalar>p)
    return 0


# Pickling a node pickles its parents first, recursively: a chain of 100,000 nodes would nest
# 100,000 calls deep.  So the first node pickled lists its ancestors, parents first, in its state:
# pickle (and deepcopy) then handle them one after another, and each finds its own parents done.
# The ancestors it listed are remembered here so that their own __reduce__ lists nothing (else
# every node would list all of its ancestors again).
def _deepcopy_graph(root, memo):
    """``copy.deepcopy`` of a node: its ancestors copied first, one after another (no recursion).

    Nodes already in ``memo`` (copied earlier in the same deepcopy) are
    reused, and their ancestors are not visited again.

    >>> import copy
    >>> x = Scalar(2.0); y = x * x; z = y + x
    >>> a, c = copy.deepcopy([x, z])
    >>> [p is a for p in c._parents[0]._parents + c._parents[1:]]
    [True, True, True]
    """
    keep = memo.setdefault(id(memo), [])  # as copy.deepcopy does: the originals outlive the memo
    stack = [root]
    while stack:
        node = stack[len(stack) - 1]  # (the compiled module is built without negative indexing)
        if id(node) in memo:
            stack.pop()
            continue
        missing = [p for p in node._parents if p is not None and id(p) not in memo]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        new = _restore_leaf(node.data, node.grad, node.label)
        if node._prim is not None:
            parents = tuple(None if p is None else memo[id(p)] for p in node._parents)
            new.__setstate__((None, _prim_reference(node), parents, node._saved))
        memo[id(node)] = new
        keep.append(node)
    return memo[id(root)]


_listed = _weakref.WeakValueDictionary()  # id -> node (nodes compare by value)


cdef object _ancestors_first(Scalar node):
    cdef _NodeArray order
    cdef Py_ssize_t k
    if _listed.pop(id(node), None) is node:
        return None
    order = _topological_order(node)
    inner = [<object>order.items[k] for k in range(order.size - 1) if (<Scalar>order.items[k])._prim_code != OP_LEAF]
    _listed.update([(id(p), p) for p in inner])
    return inner or None
