"""``mx.random``: MLX's random functions, drawn with numpy and reproducible from a seed or a key.

As in MLX, randomness comes from **keys**: ``key(seed)`` makes one (two uint32 numbers), ``split``
derives new ones, and every function takes ``key=``.  Without a key a function uses the global key
and replaces it with a fresh one, so ``seed(s)`` followed by the same calls gives the same numbers,
every run.  The numbers are numpy's (a ``numpy.random.Generator`` seeded by the key), not MLX's: the
same seed gives the same numbers in microgradx, different ones than in MLX.  Shapes and dtypes are
MLX's: float32 by default, ``randint`` int32, ``categorical`` and ``permutation`` uint32, ``bernoulli``
bool.

The global key is the only mutable state of this module.  Like numpy's global generator it is shared
by the threads of a process; give each thread its own ``key=`` for independent, reproducible streams.

Examples
--------
>>> import microgradx.mlx.core as mx
>>> mx.random.seed(0)
>>> a = mx.random.normal((2,))
>>> mx.random.seed(0)
>>> a.tolist() == mx.random.normal((2,)).tolist()
True
>>> k = mx.random.key(1)
>>> mx.random.uniform(shape=(3,), key=k).dtype
dtype('float32')
"""

from __future__ import annotations

import numpy as np

from .. import ops as _ops
from ..core.arguments import axis_index
from ..core.dispatch import node_types as _node_types
from ..core.dispatch import raw_value as _raw_value

__all__ = ["seed", "key", "split", "normal", "uniform", "randint", "bernoulli", "categorical",
           "permutation", "truncated_normal", "gumbel", "laplace", "multivariate_normal"]


def _int(value, name: str) -> int:
    """``value`` as an int; a TypeError naming ``name`` for anything else (bools included)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    return int(value)


def _key_array(s: int) -> np.ndarray:
    s = _int(s, "seed")
    if s < 0:
        raise ValueError(f"seed must be a non-negative integer; got {s}")
    return np.array([(s >> 32) & 0xFFFFFFFF, s & 0xFFFFFFFF], dtype=np.uint32)


_global = {"key": _key_array(np.random.SeedSequence().entropy & 0xFFFFFFFF)}


def seed(seed: int) -> None:
    """Seed the global key: the calls that follow (without ``key=``) give the same numbers every run.

    >>> seed(42)
    """
    _global["key"] = _key_array(seed)


def key(seed: int):
    """A key (uint32 array of shape ``(2,)``) made from ``seed``.

    >>> key(0)
    Tensor([0, 0], dtype=uint32)
    """
    return _ops.array(_key_array(seed))


def _generator(k) -> np.random.Generator:
    if not isinstance(k, (np.ndarray, list, tuple, *_node_types())):
        raise TypeError(f"key must be a key made by mx.random.key (a uint32 array of shape (2,)); "
                        f"got {type(k).__name__}")
    value = np.asarray(_raw_value(k))
    if value.shape != (2,) or value.dtype.kind not in "ui":
        raise ValueError(f"key must be a uint32 array of shape (2,) made by mx.random.key; got shape "
                         f"{value.shape} and dtype {value.dtype}")
    return np.random.default_rng([int(v) for v in value])


def _split_value(k, num: int) -> np.ndarray:
    return _generator(k).integers(0, 2**32, size=(num, 2), dtype=np.uint64).astype(np.uint32)


def split(key, num: int = 2):
    """``num`` new keys derived from ``key``, as an array of shape ``(num, 2)``.

    >>> split(key(0)).shape
    (2, 2)
    """
    return _ops.array(_split_value(key, _int(num, "num")))


def _rng(key) -> np.random.Generator:
    """The generator for one draw: from ``key``, or from the global key, which moves on."""
    if key is None:
        new, use = _split_value(_global["key"], 2)
        _global["key"] = new
        key = use
    return _generator(key)


def _shape(shape, name="shape") -> tuple:
    """A shape: an int or a sequence of non-negative ints (a TypeError or ValueError naming ``name``)."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (list, tuple)):
        raise TypeError(f"{name} must be a sequence of ints; got {type(shape).__name__}")
    dims = tuple(_int(n, name) for n in shape)
    if any(n < 0 for n in dims):
        raise ValueError(f"{name} must not have negative sizes; got {dims}")
    return dims


