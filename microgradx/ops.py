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
    if isinstance(x, (numbers.Real, np.bool_)):  # numpy's float and int scalars are Reals
        return x
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
            args = tuple(operand(a, f"argument {i}") for i, a in enumerate(args))
            break
    out = apply(prim, *args, **params)
    return out if type(out) is _t.Tensor else wrap(out, args)


def _shape(x):
    return np.shape(raw_value(x))


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


def zeros(shape, dtype=np.float64) -> _t.Tensor:
    """A Tensor of zeros.

    >>> zeros((2,))
    Tensor([0., 0.])
    """
    return _t.Tensor._constant(np.zeros(shape, dtype=dtype))


def ones(shape, dtype=np.float64) -> _t.Tensor:
    """A Tensor of ones.

    >>> ones(2)
    Tensor([1., 1.])
    """
    return _t.Tensor._constant(np.ones(shape, dtype=dtype))


def full(shape, vals, dtype=None) -> _t.Tensor:
    """A Tensor of ``shape`` filled with ``vals`` (broadcast).

    >>> full((2,), 7.0)
    Tensor([7., 7.])
    """
    return _t.Tensor._constant(np.full(shape, raw_value(vals), dtype=dtype))


def zeros_like(a, dtype=None) -> _t.Tensor:
    """Zeros with the shape (and dtype) of ``a``.

    >>> zeros_like(array([1.0, 2.0]))
    Tensor([0., 0.])
    """
    return _t.Tensor._constant(np.zeros_like(raw_value(operand(a, "a")), dtype=dtype))


def ones_like(a, dtype=None) -> _t.Tensor:
    """Ones with the shape (and dtype) of ``a``.

    >>> ones_like(array([1.0, 2.0]))
    Tensor([1., 1.])
    """
    return _t.Tensor._constant(np.ones_like(raw_value(operand(a, "a")), dtype=dtype))


def arange(start, stop=None, step=None, dtype=None) -> _t.Tensor:
    """Evenly spaced values (numpy's ``arange``).

    >>> arange(3)
    Tensor([0, 1, 2])
    """
    if stop is None:
        start, stop = 0, start
    return _t.Tensor._constant(np.arange(start, stop, 1 if step is None else step, dtype=dtype))


def eye(n: int, m: int | None = None, dtype=np.float64) -> _t.Tensor:
    """Identity matrix.

    >>> eye(2)
    Tensor([[1., 0.],
            [0., 1.]])
    """
    return _t.Tensor._constant(np.eye(n, m, dtype=dtype))


