"""Array functions with MLX's names: ``mgx.exp``, ``mgx.sum``, ``mgx.matmul``, ...

Each function accepts Scalars, Tensors, Duals, numpy arrays, Python numbers
and (nested) lists, and runs the rule-table primitive through
:func:`microgradx.core.dispatch.apply`.  Results are nodes when an operand is a
node of an active level; plain inputs give a constant :class:`Tensor` (as
``mx.exp(2.0)`` gives an ``mx.array``), and a Scalar stays a Scalar.

Composite functions (``mean``, ``softmax``, ``clip``, ``stack``, ...) are
written with the primitives, so their derivatives need no rules of their own.

Examples
--------
>>> import microgradx as mgx
>>> mgx.sum(mgx.array([[1.0, 2.0], [3.0, 4.0]]), axis=0)
Tensor([4., 6.])
>>> mgx.softmax(mgx.array([0.0, 0.0]), axis=-1)
Tensor([0.5, 0.5])
"""

from __future__ import annotations

import builtins as _bi
import numbers

import numpy as np

from .core import rules as R
from .core.arguments import axis_index, axis_indices
from .core.dispatch import apply, node_types, raw_value, value_dtype, value_shape
from .core.state import PLAIN, is_active
from .nodes import tensor as _t
from .nodes.batched import Batched, constant_of
from .nodes.tensor import _call, _index, operand, wrap

__all__ = [
    "array", "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye", "linspace",
    "add", "subtract", "multiply", "divide", "power", "negative", "square", "sqrt", "abs",
    "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "maximum", "minimum", "clip", "where",
    "sum", "mean", "max", "min", "var", "std", "logsumexp", "softmax", "log_softmax",
    "matmul", "reshape", "transpose", "swapaxes", "expand_dims", "squeeze", "broadcast_to",
    "concatenate", "stack", "flatten", "astype", "take", "argmax", "argmin", "stop_gradient",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
]  # (and ``operand`` and ``wrap``, imported from microgradx.nodes.tensor, which other modules use)


def _shape(x):
    return value_shape(x)


def _flag(value, name: str) -> bool:
    """A bool argument such as ``keepdims``: a bool (or numpy bool, or the ints 0 and 1)."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    raise TypeError(f"{name} must be a bool; got {type(value).__name__} {value!r}")


# ---------------------------------------------------------------------------
# Creation
# ---------------------------------------------------------------------------
def array(data, dtype=None) -> _t.Tensor:
    """Make a plain Tensor (float64 for Python floats, float32 kept as float32).

    A plain array records nothing outside a transform, as in MLX: the
    results of operations on plain arrays are plain too, so a training loop
    that writes ``p = p - lr * g`` keeps no history.  Use
    :class:`~microgradx.Tensor` for a leaf that records for ``.backward()``.

    Examples
    --------
    >>> array([1.0, 2.0]).dtype
    dtype('float64')
    >>> array(np.zeros(2, np.float32)).dtype
    dtype('float32')
    >>> (array([1.0]) * 3.0).is_leaf       # no graph
    True
    """
    return _t.Tensor._constant(_t.to_array(data, dtype))


def _dtype_arg(dtype, name: str = "dtype"):
    """None, or ``dtype`` as a numpy dtype of numbers (bool, int, float, complex): a TypeError names anything else."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be a numpy dtype of numbers (bool, int, float or complex); "
                        f"got {dtype!r}") from None
    if dt.kind not in "biufc":
        raise TypeError(f"{name} must be a bool, integer, float or complex dtype; got {dt} (from {dtype!r})")
    return dt


def _created(value, what: str) -> _t.Tensor:
    """A constant Tensor of a freshly made array, refused unless it holds numbers."""
    return _t.Tensor._constant(_t.check_array(value, what))


def zeros(shape, dtype=np.float64) -> _t.Tensor:
    """A Tensor of zeros.

    >>> zeros((2,))
    Tensor([0., 0.])
    >>> zeros(2, dtype=str)
    Traceback (most recent call last):
    ...
    TypeError: dtype must be a bool, integer, float or complex dtype; got <U0 (from <class 'str'>)
    """
    return _t.Tensor._constant(np.zeros(_shape_arg(shape), dtype=_dtype_arg(dtype)))


def ones(shape, dtype=np.float64) -> _t.Tensor:
    """A Tensor of ones.

    >>> ones(2)
    Tensor([1., 1.])
    """
    return _t.Tensor._constant(np.ones(_shape_arg(shape), dtype=_dtype_arg(dtype)))


def full(shape, vals, dtype=None) -> _t.Tensor:
    """A Tensor of ``shape`` filled with ``vals`` (broadcast).

    >>> full((2,), 7.0)
    Tensor([7., 7.])
    >>> full((2,), "abc")
    Traceback (most recent call last):
    ...
    TypeError: vals must be a Tensor, Scalar, Dual, numpy array, number or list; got str
    """
    vals = raw_value(operand(vals, "vals"))
    return _created(np.full(_shape_arg(shape), vals, dtype=_dtype_arg(dtype)), "full")


def zeros_like(a, dtype=None) -> _t.Tensor:
    """Zeros with the shape (and dtype) of ``a``.

    >>> zeros_like(array([1.0, 2.0]))
    Tensor([0., 0.])
    """
    a = operand(a, "a")  # (shape and dtype only: inside vmap, one example's)
    return _t.Tensor._constant(np.zeros(value_shape(a), dtype=_dtype_arg(dtype) or value_dtype(a)))


def ones_like(a, dtype=None) -> _t.Tensor:
    """Ones with the shape (and dtype) of ``a``.

    >>> ones_like(array([1.0, 2.0]))
    Tensor([1., 1.])
    """
    a = operand(a, "a")
    return _t.Tensor._constant(np.ones(value_shape(a), dtype=_dtype_arg(dtype) or value_dtype(a)))


def arange(start, stop=None, step=None, dtype=None) -> _t.Tensor:
    """Evenly spaced values (numpy's ``arange``).

    >>> arange(3)
    Tensor([0, 1, 2])
    """
    if start is None:
        raise TypeError("arange: start must be a real number; got None")
    for name, v in (("start", start), ("stop", stop), ("step", step)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (numbers.Real, np.integer, np.floating))):
            raise TypeError(f"arange: {name} must be a real number; got {type(v).__name__} {v!r}")
    if stop is None:
        start, stop = 0, start
    return _created(np.arange(start, stop, 1 if step is None else step, dtype=_dtype_arg(dtype)), "arange")


def eye(n: int, m: int | None = None, dtype=np.float64) -> _t.Tensor:
    """Identity matrix.

    >>> eye(2)
    Tensor([[1., 0.],
            [0., 1.]])
    """
    n = _non_negative_int(n, "n")
    m = None if m is None else _non_negative_int(m, "m")
    return _t.Tensor._constant(np.eye(n, m, dtype=_dtype_arg(dtype)))


