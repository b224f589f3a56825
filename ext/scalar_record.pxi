# The compiled Scalar (ext/scalar.pyx), part 3: recording -- what an operator does.
#
# ``a * b`` checks the exact types of its operands (Scalar, float, int), computes the value with the C
# formula of its op code, and -- when eager recording is on -- returns a new node that holds its op code,
# its operands' nodes and the operand values its rule needs, and counts itself as a consumer of each
# operand.  A primitive without a C formula goes through ``_apply`` and the rule table (OP_RULE).


# ---------------------------------------------------------------------------
# Is eager recording on?
# ---------------------------------------------------------------------------
# "Is eager recording on?" for *this thread*: new threads start with recording on,
# as microgradx.core.state does.  Kept in step by set_eager_enabled().
cdef extern from *:
    """
    static _Thread_local int mgx_scalar_eager = 1;
    """
    int mgx_scalar_eager


def set_eager_enabled(flag) -> None:
    """Switch eager recording of compiled Scalars on or off for the calling thread.

    :mod:`microgradx.core.state` calls this whenever ``no_grad()`` or a transform
    starts or ends, so the hot path reads a C flag instead of calling Python.

    Examples
    --------
    >>> from microgradx._ext import scalar
    >>> scalar.set_eager_enabled(False); scalar.eager_enabled()
    False
    >>> scalar.set_eager_enabled(True); scalar.eager_enabled()
    True
    """
    global mgx_scalar_eager
    mgx_scalar_eager = 1 if flag else 0


def eager_enabled() -> bool:
    """The C recording flag of the calling thread (mirrors :func:`microgradx.core.state.eager_enabled`).

    Examples
    --------
    >>> from microgradx._ext import scalar
    >>> import microgradx as mgx
    >>> with mgx.no_grad():
    ...     scalar.eager_enabled()
    False
    """
    return mgx_scalar_eager != 0


cdef object _Real = _numbers.Real
cdef dict _NO_PARAMS = {}
cdef object _rules_module = None
cdef dict _code_of_prim = None  # rule-table Primitive -> op code


cdef object _rules():
    global _rules_module, _code_of_prim
    if _rules_module is None:
        from microgradx.core import rules
        codes = {}
        for code, name, arity in _OPS:
            codes[rules.table[name]] = code
        _code_of_prim = codes
        _rules_module = rules
    return _rules_module


cdef str _kind_name(object x):
    return type(x).__name__


cdef inline bint _is_number(object x):
    return type(x) is int or isinstance(x, _Real)


cdef double _to_double(object x, str name) except? -1.0:
    if type(x) is float:
        return PyFloat_AS_DOUBLE(x)
    if isinstance(x, bool) or not isinstance(x, _Real):
        raise TypeError(f"{name} must be a real number (int or float); got {_kind_name(x)}")
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(f"{name} is too large for a float: {x!r:.40}") from None


# ---------------------------------------------------------------------------
# Making nodes
# ---------------------------------------------------------------------------
# Why nodes are not tracked by the cycle collector: a node refers only to older nodes
# (its parents), to a str label and to a rule-table primitive, so it can
# never be part of a reference cycle; reference counting frees every graph.  Leaving
# the nodes out of the collector's lists means a big graph
# is never scanned by it -- with them tracked, the collector's passes cost several
# times the forward computation itself.
cdef inline Scalar _leaf(double value):
    cdef Scalar n = Scalar.__new__(Scalar)
    PyObject_GC_UnTrack(<void*>n)
    n._data = value
    return n


# Consumer counts (the reference Scalar's ``_consumers``).  Every node counts the nodes recorded
# with it as an operand, one per operand slot (``a * a`` counts twice).  Only _record,
# _record_rule and _record_on (copy, pickle) set a node's operands, and they count them.  The
# count never goes down: subtracting freed consumers would cost a __dealloc__ call on every node
# freed, and backward() needs no more than a count that is never too low (see _backward).  It
# stops at INT_MAX instead of wrapping around (a parameter gains a few consumers at every
# training step).
cdef inline void _count_consumer(Scalar p) noexcept:
    if p._consumers != INT_MAX:
        p._consumers += 1


cdef inline Scalar _record(double value, int op, Scalar parent0, Scalar parent1, double saved0, double saved1):
    """A new node made by C op ``op`` from operands ``parent0``, ``parent1`` (``None`` for constants)."""
    cdef Scalar n = Scalar.__new__(Scalar)
    PyObject_GC_UnTrack(<void*>n)
    n._data = value
    n._prim_code = op
    n._parent0 = parent0
    n._parent1 = parent1
    n._saved0 = saved0
    n._saved1 = saved1
    if parent0 is not None:
        _count_consumer(parent0)
    if parent1 is not None:
        _count_consumer(parent1)
    return n


cdef Scalar _record_rule(double value, object prim, tuple saved, tuple parents):
    """A new node made by a rule-table primitive without a C copy (``parents``: Scalars or None)."""
    cdef Scalar n = _record(value, OP_RULE, None, None, 0.0, 0.0)
    n._extra = _Extra()
    n._extra.prim = prim
    n._extra.saved = saved
    n._extra.parents = parents
    for p in parents:
        if p is not None:
            _count_consumer(<Scalar>p)
    return n


