"""Scalar, compiled: the fast twin of :mod:`microgradx.scalar`.

Same public behaviour as the reference ``microgradx.scalar.Scalar`` (tests
check the two against each other); what changes is where the work happens:

* **forward**: each operator checks the exact types of its operands first
  (Scalar, float), computes the result with a C ``switch`` over op codes --
  this module's C copy of the rule table's scalar formulas -- and fills a new
  node's C fields (value, op code, parents, operand values).  No Python
  function of the rule table is called on the fast path.
* **backward**: ``backward()`` runs entirely in C, in two passes over an
  explicit stack (a C array): the first marks every node reachable from the
  output with this sweep's epoch and counts its consumers; the second starts
  at the output and releases a node once all its consumers have sent their
  cotangents -- a reverse topological order (the consumer-count form of the
  topological sort) -- applying the node's local derivatives and adding its
  cotangent, accumulated in a C double, to ``.grad``.  A million-node chain
  sweeps and frees without recursion.
* **memory**: parents are held directly in two C fields (``_parents`` gives
  them as a tuple); ``@cython.trashcan(True)`` makes freeing a deep chain
  iterative.  Nodes never form reference cycles, so they are not tracked by
  the cycle collector: reference counting frees every graph.

Operations the C copy does not know (rule-table primitives such as
``where``) are still recorded: the node keeps the primitive and its saved
values and the sweep calls the primitive's ``vjp`` for that node.

Whether eager operations record a graph is a C thread-local flag kept in
step with :func:`microgradx.no_grad` and the transforms by
:func:`set_eager_enabled` (registered with :mod:`microgradx.state`).

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
from libc.math cimport NAN
from libc.math cimport cos as c_cos
from libc.math cimport exp as c_exp
from libc.math cimport fabs
from libc.math cimport isfinite
from libc.math cimport log as c_log
from libc.math cimport pow as c_pow
from libc.math cimport sin as c_sin
from libc.math cimport sqrt as c_sqrt
from libc.math cimport tanh as c_tanh
from libc.stdint cimport uintptr_t
from libc.stdlib cimport free, malloc, realloc

import numbers as _numbers

import numpy as _np

from microgradx import dispatch as _dispatch
from microgradx import state as _state

__all__ = ["Scalar", "set_eager_enabled", "eager_enabled"]

# "Is eager recording on?" for *this thread*: new threads start with recording on,
# as microgradx.state does.  Kept in step by set_eager_enabled().
cdef extern from *:
    """
    static _Thread_local int mgx_scalar_eager = 1;
    """
    int mgx_scalar_eager

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void* op)

# A hint to start loading memory the sweep needs a few steps later (a fresh graph is
# mostly outside the CPU caches; measured: the first backward() of the S1 graph
# takes about 30% less time with the three hints below).
cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define MGX_PREFETCH(p) __builtin_prefetch((const void*)(p))
    #else
    #define MGX_PREFETCH(p) ((void)0)
    #endif
    """
    void MGX_PREFETCH(const void* p) noexcept nogil


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
# The C copy of the scalar formulas (same values as microgradx.floatmath)
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
        return y if y > x else x  # exactly Python's max(x, y)
    elif op == OP_MINIMUM:
        return y if y < x else x
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
        dy[0] = 0.0 if x == 0.0 else out * c_log(x)
    elif op == OP_MAXIMUM:
        dx[0] = (1.0 if x > y else 0.0) + 0.5 * (1.0 if x == y else 0.0)
        dy[0] = (1.0 if y > x else 0.0) + 0.5 * (1.0 if x == y else 0.0)
    elif op == OP_MINIMUM:
        dx[0] = (1.0 if y > x else 0.0) + 0.5 * (1.0 if x == y else 0.0)
        dy[0] = (1.0 if x > y else 0.0) + 0.5 * (1.0 if x == y else 0.0)
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


# ---------------------------------------------------------------------------
# Flag and registration
# ---------------------------------------------------------------------------
def set_eager_enabled(flag) -> None:
    """Switch eager recording of compiled Scalars on or off for the calling thread.

    :mod:`microgradx.state` calls this whenever ``no_grad()`` or a transform
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
    """The C recording flag of the calling thread (mirrors :func:`microgradx.state.eager_enabled`).

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
        from microgradx import rules
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
    return float(x)


