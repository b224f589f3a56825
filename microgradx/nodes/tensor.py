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

import numpy as np

from ..core import backend as _backend
from ..core import rules as R
from ..core.dispatch import Node, apply, node_types, raw_value
from ..core.state import is_active

__all__ = ["Tensor", "ArrayOps", "to_array", "check_array"]


def check_array(arr: np.ndarray, name: str = "data") -> np.ndarray:
    """Reject arrays whose dtype is not bool, integer or float, naming ``name``."""
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must hold numbers (bool, int or float); got an array of dtype {arr.dtype}"
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


def _index_item(i):
    if isinstance(i, node_types()):
        i = np.asarray(raw_value(i))
    elif isinstance(i, list):
        i = np.asarray(i)
    if isinstance(i, np.ndarray) and i.dtype.kind not in "biu":
        raise IndexError(f"array indices must be integers or booleans; got dtype {i.dtype}")
    return i


def _index(index):
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    return _index_item(index)


def _numpy_style(result, dtype, out):
    """numpy's reductions call ``t.sum(axis=..., dtype=..., out=...)``: honour ``dtype``, refuse ``out``."""
    if out is not None:
        raise TypeError("out= is not supported: Tensors are never written in place")
    return result if dtype is None else _ops.astype(result, dtype)


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
                other = _ops.operand(other, "left operand" if reflected else "right operand")
            except TypeError:
                return NotImplemented
            a, b = (other, self) if reflected else (self, other)
        out = apply(prim, a, b)
        return out if type(out) is Tensor else _ops.wrap(out, (a, b))

    method.__name__ = f"__{'r' if reflected else ''}{prim.name}__"
    method.__doc__ = f"``{'other, self' if reflected else 'self, other'}`` through the rule table's ``{prim.name}``."
    return method