def _dtype(dtype, kinds: str = "f", name: str = "dtype") -> np.dtype:
    """``dtype`` as a numpy dtype of one of ``kinds`` (numpy's kind letters), else a TypeError naming it."""
    try:
        dt = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a dtype; got {dtype!r}") from None
    if dt.kind not in kinds:
        words = {"f": "floating", "iu": "integer", "fiu": "real"}.get(kinds, kinds)
        raise TypeError(f"{name} must be a {words} dtype; got {dt}")
    return dt


def _text(shape) -> str:
    return "(" + ",".join(str(n) for n in shape) + ")"


def _value(x, name: str, min_ndim: int = 0):
    """The real numbers of ``x`` (a number or an array) as an ndarray; TypeError/ValueError naming ``name``."""
    value = np.asarray(_raw_value(_ops.operand(x, name)))
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {value.dtype}")
    if value.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s); got shape {value.shape}")
    return value


def _out(values, dtype):
    return _ops.array(np.asarray(values).astype(dtype))


def normal(shape=(), dtype=np.float32, loc=None, scale=None, key=None):
    """Samples of the normal distribution with mean ``loc`` (0) and standard deviation ``scale`` (1).

    >>> normal((2, 3)).shape, normal().dtype
    ((2, 3), dtype('float32'))
    """
    dtype = _dtype(dtype)
    for name, v in (("loc", loc), ("scale", scale)):
        if v is not None:
            _value(v, name)
    z = _rng(key).standard_normal(_shape(shape))
    out = _out(z, dtype)
    if scale is not None:
        out = out * scale
    if loc is not None:
        out = out + loc
    return out


def uniform(low=0.0, high=1.0, shape=(), dtype=np.float32, key=None):
    """Samples uniform on ``[low, high)``; ``low``/``high`` broadcast with ``shape``.

    >>> x = uniform(-1.0, 1.0, (100,))
    >>> bool(x.min() >= -1.0 and x.max() < 1.0)
    True
    """
    lo, hi = _value(low, "low"), _value(high, "high")
    shape = _shape(shape)
    dtype = _dtype(dtype)
    full = np.broadcast_shapes(shape, lo.shape, hi.shape)
    if full != shape:
        raise ValueError(f"[uniform] Cannot generate random values of shape {_text(shape)} from broadcasted "
                         f"shape {_text(full)}.")
    u = _rng(key).random(shape)
    out = (lo + (hi - lo) * u).astype(dtype)
    out = np.where(out >= hi, np.nextafter(hi.astype(dtype), lo.astype(dtype)), out)  # rounding may reach high
    return _out(out, dtype)


def randint(low, high, shape=(), dtype=np.int32, key=None):
    """Random integers in ``[low, high)``.

    >>> x = randint(0, 3, (50,))
    >>> x.dtype, bool(x.min() >= 0 and x.max() < 3)
    (dtype('int32'), True)
    """
    lo, hi = _value(low, "low"), _value(high, "high")
    dtype = _dtype(dtype, "iu")
    shape = np.broadcast_shapes(_shape(shape), lo.shape, hi.shape)
    return _out(_rng(key).integers(lo, hi, size=shape), dtype)


def bernoulli(p=0.5, shape=None, key=None):
    """Booleans that are True with probability ``p`` (shape: ``shape``, else that of ``p``).

    >>> bernoulli(0.5, (4,)).dtype
    dtype('bool')
    """
    pv = _value(p, "p")
    shape = pv.shape if shape is None else np.broadcast_shapes(_shape(shape), pv.shape)
    return _out(_rng(key).random(shape) < pv, np.bool_)


def gumbel(shape=(), dtype=np.float32, key=None):
    """Samples of the standard Gumbel distribution, ``-log(-log(U))``.

    >>> gumbel((3,)).shape
    (3,)
    """
    dtype = _dtype(dtype)
    u = _rng(key).random(_shape(shape))
    u = np.clip(u, np.finfo(np.float64).tiny, 1.0)
    return _out(-np.log(-np.log(u)), dtype)


