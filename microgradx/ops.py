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

import numbers

import numpy as np

from .core import rules as R
from .core.arguments import axis_index, axis_indices
from .core.dispatch import apply, node_types, raw_value
from .nodes import tensor as _t

__all__ = [
    "array", "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye", "linspace",
    "add", "subtract", "multiply", "divide", "power", "negative", "square", "sqrt", "abs",
    "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "maximum", "minimum", "clip", "where",
    "sum", "mean", "max", "min", "var", "std", "logsumexp", "softmax", "log_softmax",
    "matmul", "reshape", "transpose", "swapaxes", "expand_dims", "squeeze", "broadcast_to",
    "concatenate", "stack", "flatten", "astype", "take", "argmax", "argmin", "stop_gradient",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
]


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
        return _t.check_array(x if type(x) is np.ndarray else np.asarray(x), name)
    if isinstance(x, (np.integer, np.floating, np.bool_)):
        return x
    if isinstance(x, numbers.Real):  # Fraction, Decimal-like Reals: numpy would make object arrays of them
        return float(x)
    if isinstance(x, (numbers.Number, np.generic)):
        raise TypeError(f"{name}: only real numbers are supported; got {x!r}")
    if isinstance(x, (list, tuple)):
        return _t.to_array(x, None, name)
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
    return _t.Tensor._constant(out)


def _call(prim, *args, **params):
    """Check the operands, apply ``prim``, wrap a plain result (every function below ends here)."""
    for a in args:
        if type(a) is not _t.Tensor and type(a) is not float:  # anything else: check and convert
            args = tuple(operand(a, _OPERAND_NAMES[i] if i < 2 else f"argument {i}") for i, a in enumerate(args))
            break
    out = apply(prim, *args, **params)
    return out if type(out) is _t.Tensor else wrap(out, args)


_OPERAND_NAMES = ("a", "b")  # the parameter names of every function that hands its operands to _call


def _shape(x):
    return np.shape(raw_value(x))


def _flag(value, name: str) -> bool:
    """A bool argument such as ``keepdims``: a bool (or numpy bool, or the ints 0 and 1)."""
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    raise TypeError(f"{name} must be a bool; got {type(value).__name__} {value!r}")


# ---------------------------------------------------------------------------
# Creation
# ---------------------------------------------------------------------------
def array(data, dtype=None) -> _t.Tensor:
    """Make a Tensor (float64 for Python floats, float32 kept as float32).

    Examples
    --------
    >>> array([1.0, 2.0]).dtype
    dtype('float64')
    >>> array(np.zeros(2, np.float32)).dtype
    dtype('float32')
    """
    return _t.Tensor(data, dtype=dtype)


def _dtype_arg(dtype, name: str = "dtype"):
    """None, or ``dtype`` as a numpy dtype of numbers (bool, int or float): a TypeError names anything else."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name} must be a numpy dtype of numbers (bool, int or float); got {dtype!r}") from None
    if dt.kind not in "biuf":
        raise TypeError(f"{name} must be a bool, integer or float dtype; got {dt} (from {dtype!r})")
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
    TypeError: dtype must be a bool, integer or float dtype; got <U0 (from <class 'str'>)
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
    return _t.Tensor._constant(np.zeros_like(raw_value(operand(a, "a")), dtype=_dtype_arg(dtype)))


def ones_like(a, dtype=None) -> _t.Tensor:
    """Ones with the shape (and dtype) of ``a``.

    >>> ones_like(array([1.0, 2.0]))
    Tensor([1., 1.])
    """
    return _t.Tensor._constant(np.ones_like(raw_value(operand(a, "a")), dtype=_dtype_arg(dtype)))


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
    """Absolute value (derivative ``sign(x)``, 0 at 0).

    >>> abs(array([-2.0]))
    Tensor([2.])
    """
    return _call(R.ABS, a)


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
    cond = np.asarray(raw_value(operand(condition, "condition")))
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
    """Variance over ``axis`` (``ddof`` as in numpy).

    >>> var(array([1.0, 3.0]))
    Tensor(1.)
    """
    a = operand(a, "a")
    if isinstance(ddof, bool) or not isinstance(ddof, (numbers.Real, np.integer, np.floating)):
        raise TypeError(f"ddof must be a real number; got {type(ddof).__name__} {ddof!r}")
    d = a - mean(a, axis, keepdims=True)
    n = _count(a, axis)
    return sum(d * d, axis, keepdims) / (n - ddof)


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
    value = np.asarray(raw_value(a))
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
    if any(shape[i] != 1 for i in drop):
        raise ValueError(f"squeeze: axis {axis} of shape {shape} does not have size 1")
    return reshape(a, tuple(n for i, n in enumerate(shape) if i not in drop))


def flatten(a):
    """All elements in one axis.

    >>> flatten(zeros((2, 3))).shape
    (6,)
    """
    return reshape(a, (-1,))


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
    if any(len(s) == 0 for s in shapes):
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
        raise TypeError("astype: dtype must be a bool, integer or float dtype; got None")
    if dtype.kind != "f":  # rounding to integers has derivative 0 almost everywhere: no gradient
        return _t.Tensor._constant(np.asarray(raw_value(operand(a, "a"))).astype(dtype))
    return _call(R.ASTYPE, a, dtype=dtype)


def take(a, indices, axis=None):
    """Pick elements by integer ``indices`` along ``axis`` (None: flattened); repeats accumulate gradient.

    >>> take(array([1.0, 2.0, 3.0]), [2, 0])
    Tensor([3., 1.])
    """
    a = operand(a, "a")
    idx = np.asarray(raw_value(indices))
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
    value = raw_value(a)
    if getattr(a, "_kind", None) == "scalar":
        return type(a)(float(value))
    return _t.Tensor._constant(value, marker=R.STOP_GRADIENT)