# ---------------------------------------------------------------------------
# The node
# ---------------------------------------------------------------------------
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

    # The fields the sweep reads come first (they share the object's first cache line).
    cdef Scalar p0, p1       # the operands' nodes, in operand order (None: a constant, or no operand)
    cdef size_t mark         # epoch visit mark of graph walks
    cdef int consumers       # during a sweep: consumers whose cotangent is not yet sent
    cdef short op            # op code (OP_LEAF for a leaf)
    cdef unsigned char has_cot  # 1 while a sweep has a cotangent for this node
    cdef double cot          # that cotangent
    cdef public double data
    cdef double s0, s1       # operand values the rule needs (saved at creation)
    cdef public double grad
    cdef object _label
    cdef tuple extra         # OP_RULE only: (primitive, saved values, parents tuple)
    cdef object __weakref__

    _kind = "scalar"
    _level = 0
    _params = {}
    __array_ufunc__ = None  # numpy must not treat a Scalar as an object-array element

    def __init__(self, data, label=""):
        PyObject_GC_UnTrack(<void*>self)  # see _leaf below: nodes never form cycles
        self.data = _to_double(data, "Scalar data")
        self.grad = 0.0
        self.op = OP_LEAF
        self.label = label

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
            y = (<Scalar>other).data
        elif type(other) is float:
            y = PyFloat_AS_DOUBLE(other)
        elif _is_number(other):
            # compare exactly, as Python does for float vs int
            return _py_compare(self.data, other, opid)
        else:
            return NotImplemented
        if opid == 0:
            return self.data < y
        elif opid == 1:
            return self.data <= y
        elif opid == 2:
            return self.data == y
        elif opid == 3:
            return self.data != y
        elif opid == 4:
            return self.data > y
        return self.data >= y

    def __hash__(self):
        # a node is an identity (micrograd keeps nodes in sets); rotate like object.__hash__
        cdef uintptr_t p = <uintptr_t><void*>self
        cdef Py_hash_t h = <Py_hash_t>((p >> 4) | (p << (8 * sizeof(uintptr_t) - 4)))
        return -2 if h == -1 else h

    def __float__(self):
        return self.data

    def __repr__(self):
        return f"Scalar(data={self.data!r}, grad={self.grad!r})"

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
        _backward(self, 1.0)

    def zero_grad(self):
        """Set ``grad`` back to 0.0.

        >>> x = Scalar(1.0); x.grad = 5.0; x.zero_grad(); x.grad
        0.0
        """
        self.grad = 0.0

    def _accumulate_grad(self, g):
        self.grad += g

    # -- node protocol (what the engines, viz and the narrator read) ---------------
    def _inner(self):
        return self.data

    def _apply(self, prim, args, params):
        """Run rule-table primitive ``prim`` on Scalars and numbers (see :func:`microgradx.dispatch.apply`).

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
        return "" if self._label is None else self._label

    @label.setter
    def label(self, value):
        if not isinstance(value, str):
            raise TypeError(f"label must be a str; got {_kind_name(value)}")
        self._label = str(value)

    @property
    def _parents(self):
        """One entry per operand: the operand's node, or ``None`` for a constant; ``()`` for a leaf."""
        cdef int k = _arity(self.op)
        if self.op == OP_RULE:
            return self.extra[2]
        if k == 0:
            return ()
        if k == 1:
            return (self.p0,)
        return (self.p0, self.p1)

    @property
    def _prev(self):
        """The parent nodes, in operand order (micrograd's ``_prev``)."""
        return tuple([p for p in self._parents if p is not None])

    @property
    def _prim(self):
        """The rule-table primitive that made this node (``None`` for a leaf)."""
        if self.op == OP_LEAF:
            return None
        if self.op == OP_RULE:
            return self.extra[0]
        return _rules().table[_OP_NAMES[self.op]]

    @property
    def _op(self):
        """Name of the operation that made this node ('' for a leaf), as micrograd's ``_op``."""
        if self.op == OP_LEAF:
            return ""
        if self.op == OP_RULE:
            return self.extra[0].name
        return _OP_NAMES[self.op]

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
        return self.extra[1]

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
    n.data = value
    return n


