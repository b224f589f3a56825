"""Tensor: a numpy array that records the operations applied to it.

A :class:`Tensor` is a reverse-mode node.  Its value is a numpy array (or,
inside nested transforms, a node of an outer level).  Each operation makes a
new Tensor that remembers

* ``_prim``: the rule-table entry that made it (``None`` for a leaf),
* ``_parents``: one entry per operand, the operand node or ``None`` for a constant,
* ``_saved``/``_params``: the operand values and parameters its rule needs.

No closures: the node holds data, and the rule table holds the code.  When
the last reference to the result goes, reference counting frees the graph.

:class:`ArrayOps` holds the operators and numpy-style methods shared by
``Tensor`` and ``Dual``; each just calls the matching function of
:mod:`microgradx.ops`.

Examples
--------
>>> import microgradx as mgx
>>> x = mgx.Tensor([1.0, 2.0, 3.0])
>>> y = (x * x).sum()
>>> y.backward()
>>> x.grad
array([2., 4., 6.])
"""

from __future__ import annotations

import itertools
import numbers
import threading

import numpy as np

from ..core import backend as _backend
from ..core import rules as R
from ..core.dispatch import Node, apply, node_types, raw_value, value_dtype, value_shape
from ..core.state import NESTED_SWEEP, PLAIN, sweep_lock, this_thread

__all__ = ["Tensor", "ArrayOps", "to_array", "check_array", "operand", "wrap"]


def check_array(arr: np.ndarray, name: str = "data") -> np.ndarray:
    """Reject arrays whose dtype is not bool, integer, float or complex, naming ``name``."""
    if arr.dtype.kind not in "biufc":
        raise TypeError(
            f"{name} must hold numbers (bool, int, float or complex); got an array of dtype {arr.dtype}"
        )
    return arr


def to_array(data, dtype=None, name: str = "data") -> np.ndarray:
    """Convert user input to an ndarray, with clear errors for strings, ragged lists and objects.

    Examples
    --------
    >>> to_array([1, 2]).dtype
    dtype('int64')
    >>> to_array("abc")
    Traceback (most recent call last):
    ...
    TypeError: data must be numbers, a list of numbers, an ndarray or a Tensor; got str
    """
    if isinstance(data, Tensor):
        data = raw_value(data)
    elif getattr(data, "_kind", None) == "scalar":
        data = float(data.data)
    elif isinstance(data, node_types()):
        raise TypeError(f"{name}: cannot make a Tensor from a {type(data).__name__}")
    if isinstance(data, (str, bytes)) or data is None or isinstance(data, dict):
        raise TypeError(
            f"{name} must be numbers, a list of numbers, an ndarray or a Tensor; got {type(data).__name__}"
        )
    try:
        arr = np.array(data, dtype=dtype)
    except ValueError as exc:
        raise ValueError(f"{name}: cannot make a rectangular array of numbers from this input ({exc})") from None
    except TypeError as exc:
        raise TypeError(f"{name}: cannot make an array of numbers from this input ({exc})") from None
    return check_array(arr, name)


# ---------------------------------------------------------------------------
# Operands in, results out
# ---------------------------------------------------------------------------
def operand(x, name: str = "x"):
    """Accept a node, ndarray, number or (nested) list; reject everything else with a TypeError.

    Examples
    --------
    >>> operand([1.0, 2.0])
    array([1., 2.])
    >>> operand("a", "b")
    Traceback (most recent call last):
    ...
    TypeError: b must be a Tensor, Scalar, Dual, numpy array, number or list; got str
    """
    if isinstance(x, node_types()) or isinstance(x, (float, int)):
        return x
    if isinstance(x, np.ndarray):
        return check_array(x if type(x) is np.ndarray else np.asarray(x), name)
    if isinstance(x, (np.integer, np.floating, np.bool_, complex, np.complexfloating)):
        return x
    if isinstance(x, numbers.Real):  # Fraction, Decimal-like Reals: numpy would make object arrays of them
        return float(x)
    if isinstance(x, (numbers.Number, np.generic)):
        raise TypeError(f"{name}: only real numbers are supported; got {x!r}")
    if isinstance(x, (list, tuple)):
        return to_array(x, None, name)
    raise TypeError(
        f"{name} must be a Tensor, Scalar, Dual, numpy array, number or list; got {type(x).__name__}"
    )