def categorical(logits, axis: int = -1, shape=None, num_samples=None, key=None):
    """Sample category indices (uint32) with probabilities ``softmax(logits)`` along ``axis``.

    ``shape`` gives the output shape (broadcast with the logits' other axes); ``num_samples`` draws
    that many per distribution, along a new last axis.

    >>> import microgradx.mlx.core as mx
    >>> categorical(mx.array([[0.0, 100.0], [100.0, 0.0]]))
    Tensor([1, 0], dtype=uint32)
    """
    if shape is not None and num_samples is not None:
        raise ValueError("categorical: at most one of shape and num_samples may be given")
    z = _value(logits, "logits", min_ndim=1).astype(np.float64)
    z = np.moveaxis(z, axis_index(axis, z.ndim), -1)
    batch = z.shape[:-1]
    if num_samples is not None:
        out_shape = batch + (_int(num_samples, "num_samples"),)
        z = z[..., None, :]
    elif shape is not None:
        out_shape = _shape(shape)
        np.broadcast_shapes(out_shape, batch)
    else:
        out_shape = batch
    g = _rng(key).gumbel(size=out_shape + z.shape[-1:])
    return _out(np.argmax(z + g, axis=-1), np.uint32)


def permutation(x, axis: int = 0, key=None):
    """A random permutation of ``arange(x)`` (an int), or of the array ``x`` along ``axis``.

    >>> import microgradx.mlx.core as mx
    >>> sorted(permutation(4).tolist())
    [0, 1, 2, 3]
    >>> permutation(mx.array([[1, 2], [3, 4]]), axis=1).shape
    (2, 2)
    """
    axis = _int(axis, "axis")
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return _out(_rng(key).permutation(int(x)), np.uint32)
    if not isinstance(x, _node_types()):
        value = _value(x, "x", min_ndim=1)
        x = _ops.array(value.astype(np.float32) if value.dtype == np.float64 else value)  # MLX's float32
    if not x.shape:
        raise ValueError("x must be an int or an array of at least 1 dimension; got a 0-d array")
    axis = axis_index(axis, len(x.shape))
    order = _rng(key).permutation(x.shape[axis])
    return _ops.take(x, order, axis=axis)


def truncated_normal(lower, upper, shape=None, dtype=np.float32, key=None):
    """Normal samples restricted to ``[lower, upper]`` (rejection sampling).

    >>> x = truncated_normal(-0.5, 0.5, (100,))
    >>> bool(x.min() >= -0.5 and x.max() <= 0.5)
    True
    """
    lo, hi = _value(lower, "lower").astype(np.float64), _value(upper, "upper").astype(np.float64)
    dtype = _dtype(dtype)
    shape = np.broadcast_shapes(lo.shape, hi.shape) if shape is None else _shape(shape)
    lo, hi = np.broadcast_to(lo, shape), np.broadcast_to(hi, shape)
    if np.any(lo > hi):
        raise ValueError("truncated_normal: lower must not exceed upper")
    rng = _rng(key)
    out = rng.standard_normal(shape)
    bad = (out < lo) | (out > hi)
    for _ in range(1000):
        if not bad.any():
            break
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = (out < lo) | (out > hi)
    # what rejection could not place (a far tail): uniform inside the bounds
    out[bad] = rng.uniform(lo[bad], hi[bad])
    return _out(np.clip(out, lo, hi), dtype)


def laplace(shape=(), dtype=np.float32, loc: float = 0.0, scale: float = 1.0, key=None):
    """Samples of the Laplace distribution.

    >>> laplace((2,)).shape
    (2,)
    """
    loc, scale = _value(loc, "loc"), _value(scale, "scale")
    return _out(_rng(key).laplace(loc, scale, _shape(shape)), _dtype(dtype))


def multivariate_normal(mean, cov, shape=(), dtype=np.float32, key=None):
    """Samples of a multivariate normal with ``mean`` (..., n) and covariance ``cov`` (..., n, n).

    >>> import microgradx.mlx.core as mx
    >>> multivariate_normal(mx.zeros((2,)), mx.eye(2), (3,)).shape
    (3, 2)
    """
    m, c = _value(mean, "mean", 1).astype(np.float64), _value(cov, "cov", 2).astype(np.float64)
    dtype = _dtype(dtype)
    n = m.shape[-1]
    shape = _shape(shape)
    z = _rng(key).standard_normal(shape + (n,))
    chol = np.linalg.cholesky(c)
    return _out(m + np.einsum("...ij,...j->...i", chol, z), dtype)
