# The compiled Scalar (ext/scalar.pyx), part 2: the node -- its C fields, operators and properties.
#
# What an operator does (check the operands, compute, record a node) is in ext/scalar_record.pxi;
# copying and pickling in ext/scalar_copy.pxi; ``backward()``'s sweep in ext/scalar_sweep.pxi.


@cython.final
@cython.auto_pickle(False)
cdef class _Extra:
    """What few nodes need, kept outside the node so that every node stays small.

    ``label`` (a name set by the user), and for a primitive without a C copy
    (op code ``OP_RULE``): the rule-table entry, the operand values it saved
    and the parents, one per operand (``None`` for a constant).
    """
    cdef str label
    cdef object prim
    cdef tuple saved
    cdef tuple parents


@cython.final
@cython.freelist(64)
@cython.trashcan(True)
cdef class Scalar:
    """A float that records how it was computed (micrograd's ``Value``), compiled.

    Parameters
    ----------
    data : int or float
        The value (stored as a float).
    label : str, optional
        A name shown in graph pictures and in the narrator.

    Attributes
    ----------
    data : float
        The value.
    grad : float
        d(output)/d(this node), accumulated by ``backward()``; starts at 0.0.

    Examples
    --------
    >>> x = Scalar(0.5)
    >>> y = x.tanh()
    >>> y.backward()
    >>> round(x.grad, 6)     # 1 - tanh(0.5)**2
    0.786448
    """

    # The C fields carry the names of the reference Scalar's attributes (microgradx.nodes.scalar), so
    # that the sweep reads like its Python twin: where the reference holds a tuple (_parents, _saved),
    # there are two fields (_parent0, _parent1); where it holds None or a float (_cot), a flag and a
    # double; where it holds the rule-table entry (_prim), its op code (_prim_code).
    #
    # Layout: with the 16-byte object header, the first line below fills the object's first
    # 64-byte cache line (the block's GC header sits just before it, so the object starts on a
    # line): a consumer sending its cotangent touches only that line of its parent.  The whole
    # object is 112 bytes, a 128-byte block with the GC header: two cache lines per node.
    cdef Scalar _parent0, _parent1  # the operands' nodes, in operand order (None: a constant, or no operand)
    cdef public size_t _mark        # visit mark of graph walks (see _new_epoch)
    cdef int _pending               # during a sweep: consumers that have not yet sent their cotangent
    cdef readonly int _consumers    # nodes recorded with this one as an operand (see _count_consumer)
    cdef unsigned char _prim_code   # op code (OP_LEAF for a leaf)
    cdef unsigned char _has_cot     # 1 while a sweep holds a cotangent for this node (_cot is not None)
    cdef double _cot_value          # that cotangent
    # second cache line: what the sweep needs when it applies this node's rule
    cdef double _data               # the value (``data``)
    cdef double _saved0, _saved1    # operand values the rule needs (saved at creation)
    cdef double _grad               # the gradient (``grad``)
    cdef _Extra _extra              # None, or the label and (OP_RULE) the rule-table entry
    cdef object __weakref__

    _kind = "scalar"
    _level = 0
    _params = {}
    __array_ufunc__ = None  # numpy must not treat a Scalar as an object-array element

    def __init__(self, data, label=""):
        PyObject_GC_UnTrack(<void*>self)  # see _leaf below: nodes never form cycles
        self._data = _to_double(data, "Scalar data")
        self._grad = 0.0
        self._prim_code = OP_LEAF
        _set_label(self, label)

    property data:
        """The value (a float; assigning anything but a real number is a TypeError).

        >>> s = Scalar(1.0); s.data = 2; s.data
        2.0
        """
        def __get__(self):
            return self._data

        def __set__(self, value):
            self._data = _to_double(value, "data")

    property grad:
        """d(output)/d(this node), accumulated by ``backward()`` (a float).

        >>> s = Scalar(1.0); s.grad = None
        Traceback (most recent call last):
        ...
        TypeError: grad must be a real number (int or float); got NoneType
        """
        def __get__(self):
            return self._grad

        def __set__(self, value):
            self._grad = _to_double(value, "grad")

    # copy, deepcopy and pickle rebuild a node as a leaf (_restore_leaf), then record it on the same
    # operands (__setstate__), which count one more consumer; visit marks and cotangents, which
    # belong to one sweep, are not kept.  _ancestors_first: why the state lists ancestors.
    def __reduce__(self):
        if self._prim_code == OP_LEAF:
            return (_restore_leaf, (self._data, self._grad, self.label))
        state = (_ancestors_first(self), _prim_reference(self), self._parents, self._saved)
        return (_restore_leaf, (self._data, self._grad, self.label), state)

    def __setstate__(self, state):
        _, prim, parents, saved = state
        if self._prim_code != OP_LEAF or self._consumers:
            raise ValueError("__setstate__: only a new leaf can be given a recorded state")
        _record_on(self, prim, parents, saved)

    def __deepcopy__(self, memo):
        return _deepcopy_graph(self, memo)

    def __copy__(self):
        # a new node recorded on the same operands (no walk of the graph: see _ancestors_first)
        node = _restore_leaf(self._data, self._grad, self.label)
        if self._prim_code != OP_LEAF:
            _record_on(node, _prim_reference(self), self._parents, self._saved)
        return node

    # -- micrograd's operators --------------------------------------------------
    def __add__(self, other):
        return _binary(OP_ADD, self, other)

    def __radd__(self, other):
        return _binary(OP_ADD, other, self)

    def __sub__(self, other):
        return _binary(OP_SUB, self, other)

    def __rsub__(self, other):
        return _binary(OP_SUB, other, self)

    def __mul__(self, other):
        return _binary(OP_MUL, self, other)

    def __rmul__(self, other):
        return _binary(OP_MUL, other, self)

    def __truediv__(self, other):
        return _binary(OP_DIV, self, other)

    def __rtruediv__(self, other):
        return _binary(OP_DIV, other, self)

    def __pow__(self, other, mod=None):
        if mod is not None:
            return NotImplemented
        return _binary(OP_POW, self, other)

    def __rpow__(self, other, mod=None):
        if mod is not None:
            return NotImplemented
        return _binary(OP_POW, other, self)

    def __neg__(self):
        return _unary(OP_NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _unary(OP_ABS, self)

    def exp(self):
        """e ** self.

        >>> Scalar(0.0).exp().data
        1.0
        """
        return _unary(OP_EXP, self)

    def log(self):
        """Natural log (``-inf`` at 0, ``nan`` below).

        >>> Scalar(1.0).log().data, Scalar(0.0).log().data
        (0.0, -inf)
        """
        return _unary(OP_LOG, self)

    def tanh(self):
        """Hyperbolic tangent.

        >>> Scalar(0.0).tanh().data
        0.0
        """
        return _unary(OP_TANH, self)

    def relu(self):
        """max(self, 0).

        >>> Scalar(-2.0).relu().data, Scalar(3.0).relu().data
        (0.0, 3.0)
        """
        return _unary(OP_RELU, self)

    def sigmoid(self):
        """1 / (1 + e ** -self), without overflow.

        >>> Scalar(0.0).sigmoid().data
        0.5
        """
        return _unary(OP_SIGMOID, self)

    def sin(self):
        """Sine.

        >>> Scalar(0.0).sin().data
        0.0
        """
        return _unary(OP_SIN, self)

    def cos(self):
        """Cosine.

        >>> Scalar(0.0).cos().data
        1.0
        """
        return _unary(OP_COS, self)

    def sqrt(self):
        """Square root (``nan`` below 0).

        >>> Scalar(9.0).sqrt().data
        3.0
        """
        return _unary(OP_SQRT, self)

    def abs(self):
        """Absolute value.

        >>> Scalar(-2.5).abs().data
        2.5
        """
        return _unary(OP_ABS, self)

    # -- comparisons compare values ----------------------------------------------
    def __richcmp__(self, other, int opid):
        cdef double y
        if type(other) is Scalar:
            y = (<Scalar>other)._data
        elif type(other) is float:
            y = PyFloat_AS_DOUBLE(other)
        elif _is_number(other):
            # compare exactly, as Python does for float vs int
            return _py_compare(self._data, other, opid)
        else:
            return NotImplemented
        if opid == 0:
            return self._data < y
        elif opid == 1:
            return self._data <= y
        elif opid == 2:
            return self._data == y
        elif opid == 3:
            return self._data != y
        elif opid == 4:
            return self._data > y
        return self._data >= y

    def __hash__(self):
        # a node is an identity (micrograd keeps nodes in sets); rotate like object.__hash__
        cdef uintptr_t p = <uintptr_t><void*>self
        cdef Py_hash_t h = <Py_hash_t>((p >> 4) | (p << (8 * sizeof(uintptr_t) - 4)))
        return -2 if h == -1 else h

    def __float__(self):
        return self._data

    def __repr__(self):
        return f"Scalar(data={self._data!r}, grad={self._grad!r})"

    # -- reverse mode -----------------------------------------------------------
    def backward(self):
        """Set this node's gradient to 1 and accumulate d(self)/d(node) into every node's ``.grad``.

        The whole sweep runs in C (``_backward`` in ext/scalar_sweep.pxi).  Gradients accumulate: a second call adds
        again (leaves and intermediate nodes alike).  Use ``zero_grad()`` (or
        ``Module.zero_grad()``) to start over.

        >>> x = Scalar(3.0); y = x * x
        >>> y.backward(); y.backward(); x.grad
        12.0
        """
        with _eager_sweep:  # one sweep at a time in the process, none nested (microgradx.core.state.eager_sweep)
            if _sweep_with_bug is None:
                _backward(self, 1.0)
            else:  # a classic-bug switch is on (microgradx.exercises.bugs): show the bug, as the reference does
                _sweep_with_bug(self, 1.0)

    def zero_grad(self):
        """Set ``grad`` back to 0.0.

        >>> x = Scalar(1.0); x.grad = 5.0; x.zero_grad(); x.grad
        0.0
        """
        self._grad = 0.0

    def _accumulate_grad(self, g):
        self._grad += g

    # -- node protocol (what the engines, viz and the narrator read) ---------------
    def _inner(self):
        return self._data

    def _apply(self, prim, args, params):
        """Run rule-table primitive ``prim`` on Scalars and numbers (see :func:`microgradx.core.dispatch.apply`).

        >>> from microgradx import rules
        >>> Scalar(0.0)._apply(rules.EXP, (Scalar(0.0),), {}).data
        1.0
        """
        return _apply(prim, tuple(args))

    @property
    def label(self):
        """A name shown in graph pictures and the narrator ('' by default).

        >>> Scalar(1.0, label="x").label
        'x'
        """
        if self._extra is None or self._extra.label is None:
            return ""
        return self._extra.label

    @label.setter
    def label(self, value):
        _set_label(self, value)

    @property
    def _parents(self):
        """One entry per operand: the operand's node, or ``None`` for a constant; ``()`` for a leaf."""
        if self._prim_code == OP_RULE:
            return self._extra.parents
        if _ARITY[self._prim_code] == 0:
            return ()
        if _ARITY[self._prim_code] == 1:
            return (self._parent0,)
        return (self._parent0, self._parent1)

    # (the engine reads _prim and _parents; _prev and _op are views for code written against micrograd)
    @property
    def _prev(self):
        """micrograd's ``_prev``: the operands, a number as a new leaf holding it (``()`` for a leaf).

        >>> x = Scalar(3.0); [p.data for p in (x * 2 + 1)._prev]
        [6.0, 1.0]
        """
        return _micrograd_prev(self)

    @property
    def _prim(self):
        """The rule-table primitive that made this node (``None`` for a leaf)."""
        if self._prim_code == OP_LEAF:
            return None
        if self._prim_code == OP_RULE:
            return self._extra.prim
        return _rules().table[_OP_NAMES[self._prim_code]]

    @property
    def _op(self):
        """micrograd's ``_op``: ``'+'``, ``'*'``, ``'ReLU'``, ``'**2'`` ... ('' for a leaf); the rule is ``_prim``.

        >>> x = Scalar(3.0); (x * 2)._op, (x ** 2)._op, x.relu()._op, x.tanh()._op
        ('*', '**2', 'ReLU', 'tanh')
        """
        return _micrograd_op(self)

    @property
    def _saved(self):
        """The operand values the rule saved (a tuple of floats; ``()`` for a leaf)."""
        if self._prim_code == OP_RULE:
            return self._extra.saved
        if _ARITY[self._prim_code] == 0:
            return ()
        if _ARITY[self._prim_code] == 1:
            return (self._saved0,)
        return (self._saved0, self._saved1)

    @property
    def _cot(self):
        """Cotangent accumulated during a sweep (``None`` outside one).

        >>> x = Scalar(2.0); x._cot is None
        True
        """
        return self._cot_value if self._has_cot else None

    @_cot.setter
    def _cot(self, value):
        if value is None:
            self._has_cot = 0
        else:
            self._cot_value = value
            self._has_cot = 1


cdef object _py_compare(double x, object y, int opid):
    cdef object fx = x
    if opid == 0:
        return fx < y
    elif opid == 1:
        return fx <= y
    elif opid == 2:
        return fx == y
    elif opid == 3:
        return fx != y
    elif opid == 4:
        return fx > y
    return fx >= y


# micrograd's names for the operations it has (micrograd writes a - b as a + (-b) and a / b as a * b**-1;
# we keep them as one node each, under their own symbols)
_MICROGRAD_OPS = {"add": "+", "mul": "*", "relu": "ReLU", "sub": "-", "div": "/", "pow": "**"}


def _micrograd_op(node):
    """micrograd's ``_op`` of ``node``: '+', '*', 'ReLU', '**2' (a constant exponent), else the rule's name."""
    prim = node._prim
    if prim is None:
        return ""
    if prim.name == "pow" and node._parents[1] is None:
        e = node._saved[1]
        return f"**{int(e) if float(e).is_integer() else e}"
    return _MICROGRAD_OPS.get(prim.name, prim.name)


def _micrograd_prev(node):
    """micrograd's ``_prev`` of ``node``: its operands in order, a number as a new leaf holding it (micrograd
    wraps numbers in a ``Value`` too), except a constant exponent, which is part of ``_op``."""
    prim = node._prim
    if prim is None:
        return ()
    prev = []
    for i, (p, v) in enumerate(zip(node._parents, node._saved)):
        if p is not None:
            prev.append(p)
        elif not (prim.name == "pow" and i == 1) and type(v) is not bool:  # (bool: where's condition)
            prev.append(type(node)(float(v)))
    return tuple(prev)