cdef inline Scalar _record(double value, int op, Scalar p0, Scalar p1, double s0, double s1):
    cdef Scalar n = Scalar.__new__(Scalar)
    PyObject_GC_UnTrack(<void*>n)
    n.data = value
    n.op = op
    n.p0 = p0
    n.p1 = p1
    n.s0 = s0
    n.s1 = s1
    return n


cdef object _binary(int op, object a, object b):
    """a <op> b where at least one side is a Scalar; NotImplemented for other operand kinds."""
    cdef double x, y, out
    cdef Scalar pa = None
    cdef Scalar pb = None
    if type(a) is Scalar:
        x = (<Scalar>a).data
        pa = <Scalar>a
    elif type(a) is float:
        x = PyFloat_AS_DOUBLE(a)
    elif _is_number(a):
        x = float(a)
    else:
        return NotImplemented
    if type(b) is Scalar:
        y = (<Scalar>b).data
        pb = <Scalar>b
    elif type(b) is float:
        y = PyFloat_AS_DOUBLE(b)
    elif _is_number(b):
        y = float(b)
    else:
        return NotImplemented
    out = _forward2(op, x, y)
    if mgx_scalar_eager:
        return _record(out, op, pa, pb, x, y)
    return _leaf(out)


cdef inline Scalar _unary(int op, Scalar a):
    cdef double x = a.data
    cdef double out = _forward1(op, x)
    if mgx_scalar_eager:
        return _record(out, op, a, None, x, 0.0)
    return _leaf(out)


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
            values.append((<Scalar>a).data)
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
    cdef Scalar node
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
    node = _record(float(result), OP_RULE, None, None, 0.0, 0.0)
    node.extra = (prim, tuple(values), tuple(parents))
    return node


# ---------------------------------------------------------------------------
# The backward sweep, in C
# ---------------------------------------------------------------------------
cdef struct Frame:
    PyObject* node   # borrowed: every node is kept alive by the root through its parents
    Py_ssize_t next  # index of the next parent to look at


cdef inline Py_ssize_t _parent_count(Scalar node) noexcept:
    if node.op == OP_RULE:
        if node.extra is None or PyTuple_GET_SIZE(node.extra) != 3:  # only a hand-made pickle state
            return 0
        return PyTuple_GET_SIZE(<tuple>PyTuple_GET_ITEM(node.extra, 2))
    return _arity(node.op)


cdef inline PyObject* _parent(Scalar node, Py_ssize_t i) noexcept:
    """Borrowed pointer to parent i (may be None)."""
    if node.op == OP_RULE:
        return PyTuple_GET_ITEM(<tuple>PyTuple_GET_ITEM(node.extra, 2), i)
    return <PyObject*>node.p0 if i == 0 else <PyObject*>node.p1


cdef inline void _add_cot(Scalar p, double c) noexcept:
    if p.has_cot:
        p.cot = p.cot + c
    else:
        p.cot = c
        p.has_cot = 1


cdef int _rule_vjp(Scalar node, double g) except -1:
    """Reverse step of a node made by a primitive without a C copy: call the rule table."""
    prim, saved, parents = node.extra
    needs = tuple([p is not None for p in parents])
    cts = prim.vjp(g, node.data, saved, _NO_PARAMS, needs)
    for p, c in zip(parents, cts):
        if p is not None and c is not None:
            _add_cot(<Scalar>p, float(c))
    return 0


cdef inline PyObject* _parent_of(PyObject* node, Py_ssize_t i) noexcept:
    """Borrowed pointer to parent i of a node (may be None); i < _parent_count(node)."""
    if (<Scalar>node).op == OP_RULE:
        return _parent((<Scalar>node), i)
    return <PyObject*>(<Scalar>node).p0 if i == 0 else <PyObject*>(<Scalar>node).p1


