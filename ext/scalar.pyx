"""Scalar, compiled: the fast twin of :mod:`microgradx.nodes.scalar`.

Same public behaviour as the reference ``microgradx.nodes.scalar.Scalar`` (tests
check the two against each other); what changes is where the work happens:

* **forward**: each operator checks the exact types of its operands first
  (Scalar, float), computes the result with a C ``switch`` over op codes --
  this module's C copy of the rule table's scalar formulas -- and fills a new
  node's C fields (value, op code, parents, operand values).  No Python
  function of the rule table is called on the fast path.
* **backward**: ``backward()`` runs entirely in C, in one pass: every node
  counts the nodes recorded with it as an operand (its consumers), so the
  sweep starts at once from the output and releases a node as soon as all
  its consumers have sent their cotangents (Kahn's algorithm, the
  consumer-count form of the topological sort), applying the node's local
  derivatives and adding its cotangent, accumulated in a C double, to
  ``.grad``.  When some consumer is not part of the output's graph, the
  sweep counts again what is left (see ``_backward``).  A million-node
  chain sweeps and frees without recursion.
* **memory**: parents are held directly in two C fields (``_parents`` gives
  them as a tuple); ``@cython.trashcan(True)`` makes freeing a deep chain
  iterative.  Nodes never form reference cycles, so they are not tracked by
  the cycle collector: reference counting frees every graph.

Operations the C copy does not know (rule-table primitives such as
``where``) are still recorded: the node keeps the primitive and its saved
values and the sweep calls the primitive's ``vjp`` for that node.

Whether eager operations record a graph is a C thread-local flag kept in
step with :func:`microgradx.no_grad` and the transforms by
:func:`set_eager_enabled` (registered with :mod:`microgradx.core.state`).

Examples
--------
>>> from microgradx._ext.scalar import Scalar
>>> a = Scalar(2.0); b = Scalar(-3.0)
>>> c = a * b + a ** 2
>>> c.backward()
>>> a.grad, b.grad            # dc/da = b + 2a, dc/db = a
(1.0, 2.0)
"""

cimport cython
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from libc.math cimport INFINITY, NAN
from libc.math cimport cos as c_cos
from libc.math cimport exp as c_exp
from libc.math cimport fabs
from libc.math cimport isfinite
from libc.math cimport log as c_log
from libc.math cimport pow as c_pow
from libc.math cimport sin as c_sin
from libc.math cimport sqrt as c_sqrt
from libc.math cimport tanh as c_tanh
from libc.limits cimport INT_MAX
from libc.stdint cimport uintptr_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memmove

import numbers as _numbers
import weakref as _weakref

import numpy as _np

from microgradx.core import dispatch as _dispatch
from microgradx.core import state as _state

_eager_sweep = _state.eager_sweep

__all__ = ["Scalar", "set_eager_enabled", "eager_enabled"]

# "Is eager recording on?" for *this thread*: new threads start with recording on,
# as microgradx.core.state does.  Kept in step by set_eager_enabled().
cdef extern from *:
    """
    static _Thread_local int mgx_scalar_eager = 1;
    """
    int mgx_scalar_eager

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void* op)

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
# Op codes: one per rule-table primitive this module has a C copy of
# ---------------------------------------------------------------------------
cdef enum:
    OP_LEAF = 0      # made by the user, or computed without recording
    OP_ADD
    OP_SUB
    OP_MUL
    OP_DIV
    OP_POW
    OP_MAXIMUM
    OP_MINIMUM
    OP_NEG           # first unary op code
    OP_EXP
    OP_LOG
    OP_TANH
    OP_RELU
    OP_SIGMOID
    OP_SIN
    OP_COS
    OP_SQRT
    OP_ABS
    OP_SQUARE
    OP_RULE          # any other primitive: the sweep calls prim.vjp
    N_OPS

# rule-table names, indexed by op code
_OP_NAMES = ("", "add", "sub", "mul", "div", "pow", "maximum", "minimum", "neg", "exp", "log", "tanh",
             "relu", "sigmoid", "sin", "cos", "sqrt", "abs", "square")

cdef inline int _arity(int op) noexcept nogil:
    if op == OP_LEAF:
        return 0
    if op == OP_RULE:
        return -1
    return 2 if op < OP_NEG else 1


# ---------------------------------------------------------------------------
# The C copy of the scalar formulas (same values as microgradx.core.floatmath)
# ---------------------------------------------------------------------------
cdef inline double _sigmoid(double x) noexcept nogil:
    cdef double e
    if x >= 0.0:
        return 1.0 / (1.0 + c_exp(-x))
    e = c_exp(x)  # never overflows for x < 0
    return e / (1.0 + e)