def linspace(start, stop, num: int = 50, dtype=np.float64) -> _t.Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive.

    >>> linspace(0, 1, 3)
    Tensor([0. , 0.5, 1. ])
    """
    for name, v in (("start", start), ("stop", stop)):
        if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.integer, np.floating)):
            raise TypeError(f"linspace: {name} must be a real number; got {type(v).__name__} {v!r}")
    num = _non_negative_int(num, "num")
    return _created(np.linspace(start, stop, num, dtype=_dtype_arg(dtype)), "linspace")


def _non_negative_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0; got {value}")
    return int(value)


# ---------------------------------------------------------------------------
# Elementwise
# ---------------------------------------------------------------------------
def add(a, b):
    """a + b with broadcasting.

    >>> add(array([1.0, 2.0]), 1.0)
    Tensor([2., 3.])
    """
    return _call(R.ADD, a, b)


def subtract(a, b):
    """a - b.

    >>> subtract(3.0, array([1.0]))
    Tensor([2.])
    """
    return _call(R.SUB, a, b)


def multiply(a, b):
    """a * b.

    >>> multiply(array([1.0, 2.0]), 3.0)
    Tensor([3., 6.])
    """
    return _call(R.MUL, a, b)


def divide(a, b):
    """a / b (true division).

    >>> divide(array([1.0]), 4.0)
    Tensor([0.25])
    """
    return _call(R.DIV, a, b)


def power(a, b):
    """a ** b.

    >>> power(array([2.0]), 3.0)
    Tensor([8.])
    """
    return _call(R.POW, a, b)


def negative(a):
    """-a.

    >>> negative(array([1.0]))
    Tensor([-1.])
    """
    return _call(R.NEG, a)


def square(a):
    """a * a.

    >>> square(array([3.0]))
    Tensor([9.])
    """
    return _call(R.SQUARE, a)


def sqrt(a):
    """Square root.

    >>> sqrt(array([4.0]))
    Tensor([2.])
    """
    return _call(R.SQRT, a)


def abs(a):  # noqa: A001 - MLX's name
    """Absolute value (derivative ``sign(x)``, 0 at 0); the modulus ``|z|`` of complex numbers.

    >>> abs(array([-2.0]))
    Tensor([2.])
    >>> abs(array([3 + 4j]))
    Tensor([5.])
    """
    a = operand(a, "a")
    return _call(R.COMPLEX_ABS if R._is_complex(a) else R.ABS, a)


def exp(a):
    """e ** a.

    >>> exp(array([0.0]))
    Tensor([1.])
    """
    return _call(R.EXP, a)


def log(a):
    """Natural logarithm.

    >>> log(array([1.0]))
    Tensor([0.])
    """
    return _call(R.LOG, a)


def sin(a):
    """Sine.

    >>> sin(array([0.0]))
    Tensor([0.])
    """
    return _call(R.SIN, a)


def cos(a):
    """Cosine.

    >>> cos(array([0.0]))
    Tensor([1.])
    """
    return _call(R.COS, a)


def tanh(a):
    """Hyperbolic tangent.

    >>> tanh(array([0.0]))
    Tensor([0.])
    """
    return _call(R.TANH, a)


def sigmoid(a):
    """Logistic sigmoid 1 / (1 + e**-a), stable for large ``|a|``.

    >>> sigmoid(array([0.0]))
    Tensor([0.5])
    """
    return _call(R.SIGMOID, a)


def relu(a):
    """max(a, 0).

    >>> relu(array([-1.0, 2.0]))
    Tensor([0., 2.])
    """
    return _call(R.RELU, a)


def maximum(a, b):
    """Elementwise maximum; at ties each side gets half the gradient.

    >>> maximum(array([1.0, 5.0]), 3.0)
    Tensor([3., 5.])
    """
    return _call(R.MAXIMUM, a, b)


def minimum(a, b):
    """Elementwise minimum; at ties each side gets half the gradient.

    >>> minimum(array([1.0, 5.0]), 3.0)
    Tensor([1., 3.])
    """
    return _call(R.MINIMUM, a, b)


def clip(a, a_min, a_max):
    """Limit values to ``[a_min, a_max]`` (either may be None), as ``minimum(maximum(a, a_min), a_max)``.

    >>> clip(array([-2.0, 0.5, 3.0]), 0.0, 1.0)
    Tensor([0. , 0.5, 1. ])
    """
    if a_min is None and a_max is None:
        raise ValueError("clip: a_min and a_max cannot both be None")
    a = operand(a, "a")
    a_min = None if a_min is None else operand(a_min, "a_min")
    a_max = None if a_max is None else operand(a_max, "a_max")
    out = a
    if a_min is not None:
        out = maximum(out, a_min)
    if a_max is not None:
        out = minimum(out, a_max)
    return out


def where(condition, x, y):
    """Pick ``x`` where ``condition`` is true, else ``y``; no gradient flows to ``condition``.

    >>> where(array([True, False]), 1.0, array([5.0, 6.0]))
    Tensor([1., 6.])
    """
    cond = constant_of(operand(condition, "condition"))  # inside vmap a condition may be batched
    cond = cond if isinstance(cond, Batched) else np.asarray(cond)
    if value_dtype(cond).kind == "c":
        raise TypeError(f"where: condition must hold bools or real numbers; got dtype {value_dtype(cond)}")
    return _call(R.WHERE, cond, operand(x, "x"), operand(y, "y"))


def _compare(prim, a, b):
    return _call(prim, a, b)


def equal(a, b):
    """a == b elementwise (no gradient).

    >>> equal(array([1.0, 2.0]), 2.0)
    Tensor([False,  True])
    """
    return _compare(R.EQ, a, b)


def not_equal(a, b):
    """a != b elementwise.

    >>> not_equal(array([1.0]), 2.0)
    Tensor([ True])
    """
    return _compare(R.NE, a, b)


def less(a, b):
    """a < b elementwise.

    >>> less(array([1.0]), 2.0)
    Tensor([ True])
    """
    return _compare(R.LT, a, b)


def less_equal(a, b):
    """a <= b elementwise.

    >>> less_equal(array([2.0]), 2.0)
    Tensor([ True])
    """
    return _compare(R.LE, a, b)


def greater(a, b):
    """a > b elementwise.

    >>> greater(array([1.0]), 2.0)
    Tensor([False])
    """
    return _compare(R.GT, a, b)


def greater_equal(a, b):
    """a >= b elementwise.

    >>> greater_equal(array([2.0]), 2.0)
    Tensor([ True])
    """
    return _compare(R.GE, a, b)


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------
def _axis(axis, a):
    """``axis`` checked against operand ``a`` (:func:`~microgradx.core.arguments.axis_indices`), kept in its form."""
    axis_indices(axis, len(_shape(a)), scalar_axis_ok=True)
    if axis is None or isinstance(axis, (int, np.integer)):
        return None if axis is None else int(axis)
    return tuple(int(i) for i in axis)


def sum(a, axis=None, keepdims: bool = False):  # noqa: A001 - MLX's name
    """Sum over ``axis`` (None: all axes).

    >>> sum(array([[1.0, 2.0], [3.0, 4.0]]))
    Tensor(10.)
    """
    a = operand(a, "a")
    return _call(R.SUM, a, axis=_axis(axis, a), keepdims=_flag(keepdims, "keepdims"))


def _count(a, axis) -> int:
    shape = _shape(a)
    axes = axis_indices(axis, len(shape), scalar_axis_ok=True)
    n = 1
    for i in axes:
        n *= shape[i]
    return n


def mean(a, axis=None, keepdims: bool = False):
    """Arithmetic mean over ``axis``.

    >>> mean(array([1.0, 2.0, 3.0]))
    Tensor(2.)
    """
    a = operand(a, "a")
    n = _count(a, axis)
    return sum(a, axis, keepdims) / n  # n == 0 gives nan, as numpy's mean of nothing


def var(a, axis=None, keepdims: bool = False, ddof: int = 0):
    """Variance over ``axis`` (``ddof`` as in numpy); real for complex ``a``: the mean of ``|a - mean(a)|²``.

    >>> var(array([1.0, 3.0]))
    Tensor(1.)
    >>> var(array([1j, -1j]))
    Tensor(1.)
    """
    a = operand(a, "a")
    if isinstance(ddof, bool) or not isinstance(ddof, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"ddof must be a real number; got {type(ddof).__name__} {ddof!r}")
    d = a - mean(a, axis, keepdims=True)
    n = _count(a, axis)
    squares = real(d * conj(d)) if R._is_complex(d) else d * d  # |d|²: a complex array's variance is real
    return sum(squares, axis, keepdims) / (n - ddof)


def std(a, axis=None, keepdims: bool = False, ddof: int = 0):
    """Standard deviation over ``axis``.

    Where the values are all equal (variance 0) the gradient is 0, as in
    PyTorch: ``std`` has a kink there (``std(c + t*v) = |t|*std(v)``) and 0
    is the subgradient between its two slopes, where ``sqrt``'s derivative
    at 0 would give ``inf * 0 = nan``.

    >>> std(array([1.0, 3.0]))
    Tensor(1.)
    >>> import microgradx as mgx
    >>> mgx.grad(std)(array([2.0, 2.0]))
    Tensor([0., 0.])
    """
    v = var(a, axis, keepdims, ddof)
    zero = np.asarray(raw_value(v)) == 0  # a constant mask: where the values are all equal
    if not zero.any():
        return sqrt(v)
    # the second where keeps sqrt away from 0, so no inf * 0 reaches the gradient
    return where(zero, 0.0, sqrt(where(zero, 1.0, v)))


def max(a, axis=None, keepdims: bool = False):  # noqa: A001 - MLX's name
    """Maximum over ``axis``; tied maxima share the gradient equally.

    >>> max(array([1.0, 3.0, 2.0]))
    Tensor(3.)
    """
    a = operand(a, "a")
    return _call(R.MAX, a, axis=_axis(axis, a), keepdims=_flag(keepdims, "keepdims"))


def min(a, axis=None, keepdims: bool = False):  # noqa: A001 - MLX's name
    """Minimum over ``axis``; tied minima share the gradient equally.

    >>> min(array([1.0, 3.0, 2.0]))
    Tensor(1.)
    """
    a = operand(a, "a")
    return _call(R.MIN, a, axis=_axis(axis, a), keepdims=_flag(keepdims, "keepdims"))


def logsumexp(a, axis=None, keepdims: bool = False):
    """log(sum(exp(a))) computed without overflow; its gradient is softmax.

    >>> logsumexp(array([1000.0, 1000.0]))
    Tensor(1000.69314718)
    """
    a = operand(a, "a")
    return _call(R.LOGSUMEXP, a, axis=_axis(axis, a), keepdims=_flag(keepdims, "keepdims"))


def _tensor_operand(a, what: str):
    a = operand(a, "a")
    if getattr(a, "_kind", None) == "scalar":
        raise TypeError(f"Scalar supports elementwise operations only; {what} needs a Tensor")
    return a


def _max_shift(a, axis):
    """max(a) over ``axis`` (kept), as a constant; 0 where it is not finite or there is nothing to reduce."""
    value = constant_of(a)
    if R._is_complex(value):  # shifting by the largest real part keeps every |exp| at most 1
        value = real(value) if isinstance(value, Batched) else np.real(value)
    if isinstance(value, Batched):  # inside vmap: the same, with the batching rules
        m = max(value, axis, keepdims=True)
        return where(isfinite(m), m, 0.0)
    value = np.asarray(value)
    if value.size == 0:
        return 0.0
    m = np.max(value, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0).astype(value.dtype if value.dtype.kind == "f" else np.float64)


def softmax(a, axis=None):
    """exp(a) / sum(exp(a)) over ``axis`` (None: all axes), numerically stable.

    Computed as ``e / sum(e)`` with ``e = exp(a - max(a))``: the shift by the
    maximum keeps every ``exp`` at most 1, and since the result does not
    depend on the shift at all, the shift is a constant for differentiation.

    >>> softmax(array([1000.0, 1000.0]))
    Tensor([0.5, 0.5])
    """
    a = _tensor_operand(a, "softmax")
    e = exp(a - _max_shift(a, _axis(axis, a)))
    return e / sum(e, axis, keepdims=True)


def log_softmax(a, axis=None):
    """a - logsumexp(a) over ``axis``, numerically stable.

    >>> log_softmax(array([0.0, 0.0]))
    Tensor([-0.69314718, -0.69314718])
    """
    a = _tensor_operand(a, "log_softmax")
    return a - logsumexp(a, axis, keepdims=True)


def argmax(a, axis=None, keepdims: bool = False):
    """Index of the maximum (no gradient).

    >>> argmax(array([1.0, 3.0, 2.0]))
    Tensor(1)
    """
    a = operand(a, "a")
    axis = None if axis is None else axis_index(axis, len(_shape(a)))
    return _t.Tensor._constant(np.argmax(raw_value(a), axis=axis, keepdims=_flag(keepdims, "keepdims")))


def argmin(a, axis=None, keepdims: bool = False):
    """Index of the minimum (no gradient).

    >>> argmin(array([1.0, 3.0, 0.0]))
    Tensor(2)
    """
    a = operand(a, "a")
    axis = None if axis is None else axis_index(axis, len(_shape(a)))
    return _t.Tensor._constant(np.argmin(raw_value(a), axis=axis, keepdims=_flag(keepdims, "keepdims")))


# ---------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------
def _shape_arg(shape, name="shape"):
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        return (int(shape),)
    if isinstance(shape, (str, bytes, dict, set, frozenset)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{name} must be an int or a sequence of ints; got {type(shape).__name__}")
    shape = tuple(shape)
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{name} must be an int or a sequence of ints; got an entry {n!r}")
    return tuple(int(n) for n in shape)


def matmul(a, b):
    """Matrix product with numpy's rules (1-D operands, broadcast batch dimensions).

    >>> matmul(array([[1.0, 2.0]]), array([[3.0], [4.0]]))
    Tensor([[11.]])
    """
    return _call(R.MATMUL, a, b)


def reshape(a, shape):
    """New shape, same data (one dimension may be -1).

    >>> reshape(arange(6), (2, 3)).shape
    (2, 3)
    """
    a = operand(a, "a")
    shape = _shape_arg(shape)
    src = _shape(a)
    try:
        np.empty(src, dtype=np.bool_).reshape(shape)  # validate, with numpy's rules for -1
    except ValueError:
        raise ValueError(f"reshape: cannot reshape an array of shape {src} into shape {shape}") from None
    return _call(R.RESHAPE, a, shape=shape)


def transpose(a, axes=None):
    """Permute axes (default: reverse them).

    >>> transpose(zeros((2, 3))).shape
    (3, 2)
    """
    a = operand(a, "a")
    ndim = len(_shape(a))
    if axes is None:
        return _call(R.TRANSPOSE, a, axes=tuple(reversed(range(ndim))))
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        axes = (axes,)
    if not isinstance(axes, (list, tuple)):
        raise TypeError(f"transpose: axes must be None or a sequence of ints; got {type(axes).__name__}")
    perm = tuple(axis_index(x, ndim, "axes entry") for x in axes)
    if sorted(perm) != list(range(ndim)):
        raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of {ndim} dimensions")
    return _call(R.TRANSPOSE, a, axes=perm)


def swapaxes(a, axis1: int, axis2: int):
    """Exchange two axes.

    >>> swapaxes(zeros((2, 3, 4)), 0, 2).shape
    (4, 3, 2)
    """
    a = operand(a, "a")
    ndim = len(_shape(a))
    i, j = axis_index(axis1, ndim, "axis1"), axis_index(axis2, ndim, "axis2")
    perm = list(range(ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def expand_dims(a, axis):
    """Insert size-1 axes at ``axis`` (int or tuple).

    >>> expand_dims(zeros(3), 0).shape
    (1, 3)
    """
    a = operand(a, "a")
    shape = _shape(a)
    if axis is None:
        raise TypeError("expand_dims: axis must be an int or a tuple of ints; got None")
    new = axis_indices(axis, len(shape) + (len(axis) if isinstance(axis, (list, tuple)) else 1))
    out = iter(shape)
    return reshape(a, tuple(1 if i in new else next(out) for i in range(len(shape) + len(new))))


def squeeze(a, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``).

    >>> squeeze(zeros((1, 3, 1))).shape
    (3,)
    """
    a = operand(a, "a")
    shape = _shape(a)
    if axis is None:
        return reshape(a, tuple(n for n in shape if n != 1))
    drop = axis_indices(axis, len(shape))
    if [i for i in drop if shape[i] != 1]:
        raise ValueError(f"squeeze: axis {axis} of shape {shape} does not have size 1")
    return reshape(a, tuple(n for i, n in enumerate(shape) if i not in drop))