cdef Py_ssize_t _topological_order(Scalar root, PyObject*** order_out) except -1:
    """Fill a malloc'ed array with the nodes reachable from root, parents first; return its length.

    The same depth-first walk as microgradx.engine.topological_order, with a
    C array as the stack and the top frame updated in place.  Nodes are
    handled through borrowed pointers (no reference counting): the root keeps
    every node alive, and nothing runs that could change the graph.
    """
    cdef size_t epoch = <size_t>_state.new_epoch()
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
        count = _parent_count(<Scalar>node)
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


cdef int _reserve(PyObject*** stack, Py_ssize_t* cap, Py_ssize_t needed) except -1:
    """Grow the malloc'ed stack to hold at least ``needed`` entries."""
    cdef PyObject** grown
    cdef Py_ssize_t size = cap[0]
    while size < needed:
        size *= 2
    if size != cap[0]:
        grown = <PyObject**>realloc(stack[0], size * sizeof(PyObject*))
        if grown == NULL:
            raise MemoryError()
        stack[0] = grown
        cap[0] = size
    return 0


cdef inline int _push(PyObject*** stack, Py_ssize_t* depth, Py_ssize_t* cap, PyObject* item) except -1:
    if depth[0] == cap[0]:
        _reserve(stack, cap, depth[0] + 1)
    stack[0][depth[0]] = item
    depth[0] += 1
    return 0


cdef inline void _count_edge(PyObject* p, size_t epoch, PyObject** stack, Py_ssize_t* depth) noexcept:
    """One edge into parent p: first visit marks it, counts 1 and pushes it; later visits count."""
    if (<Scalar>p).mark != epoch:
        (<Scalar>p).mark = epoch
        (<Scalar>p).consumers = 1
        stack[depth[0]] = p
        depth[0] += 1
        MGX_PREFETCH(<void*>(<Scalar>p).p0)  # visited next: start loading its parents
        MGX_PREFETCH(<void*>(<Scalar>p).p1)
    else:
        (<Scalar>p).consumers = (<Scalar>p).consumers + 1


cdef int _count_consumers(Scalar root, PyObject*** stack, Py_ssize_t* cap) except -1:
    """Pass 1: mark every node reachable from root and count its consumers (edges into it)."""
    cdef size_t epoch = <size_t>_state.new_epoch()
    cdef Py_ssize_t depth = 0, i
    cdef PyObject* node
    cdef PyObject* item
    cdef PyObject* none = <PyObject*>None
    cdef int op
    root.mark = epoch
    root.consumers = 0
    stack[0][0] = <PyObject*>root
    depth = 1
    while depth:
        depth -= 1
        node = stack[0][depth]
        op = (<Scalar>node).op
        if op == OP_LEAF:
            continue
        if op == OP_RULE:  # any number of parents
            for i in range(_parent_count(<Scalar>node)):
                item = _parent_of(node, i)
                if item != none:
                    _reserve(stack, cap, depth + 1)
                    _count_edge(item, epoch, stack[0], &depth)
            continue
        if depth + 2 > cap[0]:  # room for both parents
            _reserve(stack, cap, depth + 2)
        item = <PyObject*>(<Scalar>node).p0
        if item != none:
            _count_edge(item, epoch, stack[0], &depth)
        item = <PyObject*>(<Scalar>node).p1
        if item != none:
            _count_edge(item, epoch, stack[0], &depth)
    return 0