cdef inline double _sin(double x) noexcept nogil:
    return c_sin(x) if isfinite(x) else NAN


cdef inline double _cos(double x) noexcept nogil:
    return c_cos(x) if isfinite(x) else NAN


cdef inline double _sign(double x) noexcept nogil:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x  # 0.0, -0.0 or nan


cdef inline double _forward1(int op, double x) noexcept nogil:
    if op == OP_NEG:
        return -x
    elif op == OP_EXP:
        return c_exp(x)
    elif op == OP_LOG:
        return c_log(x)  # -inf at 0, nan below 0
    elif op == OP_TANH:
        return c_tanh(x)
    elif op == OP_RELU:
        return x if x > 0.0 or x != x else 0.0
    elif op == OP_SIGMOID:
        return _sigmoid(x)
    elif op == OP_SIN:
        return _sin(x)
    elif op == OP_COS:
        return _cos(x)
    elif op == OP_SQRT:
        return c_sqrt(x) if x >= 0.0 else NAN
    elif op == OP_ABS:
        return fabs(x)
    elif op == OP_SQUARE:
        return x * x
    return NAN


cdef inline double _forward2(int op, double x, double y) noexcept nogil:
    if op == OP_ADD:
        return x + y
    elif op == OP_SUB:
        return x - y
    elif op == OP_MUL:
        return x * y
    elif op == OP_DIV:
        return x / y  # cdivision: IEEE (1/0 = inf, 0/0 = nan)
    elif op == OP_POW:
        return c_pow(x, y)  # IEEE pow: nan for negative ** fractional, inf on overflow
    elif op == OP_MAXIMUM:
        return x if x > y or x != x else y  # nan if either is nan, as np.maximum
    elif op == OP_MINIMUM:
        return x if x < y or x != x else y
    return NAN


cdef inline void _local2(int op, double x, double y, double out, double* dx, double* dy) noexcept nogil:
    """Local derivatives d(out)/dx, d(out)/dy (the rule table's partials)."""
    if op == OP_ADD:
        dx[0] = 1.0
        dy[0] = 1.0
    elif op == OP_SUB:
        dx[0] = 1.0
        dy[0] = -1.0
    elif op == OP_MUL:
        dx[0] = y
        dy[0] = x
    elif op == OP_DIV:
        dx[0] = 1.0 / y
        dy[0] = -out / y
    elif op == OP_POW:
        dx[0] = 0.0 if y == 0.0 else y * c_pow(x, y - 1.0)
        # at x == 0: 0 for y >= 0, -inf for y < 0 (as the rule table)
        dy[0] = (0.0 if y >= 0.0 else (-INFINITY if y < 0.0 else NAN)) if x == 0.0 else out * c_log(x)
    elif op == OP_MAXIMUM:  # to the operand picked: the larger, or the nan one (x if both); ties share
        dx[0] = (1.0 if x > y or x != x else 0.0) + 0.5 * (1.0 if x == y else 0.0)
        dy[0] = (1.0 if y > x or (y != y and x == x) else 0.0) + 0.5 * (1.0 if x == y else 0.0)
    elif op == OP_MINIMUM:
        dx[0] = (1.0 if x < y or x != x else 0.0) + 0.5 * (1.0 if x == y else 0.0)
        dy[0] = (1.0 if y < x or (y != y and x == x) else 0.0) + 0.5 * (1.0 if x == y else 0.0)
    else:
        dx[0] = NAN
        dy[0] = NAN


cdef inline double _local1(int op, double x, double out) noexcept nogil:
    """Local derivative d(out)/dx of a unary op."""
    if op == OP_NEG:
        return -1.0
    elif op == OP_EXP:
        return out
    elif op == OP_LOG:
        return 1.0 / x
    elif op == OP_TANH:
        return 1.0 - out * out
    elif op == OP_RELU:
        return 1.0 if x > 0.0 else 0.0
    elif op == OP_SIGMOID:
        return out * (1.0 - out)
    elif op == OP_SIN:
        return _cos(x)
    elif op == OP_COS:
        return -_sin(x)
    elif op == OP_SQRT:
        return 0.5 / out
    elif op == OP_ABS:
        return _sign(x)
    elif op == OP_SQUARE:
        return 2.0 * x
    return NAN


def _c_formulas():
    """The C copy of the rule table, for the test that checks it against the table: ``{name: arity}``.

    >>> _c_formulas()["mul"], _c_formulas()["exp"]
    (2, 1)
    """
    return {_OP_NAMES[op]: _arity(op) for op in range(1, OP_RULE)}