def flatten(a, start_axis: int = 0, end_axis: int = -1):
    """Axes ``start_axis`` to ``end_axis`` (inclusive; default: all) merged into one.

    >>> flatten(zeros((2, 3))).shape, flatten(zeros((2, 3, 4)), 1, 2).shape
    ((6,), (2, 12))
    """
    a = operand(a, "a")
    shape = _shape(a)
    if not shape:  # a 0-d array: numpy's rule, any axes give one element
        axis_index(start_axis, 1, "start_axis"), axis_index(end_axis, 1, "end_axis")
        return reshape(a, (1,))
    lo, hi = axis_index(start_axis, len(shape), "start_axis"), axis_index(end_axis, len(shape), "end_axis")
    if lo == 0 and hi == len(shape) - 1:
        return reshape(a, (-1,))
    if lo > hi:
        raise ValueError(f"flatten: start_axis {start_axis} comes after end_axis {end_axis}")
    return reshape(a, shape[:lo] + (-1,) + shape[hi + 1:])


def broadcast_to(a, shape):
    """Repeat ``a`` along new or size-1 axes to ``shape``.

    >>> broadcast_to(array([1.0, 2.0]), (2, 2))
    Tensor([[1., 2.],
            [1., 2.]])
    """
    a = operand(a, "a")
    shape = _shape_arg(shape)
    try:
        np.broadcast_shapes(_shape(a), shape)
        if np.broadcast_shapes(_shape(a), shape) != shape:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {_shape(a)} to shape {shape}") from None
    return _call(R.BROADCAST_TO, a, shape=shape)


def concatenate(arrays, axis: int = 0):
    """Join arrays along an existing axis.

    >>> concatenate([zeros(2), ones(1)])
    Tensor([0., 0., 1.])
    """
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise ValueError("concatenate: arrays must be a non-empty list or tuple")
    arrays = tuple(operand(x, f"arrays[{i}]") for i, x in enumerate(arrays))
    shapes = [_shape(x) for x in arrays]
    if axis is None:
        raise TypeError("concatenate: axis=None (join flattened arrays) is not supported; flatten them first, "
                        "e.g. concatenate([flatten(x) for x in arrays])")
    if [s for s in shapes if len(s) == 0]:
        raise ValueError(f"concatenate: 0-d arrays cannot be joined (shapes {shapes}); use stack")
    axis = axis_index(axis, len(shapes[0]))
    try:
        np.concatenate([np.empty(s, np.bool_) for s in shapes], axis=axis)
    except ValueError as exc:
        raise ValueError(f"concatenate: shapes {shapes} do not fit along axis {axis} ({exc})") from None
    return wrap(apply(R.CONCATENATE, *arrays, axis=axis), arrays)


def stack(arrays, axis: int = 0):
    """Join arrays along a new axis.

    >>> stack([zeros(2), ones(2)]).shape
    (2, 2)
    """
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise ValueError("stack: arrays must be a non-empty list or tuple")
    shapes = {_shape(x) for x in arrays}
    if len(shapes) != 1:
        raise ValueError(f"stack: all arrays need the same shape; got {sorted(shapes)}")
    axis = axis_index(axis, len(_shape(arrays[0])) + 1)
    return concatenate([expand_dims(x, axis) for x in arrays], axis)


def astype(a, dtype):
    """Cast to ``dtype``; the gradient is cast back.  A cast to an integer or bool dtype is a constant.

    >>> astype(array([1.5]), np.float32).dtype
    dtype('float32')
    >>> astype(array([1.5]), np.int64)
    Tensor([1])
    """
    dtype = _dtype_arg(dtype)
    if dtype is None:
        raise TypeError("astype: dtype must be a bool, integer, float or complex dtype; got None")
    if dtype.kind not in "fc":  # rounding to integers has derivative 0 almost everywhere: no gradient
        return _t.Tensor._constant(R.ASTYPE.forward(raw_value(operand(a, "a")), dtype))
    return _call(R.ASTYPE, a, dtype=dtype)


def take(a, indices, axis=None):
    """Pick elements by integer ``indices`` along ``axis`` (None: flattened); repeats accumulate gradient.

    >>> take(array([1.0, 2.0, 3.0]), [2, 0])
    Tensor([3., 1.])
    """
    a = operand(a, "a")
    idx = _indices(indices, "[gather]")
    if axis is None:
        return flatten(a)[idx]
    axis = axis_index(axis, len(_shape(a)))
    return a[(slice(None),) * axis + (idx,)]


def stop_gradient(a):
    """The same values, with no derivative at any level (MLX's ``stop_gradient``).

    Accepts Tensors, Duals, Scalars, numpy arrays and numbers (MLX: arrays only).

    Examples
    --------
    >>> import microgradx as mgx
    >>> x = mgx.Tensor(3.0)
    >>> y = mgx.stop_gradient(x) * x      # d/dx is the stopped factor only
    >>> y.backward(); float(x.grad)
    3.0
    """
    a = operand(a, "a")
    value = constant_of(a)  # (inside vmap, still batched)
    if getattr(a, "_kind", None) == "scalar":
        return type(a)(float(value))
    return _t.Tensor._constant(value, marker=R.STOP_GRADIENT)


# ===========================================================================
# Added for the MLX face (issue 13): the array functions MLX programs use.
# New primitives (cumsum, cumprod, prod, pad, scatter_set, arctan2, ...) are
# in the rule table; everything else here is composed from primitives, so
# its derivatives (any order, both modes) need no rules of their own.
# ===========================================================================
__all__ += [
    "tan", "sinh", "cosh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh",
    "log1p", "expm1", "log2", "log10", "erf", "reciprocal", "rsqrt", "sign", "degrees", "radians",
    "floor", "ceil", "round", "trunc", "isnan", "isinf", "isfinite", "nan_to_num",
    "arctan2", "remainder", "floor_divide", "divmod", "logaddexp",
    "logical_and", "logical_or", "logical_xor", "logical_not",
    "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_invert", "left_shift", "right_shift",
    "isclose", "allclose", "array_equal", "all", "any",
    "prod", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "median",
    "sort", "argsort", "topk", "partition", "argpartition", "take_along_axis", "put_along_axis",
    "pad", "split", "repeat", "tile", "roll", "moveaxis", "unflatten", "slice_update", "unstack",
    "tril", "triu", "tri", "diag", "diagonal", "trace", "outer", "inner", "tensordot", "addmm",
    "meshgrid", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays", "scatter_set",
]


def _unary(prim, doc):
    def fn(a):
        return _call(prim, a)

    fn.__name__ = fn.__qualname__ = prim.name
    fn.__doc__ = doc
    return fn


tan = _unary(R.TAN, "Tangent.\n\n>>> tan(array([0.0]))\nTensor([0.])\n")
sinh = _unary(R.SINH, "Hyperbolic sine.\n\n>>> sinh(array([0.0]))\nTensor([0.])\n")
cosh = _unary(R.COSH, "Hyperbolic cosine.\n\n>>> cosh(array([0.0]))\nTensor([1.])\n")
arcsin = _unary(R.ARCSIN, "Inverse sine.\n\n>>> arcsin(array([0.0]))\nTensor([0.])\n")
arccos = _unary(R.ARCCOS, "Inverse cosine.\n\n>>> arccos(array([1.0]))\nTensor([0.])\n")
arctan = _unary(R.ARCTAN, "Inverse tangent.\n\n>>> arctan(array([0.0]))\nTensor([0.])\n")
arcsinh = _unary(R.ARCSINH, "Inverse hyperbolic sine.\n\n>>> arcsinh(array([0.0]))\nTensor([0.])\n")
arccosh = _unary(R.ARCCOSH, "Inverse hyperbolic cosine.\n\n>>> arccosh(array([1.0]))\nTensor([0.])\n")
arctanh = _unary(R.ARCTANH, "Inverse hyperbolic tangent.\n\n>>> arctanh(array([0.0]))\nTensor([0.])\n")
log1p = _unary(R.LOG1P, "ln(1 + a), accurate for small ``a``.\n\n>>> log1p(array([0.0]))\nTensor([0.])\n")
expm1 = _unary(R.EXPM1, "e ** a - 1, accurate for small ``a``.\n\n>>> expm1(array([0.0]))\nTensor([0.])\n")
log2 = _unary(R.LOG2, "Base-2 logarithm.\n\n>>> log2(array([8.0]))\nTensor([3.])\n")
log10 = _unary(R.LOG10, "Base-10 logarithm.\n\n>>> log10(array([100.0]))\nTensor([2.])\n")
erf = _unary(R.ERF, "The error function.\n\n>>> erf(array([0.0]))\nTensor([0.])\n")
sign = _unary(R.SIGN, "-1, 0 or 1 by the sign of ``a`` (no gradient).\n\n>>> sign(array([-2.0, 3.0]))\n"
                      "Tensor([-1.,  1.])\n")