cdef void _clear_cotangents(Scalar root) noexcept:
    """After an exception: a fresh walk that drops every cotangent left in the graph."""
    cdef size_t epoch
    cdef Py_ssize_t depth = 0, cap = 1024, i
    cdef PyObject** stack = <PyObject**>malloc(cap * sizeof(PyObject*))
    cdef PyObject** grown
    cdef PyObject* node
    cdef PyObject* item
    if stack == NULL:
        return
    try:
        epoch = <size_t>_state.new_epoch()
    except BaseException:
        free(stack)
        return
    root.mark = epoch
    stack[0] = <PyObject*>root
    depth = 1
    while depth:
        depth -= 1
        node = stack[depth]
        (<Scalar>node).has_cot = 0
        for i in range(_parent_count(<Scalar>node)):
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
    """The eager sweep, in two passes over C arrays.

    (Fields of nodes behind borrowed pointers are updated with ``x.f = x.f + v``:
    Cython takes a reference for ``x.f += v`` through a cast.)

    1. count each node's consumers (an explicit stack, per-node epoch mark);
    2. start from the root and release a node once all its consumers have sent
       their cotangent -- a reverse topological order -- applying its local
       derivatives (the C copy of the rule table) and adding its cotangent
       to ``.grad``.

    The order differs from the depth-first order of microgradx.engine only
    in which of several ready nodes goes first; sums of cotangents may
    therefore differ in the last bit.
    """
    cdef Py_ssize_t cap = 1024, depth = 0, i, count
    cdef PyObject** stack = <PyObject**>malloc(cap * sizeof(PyObject*))
    cdef PyObject* node
    cdef PyObject* item
    cdef PyObject* none = <PyObject*>None
    cdef PyObject* p0
    cdef PyObject* p1
    cdef double g, d0, d1
    cdef int op
    if stack == NULL:
        raise MemoryError()
    try:
        _count_consumers(root, &stack, &cap)
        _add_cot(root, seed)  # as the reference engine does: a cotangent already there is added to
        stack[0] = <PyObject*>root
        depth = 1
        while depth:
            depth -= 1
            node = stack[depth]
            op = (<Scalar>node).op
            if op == OP_LEAF:
                if (<Scalar>node).has_cot:
                    (<Scalar>node).has_cot = 0
                    (<Scalar>node).grad = (<Scalar>node).grad + (<Scalar>node).cot
                continue
            if op == OP_RULE:
                if (<Scalar>node).has_cot:
                    g = (<Scalar>node).cot
                    _rule_vjp(<Scalar>node, g)
                    (<Scalar>node).has_cot = 0
                    (<Scalar>node).grad = (<Scalar>node).grad + g
                count = _parent_count(<Scalar>node)
                for i in range(count):
                    item = _parent_of(node, i)
                    if item != none:
                        (<Scalar>item).consumers = (<Scalar>item).consumers - 1
                        if (<Scalar>item).consumers == 0:
                            _push(&stack, &depth, &cap, item)
                continue
            # a C op: one or two parents
            p0 = <PyObject*>(<Scalar>node).p0
            p1 = <PyObject*>(<Scalar>node).p1
            if (<Scalar>node).has_cot:
                g = (<Scalar>node).cot
                if op < OP_NEG:  # binary
                    _local2(op, (<Scalar>node).s0, (<Scalar>node).s1, (<Scalar>node).data, &d0, &d1)
                    if p0 != none:
                        _add_cot(<Scalar>p0, g * d0)
                    if p1 != none:
                        _add_cot(<Scalar>p1, g * d1)
                elif p0 != none:
                    _add_cot(<Scalar>p0, g * _local1(op, (<Scalar>node).s0, (<Scalar>node).data))
                (<Scalar>node).has_cot = 0
                (<Scalar>node).grad = (<Scalar>node).grad + g
            # release the parents whose consumers are all done (ready stack: depth < cap here)
            if p0 != none:
                (<Scalar>p0).consumers = (<Scalar>p0).consumers - 1
                if (<Scalar>p0).consumers == 0:
                    stack[depth] = p0
                    depth += 1
                    MGX_PREFETCH(<char*>p0 + 64)  # swept soon: its saved values and grad
            if p1 != none:
                (<Scalar>p1).consumers = (<Scalar>p1).consumers - 1
                if (<Scalar>p1).consumers == 0:
                    _push(&stack, &depth, &cap, p1)
                    MGX_PREFETCH(<char*>p1 + 64)
    except BaseException:
        _clear_cotangents(root)  # leave no half-accumulated cotangents behind
        raise
    finally:
        free(stack)
    return 0


def topological_order(root):
    """Nodes reachable from compiled Scalar ``root``, parents first, in C.

    The same depth-first order as :func:`microgradx.engine.topological_order`
    (for pictures, the narrator and tests; ``backward()`` itself releases
    nodes by consumer counts and needs no list).

    Examples
    --------
    >>> a = Scalar(1.0); b = a * 2.0; c = b + a
    >>> [n._op for n in topological_order(c)]
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
# however this module was imported (microgradx._backend does the same when it selects it).
_dispatch.register_node_type(Scalar)
_state._register_compiled_eager_flag(set_eager_enabled)