def _c_formula(str name, double x, double y=0.0):
    """The C formula of primitive ``name`` at ``x`` (and ``y``): its value and local derivatives.

    >>> _c_formula("mul", 2.0, 3.0)
    (6.0, 3.0, 2.0)
    >>> _c_formula("exp", 0.0)
    (1.0, 1.0)
    """
    cdef int op = _OP_NAMES.index(name) if name in _OP_NAMES[1:] else -1
    cdef double out, d0, d1
    if op < 1:
        raise KeyError(f"no C formula for {name!r}")
    if _arity(op) == 1:
        out = _forward1(op, x)
        return (out, _local1(op, x, out))
    out = _forward2(op, x, y)
    _local2(op, x, y, out, &d0, &d1)
    return (out, d0, d1)


# ---------------------------------------------------------------------------
# Flag and registration
# ---------------------------------------------------------------------------
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
        for code in range(1, OP_RULE):
            codes[rules.table[_OP_NAMES[code]]] = code
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
# The node
# ---------------------------------------------------------------------------
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

    # Layout: with the 16-byte object header, the first line below fills the object's first
    # 64-byte cache line (the block's GC header sits just before it, so the object starts on a
    # line): a consumer sending its cotangent touches only that line of its parent.  The whole
    # object is 112 bytes, a 128-byte block with the GC header: two cache lines per node.
    cdef Scalar p0, p1       # the operands' nodes, in operand order (None: a constant, or no operand)
    cdef size_t mark         # visit mark of graph walks (see _new_epoch)
    cdef int pending         # during a sweep: consumers that have not yet sent their cotangent
    cdef int consumers       # nodes recorded with this one as an operand (one per operand slot)
    cdef unsigned char op    # op code (OP_LEAF for a leaf)
    cdef unsigned char has_cot  # 1 while a sweep has a cotangent for this node
    cdef double cot          # that cotangent
    # second cache line: what the sweep needs when it applies this node's rule
    cdef double _data        # the value (``data``)
    cdef double s0, s1       # operand values the rule needs (saved at creation)
    cdef double _grad        # the gradient (``grad``)
    cdef _Extra extra        # None, or the label and (OP_RULE) the rule-table entry
    cdef object __weakref__

    _kind = "scalar"
    _level = 0
    _params = {}
    __array_ufunc__ = None  # numpy must not treat a Scalar as an object-array element

    def __init__(self, data, label=""):
        PyObject_GC_UnTrack(<void*>self)  # see _leaf below: nodes never form cycles
        self._data = _to_double(data, "Scalar data")
        self._grad = 0.0
        self.op = OP_LEAF
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
        if self.op == OP_LEAF:
            return (_restore_leaf, (self._data, self._grad, self.label))
        state = (_ancestors_first(self), _prim_reference(self), self._parents, self._saved)
        return (_restore_leaf, (self._data, self._grad, self.label), state)

    def __setstate__(self, state):
        _, prim, parents, saved = state
        if self.op != OP_LEAF or self.consumers:
            raise ValueError("__setstate__: only a new leaf can be given a recorded state")
        _record_on(self, prim, parents, saved)

    def __deepcopy__(self, memo):
        return _deepcopy_graph(self, memo)

    def __copy__(self):
        # a new node recorded on the same operands (no walk of the graph: see _ancestors_first)
        node = _restore_leaf(self._data, self._grad, self.label)
        if self.op != OP_LEAF:
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

        The whole sweep runs in C.  Gradients accumulate: a second call adds
        again (leaves and intermediate nodes alike).  Use ``zero_grad()`` (or
        ``Module.zero_grad()``) to start over.

        >>> x = Scalar(3.0); y = x * x
        >>> y.backward(); y.backward(); x.grad
        12.0
        """
        with _eager_sweep:  # one sweep at a time in the process, none nested (microgradx.core.state.eager_sweep)
            if _sweep_with_bug is not None:  # a classic-bug switch is on (microgradx.exercises.bugs)
                _sweep_with_bug(self, 1.0)
            else:
                _backward(self, 1.0)

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
        if self.extra is None or self.extra.label is None:
            return ""
        return self.extra.label

    @label.setter
    def label(self, value):
        _set_label(self, value)

    @property
    def _parents(self):
        """One entry per operand: the operand's node, or ``None`` for a constant; ``()`` for a leaf."""
        cdef int k = _arity(self.op)
        if self.op == OP_RULE:
            return self.extra.parents
        if k == 0:
            return ()
        if k == 1:
            return (self.p0,)
        return (self.p0, self.p1)

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
        if self.op == OP_LEAF:
            return None
        if self.op == OP_RULE:
            return self.extra.prim
        return _rules().table[_OP_NAMES[self.op]]

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
        cdef int k = _arity(self.op) if self.op != OP_RULE else -1
        if k == 0:
            return ()
        if k == 1:
            return (self.s0,)
        if k == 2:
            return (self.s0, self.s1)
        return self.extra.saved

    @property
    def _consumers(self):
        """How many nodes have been recorded with this one as an operand (one per operand slot).

        The count never goes down (see ``_backward``): it is at least the
        number of live consumers.

        >>> x = Scalar(2.0); y = x * x; z = x + 1.0
        >>> x._consumers
        3
        >>> del y
        >>> x._consumers
        3
        """
        return self.consumers

    @property
    def _mark(self):
        """Epoch visit mark used by graph walks."""
        return self.mark

    @_mark.setter
    def _mark(self, value):
        self.mark = value

    @property
    def _cot(self):
        """Cotangent accumulated during a sweep (``None`` outside one)."""
        return self.cot if self.has_cot else None

    @_cot.setter
    def _cot(self, value):
        if value is None:
            self.has_cot = 0
        else:
            self.cot = value
            self.has_cot = 1


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