floor = _unary(R.FLOOR, "Round down (no gradient).\n\n>>> floor(array([1.5, -1.5]))\nTensor([ 1., -2.])\n")
ceil = _unary(R.CEIL, "Round up (no gradient).\n\n>>> ceil(array([1.5]))\nTensor([2.])\n")
trunc = _unary(R.TRUNC, "Round toward zero (no gradient).\n\n>>> trunc(array([-1.5]))\nTensor([-1.])\n")
isnan = _unary(R.ISNAN, "True where ``a`` is NaN.\n\n>>> isnan(array([np.nan, 1.0]))\nTensor([ True, False])\n")
isinf = _unary(R.ISINF, "True where ``a`` is ±inf.\n\n>>> isinf(array([np.inf, 1.0]))\nTensor([ True, False])\n")
isfinite = _unary(R.ISFINITE, "True where ``a`` is finite.\n\n>>> isfinite(array([np.inf, 1.0]))\n"
                              "Tensor([False,  True])\n")
logical_not = _unary(R.LOGICAL_NOT, "Logical not (as bools).\n\n>>> logical_not(array([True, False]))\n"
                                    "Tensor([False,  True])\n")
bitwise_invert = _unary(R.BITWISE_INVERT, "Bitwise not of bool or integer arrays (``~a``).\n\n"
                                          ">>> bitwise_invert(array([True, False]))\nTensor([False,  True])\n")


def _binary(prim, doc):
    def fn(a, b):
        return _call(prim, a, b)

    fn.__name__ = fn.__qualname__ = prim.name
    fn.__doc__ = doc
    return fn


arctan2 = _binary(R.ARCTAN2, "The angle of the point (b, a): ``arctan(a / b)`` in the right quadrant.\n\n"
                             ">>> arctan2(array([1.0]), array([1.0]))\nTensor([0.78539816])\n")
remainder = _binary(R.REMAINDER, "``a - b * floor(a / b)`` (the sign of ``b``, as Python's %).\n\n"
                                 ">>> remainder(array([7.0, -7.0]), 2.0)\nTensor([1., 1.])\n")
floor_divide = _binary(R.FLOOR_DIVIDE, "``floor(a / b)`` (no gradient).\n\n>>> floor_divide(array([7.0]), 2.0)\n"
                                       "Tensor([3.])\n")
logical_and = _binary(R.LOGICAL_AND, "Logical and.\n\n>>> logical_and(array([True, True]), array([True, False]))\n"
                                     "Tensor([ True, False])\n")
logical_or = _binary(R.LOGICAL_OR, "Logical or.\n\n>>> logical_or(array([False, True]), array([False, False]))\n"
                                   "Tensor([False,  True])\n")
logical_xor = _binary(R.LOGICAL_XOR, "Logical exclusive or.\n\n>>> logical_xor(array([True]), array([True]))\n"
                                     "Tensor([False])\n")
bitwise_and = _binary(R.BITWISE_AND, "``a & b`` on bool or integer arrays.\n\n>>> bitwise_and(array([6]), 3)\n"
                                     "Tensor([2])\n")
bitwise_or = _binary(R.BITWISE_OR, "``a | b`` on bool or integer arrays.\n\n>>> bitwise_or(array([4]), 1)\n"
                                   "Tensor([5])\n")
bitwise_xor = _binary(R.BITWISE_XOR, "``a ^ b`` on bool or integer arrays.\n\n>>> bitwise_xor(array([6]), 3)\n"
                                     "Tensor([5])\n")
left_shift = _binary(R.LEFT_SHIFT, "``a << b``.\n\n>>> left_shift(array([1]), 3)\nTensor([8])\n")
right_shift = _binary(R.RIGHT_SHIFT, "``a >> b``.\n\n>>> right_shift(array([8]), 3)\nTensor([1])\n")


def round(a, decimals: int = 0):  # noqa: A001 - MLX's name
    """Round to ``decimals`` places, half to even (no gradient).

    >>> round(array([1.25, 2.5]), 1)
    Tensor([1.2, 2.5])
    """
    return _call(R.ROUND, a, decimals=int(decimals))


def reciprocal(a):
    """1 / a.

    >>> reciprocal(array([4.0]))
    Tensor([0.25])
    """
    return divide(1.0, a)


def rsqrt(a):
    """1 / sqrt(a).

    >>> rsqrt(array([4.0]))
    Tensor([0.5])
    """
    return divide(1.0, sqrt(a))


def degrees(a):
    """Radians to degrees.

    >>> degrees(array([np.pi]))
    Tensor([180.])
    """
    return multiply(a, 180.0 / np.pi)


def radians(a):
    """Degrees to radians.

    >>> radians(array([180.0]))
    Tensor([3.14159265])
    """
    return multiply(a, np.pi / 180.0)


def nan_to_num(a, nan: float = 0.0, posinf=None, neginf=None):
    """Replace NaN by ``nan`` and ±inf by ``posinf``/``neginf`` (default: the largest finite numbers).

    >>> nan_to_num(array([np.nan, np.inf, 1.0]))[::2]
    Tensor([0., 1.])
    """
    a = operand(a, "a")
    value = np.asarray(raw_value(a))
    if value.dtype.kind != "f":
        return wrap(a) if not isinstance(a, np.ndarray) else wrap(value)
    big = np.finfo(value.dtype)
    out = where(isnan(a), nan, a)
    out = where(value == np.inf, big.max if posinf is None else posinf, out)
    return where(value == -np.inf, big.min if neginf is None else neginf, out)


def divmod(a, b):  # noqa: A001 - MLX's name
    """``[floor_divide(a, b), remainder(a, b)]`` (a list, as in MLX).

    >>> divmod(array([7.0]), 2.0)
    [Tensor([3.]), Tensor([1.])]
    """
    return [floor_divide(a, b), remainder(a, b)]


def logaddexp(a, b):
    """``log(exp(a) + exp(b))`` without overflow; its gradient is a softmax of the two.

    Computed as ``m + log(exp(a - m) + exp(b - m))`` with ``m = maximum(a, b)`` held constant (the result
    does not depend on ``m``), so large inputs never overflow.

    >>> logaddexp(0.0, array([0.0, 1000.0])).tolist()
    [0.6931471805599453, 1000.0]
    """
    a, b = operand(a, "a"), operand(b, "b")
    va, vb = raw_value(a), raw_value(b)  # Python numbers stay numbers: they take the array's dtype
    m = np.maximum(va, vb)
    if np.asarray(m).dtype.kind != "f":
        m = np.asarray(m, dtype=np.float64)
    m = np.where(np.isfinite(m), m, 0).astype(np.asarray(m).dtype)
    if m.ndim == 0 and type(va) in (float, int) and type(vb) in (float, int):
        m = float(m)
    return add(m, log(add(exp(subtract(a, m)), exp(subtract(b, m)))))