def linspace(start, stop, num: int = 50, dtype=np.float64) -> _t.Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive.

    >>> linspace(0, 1, 3)
    Tensor([0. , 0.5, 1. ])
    """
    return _t.Tensor._constant(np.linspace(start, stop, num, dtype=dtype))


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
    return _call(R.WHERE, cond, x, y)


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
def _axis(axis):
    if axis is None or isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return axis
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    raise TypeError(f"axis must be None, an int or a tuple of ints; got {type(axis).__name__}")


def sum(a, axis=None, keepdims: bool = False):  # noqa: A001 - MLX's name
    """Sum over ``axis`` (None: all axes).

    >>> sum(array([[1.0, 2.0], [3.0, 4.0]]))
    Tensor(10.)
    """
    return _call(R.SUM, a, axis=_axis(axis), keepdims=bool(keepdims))


def _count(a, axis) -> int:
    shape = _shape(a)
    axes = R._norm_axes(_axis(axis), len(shape))
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
    d = a - mean(a, axis, keepdims=True)
    n = _count(a, axis)
    return sum(d * d, axis, keepdims) / (n - ddof)


def std(a, axis=None, keepdims: bool = False, ddof: int = 0):
    """Standard deviation over ``axis``.

    >>> std(array([1.0, 3.0]))
    Tensor(1.)
    """
    return sqrt(var(a, axis, keepdims, ddof))


def max(a, axis=None, keepdims: bool = False):  # noqa: A001 - MLX's name
    """Maximum over ``axis``; tied maxima share the gradient equally.

    >>> max(array([1.0, 3.0, 2.0]))
    Tensor(3.)
    """
    return _call(R.MAX, a, axis=_axis(axis), keepdims=bool(keepdims))


def min(a, axis=None, keepdims: bool = False):  # noqa: A001 - MLX's name
    """Minimum over ``axis``; tied minima share the gradient equally.

    >>> min(array([1.0, 3.0, 2.0]))
    Tensor(1.)
    """
    return _call(R.MIN, a, axis=_axis(axis), keepdims=bool(keepdims))


def logsumexp(a, axis=None, keepdims: bool = False):
    """log(sum(exp(a))) computed without overflow; its gradient is softmax.

    >>> logsumexp(array([1000.0, 1000.0]))
    Tensor(1000.69314718)
    """
    return _call(R.LOGSUMEXP, a, axis=_axis(axis), keepdims=bool(keepdims))


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
    a = operand(a, "a")
    e = exp(a - _max_shift(a, _axis(axis)))
    return e / sum(e, axis, keepdims=True)


def log_softmax(a, axis=None):
    """a - logsumexp(a) over ``axis``, numerically stable.

    >>> log_softmax(array([0.0, 0.0]))
    Tensor([-0.69314718, -0.69314718])
    """
    a = operand(a, "a")
    return a - logsumexp(a, axis, keepdims=True)


def argmax(a, axis=None, keepdims: bool = False):
    """Index of the maximum (no gradient).

    >>> argmax(array([1.0, 3.0, 2.0]))
    Tensor(1)
    """
    return _t.Tensor._constant(np.argmax(raw_value(operand(a, "a")), axis=axis, keepdims=keepdims))


def argmin(a, axis=None, keepdims: bool = False):
    """Index of the minimum (no gradient).

    >>> argmin(array([1.0, 3.0, 0.0]))
    Tensor(2)
    """
    return _t.Tensor._constant(np.argmin(raw_value(operand(a, "a")), axis=axis, keepdims=keepdims))


# ---------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------
def _shape_arg(shape, name="shape"):
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        return (int(shape),)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
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
    axes = tuple(reversed(range(ndim))) if axes is None else _shape_arg(axes, "axes")
    if sorted(x % ndim if ndim else x for x in axes) != list(range(ndim)):
        raise ValueError(f"transpose: axes {axes} are not a permutation of {ndim} dimensions")
    return _call(R.TRANSPOSE, a, axes=tuple(x % ndim for x in axes))


def swapaxes(a, axis1: int, axis2: int):
    """Exchange two axes.

    >>> swapaxes(zeros((2, 3, 4)), 0, 2).shape
    (4, 3, 2)
    """
    a = operand(a, "a")
    ndim = len(_shape(a))
    i, j = (R._norm_axes(k, ndim)[0] for k in (axis1, axis2))
    perm = list(range(ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


def expand_dims(a, axis):
    """Insert size-1 axes at ``axis`` (int or tuple).

    >>> expand_dims(zeros(3), 0).shape
    (1, 3)
    """
    a = operand(a, "a")
    return reshape(a, np.expand_dims(np.empty(_shape(a), np.bool_), axis).shape)


def squeeze(a, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``).

    >>> squeeze(zeros((1, 3, 1))).shape
    (3,)
    """
    a = operand(a, "a")
    try:
        shape = np.squeeze(np.empty(_shape(a), np.bool_), axis).shape
    except ValueError:
        raise ValueError(f"squeeze: axis {axis} of shape {_shape(a)} does not have size 1") from None
    return reshape(a, shape)


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
    try:
        np.concatenate([np.empty(s, np.bool_) for s in shapes], axis=axis)
    except (ValueError, np.exceptions.AxisError) as exc:
        raise ValueError(f"concatenate: shapes {shapes} do not fit along axis {axis} ({exc})") from None
    return wrap(apply(R.CONCATENATE, *arrays, axis=int(axis)), arrays)


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
    return concatenate([expand_dims(x, axis) for x in arrays], axis)


def astype(a, dtype):
    """Cast to ``dtype``; the gradient is cast back.  A cast to an integer or bool dtype is a constant.

    >>> astype(array([1.5]), np.float32).dtype
    dtype('float32')
    >>> astype(array([1.5]), np.int64)
    Tensor([1])
    """
    dtype = np.dtype(dtype)
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
    ndim = len(_shape(a))
    return a[(slice(None),) * (axis % ndim) + (idx,)]


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