# ---------------------------------------------------------------------------
# Recording
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


# Consumer counts.  Every node counts the nodes recorded with it as an operand, one per operand
# slot (``a * a`` counts twice).  Only _record and _record_rule set a node's operands, and they
# count them.  The count never goes down: subtracting freed consumers would cost a __dealloc__
# call on every node freed, and backward() needs no more than a count that is never too low
# (see _backward).  It stops at INT_MAX instead of wrapping around (a parameter gains a few
# consumers at every training step).
cdef inline void _count_consumer(Scalar p) noexcept:
    if p.consumers != INT_MAX:
        p.consumers += 1


cdef inline Scalar _record(double value, int op, Scalar p0, Scalar p1, double s0, double s1):
    """A new node made by C op ``op`` from operands ``p0``, ``p1`` (``None`` for constants)."""
    cdef Scalar n = Scalar.__new__(Scalar)
    PyObject_GC_UnTrack(<void*>n)
    n._data = value
    n.op = op
    n.p0 = p0
    n.p1 = p1
    n.s0 = s0
    n.s1 = s1
    if p0 is not None:
        _count_consumer(p0)
    if p1 is not None:
        _count_consumer(p1)
    return n


cdef Scalar _record_rule(double value, object prim, tuple saved, tuple parents):
    """A new node made by a rule-table primitive without a C copy (``parents``: Scalars or None)."""
    cdef Scalar n = _record(value, OP_RULE, None, None, 0.0, 0.0)
    n.extra = _Extra()
    n.extra.prim = prim
    n.extra.saved = saved
    n.extra.parents = parents
    for p in parents:
        if p is not None:
            _count_consumer(<Scalar>p)
    return n


cdef int _set_label(Scalar node, object value) except -1:
    if not isinstance(value, str):
        raise TypeError(f"label must be a str; got {_kind_name(value)}")
    if node.extra is None:
        if not value:
            return 0  # the default: no _Extra needed
        node.extra = _Extra()
    node.extra.label = str(value)
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
    out = _forward2(op, x, y)
    if mgx_scalar_eager:
        return _record(out, op, pa, pb, x, y)
    return _leaf(out)


cdef inline object _unary(int op, Scalar a):
    if _swapped[op]:  # as in _binary
        return _apply(_dispatch.rule_in_use(_rules().table[_OP_NAMES[op]]), (a,))
    cdef double x = a._data
    cdef double out = _forward1(op, x)
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
    _swapped[_OP_NAMES.index(name)] = flag


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


cdef object _apply(object prim, tuple args):
    """The scalar engine's part of dispatch.apply: same checks and results as the reference."""
    rules = _rules()
    cdef object code_obj = _code_of_prim.get(prim)
    cdef int code = OP_RULE if code_obj is None else <int>code_obj
    cdef Py_ssize_t n = len(args)
    if code == OP_RULE and prim.vjp is not None and prim.partials is None and prim is not rules.WHERE:
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
    if code != OP_RULE and n == _arity(code):
        if n == 1:
            out = _forward1(code, float(values[0]))
            if not (record and any_parent):
                return _leaf(out)
            return _record(out, code, parents[0], None, float(values[0]), 0.0)
        out = _forward2(code, float(values[0]), float(values[1]))
        if not (record and any_parent):
            return _leaf(out)
        return _record(out, code, parents[0], parents[1], float(values[0]), float(values[1]))
    result = prim.forward(*values)
    if prim.vjp is None:
        return result  # comparisons and sign: a plain constant
    if not (record and any_parent):
        return _leaf(float(result))
    return _record_rule(float(result), prim, tuple(values), tuple(parents))