def isclose(a, b, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False):
    """``|a - b| <= atol + rtol * |b|`` elementwise (no gradient).

    >>> isclose(array([1.0, 2.0]), array([1.0, 2.1]))
    Tensor([ True, False])
    """
    va, vb = (np.asarray(raw_value(operand(x, n))) for x, n in ((a, "a"), (b, "b")))
    return _t.Tensor._constant(np.isclose(va, vb, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(a, b, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False):
    """True (a 0-d bool array) when every element is :func:`isclose`.

    >>> allclose(array([1.0]), array([1.0 + 1e-9]))
    Tensor(True)
    """
    return _t.Tensor._constant(np.asarray(bool(np.all(raw_value(isclose(a, b, rtol, atol, equal_nan))))))


def array_equal(a, b, equal_nan: bool = False):
    """True (a 0-d bool array) when shapes and values are equal (dtypes may differ).

    >>> array_equal(array([1, 2]), array([1.0, 2.0]))
    Tensor(True)
    """
    va, vb = (np.asarray(raw_value(operand(x, n))) for x, n in ((a, "a"), (b, "b")))
    return _t.Tensor._constant(np.asarray(np.array_equal(va, vb, equal_nan=equal_nan)))


def all(a, axis=None, keepdims: bool = False):  # noqa: A001 - MLX's name
    """True where every element along ``axis`` is nonzero (no gradient).

    >>> all(array([True, False]))
    Tensor(False)
    """
    a = operand(a, "a")
    return _t.Tensor._constant(np.all(raw_value(a), axis=_axis(axis, a), keepdims=_flag(keepdims, "keepdims")))


def any(a, axis=None, keepdims: bool = False):  # noqa: A001 - MLX's name
    """True where some element along ``axis`` is nonzero (no gradient).

    >>> any(array([True, False]))
    Tensor(True)
    """
    a = operand(a, "a")
    return _t.Tensor._constant(np.any(raw_value(a), axis=_axis(axis, a), keepdims=_flag(keepdims, "keepdims")))


# ---------------------------------------------------------------------------
# Products and cumulative functions
# ---------------------------------------------------------------------------
def prod(a, axis=None, keepdims: bool = False):
    """Product over ``axis``; exact gradients also where elements are zero.

    >>> prod(array([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    Tensor([ 2., 12.])
    """
    a = operand(a, "a")
    return _call(R.PROD, a, axis=_axis(axis, a), keepdims=_flag(keepdims, "keepdims"))


def _flip(a, axis):
    ndim = len(_shape(a))
    return a[(slice(None),) * (axis % ndim) + (slice(None, None, -1),)]


def _along(a, axis, reverse, inclusive, prim_fn, first):
    """Shared shape of the cumulative functions: flatten for ``axis=None``, flip for ``reverse``,
    shift by one with ``first`` in front for exclusive."""
    a = operand(a, "a")
    if axis is None:
        a, axis = flatten(a), 0
    if not isinstance(a, node_types()):
        a = _t.Tensor._constant(np.asarray(a))
    ndim = len(_shape(a))
    if ndim == 0:
        raise ValueError("cumulative functions need an array with at least one dimension")
    axis = R._norm_axes(axis, ndim)[0]
    x = _flip(a, axis) if reverse else a
    y = prim_fn(x, axis)
    if not inclusive:
        front = np.full(tuple(1 if i == axis else n for i, n in enumerate(_shape(x))), first,
                        dtype=value_dtype(y))
        body = y[(slice(None),) * axis + (slice(None, -1),)]
        y = concatenate([front, body], axis)
    return _flip(y, axis) if reverse else y


def _exact_to_default_int(a):
    return astype(a, np.int64) if value_dtype(a).kind == "b" else a


def cumsum(a, axis=None, *, reverse: bool = False, inclusive: bool = True):
    """Cumulative sum along ``axis`` (None: flattened); ``reverse`` from the end; not ``inclusive``:
    each element left out of its own sum.

    >>> cumsum(array([1.0, 2.0, 3.0])), cumsum(array([1.0, 2.0, 3.0]), reverse=True, inclusive=False)
    (Tensor([1., 3., 6.]), Tensor([5., 3., 0.]))
    """
    return _along(_exact_to_default_int(operand(a, "a")), axis, reverse, inclusive,
                  lambda x, ax: _call(R.CUMSUM, x, axis=ax), 0)


def cumprod(a, axis=None, *, reverse: bool = False, inclusive: bool = True):
    """Cumulative product along ``axis``; exact gradients also where elements are zero.

    >>> cumprod(array([1.0, 2.0, 3.0]))
    Tensor([1., 2., 6.])
    """
    return _along(_exact_to_default_int(operand(a, "a")), axis, reverse, inclusive,
                  lambda x, ax: _call(R.CUMPROD, x, axis=ax), 1)


def _running_extreme(accumulate):
    """cummax/cummin along the last-moved axis: gather each running extreme from the position it came
    from (the latest position that reached it, as MLX routes ties)."""

    def run(x, axis):
        value = np.asarray(raw_value(x))
        ext = accumulate(value, axis=axis)
        shape = [1] * value.ndim
        shape[axis] = value.shape[axis]
        positions = np.arange(value.shape[axis]).reshape(shape)
        source = np.maximum.accumulate(np.where(value == ext, positions, 0), axis=axis)
        return take_along_axis(x, source, axis)

    return run


def cummax(a, axis=None, *, reverse: bool = False, inclusive: bool = True):
    """Running maximum along ``axis``; the gradient goes to the element each maximum came from
    (the latest one at ties).

    >>> cummax(array([1.0, 3.0, 2.0, 4.0]))
    Tensor([1., 3., 3., 4.])
    """
    return _along(a, axis, reverse, inclusive, _running_extreme(np.maximum.accumulate), -np.inf)


def cummin(a, axis=None, *, reverse: bool = False, inclusive: bool = True):
    """Running minimum along ``axis`` (see :func:`cummax`).

    >>> cummin(array([3.0, 1.0, 2.0]))
    Tensor([3., 1., 1.])
    """
    return _along(a, axis, reverse, inclusive, _running_extreme(np.minimum.accumulate), np.inf)


def logcumsumexp(a, axis=None, *, reverse: bool = False, inclusive: bool = True):
    """``log(cumsum(exp(a)))`` along ``axis``, shifted by the maximum so it does not overflow.

    >>> logcumsumexp(array([0.0, 0.0]))
    Tensor([0.        , 0.69314718])
    """
    a = operand(a, "a")
    shift = _max_shift(a, None)
    with np.errstate(divide="ignore"):
        return add(log(cumsum(exp(subtract(a, shift)), axis, reverse=reverse, inclusive=inclusive)), shift)


# ---------------------------------------------------------------------------
# Gathering along an axis: sort, argsort, topk, partition, take/put_along_axis
# ---------------------------------------------------------------------------
_INDEX_VJP = "{tag} Cannot calculate VJP with respect to indices. Use stop_gradient on indices to stop " \
             "gradients from being computed."


def _indices(indices, tag: str) -> np.ndarray:
    """Integer indices as a plain ndarray; differentiating with respect to them is MLX's ValueError."""
    if isinstance(indices, node_types()) and indices._level != 0:
        from .core.state import is_active

        if is_active(indices._level):
            raise ValueError(_INDEX_VJP.format(tag=tag))
    idx = np.asarray(raw_value(operand(indices, "indices")))
    if idx.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers; got dtype {idx.dtype}")
    return idx


def _along_axis_index(shape, idx, axis):
    """numpy/MLX 'along axis' indexing as one advanced index: ``idx`` at ``axis``, aranges elsewhere."""
    if idx.ndim != len(shape):
        raise ValueError(f"indices must have the array's number of dimensions ({len(shape)}); got {idx.ndim}")
    target = np.broadcast_shapes(tuple(1 if i == axis else n for i, n in enumerate(shape)),
                                 tuple(1 if i == axis else n for i, n in enumerate(idx.shape)))
    target = tuple(idx.shape[axis] if i == axis else n for i, n in enumerate(target))
    idx = np.broadcast_to(idx, target)
    index = []
    for i, n in enumerate(target):
        if i == axis:
            index.append(idx)
        else:
            view = [1] * len(target)
            view[i] = n
            index.append(np.arange(n).reshape(view))
    return tuple(index)


def take_along_axis(a, indices, axis=None):
    """Pick ``a``'s elements at ``indices`` along ``axis`` (None: of the flattened array); repeated
    indices add up their gradients.

    >>> take_along_axis(array([[10.0, 20.0], [30.0, 40.0]]), np.array([[1], [0]]), axis=1)
    Tensor([[20.],
            [30.]])
    """
    idx = _indices(indices, "[gather_axis]")
    a = operand(a, "a")
    if axis is None:
        a, idx, axis = flatten(a), idx.reshape(-1), 0
    axis = R._norm_axes(axis, len(_shape(a)))[0]
    return wrap(a)[_along_axis_index(_shape(a), idx, axis)] if not isinstance(a, node_types()) \
        else a[_along_axis_index(_shape(a), idx, axis)]


def scatter_set(a, values, index):
    """A copy of ``a`` with ``values`` written at ``index`` (any numpy index); gradients: ``a`` gets
    zeros where it was overwritten, ``values`` gets the gradient at the positions it was written to.

    >>> scatter_set(zeros(3), 5.0, 1)
    Tensor([0., 5., 0.])
    """
    from .nodes.tensor import _index

    return _call(R.SCATTER_SET, a, values, index=_index(index))


def put_along_axis(a, indices, values, axis=None):
    """A copy of ``a`` with ``values`` written at ``indices`` along ``axis``.

    >>> put_along_axis(zeros((2, 2)), np.array([[1], [0]]), 5.0, axis=1)
    Tensor([[0., 5.],
            [5., 0.]])
    """
    idx = _indices(indices, "[scatter_axis]")
    a = operand(a, "a")
    if axis is None:
        shape = _shape(a)
        return reshape(put_along_axis(flatten(a), idx.reshape(-1), values, 0), shape)
    axis = R._norm_axes(axis, len(_shape(a)))[0]
    return scatter_set(a, values, _along_axis_index(_shape(a), idx, axis))


def _sort_axis(a, axis):
    a = operand(a, "a")
    if axis is None:
        return flatten(a), 0
    return a, R._norm_axes(axis, len(_shape(a)))[0]


def argsort(a, axis=-1):
    """Indices that sort ``a`` along ``axis`` (stable: ties keep their order; no gradient).

    >>> argsort(array([3.0, 1.0, 2.0]))
    Tensor([1, 2, 0])
    """
    a, axis = _sort_axis(a, axis)
    return _t.Tensor._constant(np.argsort(np.asarray(raw_value(a)), axis=axis, kind="stable"))


def sort(a, axis=-1):
    """``a`` sorted along ``axis`` (None: flattened); each value's gradient goes back to where it came from.

    >>> sort(array([3.0, 1.0, 2.0]))
    Tensor([1., 2., 3.])
    """
    a, axis = _sort_axis(a, axis)
    return take_along_axis(a, raw_value(argsort(a, axis)), axis)


def topk(a, k: int, axis=-1):
    """The ``k`` largest elements along ``axis``, in ascending order.

    >>> topk(array([3.0, 1.0, 2.0, 5.0]), 2)
    Tensor([3., 5.])
    """
    a, axis = _sort_axis(a, axis)
    n = _shape(a)[axis]
    if not 0 < k <= n:
        raise ValueError(f"topk: k must be in 1..{n} for an axis of size {n}; got {k}")
    s = sort(a, axis)
    return s[(slice(None),) * axis + (slice(n - k, None),)]


def argpartition(a, kth: int, axis=-1):
    """Indices that partition ``a`` around its ``kth`` element (no gradient).

    >>> int(argpartition(array([3.0, 1.0, 2.0]), 1)[1])
    2
    """
    a, axis = _sort_axis(a, axis)
    return _t.Tensor._constant(np.argpartition(np.asarray(raw_value(a)), kth, axis=axis))


def partition(a, kth: int, axis=-1):
    """``a`` rearranged so that its ``kth`` element is in sorted position, smaller ones before it and
    larger ones after (in no particular order).

    >>> partition(array([3.0, 1.0, 2.0]), 1)[1]
    Tensor(2.)
    """
    a, axis = _sort_axis(a, axis)
    return take_along_axis(a, raw_value(argpartition(a, kth, axis)), axis)


def median(a, axis=None, keepdims: bool = False):
    """The middle value (mean of the two middle values for an even count) along ``axis``.

    >>> median(array([3.0, 1.0, 2.0, 10.0]))
    Tensor(2.5)
    """
    a = operand(a, "a")
    if axis is None:
        a, axis = flatten(a), 0
        if keepdims:
            raise ValueError("median: keepdims needs an axis")
    axis = R._norm_axes(axis, len(_shape(a)))[0]
    n = _shape(a)[axis]
    s = sort(a, axis)
    mid = s[(slice(None),) * axis + (slice((n - 1) // 2, n // 2 + 1),)]
    return mean(mid, axis, keepdims)


# ---------------------------------------------------------------------------
# Shapes: padding, splitting, repeating
# ---------------------------------------------------------------------------
def _pad_widths(pad_width, ndim):
    widths = np.asarray(pad_width, dtype=np.int64)
    try:
        if widths.ndim == 1 and widths.size == 2:  # one (before, after) pair for every axis
            widths = widths.reshape(1, 2)
        elif widths.ndim < 2:  # one width for both sides of every axis
            widths = widths.reshape(-1, 1)
        widths = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit an array of {ndim} dimensions") from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad_width must not be negative; got {pad_width!r}")
    return tuple((int(lo), int(hi)) for lo, hi in widths)


def pad(a, pad_width, mode: str = "constant", constant_values=0):
    """Pad ``a`` with ``constant_values`` (``mode="constant"``) or copies of its edge (``"edge"``).

    ``pad_width`` is an int (every side), a pair ``(before, after)`` for every axis, or one pair per axis.

    >>> pad(array([1.0, 2.0]), 1)
    Tensor([0., 1., 2., 0.])
    >>> pad(array([1.0, 2.0]), (0, 2), mode="edge")
    Tensor([1., 2., 2., 2.])
    """
    a = operand(a, "a")
    widths = _pad_widths(pad_width, len(_shape(a)))
    if mode == "constant":
        return _call(R.PAD, a, widths=widths, value=raw_value(constant_values))
    if mode == "edge":
        out = a
        for axis, (lo, hi) in enumerate(widths):
            n = _shape(a)[axis]
            if (lo or hi) and n == 0:
                raise ValueError("pad: cannot pad an empty axis with mode='edge'")
            if lo or hi:
                idx = np.clip(np.arange(-lo, n + hi), 0, n - 1)
                out = out[(slice(None),) * axis + (idx,)]
        return wrap(out)
    raise ValueError(f"pad: mode must be 'constant' or 'edge'; got {mode!r}")


def split(a, indices_or_sections, axis: int = 0):
    """Split ``a`` along ``axis`` into equal parts (an int) or at the given indices (a list).

    >>> split(arange(6.0), 3)
    [Tensor([0., 1.]), Tensor([2., 3.]), Tensor([4., 5.])]
    >>> [t.shape for t in split(arange(6.0), [1, 4])]
    [(1,), (3,), (2,)]
    """
    a = wrap(operand(a, "a"))
    shape = _shape(a)
    axis = R._norm_axes(axis, len(shape))[0]
    n = shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0 or n % k:
            raise ValueError(f"Array split does not result in sub arrays with equal size: attempting {k} splits "
                             f"along axis {axis} for shape ({','.join(map(str, shape))}).")
        cuts = [n // k * i for i in range(1, k)]
    else:
        cuts = [int(i) for i in raw_value(indices_or_sections)]
    bounds = [0] + cuts + [n]
    return [a[(slice(None),) * axis + (slice(lo, _bi.max(lo, hi)),)] for lo, hi in zip(bounds, bounds[1:])]


def repeat(a, repeats: int, axis=None):
    """Repeat each element ``repeats`` times along ``axis`` (None: of the flattened array).

    >>> repeat(array([1.0, 2.0]), 2)
    Tensor([1., 1., 2., 2.])
    """
    a = operand(a, "a")
    if axis is None:
        a, axis = flatten(a), 0
    axis = R._norm_axes(axis, len(_shape(a)))[0]
    idx = np.repeat(np.arange(_shape(a)[axis]), repeats)
    return wrap(a)[(slice(None),) * axis + (idx,)]


def tile(a, reps):
    """Repeat the whole of ``a`` ``reps`` times (per axis).

    >>> tile(array([1.0, 2.0]), 2)
    Tensor([1., 2., 1., 2.])
    """
    a = wrap(operand(a, "a"))
    reps = (int(reps),) if isinstance(reps, (int, np.integer)) else tuple(int(r) for r in reps)
    ndim = _bi.max(len(reps), len(_shape(a)))
    a = reshape(a, (1,) * (ndim - len(_shape(a))) + _shape(a))
    reps = (1,) * (ndim - len(reps)) + reps
    for axis, r in enumerate(reps):
        if r != 1:
            a = a[(slice(None),) * axis + (np.tile(np.arange(_shape(a)[axis]), r),)]
    return a


def roll(a, shift, axis=None):
    """Shift elements along ``axis`` (None: flattened), wrapping around.

    >>> roll(array([1.0, 2.0, 3.0]), 1)
    Tensor([3., 1., 2.])
    """
    a = wrap(operand(a, "a"))
    if axis is None:
        return reshape(roll(flatten(a), shift, 0), _shape(a))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    shifts = np.broadcast_to(np.asarray(shift), (len(axes),))
    for ax, s in zip(axes, shifts):
        ax = R._norm_axes(ax, len(_shape(a)))[0]
        n = _shape(a)[ax]
        a = a[(slice(None),) * ax + ((np.arange(n) - int(s)) % _bi.max(n, 1),)]
    return a


def moveaxis(a, source: int, destination: int):
    """Move axis ``source`` to position ``destination``.

    >>> moveaxis(zeros((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    a = operand(a, "a")
    ndim = len(_shape(a))
    s, d = R._norm_axes(source, ndim)[0], R._norm_axes(destination, ndim)[0]
    order = [i for i in range(ndim) if i != s]
    order.insert(d, s)
    return transpose(a, order)


def unflatten(a, axis: int, shape):
    """Split axis ``axis`` into ``shape`` (one entry may be -1).

    >>> unflatten(zeros((6, 2)), 0, (2, 3)).shape
    (2, 3, 2)
    """
    a = operand(a, "a")
    src = _shape(a)
    axis = R._norm_axes(axis, len(src))[0]
    return reshape(a, src[:axis] + tuple(_shape_arg(shape)) + src[axis + 1:])


def unstack(a, axis: int = 0):
    """The slices of ``a`` along ``axis``, as a tuple.

    >>> unstack(array([[1.0, 2.0], [3.0, 4.0]]))
    (Tensor([1., 2.]), Tensor([3., 4.]))
    """
    a = wrap(operand(a, "a"))
    axis = R._norm_axes(axis, len(_shape(a)))[0]
    return tuple(a[(slice(None),) * axis + (i,)] for i in range(_shape(a)[axis]))


def slice_update(a, update, start_indices, axes=None):
    """A copy of ``a`` with ``update`` written at ``start_indices`` (along ``axes``, default the first ones).

    >>> slice_update(zeros(4), array([1.0, 2.0]), [1])
    Tensor([0., 1., 2., 0.])
    """
    a = operand(a, "a")
    start = [int(i) for i in np.asarray(raw_value(start_indices)).reshape(-1)]
    ushape = _shape(update)
    axes = list(range(len(start))) if axes is None else [R._norm_axes(x, len(_shape(a)))[0] for x in axes]
    if len(axes) != len(start):
        raise ValueError("slice_update: start_indices and axes must have the same length")
    index = [slice(None)] * len(_shape(a))
    offset = len(_shape(a)) - len(ushape)
    for ax, s in zip(axes, start):
        size = ushape[ax - offset] if ax - offset >= 0 else 1
        index[ax] = slice(s, s + size)
    return scatter_set(a, update, tuple(index))


# ---------------------------------------------------------------------------
# Matrices
# ---------------------------------------------------------------------------
def tri(n: int, m: int | None = None, k: int = 0, dtype=np.float64):
    """Ones at and below the ``k``-th diagonal.

    >>> tri(2)
    Tensor([[1., 0.],
            [1., 1.]])
    """
    return _t.Tensor._constant(np.tri(n, m, k, dtype=dtype))


def tril(x, k: int = 0):
    """``x`` with the elements above the ``k``-th diagonal set to zero.

    >>> tril(ones((2, 2)))
    Tensor([[1., 0.],
            [1., 1.]])
    """
    x = operand(x, "x")
    s = _shape(x)
    return where(np.tri(s[-2], s[-1], k, dtype=bool), x, 0)


def triu(x, k: int = 0):
    """``x`` with the elements below the ``k``-th diagonal set to zero.

    >>> triu(ones((2, 2)))
    Tensor([[1., 1.],
            [0., 1.]])
    """
    x = operand(x, "x")
    s = _shape(x)
    return where(np.tri(s[-2], s[-1], k - 1, dtype=bool), 0, x)


def diagonal(a, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """The ``offset`` diagonal of the planes (``axis1``, ``axis2``), as the last axis.

    >>> diagonal(array([[1.0, 2.0], [3.0, 4.0]]))
    Tensor([1., 4.])
    """
    a = operand(a, "a")
    ndim = len(_shape(a))
    i, j = R._norm_axes(axis1, ndim)[0], R._norm_axes(axis2, ndim)[0]
    rest = [d for d in range(ndim) if d not in (i, j)]
    t = transpose(a, rest + [i, j])
    n, m = _shape(t)[-2:]
    rows = np.arange(_bi.max(0, -offset), _bi.min(n, m - offset) if offset >= 0 else _bi.min(n, m - offset))
    rows = rows[rows < n]
    cols = rows + offset
    keep = (cols >= 0) & (cols < m)
    return t[(Ellipsis, rows[keep], cols[keep])]


def diag(a, k: int = 0):
    """The ``k``-th diagonal of a matrix, or a matrix with the vector ``a`` on its ``k``-th diagonal.

    >>> diag(array([1.0, 2.0]))
    Tensor([[1., 0.],
            [0., 2.]])
    """
    a = operand(a, "a")
    shape = _shape(a)
    if len(shape) == 2:
        return diagonal(a, k)
    if len(shape) != 1:
        raise ValueError(f"diag: a must be 1-D or 2-D; got shape {shape}")
    n = shape[0] + (k if k > 0 else -k)
    rows = np.arange(shape[0]) + _bi.max(-k, 0)
    dtype = value_dtype(a)
    return scatter_set(np.zeros((n, n), dtype=dtype), a, (rows, rows + k))


def trace(a, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype=None):
    """Sum of the ``offset`` diagonal.

    >>> trace(array([[1.0, 2.0], [3.0, 4.0]]))
    Tensor(5.)
    """
    out = sum(diagonal(a, offset, axis1, axis2), axis=-1)
    return out if dtype is None else astype(out, dtype)


def outer(a, b):
    """Outer product of the flattened ``a`` and ``b``.

    >>> outer(array([1.0, 2.0]), array([3.0, 4.0]))
    Tensor([[3., 4.],
            [6., 8.]])
    """
    return multiply(reshape(operand(a, "a"), (-1, 1)), reshape(operand(b, "b"), (1, -1)))


def tensordot(a, b, axes=2):
    """Sum of products over the last ``axes`` axes of ``a`` and the first of ``b`` (or the listed pairs).

    >>> tensordot(ones((2, 3)), ones((3, 4)), axes=1).shape
    (2, 4)
    """
    a, b = operand(a, "a"), operand(b, "b")
    sa, sb = _shape(a), _shape(b)
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(len(sa) - int(axes), len(sa))), list(range(int(axes)))
    else:
        ax_a, ax_b = ([axes[0]] if isinstance(axes[0], int) else list(axes[0]),
                      [axes[1]] if isinstance(axes[1], int) else list(axes[1]))
    ax_a = [R._norm_axes(x, len(sa))[0] for x in ax_a]
    ax_b = [R._norm_axes(x, len(sb))[0] for x in ax_b]
    free_a = [i for i in range(len(sa)) if i not in ax_a]
    free_b = [i for i in range(len(sb)) if i not in ax_b]
    k = int(np.prod([sa[i] for i in ax_a], dtype=np.int64))
    left = reshape(transpose(a, free_a + ax_a), (-1, k))
    right = reshape(transpose(b, ax_b + free_b), (k, -1))
    return reshape(matmul(left, right), tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))


def inner(a, b):
    """Sum of products over the last axes of ``a`` and ``b``.

    >>> inner(array([1.0, 2.0]), array([3.0, 4.0]))
    Tensor(11.)
    """
    a, b = operand(a, "a"), operand(b, "b")
    return tensordot(a, b, ([len(_shape(a)) - 1], [len(_shape(b)) - 1]))


def addmm(c, a, b, alpha: float = 1.0, beta: float = 1.0):
    """``alpha * (a @ b) + beta * c``.

    >>> addmm(ones((2, 2)), ones((2, 2)), ones((2, 2)), alpha=2.0)
    Tensor([[5., 5.],
            [5., 5.]])
    """
    return add(multiply(alpha, matmul(a, b)), multiply(beta, c))


def meshgrid(*arrays, sparse: bool = False, indexing: str = "xy"):
    """Coordinate grids from 1-D arrays (``indexing="xy"`` swaps the first two axes, as numpy does).

    >>> [g.shape for g in meshgrid(arange(3.0), arange(2.0))]
    [(2, 3), (2, 3)]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij'; got {indexing!r}")
    arrays = [flatten(operand(x, f"arrays[{i}]")) for i, x in enumerate(arrays)]
    n = len(arrays)
    sizes = [_shape(x)[0] for x in arrays]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, x in enumerate(arrays):
        pos = i if indexing == "ij" or n < 2 or i > 1 else 1 - i
        view = [1] * n
        view[pos] = _shape(x)[0]
        g = reshape(x, view)
        out.append(g if sparse else broadcast_to(g, sizes))
    return tuple(out)


def _atleast(nd, a):
    a = operand(a, "a")
    s = _shape(a)
    if len(s) >= nd:
        return wrap(a)
    if nd == 3 and len(s) == 2:
        return reshape(a, s + (1,))
    if nd == 3 and len(s) == 1:
        return reshape(a, (1,) + s + (1,))
    return reshape(a, (1,) * (nd - len(s)) + s)


def atleast_1d(*arrays):
    """Arrays with at least one dimension.

    >>> atleast_1d(array(1.0)).shape
    (1,)
    """
    out = [_atleast(1, a) for a in arrays]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arrays):
    """Arrays with at least two dimensions.

    >>> atleast_2d(array([1.0])).shape
    (1, 1)
    """
    out = [_atleast(2, a) for a in arrays]
    return out[0] if len(out) == 1 else out


def atleast_3d(*arrays):
    """Arrays with at least three dimensions.

    >>> atleast_3d(array([1.0, 2.0])).shape
    (1, 2, 1)
    """
    out = [_atleast(3, a) for a in arrays]
    return out[0] if len(out) == 1 else out


def broadcast_arrays(*arrays):
    """The arrays broadcast to their common shape.

    >>> [a.shape for a in broadcast_arrays(ones((2, 1)), ones(3))]
    [(2, 3), (2, 3)]
    """
    arrays = [operand(a, f"arrays[{i}]") for i, a in enumerate(arrays)]
    shape = np.broadcast_shapes(*[_shape(a) for a in arrays])
    return tuple(broadcast_to(a, shape) for a in arrays)


# ---------------------------------------------------------------------------
# The numpy-style methods of Tensor and Dual
# ---------------------------------------------------------------------------
def _numpy_style(result, dtype, out):
    """numpy's reductions call ``t.sum(axis=..., dtype=..., out=...)``: honour ``dtype``, refuse ``out``."""
    if out is not None:
        raise TypeError("out= is not supported: Tensors are never written in place")
    return result if dtype is None else astype(result, dtype)


class ArrayMethods:
    """``t.sum()``, ``t.exp()``, ``t.T``, ...: the methods of Tensor and Dual, each the function of this module.

    They are defined here, beside the functions they call, and added to
    :class:`~microgradx.nodes.tensor.ArrayOps` (the base class of Tensor and
    Dual) below: this module is built on Tensor, so Tensor cannot import it.

    Examples
    --------
    >>> array([[1.0, 2.0]]).T.sum(axis=1)
    Tensor([1., 2.])
    """

    @property
    def T(self):
        """Transpose (axes reversed)."""
        return transpose(self)

    # -- methods: one line each -------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dtype=None, out=None):
        """See :func:`microgradx.sum` (``dtype``/``out``: so that ``np.sum(t)`` works too)."""
        return _numpy_style(sum(self, axis, keepdims), dtype, out)

    def mean(self, axis=None, keepdims=False, *, dtype=None, out=None):
        """See :func:`microgradx.mean` (``dtype``/``out``: so that ``np.mean(t)`` works too)."""
        return _numpy_style(mean(self, axis, keepdims), dtype, out)

    def var(self, axis=None, keepdims=False, ddof=0, *, dtype=None, out=None):
        """See :func:`microgradx.var` (``dtype``/``out``: so that ``np.var(t)`` works too)."""
        return _numpy_style(var(self, axis, keepdims, ddof), dtype, out)

    def std(self, axis=None, keepdims=False, ddof=0, *, dtype=None, out=None):
        """See :func:`microgradx.std` (``dtype``/``out``: so that ``np.std(t)`` works too)."""
        return _numpy_style(std(self, axis, keepdims, ddof), dtype, out)

    def max(self, axis=None, keepdims=False, *, dtype=None, out=None):
        """See :func:`microgradx.max` (``dtype``/``out``: so that ``np.max(t)`` works too)."""
        return _numpy_style(max(self, axis, keepdims), dtype, out)

    def min(self, axis=None, keepdims=False, *, dtype=None, out=None):
        """See :func:`microgradx.min` (``dtype``/``out``: so that ``np.min(t)`` works too)."""
        return _numpy_style(min(self, axis, keepdims), dtype, out)

    def argmax(self, axis=None, keepdims=False):
        """See :func:`microgradx.argmax`."""
        return argmax(self, axis, keepdims)

    def argmin(self, axis=None, keepdims=False):
        """See :func:`microgradx.argmin`."""
        return argmin(self, axis, keepdims)

    def logsumexp(self, axis=None, keepdims=False):
        """See :func:`microgradx.logsumexp`."""
        return logsumexp(self, axis, keepdims)

    def softmax(self, axis=-1):
        """See :func:`microgradx.softmax` (default: last axis)."""
        return softmax(self, axis)

    def log_softmax(self, axis=-1):
        """See :func:`microgradx.log_softmax` (default: last axis)."""
        return log_softmax(self, axis)

    def exp(self):
        """See :func:`microgradx.exp`."""
        return exp(self)

    def log(self):
        """See :func:`microgradx.log`."""
        return log(self)

    def sqrt(self):
        """See :func:`microgradx.sqrt`."""
        return sqrt(self)

    def square(self):
        """See :func:`microgradx.square`."""
        return square(self)

    def sin(self):
        """See :func:`microgradx.sin`."""
        return sin(self)

    def cos(self):
        """See :func:`microgradx.cos`."""
        return cos(self)

    def tanh(self):
        """See :func:`microgradx.tanh`."""
        return tanh(self)

    def sigmoid(self):
        """See :func:`microgradx.sigmoid`."""
        return sigmoid(self)

    def relu(self):
        """See :func:`microgradx.relu`."""
        return relu(self)

    def abs(self):
        """See :func:`microgradx.abs`."""
        return abs(self)

    def clip(self, a_min, a_max):
        """See :func:`microgradx.clip`."""
        return clip(self, a_min, a_max)

    def reshape(self, *shape):
        """See :func:`microgradx.reshape`; ``t.reshape(2, 3)`` and ``t.reshape((2, 3))`` both work."""
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer)):
            shape = shape[0]
        return reshape(self, shape)

    def transpose(self, *axes):
        """See :func:`microgradx.transpose`."""
        if len(axes) == 1 and not isinstance(axes[0], (int, np.integer)):
            axes = axes[0]
        return transpose(self, axes or None)

    def swapaxes(self, axis1, axis2):
        """See :func:`microgradx.swapaxes`."""
        return swapaxes(self, axis1, axis2)

    def flatten(self, start_axis=0, end_axis=-1):
        """See :func:`microgradx.flatten`."""
        return flatten(self, start_axis, end_axis)

    def squeeze(self, axis=None):
        """See :func:`microgradx.squeeze`."""
        return squeeze(self, axis)

    def expand_dims(self, axis):
        """See :func:`microgradx.expand_dims`."""
        return expand_dims(self, axis)

    def astype(self, dtype):
        """See :func:`microgradx.astype`."""
        return astype(self, dtype)

    # -- added for the MLX face (issue 13): ~, divmod, .at[], item assignment, MLX's array methods

    def __invert__(self):
        return bitwise_invert(self)

    def __divmod__(self, other):
        return tuple(divmod(self, other))

    @property
    def at(self):
        """MLX's functional updates: ``x.at[idx].add(v)`` is a new array (repeated indices accumulate).

        >>> import microgradx as mgx
        >>> mgx.array([1.0, 2.0, 3.0]).at[[0, 0, 2]].add(1.0)
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
        eager = self._level == 0
        base = raw_value(self)
        new = scatter_set(np.asarray(base), value, index)
        for name in ("_value", "_level", "_prim", "_parents", "_saved", "_params"):
            object.__setattr__(self, name, getattr(new, name))
        if eager and self._level == PLAIN:  # an eager leaf (mgx.Tensor) stays one: it records for backward()
            object.__setattr__(self, "_level", 0)

    def prod(self, axis=None, keepdims=False):
        """See :func:`microgradx.prod`."""
        return prod(self, axis, keepdims)

    def all(self, axis=None, keepdims=False):
        """See :func:`microgradx.all`."""
        return all(self, axis, keepdims)

    def any(self, axis=None, keepdims=False):
        """See :func:`microgradx.any`."""
        return any(self, axis, keepdims)

    def cumsum(self, axis=None, *, reverse=False, inclusive=True):
        """See :func:`microgradx.cumsum`."""
        return cumsum(self, axis, reverse=reverse, inclusive=inclusive)

    def cumprod(self, axis=None, *, reverse=False, inclusive=True):
        """See :func:`microgradx.cumprod`."""
        return cumprod(self, axis, reverse=reverse, inclusive=inclusive)

    def cummax(self, axis=None, *, reverse=False, inclusive=True):
        """See :func:`microgradx.cummax`."""
        return cummax(self, axis, reverse=reverse, inclusive=inclusive)

    def cummin(self, axis=None, *, reverse=False, inclusive=True):
        """See :func:`microgradx.cummin`."""
        return cummin(self, axis, reverse=reverse, inclusive=inclusive)

    def split(self, indices_or_sections, axis=0):
        """See :func:`microgradx.split`."""
        return split(self, indices_or_sections, axis)

    def moveaxis(self, source, destination):
        """See :func:`microgradx.moveaxis`."""
        return moveaxis(self, source, destination)

    def round(self, decimals=0):
        """See :func:`microgradx.round`."""
        return round(self, decimals)

    def diagonal(self, offset=0, axis1=0, axis2=1):
        """See :func:`microgradx.diagonal`."""
        return diagonal(self, offset, axis1, axis2)

    def diag(self, k=0):
        """See :func:`microgradx.diag`."""
        return diag(self, k)

    def reciprocal(self):
        """See :func:`microgradx.reciprocal`."""
        return reciprocal(self)

    def rsqrt(self):
        """See :func:`microgradx.rsqrt`."""
        return rsqrt(self)

    def log1p(self):
        """See :func:`microgradx.log1p`."""
        return log1p(self)

    def log2(self):
        """See :func:`microgradx.log2`."""
        return log2(self)

    def log10(self):
        """See :func:`microgradx.log10`."""
        return log10(self)

    def logcumsumexp(self, axis=None, *, reverse=False, inclusive=True):
        """See :func:`microgradx.logcumsumexp`."""
        return logcumsumexp(self, axis, reverse=reverse, inclusive=inclusive)

    @property
    def real(self):
        """See :func:`microgradx.real`."""
        return real(self)

    @property
    def imag(self):
        """See :func:`microgradx.imag`."""
        return imag(self)

    def conj(self):
        """See :func:`microgradx.conj`."""
        return conj(self)


for _name, _method in vars(ArrayMethods).items():
    if _name not in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__firstlineno__"):
        setattr(_t.ArrayOps, _name, _method)
del _name, _method


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
    >>> import microgradx as mgx
    >>> x = mgx.array([1.0, 2.0, 3.0])
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
        v = broadcast_to(operand(self._number(value), "value"), pos.shape)
        return add(x, R.scatter_add(v, self._index, x.shape))

    def subtract(self, value):
        """``x[index] -= value``."""
        value = self._number(value)
        return self.add(-value if isinstance(value, np.ndarray) else negative(operand(value, "value")))

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
            return scatter_set(x, combine(current, value), self._index)
        v = reshape(broadcast_to(operand(value, "value"), pos.shape), (-1,))
        order = np.argsort(flat_pos, kind="stable")
        ranks = np.empty_like(order)
        sorted_pos = flat_pos[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_pos)) + 1]
        run = np.arange(flat_pos.size) - np.repeat(starts, np.diff(np.r_[starts, flat_pos.size]))
        ranks[order] = run
        out = reshape(x, (-1,))
        for r in range(int(ranks.max()) + 1):
            sel = np.flatnonzero(ranks == r)
            where = flat_pos[sel]
            out = scatter_set(out, combine(out[where], v[sel]), where)
        return reshape(out, x.shape)

    def multiply(self, value):
        """``x[index] *= value``."""
        return self._rounds(multiply, value)

    def divide(self, value):
        """``x[index] /= value``."""
        return self._rounds(divide, value)

    def maximum(self, value):
        """``x[index] = maximum(x[index], value)``; at ties both sides get the gradient (as in MLX)."""
        return self._rounds(_tie_both(maximum, np.greater), value)

    def minimum(self, value):
        """``x[index] = minimum(x[index], value)``; at ties both sides get the gradient (as in MLX)."""
        return self._rounds(_tie_both(minimum, np.less), value)


def _tie_both(extreme, beats):
    """MLX's scatter maximum/minimum: the value where it wins, else the old element; at a tie the
    result is the old element and both receive the full gradient."""

    def combine(current, value):
        value = operand(value, "value")
        c, v = np.asarray(raw_value(current)), np.asarray(raw_value(value))
        wins = beats(v, c)
        tie = (v == c).astype(np.result_type(c.dtype, v.dtype) if c.dtype.kind == "f" else np.float64)
        picked = where(wins, value, current)
        return picked + tie * (value - stop_gradient(value))

    return combine


# ===========================================================================
# Complex numbers (issue 13).  The rule table states the convention (see
# "Complex numbers" in microgradx.core.rules); the functions listed in
# COMPLEX_READY are checked against MLX for complex inputs.  The others refuse
# complex arrays with a ValueError naming the argument, rather than compute
# something nobody checked.
# ===========================================================================
__all__ += ["conj", "conjugate", "real", "imag"]


def conj(a):
    """The complex conjugate ``x - iy`` (real arrays are returned as they are).

    >>> conj(array([1 + 2j]))
    Tensor([1.-2.j], dtype=complex128)
    """
    return _call(R.CONJ, a)


conjugate = conj


def real(a):
    """The real part ``x`` of ``x + iy`` (a real array is its own real part).

    >>> real(array([1 + 2j]))
    Tensor([1.])
    """
    return _call(R.REAL, a)


def imag(a):
    """The imaginary part ``y`` of ``x + iy`` (zeros for a real array).

    >>> imag(array([1 + 2j]))
    Tensor([2.])
    """
    return _call(R.IMAG, a)


COMPLEX_READY = frozenset({
    "array", "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye", "linspace",
    "add", "subtract", "multiply", "divide", "power", "negative", "square", "sqrt", "abs", "exp", "log",
    "sin", "cos", "tanh", "tan", "sinh", "cosh", "log2", "log10", "log1p", "reciprocal",
    "conj", "conjugate", "real", "imag", "where", "sum", "mean", "prod", "matmul", "reshape", "transpose",
    "swapaxes", "expand_dims", "squeeze", "broadcast_to", "concatenate", "stack", "flatten", "astype", "take",
    "stop_gradient", "equal", "not_equal", "isnan", "isinf", "isfinite", "cumsum", "pad", "split", "repeat",
    "tile", "roll", "moveaxis", "unflatten", "unstack", "outer", "inner", "tensordot", "trace", "diagonal",
    "diag", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_arrays", "array_equal", "take_along_axis",
    "slice_update", "scatter_set", "put_along_axis", "max", "min", "sort", "argsort", "argmax", "argmin",
    "cumprod", "logsumexp", "var", "std", "cummax", "cummin", "topk", "partition", "argpartition", "logcumsumexp",
})


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _are_ints(v) -> bool:
    """An int, or a (nested) list/tuple/array of ints."""
    if isinstance(v, node_types()) or isinstance(v, np.ndarray):
        return np.asarray(raw_value(v)).dtype.kind in "iu"
    if isinstance(v, (list, tuple)):
        return _bi.all(_are_ints(item) for item in v)
    return _is_int(v)


def _is_real(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _is_index(v) -> bool:
    if isinstance(v, tuple):
        return _bi.all(_is_index(item) for item in v)
    return v is None or v is Ellipsis or isinstance(v, (int, np.integer, slice, list, np.ndarray, *node_types()))


# what each argument may be: (test, words for the message); "?" after a kind also allows None
_KINDS = {
    "int": (_is_int, "an int"),
    "ints": (_are_ints, "an int or a sequence of ints"),
    "real": (_is_real, "a real number"),
    "bool": (lambda v: isinstance(v, (bool, np.bool_)), "a bool"),
    "index": (_is_index, "an index (ints, slices, None, Ellipsis or integer arrays)"),
}

# the arguments of the functions added for the MLX face that are not arrays (arrays are checked by operand)
_ARGUMENTS = {
    "round": {"decimals": "int"}, "nan_to_num": {"nan": "real", "posinf": "real?", "neginf": "real?"},
    "isclose": {"rtol": "real", "atol": "real", "equal_nan": "bool"},
    "allclose": {"rtol": "real", "atol": "real", "equal_nan": "bool"}, "array_equal": {"equal_nan": "bool"},
    "topk": {"k": "int"}, "partition": {"kth": "int"}, "argpartition": {"kth": "int"},
    "put_along_axis": {"values": "array"}, "pad": {"pad_width": "ints", "constant_values": "real"},
    "split": {"indices_or_sections": "ints", "axis": "int"}, "repeat": {"repeats": "int"},
    "tile": {"reps": "ints"}, "roll": {"shift": "ints", "axis": "ints?"},
    "moveaxis": {"source": "int", "destination": "int"}, "unflatten": {"axis": "int", "shape": "ints"},
    "slice_update": {"update": "array", "start_indices": "ints", "axes": "ints?"}, "unstack": {"axis": "int"},
    "tril": {"k": "int"}, "triu": {"k": "int"}, "tri": {"n": "int", "m": "int?", "k": "int", "dtype": "dtype"},
    "diag": {"k": "int"}, "diagonal": {"offset": "int", "axis1": "int", "axis2": "int"},
    "trace": {"offset": "int", "axis1": "int", "axis2": "int"}, "tensordot": {"axes": "ints"},
    "addmm": {"c": "array", "alpha": "real", "beta": "real"}, "scatter_set": {"values": "array", "index": "index"},
    "median": {"keepdims": "bool"}, "all": {"keepdims": "bool"}, "any": {"keepdims": "bool"},
    "prod": {"keepdims": "bool"}, "cumsum": {"axis": "int?"}, "cumprod": {"axis": "int?"},
    "cummax": {"axis": "int?"}, "cummin": {"axis": "int?"}, "logcumsumexp": {"axis": "int?"},
}


def check_argument(fn_name: str, name: str, kind: str, value) -> None:
    """Refuse ``value`` for argument ``name`` of ``fn_name`` unless it is of ``kind`` (a key of ``_KINDS``,
    ``"array"``, or either with ``?`` to allow None): a TypeError naming the argument and what it takes.

    >>> check_argument("tile", "reps", "ints", (2, 1))
    >>> check_argument("tile", "reps", "ints", "ab")
    Traceback (most recent call last):
    ...
    TypeError: tile: reps must be an int or a sequence of ints; got str 'ab'
    """
    optional = kind.endswith("?")
    if optional:
        if value is None:
            return
        kind = kind[:-1]
    if kind == "array":
        operand(value, f"{fn_name}: {name}")
        return
    if kind == "dtype":
        _dtype_arg(value, f"{fn_name}: {name}")
        return
    test, words = _KINDS[kind]
    if not test(value):
        got = type(value).__name__
        if isinstance(value, (str, int, float, complex, bool)) and len(repr(value)) < 40:
            got += f" {value!r}"
        raise TypeError(f"{fn_name}: {name} must be {words}{' or None' if optional else ''}; got {got}")


def with_checks(fn, kinds: dict | None = None, refuse_complex: bool = False):
    """``fn`` with its arguments checked first: those named in ``kinds`` (see :func:`check_argument`) and,
    if ``refuse_complex``, no complex argument at all (a ValueError naming it).

    >>> def halve(n):
    ...     return n // 2
    >>> checked = with_checks(halve, {"n": "int"})
    >>> checked(4)
    2
    >>> checked("4")
    Traceback (most recent call last):
    ...
    TypeError: halve: n must be an int; got str '4'
    """
    import functools
    import inspect

    sig = inspect.signature(fn)
    names = list(sig.parameters)
    kinds = kinds or {}

    tensor, ndarray, is_complex = _t.Tensor, np.ndarray, R._is_complex

    def refuse(name):
        raise ValueError(f"{fn.__name__}: {name} is complex; microgradx's {fn.__name__} takes real arrays only "
                         "(the functions that take complex ones: microgradx.ops.COMPLEX_READY)")

    @functools.wraps(fn)
    def checked(*args, **kwargs):
        if refuse_complex:
            i = 0
            for a in args:
                if type(a) is tensor:  # the common cases first, without the dtype property's work
                    a = a._value
                if type(a) is ndarray:
                    if a.dtype.kind == "c":
                        refuse(names[_bi.min(i, len(names) - 1)])
                elif type(a) is not float and is_complex(a):
                    refuse(names[_bi.min(i, len(names) - 1)])
                i += 1
            for k, a in kwargs.items():
                if is_complex(a):
                    refuse(k)
        if kinds:
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{fn.__name__}: {exc}") from None
            for name, kind in kinds.items():
                if name in bound.arguments:
                    check_argument(fn.__name__, name, kind, bound.arguments[name])
        return fn(*args, **kwargs)

    return checked


for _name in __all__:
    _fn = globals().get(_name)
    if callable(_fn) and (_name not in COMPLEX_READY or _name in _ARGUMENTS):
        globals()[_name] = with_checks(_fn, _ARGUMENTS.get(_name), refuse_complex=_name not in COMPLEX_READY)
del _name, _fn