class ArrayOps:
    """Operators and numpy-style methods for Tensor and Dual (each calls :mod:`microgradx.ops`)."""

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
        return _ops.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

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
        return _ops._call(prim, *inputs)

    # -- shape ------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        """Shape of the value."""
        return tuple(np.shape(raw_value(self)))

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
        return np.asarray(raw_value(self)).dtype

    @property
    def T(self):
        """Transpose (axes reversed)."""
        return _ops.transpose(self)

    def __len__(self) -> int:
        shape = self.shape
        if not shape:
            raise TypeError("len() of a 0-d array")
        return shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __getitem__(self, index):
        return _ops.wrap(apply(R.GETITEM, self, index=_index(index)), (self,))

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

    # -- methods: one line each -------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dtype=None, out=None):
        """See :func:`microgradx.sum` (``dtype``/``out``: so that ``np.sum(t)`` works too)."""
        return _numpy_style(_ops.sum(self, axis, keepdims), dtype, out)

    def mean(self, axis=None, keepdims=False, *, dtype=None, out=None):
        """See :func:`microgradx.mean` (``dtype``/``out``: so that ``np.mean(t)`` works too)."""
        return _numpy_style(_ops.mean(self, axis, keepdims), dtype, out)

    def var(self, axis=None, keepdims=False, ddof=0, *, dtype=None, out=None):
        """See :func:`microgradx.var` (``dtype``/``out``: so that ``np.var(t)`` works too)."""
        return _numpy_style(_ops.var(self, axis, keepdims, ddof), dtype, out)

    def std(self, axis=None, keepdims=False, ddof=0, *, dtype=None, out=None):
        """See :func:`microgradx.std` (``dtype``/``out``: so that ``np.std(t)`` works too)."""
        return _numpy_style(_ops.std(self, axis, keepdims, ddof), dtype, out)

    def max(self, axis=None, keepdims=False, *, dtype=None, out=None):
        """See :func:`microgradx.max` (``dtype``/``out``: so that ``np.max(t)`` works too)."""
        return _numpy_style(_ops.max(self, axis, keepdims), dtype, out)

    def min(self, axis=None, keepdims=False, *, dtype=None, out=None):
        """See :func:`microgradx.min` (``dtype``/``out``: so that ``np.min(t)`` works too)."""
        return _numpy_style(_ops.min(self, axis, keepdims), dtype, out)

    def argmax(self, axis=None, keepdims=False):
        """See :func:`microgradx.argmax`."""
        return _ops.argmax(self, axis, keepdims)

    def argmin(self, axis=None, keepdims=False):
        """See :func:`microgradx.argmin`."""
        return _ops.argmin(self, axis, keepdims)

    def logsumexp(self, axis=None, keepdims=False):
        """See :func:`microgradx.logsumexp`."""
        return _ops.logsumexp(self, axis, keepdims)

    def softmax(self, axis=-1):
        """See :func:`microgradx.softmax` (default: last axis)."""
        return _ops.softmax(self, axis)

    def log_softmax(self, axis=-1):
        """See :func:`microgradx.log_softmax` (default: last axis)."""
        return _ops.log_softmax(self, axis)

    def exp(self):
        """See :func:`microgradx.exp`."""
        return _ops.exp(self)

    def log(self):
        """See :func:`microgradx.log`."""
        return _ops.log(self)

    def sqrt(self):
        """See :func:`microgradx.sqrt`."""
        return _ops.sqrt(self)

    def square(self):
        """See :func:`microgradx.square`."""
        return _ops.square(self)

    def sin(self):
        """See :func:`microgradx.sin`."""
        return _ops.sin(self)

    def cos(self):
        """See :func:`microgradx.cos`."""
        return _ops.cos(self)

    def tanh(self):
        """See :func:`microgradx.tanh`."""
        return _ops.tanh(self)

    def sigmoid(self):
        """See :func:`microgradx.sigmoid`."""
        return _ops.sigmoid(self)

    def relu(self):
        """See :func:`microgradx.relu`."""
        return _ops.relu(self)

    def abs(self):
        """See :func:`microgradx.abs`."""
        return _ops.abs(self)

    def clip(self, a_min, a_max):
        """See :func:`microgradx.clip`."""
        return _ops.clip(self, a_min, a_max)

    def reshape(self, *shape):
        """See :func:`microgradx.reshape`; ``t.reshape(2, 3)`` and ``t.reshape((2, 3))`` both work."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = shape[0]
        return _ops.reshape(self, shape)

    def transpose(self, *axes):
        """See :func:`microgradx.transpose`."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = axes[0]
        return _ops.transpose(self, axes or None)

    def swapaxes(self, axis1, axis2):
        """See :func:`microgradx.swapaxes`."""
        return _ops.swapaxes(self, axis1, axis2)

    def flatten(self, start_axis=0, end_axis=-1):
        """See :func:`microgradx.flatten`."""
        return _ops.flatten(self, start_axis, end_axis)

    def squeeze(self, axis=None):
        """See :func:`microgradx.squeeze`."""
        return _ops.squeeze(self, axis)

    def expand_dims(self, axis):
        """See :func:`microgradx.expand_dims`."""
        return _ops.expand_dims(self, axis)

    def astype(self, dtype):
        """See :func:`microgradx.astype`."""
        return _ops.astype(self, dtype)

    # -- added for the MLX face (issue 13): bit operators, // and %, .at[], and MLX's array methods --------
    __and__, __rand__ = _operator(R.BITWISE_AND), _operator(R.BITWISE_AND, reflected=True)
    __or__, __ror__ = _operator(R.BITWISE_OR), _operator(R.BITWISE_OR, reflected=True)
    __xor__, __rxor__ = _operator(R.BITWISE_XOR), _operator(R.BITWISE_XOR, reflected=True)
    __lshift__, __rlshift__ = _operator(R.LEFT_SHIFT), _operator(R.LEFT_SHIFT, reflected=True)
    __rshift__, __rrshift__ = _operator(R.RIGHT_SHIFT), _operator(R.RIGHT_SHIFT, reflected=True)
    __floordiv__, __rfloordiv__ = _operator(R.FLOOR_DIVIDE), _operator(R.FLOOR_DIVIDE, reflected=True)
    __mod__, __rmod__ = _operator(R.REMAINDER), _operator(R.REMAINDER, reflected=True)

    def __invert__(self):
        return _ops.bitwise_invert(self)

    def __divmod__(self, other):
        return tuple(_ops.divmod(self, other))

    @property
    def at(self):
        """MLX's functional updates: ``x.at[idx].add(v)`` is a new array (repeated indices accumulate).

        >>> Tensor([1.0, 2.0, 3.0]).at[[0, 0, 2]].add(1.0)
        Tensor([3., 2., 4.])
        """
        return _At(self)

    def _assign(self, index, value):
        """Make this array name ``scatter_set(self, value, index)`` -- MLX's item assignment.

        An array that is a constant where the assignment runs (an eager value, or an outside value
        inside a transform) simply takes the new value; the value assigned may depend on a
        transform's variables (``y = zeros(3); y[idx] = x`` inside ``grad``).  A variable of a running
        transform cannot be overwritten in place: the nodes already computed from it would see the
        change; write ``x = mgx.scatter_set(x, value, index)`` instead.
        """
        if self._level != 0 and is_active(self._level):
            raise TypeError(
                "item assignment to an array that a running transform differentiates would change the "
                "values already computed from it; write x = mgx.scatter_set(x, value, index) "
                "(or mx.slice_update / mx.put_along_axis) instead"
            )
        base = raw_value(self)
        new = _ops.scatter_set(np.asarray(base), value, index)
        for name in ("_value", "_level", "_prim", "_parents", "_saved", "_params"):
            object.__setattr__(self, name, getattr(new, name))

    def prod(self, axis=None, keepdims=False):
        """See :func:`microgradx.prod`."""
        return _ops.prod(self, axis, keepdims)

    def all(self, axis=None, keepdims=False):
        """See :func:`microgradx.all`."""
        return _ops.all(self, axis, keepdims)

    def any(self, axis=None, keepdims=False):
        """See :func:`microgradx.any`."""
        return _ops.any(self, axis, keepdims)

    def cumsum(self, axis=None, *, reverse=False, inclusive=True):
        """See :func:`microgradx.cumsum`."""
        return _ops.cumsum(self, axis, reverse=reverse, inclusive=inclusive)

    def cumprod(self, axis=None, *, reverse=False, inclusive=True):
        """See :func:`microgradx.cumprod`."""
        return _ops.cumprod(self, axis, reverse=reverse, inclusive=inclusive)

    def cummax(self, axis=None, *, reverse=False, inclusive=True):
        """See :func:`microgradx.cummax`."""
        return _ops.cummax(self, axis, reverse=reverse, inclusive=inclusive)

    def cummin(self, axis=None, *, reverse=False, inclusive=True):
        """See :func:`microgradx.cummin`."""
        return _ops.cummin(self, axis, reverse=reverse, inclusive=inclusive)

    def split(self, indices_or_sections, axis=0):
        """See :func:`microgradx.split`."""
        return _ops.split(self, indices_or_sections, axis)

    def moveaxis(self, source, destination):
        """See :func:`microgradx.moveaxis`."""
        return _ops.moveaxis(self, source, destination)

    def round(self, decimals=0):
        """See :func:`microgradx.round`."""
        return _ops.round(self, decimals)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        """See :func:`microgradx.diagonal`."""
        return _ops.diagonal(self, offset, axis1, axis2)

    def diag(self, k=0):
        """See :func:`microgradx.diag`."""
        return _ops.diag(self, k)

    def reciprocal(self):
        """See :func:`microgradx.reciprocal`."""
        return _ops.reciprocal(self)

    def rsqrt(self):
        """See :func:`microgradx.rsqrt`."""
        return _ops.rsqrt(self)

    def log1p(self):
        """See :func:`microgradx.log1p`."""
        return _ops.log1p(self)

    def log2(self):
        """See :func:`microgradx.log2`."""
        return _ops.log2(self)

    def log10(self):
        """See :func:`microgradx.log10`."""
        return _ops.log10(self)

    def logcumsumexp(self, axis=None, *, reverse=False, inclusive=True):
        """See :func:`microgradx.logcumsumexp`."""
        return _ops.logcumsumexp(self, axis, reverse=reverse, inclusive=inclusive)

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        """Bytes of all elements."""
        return self.size * self.dtype.itemsize