# ---------------------------------------------------------------------------
# Copying and pickling
# ---------------------------------------------------------------------------
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
    if code is not None and n == _arity(<int>code):
        node.op = <int>code
        node.p0 = parents[0]
        node.s0 = _to_double(saved[0], "saved values")
        if n == 2:
            node.p1 = parents[1]
            node.s1 = _to_double(saved[1], "saved values")
    else:
        node.op = OP_RULE
        if node.extra is None:
            node.extra = _Extra()
        node.extra.prim = prim
        node.extra.saved = saved
        node.extra.parents = parents
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
    cdef PyObject** order = NULL
    cdef Py_ssize_t n, k
    if _listed.pop(id(node), None) is node:
        return None
    n = _topological_order(node, &order)
    try:
        inner = [<object>order[k] for k in range(n - 1) if (<Scalar>order[k]).op != OP_LEAF]
    finally:
        free(order)
    _listed.update([(id(p), p) for p in inner])
    return inner or None


# ---------------------------------------------------------------------------
# Graph walks and the backward sweep, in C
# ---------------------------------------------------------------------------
# The walks handle nodes through borrowed pointers (PyObject*, no reference counting): the
# root keeps every node of its graph alive, and nothing a walk does frees a node.  Fields of
# nodes behind such pointers are updated with ``x.f = x.f + v`` (Cython would take a
# reference for ``x.f += v`` through a cast).

# Visit marks.  A walk stamps the nodes it reaches with a number no walk used before, so
# "reached in this walk?" is one comparison and nothing needs cleaning afterwards.  The
# compiled walks share one counter for the whole process (they all run holding the GIL) that
# counts down from the largest size_t: microgradx.core.state.new_epoch hands out numbers from its
# own process-wide counter, counting up from 1 (for the reference engine, which may walk compiled
# Scalars too), so the two never meet, and threads that share nodes (a model's parameters) never
# reuse each other's marks.
cdef size_t _last_epoch = <size_t>-1


cdef inline size_t _new_epoch() noexcept:
    global _last_epoch
    _last_epoch -= 1
    return _last_epoch


cdef struct Buffer:
    PyObject** items  # malloc'ed array of borrowed pointers; items[head:size] are in use
    Py_ssize_t head, size, capacity  # (head moves only when the buffer is used as a queue)


cdef int _buffer_init(Buffer* b) except -1:
    b.head = 0
    b.size = 0
    b.capacity = 1024
    b.items = <PyObject**>malloc(b.capacity * sizeof(PyObject*))
    if b.items == NULL:
        raise MemoryError()
    return 0


cdef int _make_room(Buffer* b) except -1:
    """Room for one more item: slide the items in use to the front, or double the array."""
    cdef PyObject** grown
    if b.head >= b.capacity // 2:
        memmove(b.items, b.items + b.head, (b.size - b.head) * sizeof(PyObject*))
        b.size -= b.head
        b.head = 0
    else:
        grown = <PyObject**>realloc(b.items, 2 * b.capacity * sizeof(PyObject*))
        if grown == NULL:
            raise MemoryError()
        b.items = grown
        b.capacity *= 2
    return 0


cdef inline int _append(Buffer* b, PyObject* item) except -1:
    if b.size == b.capacity:
        _make_room(b)
    b.items[b.size] = item
    b.size += 1
    return 0


cdef inline Py_ssize_t _parent_count(PyObject* node) noexcept:
    """Number of operand slots of a node (each holds a parent node or None)."""
    if (<Scalar>node).op == OP_RULE:
        return PyTuple_GET_SIZE((<Scalar>node).extra.parents)
    return _arity((<Scalar>node).op)


cdef inline PyObject* _parent_of(PyObject* node, Py_ssize_t i) noexcept:
    """Borrowed pointer to the parent in slot i (may be None); i < _parent_count(node)."""
    if (<Scalar>node).op == OP_RULE:
        return PyTuple_GET_ITEM((<Scalar>node).extra.parents, i)
    return <PyObject*>(<Scalar>node).p0 if i == 0 else <PyObject*>(<Scalar>node).p1


cdef struct Frame:
    PyObject* node   # borrowed
    Py_ssize_t next  # index of the next parent to look at


