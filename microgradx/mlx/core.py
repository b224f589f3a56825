"""``microgradx.mlx.core``: MLX's ``mlx.core`` names and defaults over microgradx's engine.

Nothing here computes a derivative: every function is microgradx's own (the same rule table and the
same transforms as ``import microgradx as mgx``) with MLX's defaults put in front of it:

* Python floats, lists of floats and float64 numpy arrays become **float32** arrays, Python ints
  become **int32** (MLX's defaults; ``mgx`` keeps numpy's float64/int64). A Python number next to an
  array keeps the array's dtype (``x * 2.0`` stays float32), in both.
* :class:`array` is a class: ``mx.array([1.0, 2.0])`` constructs, ``isinstance(x, mx.array)`` is true
  for every array the engine makes (a :class:`~microgradx.Tensor` or a :class:`~microgradx.Dual`).
* dtypes (``mx.float32``, ``mx.int32``, ``mx.bool_``, ...) are numpy dtypes, so numpy understands them.
* ``eval``, ``compile``, ``synchronize``, devices and streams exist and say what they do on an eager
  CPU engine: ``eval`` has nothing left to compute, ``compile`` returns the function itself, there is
  one device (the CPU) and its streams all run in order.

``docs/mlx.rst`` lists every name of ``mlx.core`` with what microgradx provides for it.

Examples
--------
>>> import microgradx.mlx.core as mx
>>> x = mx.array([1.0, 2.0, 3.0])
>>> x.dtype == mx.float32, isinstance(x, mx.array)
(True, True)
>>> mx.grad(lambda w: mx.sum(w * w))(x)
Tensor([2., 4., 6.], dtype=float32)
>>> mx.eval(x)            # nothing to do: microgradx computed x when it was made
"""

from __future__ import annotations

import builtins
import contextlib
import enum
import functools
import math

import numpy as np

from .. import ops as _ops
from .. import transforms as _transforms
from ..core.arguments import axis_index as _axis_index
from ..core.arguments import axis_indices as _axis_indices
from ..core.dispatch import node_types as _node_types
from ..core.dispatch import raw_value as _raw_value
from ..nodes.dual import Dual as _Dual
from ..nodes.tensor import Tensor as _Tensor