class _At:
    """``x.at[index]``: the index, waiting for the update (MLX's ``ArrayAt``)."""

    __slots__ = ("_array",)

    def __init__(self, array):
        self._array = array

    def __getitem__(self, index):
        return _AtIndex(self._array, _index(index))


class _AtIndex:
    """``x.at[index].add(v)`` and friends: a new array; positions listed twice are updated twice.

    ``add``/``subtract`` accumulate in one scatter-add; the others apply the update once per
    repetition of a position (a round per repetition), so every update takes part and is
    differentiable.

    Examples
    --------
    >>> x = Tensor([1.0, 2.0, 3.0])
    >>> x.at[1].multiply(10.0), x.at[[0, 0]].maximum(5.0), x.at[np.array([2, 2])].subtract(1.0)
    (Tensor([ 1., 20.,  3.]), Tensor([5., 2., 3.]), Tensor([1., 2., 1.]))
    """

    __slots__ = ("_array", "_index")

    def __init__(self, array, index):
        self._array = array
        self._index = index

    def _positions(self):
        shape = self._array.shape
        return np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)[self._index]

    def add(self, value):
        """``x[index] += value``, repeated positions accumulating."""
        x = self._array
        pos = self._positions()
        v = _ops.broadcast_to(_ops.operand(self._number(value), "value"), pos.shape)
        return _ops.add(x, R.scatter_add(v, self._index, x.shape))

    def subtract(self, value):
        """``x[index] -= value``."""
        value = self._number(value)
        return self.add(-value if isinstance(value, np.ndarray) else _ops.negative(_ops.operand(value, "value")))

    def _number(self, value):
        """A Python number as an array of the array's float dtype (so float32 stays float32)."""
        if isinstance(value, (int, float)) and self._array.dtype.kind == "f":
            return np.asarray(value, dtype=self._array.dtype)
        return value

    def _rounds(self, combine, value):
        x = self._array
        value = self._number(value)
        pos = self._positions()
        flat_pos = pos.reshape(-1)
        if np.unique(flat_pos).size == flat_pos.size:  # every position once: one round
            current = x[self._index]
            return _ops.scatter_set(x, combine(current, value), self._index)
        v = _ops.reshape(_ops.broadcast_to(_ops.operand(value, "value"), pos.shape), (-1,))
        order = np.argsort(flat_pos, kind="stable")
        ranks = np.empty_like(order)
        sorted_pos = flat_pos[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_pos)) + 1]
        run = np.arange(flat_pos.size) - np.repeat(starts, np.diff(np.r_[starts, flat_pos.size]))
        ranks[order] = run
        out = _ops.reshape(x, (-1,))
        for r in range(int(ranks.max()) + 1):
            sel = np.flatnonzero(ranks == r)
            where = flat_pos[sel]
            out = _ops.scatter_set(out, combine(out[where], v[sel]), where)
        return _ops.reshape(out, x.shape)

    def multiply(self, value):
        """``x[index] *= value``."""
        return self._rounds(_ops.multiply, value)

    def divide(self, value):
        """``x[index] /= value``."""
        return self._rounds(_ops.divide, value)

    def maximum(self, value):
        """``x[index] = maximum(x[index], value)``; at ties both sides get the gradient (as in MLX)."""
        return self._rounds(_tie_both(_ops.maximum, np.greater), value)

    def minimum(self, value):
        """``x[index] = minimum(x[index], value)``; at ties both sides get the gradient (as in MLX)."""
        return self._rounds(_tie_both(_ops.minimum, np.less), value)