cdef int _set_label(Scalar node, object value) except -1:
    if not isinstance(value, str):
        raise TypeError(f"label must be a str; got {_kind_name(value)}")
    if node._extra is None:
        if not value:
            return 0  # the default: no _Extra needed
        node._extra = _Extra()
    node._extra.label = str(value)
    return 0


_ARRAY_OPERAND = ("a Scalar cannot be combined with a numpy array: a Scalar holds one number "
                  "(use float(a) for a 0-d array), a Tensor holds arrays (use mgx.array(a) and Tensors)")


cdef object _binary(int op, object a, object b):
    """a <op> b where at least one side is a Scalar; NotImplemented for other operand kinds."""
    cdef double x, y, out
    cdef Scalar pa = None
    cdef Scalar pb = None
    if type(a) is Scalar:
        x = (<Scalar>a)._data
        pa = <Scalar>a
    elif type(a) is float:
        x = PyFloat_AS_DOUBLE(a)
    elif _is_number(a):
        x = float(a)
    elif isinstance(a, _np.ndarray):
        raise TypeError(_ARRAY_OPERAND)
    else:
        return NotImplemented
    if type(b) is Scalar:
        y = (<Scalar>b)._data
        pb = <Scalar>b
    elif type(b) is float:
        y = PyFloat_AS_DOUBLE(b)
    elif _is_number(b):
        y = float(b)
    elif isinstance(b, _np.ndarray):
        raise TypeError(_ARRAY_OPERAND)
    else:
        return NotImplemented
    if _swapped[op]:  # a student's rule may replace this op's: record through the table (exercises.swap_rule)
        return _apply(_dispatch.rule_in_use(_rules().table[_OP_NAMES[op]]), (a, b))
    out = _forward(op, x, y)
    if mgx_scalar_eager:
        return _record(out, op, pa, pb, x, y)
    return _leaf(out)


cdef inline object _unary(int op, Scalar a):
    if _swapped[op]:  # as in _binary
        return _apply(_dispatch.rule_in_use(_rules().table[_OP_NAMES[op]]), (a,))
    cdef double x = a._data
    cdef double out = _forward(op, x, 0.0)
    if mgx_scalar_eager:
        return _record(out, op, a, None, x, 0.0)
    return _leaf(out)


cdef unsigned char _swapped[OP_RULE]  # 1: some thread has swapped this op's rule (exercises.swap_rule)


def _set_swapped(str name, bint flag):
    """Send op ``name`` through the rule table (``flag`` true), or back to its C formulas.

    Called by :func:`microgradx.exercises.swap_rule` while a student's rule is in force,
    so the compiled Scalar never ignores it.

    >>> _set_swapped("mul", False)
    """
    _swapped[_OP_CODES[name]] = flag


cdef object _apply(object prim, tuple args):
    """The scalar engine's part of dispatch.apply: same checks and results as the reference."""
    _rules()
    cdef object code_obj = _code_of_prim.get(prim)
    cdef int code = OP_RULE if code_obj is None else <int>code_obj
    cdef Py_ssize_t n = len(args)
    if prim.vjp is not None and not prim.works_on_scalars:
        raise TypeError(f"Scalar supports elementwise operations only; {prim.name} needs a Tensor")
    cdef bint record = mgx_scalar_eager and prim.vjp is not None
    values = []
    parents = []
    cdef bint any_parent = False
    for a in args:
        if isinstance(a, _np.generic) or type(a) is _np.ndarray and a.ndim == 0 and a.dtype.kind in "biuf":
            a = a.item()  # a numpy number (e.g. where's condition) is a number
        if type(a) is Scalar:
            values.append((<Scalar>a)._data)
            if record:
                parents.append(a)
                any_parent = True
            else:
                parents.append(None)
        elif isinstance(a, (_Real, bool)):
            values.append(a if isinstance(a, (float, bool)) else float(a))
            parents.append(None)
        elif isinstance(a, _dispatch.node_types()) and getattr(a, "_level", None) == 0:
            raise TypeError(
                f"cannot combine a Scalar with a {_kind_name(a)} in one eager graph; "
                "use plain numbers (s.data) or make both Tensors"
            )
        else:
            raise TypeError(f"Scalar operations take Scalars and numbers; got {_kind_name(a)}")
    cdef double out
    cdef double x, y
    if code != OP_RULE and n == _ARITY[code]:
        x = float(values[0])
        y = float(values[1]) if n == 2 else 0.0
        out = _forward(code, x, y)
        if not (record and any_parent):
            return _leaf(out)
        return _record(out, code, parents[0], parents[1] if n == 2 else None, x, y)
    result = prim.forward(*values)
    if prim.vjp is None:
        return result  # comparisons and sign: a plain constant
    if not (record and any_parent):
        return _leaf(float(result))
    return _record_rule(float(result), prim, tuple(values), tuple(parents))