# ---------------------------------------------------------------------------
# dtypes: numpy dtypes under MLX's names
# ---------------------------------------------------------------------------
bool_ = np.dtype(np.bool_)
uint8, uint16, uint32, uint64 = (np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
int8, int16, int32, int64 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
float16, float32, float64 = (np.dtype(t) for t in (np.float16, np.float32, np.float64))
complex64 = np.dtype(np.complex64)
Dtype = np.dtype  #: the class of the dtype constants (numpy's)

# dtype categories: numpy's abstract scalar types play the part of MLX's DtypeCategory
generic, number, inexact = np.generic, np.number, np.inexact
floating, complexfloating, integer = np.floating, np.complexfloating, np.integer
signedinteger, unsignedinteger = np.signedinteger, np.unsignedinteger

pi, e, inf, nan, euler_gamma = math.pi, math.e, math.inf, math.nan, float(np.euler_gamma)
newaxis = None


def issubdtype(a, b) -> bool:
    """True if dtype (or category) ``a`` is ``b`` or below it (``mx.issubdtype(mx.float32, mx.floating)``).

    >>> issubdtype(float32, floating), issubdtype(int32, floating)
    (True, False)
    """
    for name, value in (("a", a), ("b", b)):
        if value is None:
            raise TypeError(f"issubdtype: {name} must be a dtype or a dtype category; got None")
        if not (isinstance(value, type) and issubclass(value, np.generic)):
            try:
                np.dtype(value)
            except (TypeError, ValueError):
                raise TypeError(f"issubdtype: {name} must be a dtype or a dtype category; got {value!r}") from None
    return bool(np.issubdtype(a, b))


def _mlx_dtype(value: np.ndarray) -> np.dtype:
    """The dtype MLX gives data of numpy dtype ``value.dtype`` when it makes an array of it."""
    if value.dtype == np.float64:
        return float32
    if value.dtype == np.complex128:
        return complex64  # MLX's only complex dtype
    return value.dtype


# ---------------------------------------------------------------------------
# array: a class whose instances are the engine's arrays
# ---------------------------------------------------------------------------
def _from_data(data, dtype=None, name: str = "val"):
    """An array from Python or numpy data with MLX's defaults (floats -> float32, ints -> int32)."""
    dtype = _ops._dtype_arg(dtype)
    if isinstance(data, _node_types()):
        return data if dtype is None else _ops.astype(data, dtype)
    if isinstance(data, (bool, np.bool_)):
        value = np.asarray(data, dtype=bool_)
    elif isinstance(data, int):
        value = np.asarray(data, dtype=int32)
    elif isinstance(data, float):
        value = np.asarray(data, dtype=float32)
    elif isinstance(data, complex):
        value = np.asarray(data, dtype=complex64)
    elif isinstance(data, (list, tuple)):
        value = _ops.operand(data, name)
        value = np.asarray([_raw_value(v) for v in data]) if value.dtype == object else value
        if value.dtype == np.int64 and _all_python(data):
            value = value.astype(int32)
    else:
        value = np.asarray(_ops.operand(data, name))
    if dtype is None:
        dtype = _mlx_dtype(value)
    return _ops.array(value.astype(dtype, copy=False))


def _all_python(data) -> bool:
    """True when a (nested) list holds Python numbers only (not numpy int64 scalars or arrays)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif not isinstance(item, (int, float, bool)):
            return False
    return True


class _ArrayType(type):
    """``mx.array(...)`` constructs an engine array; ``isinstance(x, mx.array)`` recognises one."""

    def __call__(cls, val, dtype=None):
        return _from_data(val, dtype)

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, (_Tensor, _Dual))

    def __subclasscheck__(cls, sub) -> bool:
        return isinstance(sub, type) and issubclass(sub, (_Tensor, _Dual))


class array(metaclass=_ArrayType):  # noqa: N801 - MLX's name
    """MLX's ``mx.array``: ``array(val, dtype=None)`` makes an array, ``isinstance(x, array)`` tests for one.

    The arrays themselves are :class:`~microgradx.Tensor` objects (``Dual`` inside ``jvp``), so they
    work with every microgradx function and transform.  Python floats become float32, Python ints
    int32, bools bool; numpy arrays keep their dtype except float64, which becomes float32 (as in MLX).

    Examples
    --------
    >>> a = array([1.0, 2.0])
    >>> a.dtype, isinstance(a, array), isinstance(2.0, array)
    (dtype('float32'), True, False)
    >>> array(3).dtype, array([True]).dtype, array([1, 2], dtype=float32).dtype
    (dtype('int32'), dtype('bool'), dtype('float32'))
    """


def asarray(a, dtype=None):
    """``array(a, dtype)`` (MLX's ``asarray``).

    >>> asarray([1, 2]).dtype
    dtype('int32')
    """
    return _from_data(a, dtype)


def _is_array(x) -> bool:
    return isinstance(x, _node_types())


def _convert(args, n):
    """MLX's conversion of the first ``n`` arguments: lists and numpy data become arrays; numbers too
    unless another of them is already an array (then they stay Python numbers, which keep its dtype)."""
    args = list(args)
    k = builtins.min(n, len(args))
    any_array = builtins.any(_is_array(a) or isinstance(a, np.ndarray) for a in args[:k])
    for i in range(k):
        a = args[i]
        if _is_array(a) or a is None:
            continue
        if isinstance(a, (bool, int, float, complex)) and any_array:
            continue
        if isinstance(a, (bool, int, float, complex, list, tuple, np.ndarray, np.generic)):
            args[i] = _from_data(a)
    return args


def _face(fn, n: int = 1, name: str | None = None):
    """``fn`` (a microgradx function) with MLX's input conversion for its first ``n`` arguments.

    ``stream=`` is accepted (and has nothing to choose: there is one CPU stream).
    """

    @functools.wraps(fn)
    def wrapped(*args, stream=None, **kwargs):
        return fn(*_convert(args, n), **kwargs)

    if name:
        wrapped.__name__ = wrapped.__qualname__ = name
    return wrapped


# ---------------------------------------------------------------------------
# Creation, with MLX's default dtypes
# ---------------------------------------------------------------------------
def zeros(shape, dtype=float32, *, stream=None):
    """Zeros of ``shape`` (float32 by default).

    >>> zeros((2,))
    Tensor([0., 0.], dtype=float32)
    """
    return _ops.zeros(shape, dtype=dtype)


def ones(shape, dtype=float32, *, stream=None):
    """Ones of ``shape`` (float32 by default).

    >>> ones(2).dtype
    dtype('float32')
    """
    return _ops.ones(shape, dtype=dtype)


def full(shape, vals, dtype=None, *, stream=None):
    """``shape`` filled with ``vals`` (broadcast); the dtype is that of ``array(vals)`` unless given.

    >>> full((2,), 1.5), full((1,), 2).dtype
    (Tensor([1.5, 1.5], dtype=float32), dtype('int32'))
    """
    vals = _from_data(vals, name="vals") if not _is_array(vals) else vals
    dtype = np.asarray(_raw_value(vals)).dtype if dtype is None else dtype
    return _ops.full(shape, vals, dtype=dtype)


def zeros_like(a, *, stream=None):
    """Zeros with the shape and dtype of ``a``.

    >>> zeros_like(array([1, 2])).dtype
    dtype('int32')
    """
    return _ops.zeros_like(_from_data(a))


def ones_like(a, *, stream=None):
    """Ones with the shape and dtype of ``a``.

    >>> ones_like(array([1.0]))
    Tensor([1.], dtype=float32)
    """
    return _ops.ones_like(_from_data(a))


def full_like(a, fill_value, dtype=None, *, stream=None):
    """``fill_value`` in the shape (and, unless given, the dtype) of ``a``.

    >>> full_like(array([1.0, 2.0]), 7)
    Tensor([7., 7.], dtype=float32)
    """
    a = _from_data(a, name="a")
    fill_value = _raw_value(_ops.operand(fill_value, "fill_value"))
    return _ops.full(a.shape, fill_value, dtype=a.dtype if dtype is None else dtype)


def arange(start, stop=None, step=None, dtype=None, *, stream=None):
    """Evenly spaced values; int32 when ``start``, ``stop`` and ``step`` are ints, else float32.

    >>> arange(3), arange(0.0, 1.0, 0.5)
    (Tensor([0, 1, 2], dtype=int32), Tensor([0. , 0.5], dtype=float32))
    """
    parts = [p for p in (start, stop, step) if p is not None]
    if dtype is None:
        dtype = int32 if builtins.all(isinstance(p, (int, np.integer)) for p in parts) else float32
    return _ops.arange(start, stop, step, dtype=dtype)


def linspace(start, stop, num: int = 50, dtype=float32, *, stream=None):
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive (float32).

    >>> linspace(0, 1, 3)
    Tensor([0. , 0.5, 1. ], dtype=float32)
    """
    return _ops.linspace(start, stop, num, dtype=dtype)


def eye(n: int, m: int | None = None, k: int = 0, dtype=float32, *, stream=None):
    """Ones on the ``k``-th diagonal of an ``n`` x ``m`` matrix (float32).

    >>> eye(2)
    Tensor([[1., 0.],
            [0., 1.]], dtype=float32)
    """
    _ops.check_argument("eye", "n", "int", n)
    _ops.check_argument("eye", "m", "int?", m)
    _ops.check_argument("eye", "k", "int", k)
    _ops.check_argument("eye", "dtype", "dtype", dtype)
    return _ops.array(np.eye(n, m, k, dtype=dtype))


def identity(n: int, dtype=float32, *, stream=None):
    """The ``n`` x ``n`` identity matrix (float32).

    >>> identity(1)
    Tensor([[1.]], dtype=float32)
    """
    return eye(n, dtype=dtype)


# ---------------------------------------------------------------------------
# Functions whose defaults differ: mean/var/std of integers and bools are float32
# ---------------------------------------------------------------------------
def _float32_if_exact(a):
    a = _from_data(a)
    return a if np.asarray(_raw_value(a)).dtype.kind in "fc" else _ops.astype(a, float32)


def mean(a, axis=None, keepdims: bool = False, *, stream=None):
    """Mean over ``axis``; integer and bool arrays give float32 (MLX), where ``mgx.mean`` gives float64.

    >>> mean(array([True, False, True, True]))
    Tensor(0.75, dtype=float32)
    """
    return _ops.mean(_float32_if_exact(a), axis, keepdims)


def var(a, axis=None, keepdims: bool = False, ddof: int = 0, *, stream=None):
    """Variance over ``axis`` (float32 for integer input).

    >>> var(array([1, 3]))
    Tensor(1., dtype=float32)
    """
    return _ops.var(_float32_if_exact(a), axis, keepdims, ddof)


def std(a, axis=None, keepdims: bool = False, ddof: int = 0, *, stream=None):
    """Standard deviation over ``axis`` (float32 for integer input).

    >>> std(array([1.0, 3.0]))
    Tensor(1., dtype=float32)
    """
    return _ops.std(_float32_if_exact(a), axis, keepdims, ddof)


# ---------------------------------------------------------------------------
# Evaluation, compilation, devices and streams on an eager CPU engine
# ---------------------------------------------------------------------------
def eval(*args) -> None:  # noqa: A001 - MLX's name
    """Evaluate the arrays in ``args`` (trees allowed).  Nothing to do: microgradx computes eagerly.

    MLX records a lazy graph and ``eval`` runs it; here every array already holds its value, so this
    only walks the arguments (non-array leaves are ignored, as in MLX).

    >>> eval(array(1.0), {"w": [array(2.0)]}, "not an array")
    """
    return None


def async_eval(*args) -> None:
    """As :func:`eval` (MLX starts the evaluation in the background; here it is already done).

    >>> async_eval(array(1.0))
    """
    return None


def compile(fun, inputs=None, outputs=None, shapeless: bool = False):  # noqa: A001 - MLX's name
    """Return ``fun`` itself: microgradx has no graph compiler, so "compiled" code runs as written.

    MLX traces ``fun`` once and fuses its operations; results are the same either way, only speed
    differs.  ``inputs``/``outputs`` (captured state) need no handling because nothing is cached.

    >>> f = compile(lambda x: x * 2.0)
    >>> f(array([1.0]))
    Tensor([2.], dtype=float32)
    """
    if not callable(fun):
        raise TypeError(f"compile: fun must be callable; got {type(fun).__name__}")
    return fun


def disable_compile() -> None:
    """No effect: :func:`compile` never compiles.

    >>> disable_compile()
    """


def enable_compile() -> None:
    """No effect: :func:`compile` never compiles.

    >>> enable_compile()
    """


class DeviceType(enum.Enum):
    """The kinds of device (MLX's ``mx.cpu`` and ``mx.gpu``); microgradx has only the CPU.

    >>> DeviceType.cpu
    DeviceType.cpu
    """

    cpu = 0
    gpu = 1

    def __repr__(self) -> str:
        return f"DeviceType.{self.name}"


cpu = DeviceType.cpu
gpu = DeviceType.gpu


class Device:
    """A device: ``Device(mx.cpu)`` (the only one microgradx has); equal to its :class:`DeviceType`.

    >>> Device(cpu) == cpu, Device(cpu)
    (True, Device(cpu, 0))
    """

    def __init__(self, type: DeviceType, index: int = 0):  # noqa: A002 - MLX's name
        if not isinstance(type, DeviceType):
            raise TypeError(f"Device: type must be mx.cpu or mx.gpu; got {builtins.type(type).__name__}")
        self.type = type
        self.index = int(index)

    def __eq__(self, other) -> bool:
        if isinstance(other, DeviceType):
            return self.type == other
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        return f"Device({self.type.name}, {self.index})"


def _device(d) -> Device:
    if isinstance(d, DeviceType):
        d = Device(d)
    if not isinstance(d, Device):
        raise TypeError(f"device must be mx.cpu, mx.gpu or a Device; got {type(d).__name__}")
    return d


_DEFAULT_DEVICE = Device(cpu)  # never changes: set_default_device accepts only the CPU


def is_available(device) -> bool:
    """True for the CPU; microgradx has no GPU backend.

    >>> is_available(cpu), is_available(gpu)
    (True, False)
    """
    return _device(device).type == cpu


def default_device() -> Device:
    """The device arrays are computed on: always the CPU.

    >>> default_device()
    Device(cpu, 0)
    """
    return _DEFAULT_DEVICE


def set_default_device(device) -> None:
    """Accept the CPU (already the default); the GPU raises ValueError, as in MLX built without one.

    >>> set_default_device(cpu)
    >>> set_default_device(gpu)
    Traceback (most recent call last):
    ...
    ValueError: [set_default_device] Cannot set gpu device without gpu backend.
    """
    if not is_available(device):
        raise ValueError("[set_default_device] Cannot set gpu device without gpu backend.")


class Stream:
    """A stream of work on a device.  All of microgradx's work runs at once, in program order.

    >>> Stream(Device(cpu))
    Stream(Device(cpu, 0), 0)
    """

    def __init__(self, device, index: int = 0):
        self.device = _device(device)
        self.index = int(index)

    def __eq__(self, other) -> bool:
        return isinstance(other, Stream) and (self.device, self.index) == (other.device, other.index)

    def __hash__(self) -> int:
        return hash((self.device, self.index))

    def __repr__(self) -> str:
        return f"Stream({self.device!r}, {self.index})"


_DEFAULT_STREAM = Stream(_DEFAULT_DEVICE, 0)
_stream_count = [1]


def default_stream(device) -> Stream:
    """The default stream of ``device`` (the CPU's stream 0).

    >>> default_stream(cpu)
    Stream(Device(cpu, 0), 0)
    """
    if not is_available(device):
        raise ValueError("[default_stream] There is no gpu device in microgradx; only mx.cpu.")
    return _DEFAULT_STREAM


def new_stream(device) -> Stream:
    """A new stream on the CPU (a label only: every operation runs immediately in program order).

    >>> new_stream(cpu).device
    Device(cpu, 0)
    """
    if not is_available(device):
        raise ValueError("[new_stream] There is no gpu device in microgradx; only mx.cpu.")
    s = Stream(_DEFAULT_DEVICE, _stream_count[0])
    _stream_count[0] += 1
    return s


def set_default_stream(stream) -> None:
    """Accept a CPU stream (nothing changes: there is nothing to schedule).

    >>> set_default_stream(default_stream(cpu))
    """
    if not isinstance(stream, Stream):
        raise TypeError(f"set_default_stream: stream must be a Stream; got {type(stream).__name__}")


@contextlib.contextmanager
def stream(s):
    """Context manager that would run its body on stream or device ``s``; here it only checks ``s``.

    >>> with stream(cpu):
    ...     float(array(2.0) * 2.0)
    4.0
    """
    if not isinstance(s, Stream):
        _device(s)
        if not is_available(s):
            raise ValueError("[stream] There is no gpu device in microgradx; only mx.cpu.")
    yield


def synchronize(stream=None) -> None:
    """Wait for ``stream`` to finish: it already has (microgradx computes eagerly).

    >>> synchronize()
    """
    if stream is not None and not isinstance(stream, (Stream, Device, DeviceType)):
        raise TypeError(f"synchronize: stream must be None, a Stream or a device; got {type(stream).__name__}")


def device_count(device_type=cpu) -> int:
    """How many devices of the type exist: 1 CPU, 0 GPUs.

    >>> device_count(cpu), device_count(gpu)
    (1, 0)
    """
    if not isinstance(device_type, DeviceType):
        raise TypeError(f"device_count: device_type must be mx.cpu or mx.gpu; got {type(device_type).__name__}")
    return 1 if device_type == cpu else 0


# ---------------------------------------------------------------------------
# The engine's functions, with MLX's input conversion
# ---------------------------------------------------------------------------
# how many leading arguments of each function are arrays
_ARITY = {
    1: ["abs", "exp", "log", "sin", "cos", "tanh", "sigmoid", "sqrt", "square", "negative",
        "max", "min", "logsumexp", "softmax", "reshape", "transpose", "swapaxes", "expand_dims", "squeeze",
        "broadcast_to", "flatten", "astype", "stop_gradient", "clip", "tan", "sinh", "cosh", "arcsin", "arccos",
        "arctan", "arcsinh", "arccosh", "arctanh", "log1p", "expm1", "log2", "log10", "erf", "reciprocal", "rsqrt",
        "sign", "degrees", "radians", "floor", "ceil", "round", "trunc", "isnan", "isinf", "isfinite", "nan_to_num",
        "logical_not", "bitwise_invert", "all", "any", "cummax", "cummin", "logcumsumexp", "median",
        "sort", "topk", "partition", "pad", "split", "repeat", "tile", "roll", "moveaxis", "unflatten", "unstack",
        "tril", "triu", "diag", "diagonal", "trace", "conj", "conjugate", "real", "imag"],
    2: ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "matmul",
        "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "take", "take_along_axis",
        "arctan2", "remainder", "floor_divide", "divmod", "logaddexp", "logical_and", "logical_or", "logical_xor",
        "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift", "isclose", "allclose",
        "array_equal", "outer", "inner", "tensordot"],
    3: ["where", "addmm", "put_along_axis", "slice_update"],
    64: ["meshgrid", "broadcast_arrays", "atleast_1d", "atleast_2d", "atleast_3d"],
}
for _n, _names in _ARITY.items():
    for _name in _names:
        globals()[_name] = _face(getattr(_ops, _name), _n)
del _n, _names, _name

# MLX's other names for the same functions
for _alias, _name in {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "asinh": "arcsinh",
                      "acosh": "arccosh", "atanh": "arctanh", "atan2": "arctan2", "permute_dims": "transpose",
                      "bitwise_not": "bitwise_invert"}.items():
    globals()[_alias] = _face(getattr(_ops, _name), 2 if _name == "arctan2" else 1, _alias)
del _alias, _name
if "bitwise_not" in globals():
    del bitwise_not  # noqa: F821 - not an MLX name


def _exact_as_int32(a):
    """Bools become int32 before a sum or product (MLX); numpy would widen them to int64."""
    a = _from_data(a)
    return _ops.astype(a, int32) if np.asarray(_raw_value(a)).dtype.kind == "b" else a


def sum(a, axis=None, keepdims: bool = False, *, stream=None):  # noqa: A001 - MLX's name
    """Sum over ``axis``; integer arrays keep their dtype and bools give int32, as in MLX.

    >>> sum(array([True, True, False])), sum(array([1.0, 2.0]))
    (Tensor(2, dtype=int32), Tensor(3., dtype=float32))
    """
    return _ops.sum(_exact_as_int32(a), axis, keepdims)


def prod(a, axis=None, keepdims: bool = False, *, stream=None):
    """Product over ``axis`` (bools give int32).

    >>> prod(array([2.0, 3.0]))
    Tensor(6., dtype=float32)
    """
    return _ops.prod(_exact_as_int32(a), axis, keepdims)


def cumsum(a, axis=None, *, reverse: bool = False, inclusive: bool = True, stream=None):
    """Cumulative sum (see :func:`microgradx.cumsum`; bools give int32).

    >>> cumsum(array([1, 2, 3]), reverse=True, inclusive=False)
    Tensor([5, 3, 0], dtype=int32)
    """
    return _ops.cumsum(_exact_as_int32(a), axis, reverse=reverse, inclusive=inclusive)


def cumprod(a, axis=None, *, reverse: bool = False, inclusive: bool = True, stream=None):
    """Cumulative product (see :func:`microgradx.cumprod`).

    >>> cumprod(array([1.0, 2.0, 3.0]))
    Tensor([1., 2., 6.], dtype=float32)
    """
    return _ops.cumprod(_exact_as_int32(a), axis, reverse=reverse, inclusive=inclusive)


def _uint32(fn):
    @functools.wraps(fn)
    def wrapped(a, *args, stream=None, **kwargs):
        return _ops.astype(fn(_from_data(a), *args, **kwargs), uint32)

    return wrapped


argmax = _uint32(_ops.argmax)
argmin = _uint32(_ops.argmin)
argsort = _uint32(_ops.argsort)
argpartition = _uint32(_ops.argpartition)


# MLX's other names for functions above
bitwise_left_shift = _face(_ops.left_shift, 2, "bitwise_left_shift")
bitwise_right_shift = _face(_ops.right_shift, 2, "bitwise_right_shift")
empty = zeros  # MLX's empty gives zeros too
empty_like = zeros_like
finfo, iinfo = np.finfo, np.iinfo  #: numpy's: ``mx.finfo(mx.float32).max``


def flip(a, axis=None, *, stream=None):
    """``a`` reversed along ``axis`` (None: every axis).

    >>> flip(array([1.0, 2.0, 3.0]))
    Tensor([3., 2., 1.], dtype=float32)
    """
    a = _from_data(a, name="a")
    index = [builtins.slice(None)] * a.ndim
    for ax in _axis_indices(axis, a.ndim):
        index[ax] = builtins.slice(None, None, -1)
    return a[tuple(index)]


def matrix_transpose(a, *, stream=None):
    """The last two axes swapped.

    >>> matrix_transpose(zeros((2, 3, 4))).shape
    (2, 4, 3)
    """
    a = _from_data(a, name="a")
    if a.ndim < 2:
        raise ValueError(f"matrix_transpose: a must have at least 2 dimensions; got shape {a.shape}")
    return _ops.swapaxes(a, -1, -2)


def vecdot(a, b, *, axis: int = -1, stream=None):
    """Sum of ``a * b`` along ``axis``.

    >>> vecdot(array([1.0, 2.0]), array([3.0, 4.0]))
    Tensor(11., dtype=float32)
    """
    return _ops.sum(_ops.multiply(*_convert((a, b), 2)), axis=axis)


def diff(a, n: int = 1, axis: int = -1, *, stream=None):
    """``n``-th differences along ``axis``.

    >>> diff(array([1.0, 4.0, 9.0]))
    Tensor([3., 5.], dtype=float32)
    """
    a = _from_data(a, name="a")
    _ops.check_argument("diff", "n", "int", n)
    if n < 0:
        raise ValueError(f"diff: n must be non-negative; got {n}")
    if a.ndim < 1:
        raise ValueError("diff: a must have at least 1 dimension; got a 0-d array")
    axis = _axis_index(axis, a.ndim)
    for _ in range(n):
        k = a.shape[axis]
        lead = (builtins.slice(None),) * axis
        a = a[lead + (builtins.slice(1, k),)] - a[lead + (builtins.slice(0, k - 1),)]
    return a


def kron(a, b, *, stream=None):
    """Kronecker product.

    >>> kron(eye(2), ones((1, 2))).shape
    (2, 4)
    """
    a, b = _convert((_ops.operand(a, "a"), _ops.operand(b, "b")), 2)
    a, b = (x if _is_array(x) else _from_data(x) for x in (a, b))
    nd = builtins.max(a.ndim, b.ndim)
    a = _ops.reshape(a, (1,) * (nd - a.ndim) + a.shape)
    b = _ops.reshape(b, (1,) * (nd - b.ndim) + b.shape)
    inter_a = _ops.reshape(a, tuple(x for n in a.shape for x in (n, 1)))
    inter_b = _ops.reshape(b, tuple(x for n in b.shape for x in (1, n)))
    return _ops.reshape(inter_a * inter_b, tuple(p * q for p, q in zip(a.shape, b.shape)))


def isposinf(a, *, stream=None):
    """True where ``a`` is +inf.

    >>> isposinf(array([inf, -inf]))
    Tensor([ True, False])
    """
    return _ops.logical_and(_ops.isinf(_from_data(a)), _from_data(a) > 0)


def isneginf(a, *, stream=None):
    """True where ``a`` is -inf.

    >>> isneginf(array([inf, -inf]))
    Tensor([False,  True])
    """
    return _ops.logical_and(_ops.isinf(_from_data(a)), _from_data(a) < 0)


def count_nonzero(a, axis=None, keepdims: bool = False, *, stream=None):
    """Number of nonzero elements (int32).

    >>> count_nonzero(array([1, 0, 2]))
    Tensor(2, dtype=int32)
    """
    value = np.asarray(_raw_value(_from_data(a, name="a")))
    _ops.check_argument("count_nonzero", "keepdims", "bool", keepdims)
    axis = None if axis is None else _axis_indices(axis, value.ndim)
    return _ops.array(np.asarray(np.count_nonzero(value, axis=axis, keepdims=keepdims), dtype=int32))


def broadcast_shapes(*shapes) -> tuple:
    """The shape the given shapes broadcast to.

    >>> broadcast_shapes((2, 1), (3,))
    (2, 3)
    """
    return tuple(np.broadcast_shapes(*shapes))


def cumulative_sum(a, axis=None, *, reverse: bool = False, inclusive: bool = True, dtype=None, stream=None):
    """:func:`cumsum` with an optional result ``dtype`` (MLX's array-API name).

    >>> cumulative_sum(array([1, 2, 3]))
    Tensor([1, 3, 6], dtype=int32)
    """
    out = cumsum(a, axis, reverse=reverse, inclusive=inclusive)
    return out if dtype is None else _ops.astype(out, dtype)


def cumulative_prod(a, axis=None, *, reverse: bool = False, inclusive: bool = True, dtype=None, stream=None):
    """:func:`cumprod` with an optional result ``dtype``.

    >>> cumulative_prod(array([1.0, 2.0, 3.0]))
    Tensor([1., 2., 6.], dtype=float32)
    """
    out = cumprod(a, axis, reverse=reverse, inclusive=inclusive)
    return out if dtype is None else _ops.astype(out, dtype)


def slice(a, start_indices, axes, slice_size, *, stream=None):  # noqa: A001 - MLX's name
    """The block of ``slice_size`` starting at ``start_indices`` along ``axes`` (a differentiable slice).

    >>> slice(arange(10), array([2]), [0], [3])
    Tensor([2, 3, 4], dtype=int32)
    """
    a = _from_data(a, name="a")
    if a.ndim == 0:
        raise ValueError("slice: a must have at least 1 dimension; got a 0-d array")
    for name, value in (("start_indices", start_indices), ("axes", axes), ("slice_size", slice_size)):
        _ops.check_argument("slice", name, "ints", value)
    start = np.asarray(_raw_value(start_indices)).reshape(-1)
    axes = [_axis_index(ax, a.ndim, "axes") for ax in np.asarray(axes).reshape(-1).tolist()]
    sizes = np.asarray(slice_size).reshape(-1).tolist()
    if not len(start) == len(axes) == len(sizes):
        raise ValueError(f"slice: start_indices, axes and slice_size must have the same length; got "
                         f"{len(start)}, {len(axes)} and {len(sizes)}")
    index = [builtins.slice(None)] * a.ndim
    for ax, s0, n in zip(axes, start, sizes):
        index[ax] = builtins.slice(int(s0), int(s0) + int(n))
    return a[tuple(index)]


def searchsorted(sorted_sequence, values, side: str = "left", *, stream=None):
    """Where ``values`` would be inserted into ``sorted_sequence`` to keep it sorted (uint32; no gradient).

    >>> searchsorted(array([1.0, 2.0, 3.0]), array([2.5, 0.0]))
    Tensor([2, 0], dtype=uint32)
    """
    seq, vals = (np.asarray(_raw_value(_from_data(x, name=name)))
                 for x, name in ((sorted_sequence, "sorted_sequence"), (values, "values")))
    if seq.ndim != 1:
        raise ValueError(f"searchsorted: sorted_sequence must be 1-D; got shape {seq.shape}")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right'; got {side!r}")
    return _ops.array(np.searchsorted(seq, vals, side=side).astype(uint32))


def _window(fn, name):
    def window(M: int, *, stream=None):
        _ops.check_argument(name, "M", "int", M)
        return _ops.array(fn(int(M)).astype(float32))

    window.__name__ = window.__qualname__ = name
    window.__doc__ = (f"numpy's ``{name}`` window of ``M`` points, in float32.\n\n"
                      f">>> {name}(3).shape\n(3,)\n")
    return window


hanning, hamming = _window(np.hanning, "hanning"), _window(np.hamming, "hamming")
blackman, bartlett = _window(np.blackman, "blackman"), _window(np.bartlett, "bartlett")


def tri(n: int, m: int | None = None, k: int = 0, dtype=float32, *, stream=None):
    """Ones at and below the ``k``-th diagonal (float32).

    >>> tri(2).dtype
    dtype('float32')
    """
    return _ops.tri(n, m, k, dtype=dtype)


def positive(a, *, stream=None):
    """``a`` itself (``+a``).

    >>> positive(array([1.0]))
    Tensor([1.], dtype=float32)
    """
    return _from_data(a)


pow = _face(_ops.power, 2, "pow")  # noqa: A001 - MLX's alias


def concatenate(arrays, axis: int = 0, *, stream=None):
    """Join arrays along an existing axis (MLX's conversion for each of them).

    >>> concatenate([array([1.0]), [2.0]])
    Tensor([1., 2.], dtype=float32)
    """
    return _ops.concatenate(_convert(arrays, len(arrays)) if isinstance(arrays, (list, tuple)) else arrays, axis)


concat = concatenate


def stack(arrays, axis: int = 0, *, stream=None):
    """Join arrays along a new axis.

    >>> stack([array([1.0]), array([2.0])]).shape
    (2, 1)
    """
    return _ops.stack(_convert(arrays, len(arrays)) if isinstance(arrays, (list, tuple)) else arrays, axis)


# face functions not checked for complex arrays refuse them, naming the argument (see microgradx.ops.COMPLEX_READY)
vecdot, kron, isposinf, isneginf, searchsorted = (_ops.with_checks(f, refuse_complex=True) for f in (
    vecdot, kron, isposinf, isneginf, searchsorted))

# The transforms are the engine's own (MLX's argument rules live there).
grad, value_and_grad, vjp, jvp = _transforms.grad, _transforms.value_and_grad, _transforms.vjp, _transforms.jvp

from ..transforms import checkpoint, custom_function, vmap  # noqa: E402,F401 - issue 14: MLX's transforms
from . import random  # noqa: E402,F401 - mx.random


def __getattr__(name: str):
    """A name of ``mlx.core`` this face does not provide: an AttributeError that says so."""
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"module 'microgradx.mlx.core' has no attribute {name!r}: microgradx's MLX face does not "
                         f"provide mlx.core.{name} (docs/mlx.rst lists what it provides and why)")

__all__ = [n for n in dir() if not n.startswith("_") and n not in {
    "annotations", "builtins", "contextlib", "enum", "functools", "math", "np"}]