def _tie_both(extreme, beats):
    """MLX's scatter maximum/minimum: the value where it wins, else the old element; at a tie the
    result is the old element and both receive the full gradient."""

    def combine(current, value):
        value = _ops.operand(value, "value")
        c, v = np.asarray(raw_value(current)), np.asarray(raw_value(value))
        wins = beats(v, c)
        tie = (v == c).astype(np.result_type(c.dtype, v.dtype) if c.dtype.kind == "f" else np.float64)
        picked = _ops.where(wins, value, current)
        return picked + tie * (value - _ops.stop_gradient(value))

    return combine


_UFUNCS = {
    np.add: R.ADD, np.subtract: R.SUB, np.multiply: R.MUL, np.true_divide: R.DIV, np.power: R.POW,
    np.negative: R.NEG, np.exp: R.EXP, np.log: R.LOG, np.sin: R.SIN, np.cos: R.COS, np.tanh: R.TANH,
    np.sqrt: R.SQRT, np.absolute: R.ABS, np.square: R.SQUARE, np.maximum: R.MAXIMUM,
    np.minimum: R.MINIMUM, np.matmul: R.MATMUL, np.sign: R.SIGN, np.equal: R.EQ, np.not_equal: R.NE,
    np.less: R.LT, np.less_equal: R.LE, np.greater: R.GT, np.greater_equal: R.GE,
}