cdef Py_ssize_t _topological_order(Scalar root, PyObject*** order_out) except -1:
    """Fill a malloc'ed array with the nodes reachable from root, parents first; return its length.

    The same depth-first walk as microgradx.core.engine.topological_order, with a
    C array as the stack and the top frame updated in place.
    """
    cdef size_t epoch = _new_epoch()
    cdef Py_ssize_t cap = 1024, n = 0, depth = 0, scap = 1024, count
    cdef PyObject** order = <PyObject**>malloc(cap * sizeof(PyObject*))
    cdef Frame* stack = <Frame*>malloc(scap * sizeof(Frame))
    cdef PyObject** grown_order
    cdef Frame* grown_stack
    cdef Frame* top
    cdef PyObject* node
    cdef PyObject* item
    cdef PyObject* none = <PyObject*>None
    if order == NULL or stack == NULL:
        free(order)
        free(stack)
        raise MemoryError()
    root.mark = epoch
    stack[0].node = <PyObject*>root
    stack[0].next = 0
    depth = 1
    while depth:
        top = &stack[depth - 1]
        node = top.node
        count = _parent_count(node)
        while top.next < count:
            item = _parent_of(node, top.next)
            top.next += 1
            if item != none and (<Scalar>item).mark != epoch:
                (<Scalar>item).mark = epoch
                if depth == scap:
                    grown_stack = <Frame*>realloc(stack, 2 * scap * sizeof(Frame))
                    if grown_stack == NULL:
                        free(order)
                        free(stack)
                        raise MemoryError()
                    stack = grown_stack
                    scap *= 2
                stack[depth].node = item
                stack[depth].next = 0
                depth += 1
                break
        else:  # all parents done
            depth -= 1
            if n == cap:
                grown_order = <PyObject**>realloc(order, 2 * cap * sizeof(PyObject*))
                if grown_order == NULL:
                    free(order)
                    free(stack)
                    raise MemoryError()
                order = grown_order
                cap *= 2
            order[n] = node
            n += 1
    free(stack)
    order_out[0] = order
    return n


cdef inline void _add_cot(Scalar p, double c) noexcept:
    if p.has_cot:
        p.cot = p.cot + c
    else:
        p.cot = c
        p.has_cot = 1


cdef int _rule_vjp(Scalar node, double g) except -1:
    """Reverse step of a node made by a primitive without a C copy: call the rule table."""
    parents = node.extra.parents
    needs = tuple([p is not None for p in parents])
    cts = node.extra.prim.vjp(g, node._data, node.extra.saved, _NO_PARAMS, needs)
    for p, c in zip(parents, cts):
        if p is not None and c is not None:
            _add_cot(<Scalar>p, float(c))
    return 0


cdef struct Sweep:
    size_t epoch          # this sweep's mark: a node marked with it has been reached
    Buffer ready          # nodes whose consumers are all done: a queue, first in first out
    Buffer leaves         # the leaves reached, in the order first reached
    Buffer waiting        # the nodes that had to wait for more consumers after the first
    Py_ssize_t n_waiting  # how many of them still wait


cdef inline void _prefetch_for_sweep(PyObject* node) noexcept:
    """Ask the memory system early for what sweeping ``node`` will read: its second cache
    line (value, saved values, grad) and the first line of its parents (cotangent, counts)."""
    MGX_PREFETCH(&(<Scalar>node)._data)
    MGX_PREFETCH(<void*>(<Scalar>node).p0)
    MGX_PREFETCH(<void*>(<Scalar>node).p1)


cdef inline int _arrive(Sweep* s, PyObject* p) except -1:
    """A consumer of ``p`` is done with it (it has sent its share of the cotangent, if any)."""
    if (<Scalar>p).op == OP_LEAF:  # a leaf passes nothing on: just collect it, once
        if (<Scalar>p).mark != s.epoch:
            (<Scalar>p).mark = s.epoch
            _append(&s.leaves, p)
        return 0
    if (<Scalar>p).mark != s.epoch:  # the first consumer to arrive: start counting down
        (<Scalar>p).mark = s.epoch
        (<Scalar>p).pending = (<Scalar>p).consumers - 1
        if (<Scalar>p).pending > 0:  # more to come
            s.n_waiting += 1
            return _append(&s.waiting, p)
    else:
        (<Scalar>p).pending = (<Scalar>p).pending - 1
        if (<Scalar>p).pending > 0:
            return 0
        s.n_waiting -= 1
    # that was the last one: p's cotangent is complete
    _prefetch_for_sweep(p)
    return _append(&s.ready, p)


cdef inline int _sweep_node(Sweep* s, PyObject* node) except -1:
    """Apply a ready node's rule: send its cotangent on to its parents, add it to its ``.grad``."""
    cdef int op = (<Scalar>node).op
    cdef PyObject* none = <PyObject*>None
    cdef PyObject* p0 = <PyObject*>(<Scalar>node).p0
    cdef PyObject* p1 = <PyObject*>(<Scalar>node).p1
    cdef double g, d0, d1
    if op == OP_RULE or op == OP_LEAF:
        return _sweep_other(s, node)
    if (<Scalar>node).has_cot:
        g = (<Scalar>node).cot
        if op < OP_NEG:  # binary
            _local2(op, (<Scalar>node).s0, (<Scalar>node).s1, (<Scalar>node)._data, &d0, &d1)
            if p0 != none:
                _add_cot(<Scalar>p0, g * d0)
            if p1 != none:
                _add_cot(<Scalar>p1, g * d1)
        elif p0 != none:
            _add_cot(<Scalar>p0, g * _local1(op, (<Scalar>node).s0, (<Scalar>node)._data))
        (<Scalar>node).has_cot = 0
        (<Scalar>node)._grad = (<Scalar>node)._grad + g
    if p0 != none:
        _arrive(s, p0)
    if p1 != none:
        _arrive(s, p1)
    return 0