def wrap(out, args=()):
    """Give a plain result the user-facing kind: Scalar if a Scalar went in, else Tensor.

    >>> wrap(np.ones(2))
    Tensor([1., 1.])
    """
    if isinstance(out, node_types()):
        return out
    for a in args:
        if getattr(a, "_kind", None) == "scalar" and not isinstance(out, np.ndarray):
            return type(a)(float(out))
    return Tensor._constant(out)


def _call(prim, *args, **params):
    """Check the operands, apply ``prim``, wrap a plain result (every function of :mod:`microgradx.ops` ends here)."""
    for a in args:
        if type(a) is not Tensor and type(a) is not float:  # anything else: check and convert
            args = tuple(operand(a, ("a", "b")[i] if i < 2 else f"argument {i}") for i, a in enumerate(args))
            break
    out = apply(prim, *args, **params)
    return out if type(out) is Tensor else wrap(out, args)


def _index_item(i):
    if isinstance(i, node_types()):
        i = np.asarray(raw_value(i))
    elif isinstance(i, list):
        i = np.asarray(i)
        if i.size == 0:
            i = i.astype(np.intp)  # x[[]] selects nothing, as in numpy (np.asarray([]) is float64)
    if isinstance(i, np.ndarray) and i.dtype.kind not in "biu":
        raise IndexError(f"array indices must be integers or booleans; got dtype {i.dtype}")
    return i


def _index(index):
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    return _index_item(index)


def _operator(prim, reflected=False):
    """The method behind ``a <op> b`` (or, ``reflected``, ``b <op> a``): one primitive of the rule table.

    The method checks the other operand, applies the primitive and wraps a
    plain result; ``NotImplemented`` for an operand it cannot take lets
    Python try the other side.
    """

    def method(self, other):
        a, b = (other, self) if reflected else (self, other)
        if type(other) not in _READY:  # Tensors and Python numbers need no checks
            try:
                other = operand(other, "left operand" if reflected else "right operand")
            except TypeError:
                return NotImplemented
            a, b = (other, self) if reflected else (self, other)
        out = apply(prim, a, b)
        return out if type(out) is Tensor else wrap(out, (a, b))

    method.__name__ = f"__{'r' if reflected else ''}{prim.name}__"
    method.__doc__ = f"``{'other, self' if reflected else 'self, other'}`` through the rule table's ``{prim.name}``."
    return method