_NO_PARAMS: dict = {}
_new_object = object.__new__
_ndarray = np.ndarray  # module globals: cheaper than np.ndarray (numpy's module __getattr__) on the hot path


class Tensor(ArrayOps, Node):
    """An array that records the operations applied to it (reverse mode).

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
    """

    __slots__ = ("_value", "_level", "_prim", "_parents", "_saved", "_params",
                 "grad", "_mark", "_cot", "label", "__weakref__")
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
        return t

    @classmethod
    def _constant(cls, value, marker=None):
        """An eager leaf holding a plain value (``marker``: the primitive that made it, e.g. stop_gradient)."""
        t = cls._record(value, 0, marker, (), (), _NO_PARAMS)
        return t

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
        self._value = check_array(np.asarray(value), "data") if not isinstance(value, node_types()) else value

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
        if not is_active(0):
            raise RuntimeError("backward() inside no_grad() or a transform: nothing was recorded")
        _backend.engine.backward_sweep(self, seed, True)

    def _accumulate_grad(self, g) -> None:
        """Add ``g`` to ``.grad`` (eager ``backward()`` calls this on every node it reaches).

        A leaf owns its ``.grad``: the first gradient is copied, later ones
        are added in place (an optimizer may change it in place too).  A
        non-leaf keeps its first gradient without a copy -- it may be the
        very array another node received (``x + 1`` passes ``g`` on
        unchanged), so it is never changed in place: a second gradient makes
        a new array.  That saves a copy per node and sweep.
        """
        grad = self.grad
        if grad is None:
            value = self._value
            if type(g) is _ndarray and g.dtype == value.dtype and g.shape == value.shape:
                self.grad = g if self._parents else g.copy()
            else:  # an integer value (float64 gradient), or a plain float
                dtype = value.dtype if value.dtype.kind == "f" else np.float64
                self.grad = np.array(g, dtype=dtype, copy=True).reshape(value.shape)
        elif self._parents:
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
        if self._level != 0:
            extra += f", level={self._level}"
        return f"Tensor({body}{extra})"


_READY = frozenset({Tensor, float, int})  # operand types the operators pass on unchecked

# ops builds on this module (Tensor, to_array), and ArrayOps' methods call ops:
# import it last, once everything it needs from here exists.
from .. import ops as _ops  # noqa: E402