cdef int _sweep_other(Sweep* s, PyObject* node) except -1:
    """_sweep_node for a rule-table node (any number of parents; Python computes the cotangents).

    (Or for a node turned into a leaf by calling ``__init__`` again while a rule ran.)
    """
    cdef double g
    cdef Py_ssize_t i
    cdef PyObject* p
    if (<Scalar>node).has_cot:
        g = (<Scalar>node).cot
        if (<Scalar>node).op == OP_RULE:
            _rule_vjp(<Scalar>node, g)
        (<Scalar>node).has_cot = 0
        (<Scalar>node)._grad = (<Scalar>node)._grad + g
    for i in range(_parent_count(node)):
        p = _parent_of(node, i)
        if p != <PyObject*>None:
            _arrive(s, p)
    return 0


cdef Py_ssize_t _recount_total = 0  # how many times sweeps have recounted (for tests: _recounts())


cdef int _recount(Sweep* s) except -1:
    """The sweep has stalled: count again only the consumers that are still to come.

    Some waiting nodes count consumers that will never send: consumers that
    have been freed, or that are not part of the root's graph (nothing leads to
    them from the root).  The nodes not yet released are the waiting ones and
    their ancestors -- a released node's consumers were all released before it
    -- so a depth-first walk from the waiting nodes, with a new mark, visits
    exactly them (and some leaves) and gives each a new ``pending``: the
    number of its consumers among them.  This is the first pass of the classic
    two-pass algorithm, restricted to what is left.  The nodes whose new count
    is 0 are ready, and with exact counts the sweep cannot stall again.
    """
    global _recount_total
    cdef size_t old = s.epoch
    cdef size_t epoch = _new_epoch()
    cdef Buffer stack, left  # left: the nodes not released yet
    cdef PyObject* none = <PyObject*>None
    cdef PyObject* node
    cdef PyObject* p
    cdef Py_ssize_t i
    _recount_total += 1
    stack.items = NULL
    left.items = NULL
    try:
        _buffer_init(&stack)
        _buffer_init(&left)
        for i in range(s.waiting.size):
            p = s.waiting.items[i]
            if (<Scalar>p).pending > 0:  # still waiting (the others have been released since)
                (<Scalar>p).mark = epoch
                (<Scalar>p).pending = 0
                _append(&stack, p)
                _append(&left, p)
        while stack.size:
            stack.size -= 1
            node = stack.items[stack.size]
            for i in range(_parent_count(node)):
                p = _parent_of(node, i)
                if p == none:
                    continue
                if (<Scalar>p).op == OP_LEAF:
                    if (<Scalar>p).mark == old:
                        (<Scalar>p).mark = epoch  # already collected: keep it so under the new mark
                    continue
                if (<Scalar>p).mark != epoch:  # first visit
                    (<Scalar>p).mark = epoch
                    (<Scalar>p).pending = 0
                    _append(&stack, p)
                    _append(&left, p)
                (<Scalar>p).pending = (<Scalar>p).pending + 1
        s.epoch = epoch
        s.waiting.size = 0
        s.n_waiting = 0
        for i in range(left.size):
            p = left.items[i]
            if (<Scalar>p).pending == 0:
                _append(&s.ready, p)
            else:
                s.n_waiting += 1
                _append(&s.waiting, p)
        if s.ready.size == s.ready.head:  # only if a rule changed the graph during the sweep
            raise RuntimeError("backward(): the graph changed during the sweep")
    finally:
        free(stack.items)
        free(left.items)
    return 0


def _recounts() -> int:
    """How many times ``backward()`` sweeps in this process have had to recount (for tests).

    >>> x = Scalar(1.0); h = x * 2.0; other = h + 1.0; before = _recounts()
    >>> (h * 3.0).backward()      # h waits for `other`, which is not in this graph: recount
    >>> _recounts() - before, x.grad
    (1, 6.0)
    """
    return _recount_total