class ArrayOps:
    """Operators, conversions and shape for Tensor and Dual.

    Every operator is one primitive of the rule table.  The numpy-style
    methods (``t.sum()``, ``t.exp()``, ``t.T``, ...) are the functions of
    :mod:`microgradx.ops` of the same name; that module is built on this one,
    so it adds them to this class itself (see ``ops.ArrayMethods``).
    """

    __slots__ = ()
    __array_priority__ = 1000

    # -- arithmetic: every operator is one primitive -------------------------
    __add__, __radd__ = _operator(R.ADD), _operator(R.ADD, reflected=True)
    __sub__, __rsub__ = _operator(R.SUB), _operator(R.SUB, reflected=True)
    __mul__, __rmul__ = _operator(R.MUL), _operator(R.MUL, reflected=True)
    __truediv__, __rtruediv__ = _operator(R.DIV), _operator(R.DIV, reflected=True)
    __pow__, __rpow__ = _operator(R.POW), _operator(R.POW, reflected=True)
    __matmul__, __rmatmul__ = _operator(R.MATMUL), _operator(R.MATMUL, reflected=True)

    def __neg__(self):
        return _call(R.NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _call(R.COMPLEX_ABS if R._is_complex(self) else R.ABS, self)

    # -- comparisons: values only, no gradient --------------------------------
    __lt__, __le__ = _operator(R.LT), _operator(R.LE)
    __gt__, __ge__ = _operator(R.GT), _operator(R.GE)
    __eq__, __ne__ = _operator(R.EQ), _operator(R.NE)

    __hash__ = object.__hash__  # nodes are identities (usable in sets and dicts)

    # -- numpy interop --------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        value = np.asarray(raw_value(self))
        if dtype is not None and value.dtype != dtype:
            if copy is False:
                raise ValueError(f"cannot convert a {value.dtype} Tensor to {np.dtype(dtype)} without a copy")
            return value.astype(dtype)
        return value.copy() if copy else value  # np.array(t) copies; np.asarray(t) shares

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        prim = _UFUNCS.get(ufunc)
        if prim is None or method != "__call__" or kwargs:
            return NotImplemented
        return _call(prim, *inputs)

    # -- shape ------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """Shape of the value (inside ``vmap``: of one example)."""
        return value_shape(self)

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def size(self) -> int:
        """Number of elements."""
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def dtype(self) -> np.dtype:
        """numpy dtype of the value."""
        return value_dtype(self)

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d array")
        return shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, index):
        return wrap(apply(R.GETITEM, self, index=_index(index)), (self,))

    def __setitem__(self, index, value):
        """``a[index] = value``, with MLX's meaning: ``a`` now names a new array (see :meth:`_assign`)."""
        self._assign(index, value)

    # -- conversion -------------------------------------------------------------
    def item(self):
        """The single element as a Python number.

        >>> Tensor([2.5]).item()
        2.5
        """
        return np.asarray(raw_value(self)).item()

    def tolist(self):
        """The value as (nested) Python lists.

        >>> Tensor([[1, 2]]).tolist()
        [[1, 2]]
        """
        return np.asarray(raw_value(self)).tolist()

    def numpy(self) -> np.ndarray:
        """The value as a numpy array (no copy for eager tensors).

        >>> Tensor([1.0]).numpy()
        array([1.])
        """
        return np.asarray(raw_value(self))

    def __float__(self) -> float:
        return float(np.asarray(raw_value(self)))

    def __int__(self) -> int:
        return int(np.asarray(raw_value(self)))

    def __bool__(self) -> bool:
        return bool(np.asarray(raw_value(self)))

    # -- added for the MLX face: bit operators, // and %
    __and__, __rand__ = _operator(R.BITWISE_AND), _operator(R.BITWISE_AND, reflected=True)
    __or__, __ror__ = _operator(R.BITWISE_OR), _operator(R.BITWISE_OR, reflected=True)
    __xor__, __rxor__ = _operator(R.BITWISE_XOR), _operator(R.BITWISE_XOR, reflected=True)
    __lshift__, __rlshift__ = _operator(R.LEFT_SHIFT), _operator(R.LEFT_SHIFT, reflected=True)
    __rshift__, __rrshift__ = _operator(R.RIGHT_SHIFT), _operator(R.RIGHT_SHIFT, reflected=True)
    __floordiv__, __rfloordiv__ = _operator(R.FLOOR_DIVIDE), _operator(R.FLOOR_DIVIDE, reflected=True)
    __mod__, __rmod__ = _operator(R.REMAINDER), _operator(R.REMAINDER, reflected=True)

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of all elements."""
        return self.size * self.dtype.itemsize

_UFUNCS: dict = {}  # numpy ufunc -> primitive, read from each primitive's ``ufunc`` as it is registered


def _learn_ufunc(prim) -> None:
    if prim.ufunc is not None:
        _UFUNCS[prim.ufunc] = prim


R.on_register(_learn_ufunc)

_NO_PARAMS: dict = {}
_new_object = object.__new__

# The edit clock: it ticks at every in-place change of a Tensor's value.  A Tensor remembers the
# clock's reading when it was made (``_stamp``) and, once changed in place, the tick of its last
# change (``_version``, 0 before).  A node whose parent (or itself) changed after it was recorded
# saved values that are no longer there: backward() refuses it when its sweep reaches that node
# (Tensor._accumulate_grad; see Tensor._bump_version).
_edit_ticks = itertools.count(1)
_edit_clock = 0
_edit_lock = threading.Lock()
_ndarray = np.ndarray  # module globals: cheaper than np.ndarray (numpy's module __getattr__) on the hot path


class Tensor(ArrayOps, Node):
    """An array that records the operations applied to it (reverse mode).

    ``mgx.Tensor(data)`` makes an **eager leaf**: every operation on it
    (outside a transform and ``no_grad``) is recorded, for a later
    ``.backward()``.  ``mgx.array(data)`` makes a **plain** Tensor instead,
    as MLX's ``mx.array``: operations on plain Tensors only record nothing
    (and their results are plain too), so ``p = p - lr * g`` keeps no
    history.  A plain Tensor mixed with an eager one is a constant of the
    recorded graph.  What ``grad``, ``vjp``, ``jvp`` and the other
    transforms return is plain.

    Parameters
    ----------
    data : array_like
        Numbers, nested lists, an ndarray or a Tensor.  Python floats become
        float64; numpy float32 stays float32; integers and bools are allowed
        as values (a gradient with respect to them is float64).
    dtype : numpy dtype, optional
        Cast to this dtype.
    label : str, optional
        A name shown in graph pictures and the narrator.

    Attributes
    ----------
    data : ndarray
        The value.  Assign to it (``t.data -= lr * t.grad``) to update a
        parameter without recording.
    grad : ndarray or None
        Accumulated gradient after ``backward()``.

    Examples
    --------
    >>> import microgradx as mgx
    >>> w = mgx.Tensor([[1.0, 2.0]])
    >>> x = mgx.Tensor([[3.0], [4.0]])
    >>> y = (w @ x).sum()
    >>> y.backward()
    >>> w.grad
    array([[3., 4.]])
    >>> p = mgx.array([1.0, 2.0])      # plain: nothing is recorded
    >>> (p * 2.0).is_leaf
    True
    """

    __slots__ = ("_value", "_level", "_prim", "_parents", "_saved", "_params",
                 "grad", "_mark", "_cot", "label", "_stamp", "_version", "__weakref__")
    _kind = "reverse"

    def __init__(self, data, dtype=None, label: str = ""):
        self._value = to_array(data, dtype)
        self._level = 0
        self._prim = None
        self._parents = ()
        self._saved = ()
        self._params = _NO_PARAMS
        self.grad = None
        self._mark = 0
        self._cot = None
        self.label = label
        self._stamp = _edit_clock
        self._version = 0

    # -- construction used by the engine and the transforms -------------------
    @staticmethod
    def _record(out, level, prim, parents, saved, params):
        """A node made by ``prim`` (called by :func:`microgradx.core.dispatch.apply` as ``cls._record``).

        A static method, not a class method: it runs once per operation, and
        binding a class method each time is measurable there.
        """
        t = _new_object(Tensor)
        if type(out) is not _ndarray and not isinstance(out, node_types()):
            out = np.asarray(out)
        t._value = out
        t._level = level
        t._prim = prim
        t._parents = parents
        t._saved = saved
        t._params = params or _NO_PARAMS
        t.grad = None
        t._mark = 0
        t._cot = None
        t.label = ""
        t._stamp = _edit_clock
        t._version = 0
        return t

    @classmethod
    def _constant(cls, value, marker=None):
        """A plain value (level PLAIN: records nothing; ``marker``: the primitive that made it, e.g. stop_gradient)."""
        return cls._record(value, PLAIN, marker, (), (), _NO_PARAMS)

    @classmethod
    def _leaf(cls, value, level):
        """A leaf of transform ``level`` whose value is ``value`` (plain or an outer node)."""
        return cls._record(value, level, None, (), (), _NO_PARAMS)

    def _inner(self):
        return self._value

    # -- the value ----------------------------------------------------------------
    @property
    def data(self):
        """The value (an ndarray for eager tensors)."""
        return self._value

    @data.setter
    def data(self, value):
        if value is self._value:  # ``t.data -= x`` changed the array in place, then assigns it back
            self._bump_version()
            return
        self._value = check_array(np.asarray(value), "data") if not isinstance(value, node_types()) else value
        if self._parents:  # a computed value is read by its own rule: the graph no longer matches it
            self._bump_version()

    def _bump_version(self) -> None:
        """Note that the value changed in place (``t.data -= ...``, an optimizer step, ``load_parameters``).

        Graphs recorded before the change saved this very array, so their
        ``backward()`` would use the new values: it raises instead (as
        PyTorch's version counter does).  Whoever writes into ``t.data`` in
        place calls this; writes that bypass it (``t.data[0] = 1.0``) are not
        detected.

        >>> w = Tensor([1.0, 2.0]); loss = (w * w * w).sum()
        >>> w.data -= 0.1
        >>> loss.backward()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        RuntimeError: backward(): Tensor of shape (2,) was changed in place (t.data -= ..., ...
        """
        global _edit_clock
        with _edit_lock:  # the clock only moves forward, also when threads change tensors at once
            self._version = _edit_clock = next(_edit_ticks)

    # -- reverse mode ---------------------------------------------------------------
    def backward(self, grad=None) -> None:
        """Accumulate d(self)/d(node) into ``.grad`` of every node this depends on.

        Parameters
        ----------
        grad : array_like, optional
            Cotangent of ``self`` (same shape).  May be omitted only when
            ``self`` has one element; then it is 1.

        Notes
        -----
        Gradients **accumulate**: a second ``backward()`` adds again (that
        is the multivariate chain rule across calls).  Call ``zero_grad()``
        on the leaves (or a module) between steps.

        Examples
        --------
        >>> x = Tensor([1.0, 2.0])
        >>> (x * 3.0).backward(grad=[1.0, 1.0])
        >>> x.grad
        array([3., 3.])
        """
        if self._level != 0:
            if self._level == PLAIN:
                raise RuntimeError(
                    "backward(): this Tensor recorded no graph -- it is a plain array (made by mgx.array, "
                    "zeros, ..., computed from plain arrays only, or returned by a transform), and plain "
                    "arrays record nothing, as in MLX. Make the leaves you want gradients for with "
                    "mgx.Tensor(...) (or use nn parameters), or use mgx.grad / mgx.value_and_grad"
                )
            raise RuntimeError(
                "backward() is for eager tensors; inside grad/vjp/jvp the transform computes gradients"
            )
        value = self._value
        dtype = value.dtype if value.dtype.kind == "f" else np.dtype(np.float64)
        if grad is None:
            if value.size != 1:
                raise ValueError(
                    f"backward() without grad= needs a single-element output; this one has shape "
                    f"{value.shape}. Pass grad= (the cotangent, shape {value.shape}) or reduce first, e.g. y.sum()"
                )
            seed = np.ones(value.shape, dtype=dtype)
        else:
            seed = np.array(raw_value(grad), dtype=dtype)  # a copy: the output keeps it as its .grad
            if seed.shape != value.shape:
                raise ValueError(
                    f"backward(grad=...): grad has shape {seed.shape} but the output has shape {value.shape}"
                )
        if not this_thread.eager:
            raise RuntimeError("backward() inside no_grad() or a transform: nothing was recorded")
        if sweep_lock._is_owned():  # this thread is inside a sweep already (see microgradx.core.state)
            raise RuntimeError(NESTED_SWEEP)
        with sweep_lock:  # one sweep at a time in the process
            _backend.engine.backward_sweep(self, seed, True)

    def _accumulate_grad(self, g) -> None:
        """Add ``g`` to ``.grad`` (eager ``backward()`` calls this on every node it reaches).

        First the version check: a recorded node's rule has just read its
        own value and its parents' -- if one of them was changed in place
        after the node was recorded (its ``_version`` is newer than the
        node's ``_stamp``), those were not the values the graph saw, and
        backward() stops with a RuntimeError naming the Tensor.  The sweep
        reaches every consumer of a Tensor before the Tensor itself, so the
        changed Tensor's own ``.grad`` is never touched.

        A leaf owns its ``.grad``: the first gradient is copied, later ones
        are added in place (an optimizer may change it in place too).  A
        non-leaf keeps its first gradient without a copy -- it may be the
        very array another node received (``x + 1`` passes ``g`` on
        unchanged), so it is never changed in place: a second gradient makes
        a new array.  That saves a copy per node and sweep.
        """
        parents = self._parents
        if parents:
            stamp = self._stamp  # the edit clock's reading when this node was recorded
            if self._version > stamp:
                _stale(self)
            for p in parents:
                if p is not None and p._version > stamp:
                    _stale(p)
        grad = self.grad
        if grad is None:
            value = self._value
            if type(g) is _ndarray and g.dtype == value.dtype and g.shape == value.shape:
                self.grad = g if parents else g.copy()
            else:  # an integer value (float64 gradient), or a plain float
                dtype = value.dtype if value.dtype.kind == "f" else np.float64
                self.grad = np.array(g, dtype=dtype, copy=True).reshape(value.shape)
        elif parents:
            self.grad = np.add(grad, g, dtype=grad.dtype)
        else:
            grad += g

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad = None``).

        >>> x = Tensor(1.0); (x * 2.0).backward(); x.zero_grad(); x.grad is None
        True
        """
        self.grad = None

    def detach(self) -> Tensor:
        """A new leaf with the same value and no history.

        >>> x = Tensor(2.0); (x * x).detach()._parents
        ()
        """
        return Tensor._constant(raw_value(self))

    @property
    def is_leaf(self) -> bool:
        """True when no operation made this tensor."""
        return not self._parents

    def __repr__(self) -> str:
        value = np.asarray(raw_value(self))
        body = np.array2string(value, separator=", ", prefix="Tensor(")
        extra = ""
        if value.dtype not in (np.float64, np.int64, np.bool_):
            extra += f", dtype={value.dtype}"
        if self._level > 0:
            extra += f", level={self._level}"
        return f"Tensor({body}{extra})"


def _stale(t) -> None:
    name = f"Tensor {t.label!r}" if t.label else "Tensor"
    raise RuntimeError(
        f"backward(): {name} of shape {t.shape} was changed in place (t.data -= ..., an optimizer's step(), "
        "load_parameters) after this graph was recorded from it; the values the graph saved are gone. "
        "Call backward() before updating, or compute the loss again"
    )


_READY = frozenset({Tensor, float, int})  # operand types the operators pass on unchecked