cdef void _clear_cotangents(Scalar root) noexcept:
    """After an exception: a fresh walk that drops every cotangent left in the graph."""
    cdef size_t epoch = _new_epoch()
    cdef Py_ssize_t depth = 0, cap = 1024, i
    cdef PyObject** stack = <PyObject**>malloc(cap * sizeof(PyObject*))
    cdef PyObject** grown
    cdef PyObject* node
    cdef PyObject* item
    if stack == NULL:
        return
    root.mark = epoch
    stack[0] = <PyObject*>root
    depth = 1
    while depth:
        depth -= 1
        node = stack[depth]
        (<Scalar>node).has_cot = 0
        for i in range(_parent_count(node)):
            item = _parent_of(node, i)
            if item != <PyObject*>None and (<Scalar>item).mark != epoch:
                (<Scalar>item).mark = epoch
                if depth == cap:
                    grown = <PyObject**>realloc(stack, 2 * cap * sizeof(PyObject*))
                    if grown == NULL:
                        break
                    stack = grown
                    cap *= 2
                stack[depth] = item
                depth += 1
    free(stack)


cdef int _backward(Scalar root, double seed) except -1:
    """The eager sweep: send cotangent ``seed`` from ``root`` to every node it depends on.

    Reverse mode's one rule: a node may pass its cotangent on to its parents
    only when it is complete, that is when *every* consumer of the node (every
    node that used it as an operand) has added its share.  The reference
    engine first sorts the graph (a depth-first walk) and then visits the
    sorted list backwards.  Here each node already knows how many consumers
    it has (``consumers``, counted as nodes are recorded), so the sweep needs
    no first walk -- Kahn's algorithm, started at the root:

    1. the root gets the seed and is ready;
    2. take the oldest ready node (a queue), apply its local derivatives (the
       C copy of the rule table), add the products to its parents'
       cotangents and its own cotangent to its ``.grad``, and tell each
       parent that one of its consumers is done (``_arrive``);
    3. a parent counts down from ``consumers`` (``pending``, which starts
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
    queue runs dry while nodes still wait.  Then ``_recount`` counts again
    the consumers still to come, and the sweep carries on.

    Speed comes from memory, not arithmetic: a fresh graph is mostly outside
    the CPU caches, and after a few training steps its nodes lie in no
    particular order.  A queue (rather than a stack) tells us early which
    nodes come next, so we ask for their memory in advance, twice: when a
    node joins the queue, and again when it is ``LOOKAHEAD`` places from the
    front (``_prefetch_for_sweep``).

    Sums of cotangents follow the order in which consumers arrive, which
    differs from the reference engine's order: the two may differ in the last
    bit.  If a rule raises, every cotangent left in the graph is dropped, and
    no leaf's ``.grad`` has changed.
    """
    cdef Sweep s
    cdef PyObject* node
    cdef Py_ssize_t i
    s.epoch = _new_epoch()
    s.n_waiting = 0
    s.ready.items = NULL
    s.leaves.items = NULL
    s.waiting.items = NULL
    try:
        _buffer_init(&s.ready)
        _buffer_init(&s.leaves)
        _buffer_init(&s.waiting)
        _add_cot(root, seed)  # as the reference engine does: a cotangent already there is added to
        root.mark = s.epoch
        _append(&s.leaves if root.op == OP_LEAF else &s.ready, <PyObject*>root)
        while True:
            while s.ready.head < s.ready.size:
                if s.ready.head + LOOKAHEAD < s.ready.size:
                    _prefetch_for_sweep(s.ready.items[s.ready.head + LOOKAHEAD])
                node = s.ready.items[s.ready.head]
                s.ready.head += 1
                _sweep_node(&s, node)
            if s.n_waiting == 0:
                break
            _recount(&s)
        for i in range(s.leaves.size):
            node = s.leaves.items[i]
            if (<Scalar>node).has_cot:
                (<Scalar>node).has_cot = 0
                (<Scalar>node)._grad = (<Scalar>node)._grad + (<Scalar>node).cot
    except BaseException:
        _clear_cotangents(root)  # leave no half-accumulated cotangents behind
        raise
    finally:
        free(s.ready.items)
        free(s.leaves.items)
        free(s.waiting.items)
    return 0


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
    cdef PyObject** order = NULL
    cdef Py_ssize_t n = _topological_order(<Scalar>root, &order)
    cdef Py_ssize_t k
    try:
        result = [<object>order[k] for k in range(n)]
    finally:
        free(order)
    return result


# Take part in generic dispatch (mgx.exp(s), Duals over Scalars) and follow no_grad()/transforms,
# however this module was imported (by microgradx.core.backend, or directly by a test): the one
# place where the compiled Scalar registers.
_dispatch.register_node_type(Scalar)
_state._register_compiled_eager_flag(set_eager_enabled)
