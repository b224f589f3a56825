"""MLX battery for the ``microgradx.mlx.core`` face: the same program through ``mlx.core`` and the face.

Each case is ``case(mx)`` written once against ``mx``, which is either MLX's ``mlx.core`` or
``microgradx.mlx.core``.  Both outcomes are compared:

* ``same``: the same result structure with the same shapes, **dtypes** and values (float32
  tolerance), or the same exception class and message;
* ``same_class``: the same exception class (the messages say the same thing in other words);
* ``differs``: a documented difference (docs/mlx.rst); both behaviours are asserted.

Values, gradients (``grad`` of a weighted sum, so every element of the gradient is checked), forward
derivatives (``jvp``), dtypes and errors.  Run ``python tests/test_mlx_face_conformance.py`` for the
counts and the list of MLX functions the battery exercises.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

mlx = pytest.importorskip("mlx.core", reason="mlx cannot be imported: the MLX face battery needs mlx[cpu]",
                          exc_type=ImportError)

from _mlx_compare import Battery, Case, Outcome, raises, returns, run  # noqa: E402,F401 - shared with test_mlx_conformance

import microgradx as mgx  # noqa: E402
import microgradx.mlx.core as face  # noqa: E402

RNG = np.random.default_rng(13)
A = RNG.uniform(-1.0, 1.0, (3, 4)).astype(np.float32)  # distinct values: no ties
P = RNG.uniform(0.2, 0.9, (3, 4)).astype(np.float32)  # positive
Z = np.array([[2.0, 0.0, 3.0, -1.0], [1.5, -2.0, 0.0, 0.0]], np.float32)  # zeros for products
T = np.array([1.0, 3.0, 3.0, 2.0, 4.0, 0.5], np.float32)  # ties for cummax/cummin/sort
AR = np.ascontiguousarray(A[::-1])  # (MLX takes no negative strides from numpy)
B = RNG.uniform(-1.0, 1.0, (3, 4)).astype(np.float32)


BATTERY = Battery()
CASES = BATTERY.cases
same, same_class, differs = BATTERY.same, BATTERY.same_class, BATTERY.differs


def _is_arr(x) -> bool:
    return isinstance(x, (mlx.array, mgx.Tensor))


def dtype_name(x) -> str:
    d = x.dtype
    return str(d).split(".")[-1] if isinstance(x, mlx.array) else np.dtype(d).name


def assert_same(a, b, path="result"):
    """MLX's ``a`` and ours ``b``: same containers, shapes, dtypes, and values within float32 tolerance."""
    if _is_arr(a) or _is_arr(b):
        assert _is_arr(a) and _is_arr(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
        va, vb = np.array(a), np.asarray(b)
        assert va.shape == vb.shape, f"{path}: shape {va.shape} vs {vb.shape}"
        assert dtype_name(a) == dtype_name(b), f"{path}: dtype {dtype_name(a)} vs {dtype_name(b)}"
        kind = np.complex128 if np.iscomplexobj(va) or np.iscomplexobj(vb) else np.float64
        assert np.allclose(va.astype(kind), vb.astype(kind), rtol=2e-5, atol=2e-6, equal_nan=True), \
            f"{path}: values {va} vs {vb}"
        return
    if isinstance(a, (list, tuple)):
        assert type(a) is type(b), f"{path}: container {type(a).__name__} vs {type(b).__name__}"
        assert len(a) == len(b), f"{path}: length {len(a)} vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
        return
    assert a == b, f"{path}: {a!r} vs {b!r}"


def check_case(case: Case) -> str:
    ours = run(case.fn, face)
    if case.kind == "differs":
        case.mlx(run(case.fn, mlx))
        case.ours(ours)
        return case.kind
    theirs = run(case.fn, mlx)
    if theirs.error is not None or ours.error is not None:
        assert theirs.error is not None, f"MLX returned {theirs.value!r}; microgradx raised {ours.error!r}"
        assert ours.error is not None, f"MLX raised {theirs.error!r}; microgradx returned {ours.value!r}"
        assert type(ours.error) is type(theirs.error), (
            f"MLX raised {type(theirs.error).__name__}: {theirs.error}; "
            f"microgradx raised {type(ours.error).__name__}: {ours.error}")
        if case.kind == "same":
            assert str(ours.error) == str(theirs.error), f"messages differ:\n  MLX: {theirs.error}\n  mgx: {ours.error}"
        return case.kind
    assert case.kind == "same", f"expected an exception for a {case.kind} case; both returned"
    assert_same(theirs.value, ours.value)
    return case.kind


# ---------------------------------------------------------------------------
# helpers the cases use (written once, run against both libraries)
# ---------------------------------------------------------------------------
def weights(shape):
    """Fixed weights for a weighted sum, so a gradient checks every element."""
    return np.linspace(0.5, 2.0, int(np.prod(shape, dtype=np.int64)), dtype=np.float32).reshape(shape)


def value_grad_jvp(f, *data, jvp=True):
    """Case builder: f's value, the gradient of a weighted sum of it w.r.t. every input, and its jvp."""

    def case(mx):
        xs = [mx.array(d) for d in data]
        out = f(mx, *xs)
        w = mx.array(weights(out.shape))
        g = mx.grad(lambda *v: mx.sum(f(mx, *v) * w), argnums=tuple(range(len(xs))))(*xs)
        if not jvp:  # MLX has no jvp for it (a documented difference: ours is checked in test_forward)
            return out, g
        tangents = [mx.array(np.full(np.shape(d), 0.5, np.float32) + weights(np.shape(d))) for d in data]
        _, jv = mx.jvp(lambda *v: f(mx, *v), xs, tangents)
        return out, g, jv

    return case


def value_only(f, *data):
    return lambda mx: f(mx, *[mx.array(d) for d in data])


# ---------------------------------------------------------------------------
# A. arrays, dtypes and creation with MLX's defaults
# ---------------------------------------------------------------------------
for _label, _data in [("float", 1.5), ("int", 3), ("bool", True), ("float list", [1.0, 2.0]),
                      ("int list", [[1, 2], [3, 4]]), ("bool list", [True, False]),
                      ("numpy float64", np.array([1.0, 2.0])), ("numpy int64", np.array([1, 2])),
                      ("numpy float16", np.array([1.0], np.float16)), ("numpy int32", np.array([1], np.int32))]:
    same(f"array from a {_label}", lambda mx, d=_data: mx.array(d))
same("array with dtype", lambda mx: mx.array([1, 2], dtype=mx.float32))
same("array of an array", lambda mx: mx.array(mx.array([1.0, 2.0])))
same("asarray", lambda mx: mx.asarray([1, 2]))
same("isinstance of an array", lambda mx: isinstance(mx.exp(mx.array([1.0])), mx.array))
same("a float is not an array", lambda mx: isinstance(1.0, mx.array))
same("dtype constant equality", lambda mx: (mx.array([1.0]).dtype == mx.float32, mx.array([1]).dtype == mx.int32))
same("issubdtype", lambda mx: (mx.issubdtype(mx.float32, mx.floating), mx.issubdtype(mx.int32, mx.floating),
                               mx.issubdtype(mx.uint8, mx.integer)))
same("zeros", lambda mx: mx.zeros((2, 3)))
same("ones int32", lambda mx: mx.ones((2,), dtype=mx.int32))
same("full float", lambda mx: mx.full((2, 2), 1.5))
same("full int", lambda mx: mx.full((2,), 3))
same("full array", lambda mx: mx.full((2, 2), mx.array([1.0, 2.0])))
same("zeros_like int", lambda mx: mx.zeros_like(mx.array([1, 2])))
same("ones_like", lambda mx: mx.ones_like(mx.array([1.0, 2.0])))
same("full_like", lambda mx: mx.full_like(mx.array([1.0, 2.0]), 7))
same("arange int", lambda mx: mx.arange(5))
same("arange start stop step", lambda mx: mx.arange(1, 10, 3))
same("arange float", lambda mx: mx.arange(0.0, 1.0, 0.25))
same("linspace", lambda mx: mx.linspace(0, 1, 5))
same("eye", lambda mx: mx.eye(3))
same("eye k", lambda mx: mx.eye(3, 4, k=1))
same("identity", lambda mx: mx.identity(2))
same("tri", lambda mx: mx.tri(3, 4, 1))
same("float32 times a Python float stays float32", lambda mx: mx.array([1.0, 2.0]) * 2.5)
same("exp of a Python float is float32", lambda mx: mx.exp(1.0))
same("add of two Python numbers", lambda mx: mx.add(1.0, 2.0))
differs("sum of a list (MLX takes arrays only)", lambda mx: mx.sum([1.0, 2.0, 3.0]),
        raises(TypeError), returns(lambda v: float(v) == 6.0 and dtype_name(v) == "float32"))
same("mean of bools is float32", lambda mx: mx.mean(mx.array([True, False, True])))
same("mean of ints is float32", lambda mx: mx.mean(mx.array([1, 2, 4])))
same("var of ints is float32", lambda mx: mx.var(mx.array([1, 2, 4])))
same("sum of int32 stays int32", lambda mx: mx.sum(mx.array([1, 2, 3])))
same("sum of bools is int32", lambda mx: mx.sum(mx.array([True, True, False])))
same("argmax is uint32", lambda mx: mx.argmax(mx.array([1.0, 3.0, 2.0])))
same("argmin axis", lambda mx: mx.argmin(mx.array(A), axis=1))
same("argsort", lambda mx: mx.argsort(mx.array(A), axis=0))
same("argsort of ties is stable", lambda mx: mx.argsort(mx.array(T)))

# ---------------------------------------------------------------------------
# B. eval, compile, devices and streams
# ---------------------------------------------------------------------------
same("eval returns None", lambda mx: mx.eval(mx.array(1.0), [mx.array(2.0)], {"a": mx.array(3.0)}))
same("eval ignores non-array leaves", lambda mx: mx.eval([mx.array(1.0), "a", None, {"k": 3}]))
same("async_eval", lambda mx: mx.async_eval(mx.array(1.0)))
same("compile keeps the results", lambda mx: mx.compile(lambda x: mx.exp(x) * 2.0)(mx.array([0.5, 1.0])))
same("compile keeps the name", lambda mx: mx.compile(weights).__name__)
same("grad of a compiled function", lambda mx: mx.grad(mx.compile(lambda x: mx.sum(x * x)))(mx.array([1.0, 2.0])))
same("synchronize", lambda mx: mx.synchronize())
same("default device is the CPU", lambda mx: (repr(mx.default_device()), mx.default_device() == mx.cpu))
same("Device(cpu)", lambda mx: (repr(mx.Device(mx.cpu)), mx.Device(mx.cpu) == mx.cpu))
same("set_default_device(cpu)", lambda mx: mx.set_default_device(mx.cpu))
same("set_default_device(gpu)", lambda mx: mx.set_default_device(mx.gpu))
same("gpu is not available", lambda mx: (mx.is_available(mx.cpu), mx.is_available(mx.gpu)))
same("default stream", lambda mx: repr(mx.default_stream(mx.cpu)))
same("stream context", lambda mx: _in_stream(mx))


def _in_stream(mx):
    with mx.stream(mx.cpu):
        return mx.array([1.0, 2.0]) + 1.0


# ---------------------------------------------------------------------------
# C. elementwise functions: values, gradients, jvps
# ---------------------------------------------------------------------------
for _name in ["tan", "sinh", "cosh", "arcsin", "arccos", "arctan", "arcsinh", "arctanh", "log1p", "expm1",
              "log2", "log10", "erf", "reciprocal", "rsqrt", "sqrt", "exp", "log", "sin", "cos", "tanh",
              "sigmoid", "square", "abs", "negative", "degrees", "radians"]:
    _data = P if _name in ("arccos", "log2", "log10", "rsqrt", "sqrt", "log", "reciprocal") else A * 0.9
    same(f"{_name}: value, grad, jvp", value_grad_jvp(lambda mx, x, n=_name: getattr(mx, n)(x), _data))
same("arccosh: value, grad, jvp", value_grad_jvp(lambda mx, x: mx.arccosh(x + 1.5), P))
same("atan2 alias", value_grad_jvp(lambda mx, y, x: mx.atan2(y, x), A, P))
same("asin alias", value_only(lambda mx, x: mx.asin(x), A * 0.5))
same("arctan2: value, grads, jvp", value_grad_jvp(lambda mx, y, x: mx.arctan2(y, x), A, AR))
same("remainder: value, grads, jvp", value_grad_jvp(lambda mx, a, b: mx.remainder(a * 5.0, b), A, P))
same("divmod", value_only(lambda mx, a, b: mx.divmod(a, b), np.array([7.0, -7.0, 5.5], np.float32),
                          np.array([2.0, 2.0, -1.5], np.float32)))
same("floor_divide", value_only(lambda mx, a: mx.floor_divide(a * 5.0, 2.0), A))
same("% and // operators", value_only(lambda mx, a: (a * 5.0 % 2.0, a * 5.0 // 2.0), A))
same("logaddexp: value, grads, jvp", value_grad_jvp(lambda mx, a, b: mx.logaddexp(a, b), A, B * 3.0))
same("logaddexp with a Python float", value_grad_jvp(lambda mx, a: mx.logaddexp(0.0, a * 50.0), A))
same("logaddexp of large values", value_only(lambda mx, a: mx.logaddexp(a * 1e4, a * 1e4 + 1.0), A))
same("maximum, minimum", value_grad_jvp(lambda mx, a, b: mx.maximum(a, b) + mx.minimum(a, b) * 2.0, A, B))
differs("maximum at a tie", lambda mx: mx.grad(lambda x, y: mx.sum(mx.maximum(x, y)), argnums=(0, 1))(
    mx.array([3.0]), mx.array([3.0])),
    returns(lambda g: [np.asarray(v).tolist() for v in g] == [[0.0], [1.0]]),
    returns(lambda g: [np.asarray(v).tolist() for v in g] == [[0.5], [0.5]]))
same("power", value_grad_jvp(lambda mx, a, b: mx.power(a, b), P, A))
same("floor, ceil, round, trunc", value_only(lambda mx, a: (mx.floor(a * 3), mx.ceil(a * 3), mx.round(a * 3),
                                                            mx.round(a * 30, 1))))
same("sign", value_only(lambda mx, a: mx.sign(a), A))
same("isnan, isinf, isfinite", value_only(lambda mx, a: (mx.isnan(a), mx.isinf(a), mx.isfinite(a)),
                                          np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)))
same("nan_to_num", value_only(lambda mx, a: mx.nan_to_num(a, nan=0.5),
                              np.array([np.nan, 2.0, -1.0], np.float32)))
same("logical_and, or, not", value_only(lambda mx, a, b: (mx.logical_and(a, b), mx.logical_or(a, b),
                                                          mx.logical_not(a)),
                                        np.array([True, True, False]), np.array([True, False, False])))
same("logical_and of ints", value_only(lambda mx, a, b: mx.logical_and(a, b), np.array([1, 0, 2], np.int32),
                                       np.array([1, 1, 0], np.int32)))
same("& | ^ ~ on bools", value_only(lambda mx, a, b: (a & b, a | b, a ^ b, ~a), np.array([True, False, True]),
                                    np.array([True, True, False])))
same("& | ^ ~ on ints", value_only(lambda mx, a, b: (a & b, a | b, a ^ b, ~a), np.array([6, 3], np.int32),
                                   np.array([3, 5], np.int32)))
same("<< and >>", value_only(lambda mx, a: (a << 2, a >> 1), np.array([1, 8], np.int32)))
same("isclose", value_only(lambda mx, a, b: mx.isclose(a, b), np.array([1.0, 2.0], np.float32),
                           np.array([1.0, 2.1], np.float32)))
same("allclose", value_only(lambda mx, a, b: mx.allclose(a, b), A, A + 1e-7))
same("allclose false", value_only(lambda mx, a, b: mx.allclose(a, b), A, A + 1e-2))
same("array_equal", value_only(lambda mx, a: (mx.array_equal(a, a), mx.array_equal(a, a + 1.0)), A))
same("array_equal across dtypes", lambda mx: mx.array_equal(mx.array([1, 2]), mx.array([1.0, 2.0])))
same("all, any", value_only(lambda mx, a: (mx.all(a > -2.0), mx.any(a > 0.9), mx.all(a > 0.0, axis=1)), A))
same("comparison jvp tangent is float32", lambda mx: mx.jvp(lambda x: mx.greater(x, 0.0), [mx.array(A)],
                                                            [mx.ones(A.shape)]))
same("where with a bool mask", value_grad_jvp(lambda mx, a, b: mx.where(a > 0, a, b * 2.0), A, AR))
same("clip", value_grad_jvp(lambda mx, a: mx.clip(a, -0.5, 0.5), A))

# ---------------------------------------------------------------------------
# D. reductions and cumulative functions
# ---------------------------------------------------------------------------
same("prod: value, grad, jvp", value_grad_jvp(lambda mx, a: mx.prod(a, axis=1), A))
same("prod with zeros", value_grad_jvp(lambda mx, a: mx.prod(a, axis=1), Z))
same("prod of all with one zero", value_grad_jvp(lambda mx, a: mx.prod(a), np.array([1.0, 0.0, 3.0], np.float32)))
same("prod of all with two zeros", value_grad_jvp(lambda mx, a: mx.prod(a), np.array([0.0, 2.0, 0.0], np.float32)))
same("prod keepdims over axes", value_grad_jvp(lambda mx, a: mx.prod(a, axis=(0, 1), keepdims=True), Z))
same("cumsum", value_grad_jvp(lambda mx, a: mx.cumsum(a, axis=1), A))
same("cumsum reverse exclusive", value_grad_jvp(lambda mx, a: mx.cumsum(a, axis=0, reverse=True, inclusive=False),
                                                A))
same("cumsum flattened", value_grad_jvp(lambda mx, a: mx.cumsum(a), A))
same("cumsum of ints", lambda mx: mx.cumsum(mx.array([1, 2, 3]), reverse=True, inclusive=False))
same("cumsum of bools is int32", lambda mx: mx.cumsum(mx.array([True, True, False])))
same("cumprod", value_grad_jvp(lambda mx, a: mx.cumprod(a, axis=1), A, jvp=False))
same("cumprod with zeros", value_grad_jvp(lambda mx, a: mx.cumprod(a, axis=1), Z, jvp=False))
same("cumprod reverse exclusive", value_grad_jvp(lambda mx, a: mx.cumprod(a, axis=1, reverse=True,
                                                                          inclusive=False), Z, jvp=False))
same("cumprod 1-D with zeros", value_grad_jvp(lambda mx, a: mx.cumprod(a),
                                              np.array([2.0, 0.0, 3.0, 0.0], np.float32), jvp=False))
same("cummax", value_grad_jvp(lambda mx, a: mx.cummax(a, axis=1), A, jvp=False))
same("cummax ties go to the latest", value_grad_jvp(lambda mx, a: mx.cummax(a), T, jvp=False))
same("cummin ties", value_grad_jvp(lambda mx, a: mx.cummin(a), -T, jvp=False))
same("cummax reverse", value_grad_jvp(lambda mx, a: mx.cummax(a, reverse=True), T, jvp=False))
same("cummax exclusive", lambda mx: mx.cummax(mx.array(T), inclusive=False))
same("logcumsumexp", value_grad_jvp(lambda mx, a: mx.logcumsumexp(a, axis=1), A))
same("max and min ties share", value_grad_jvp(lambda mx, a: mx.max(a) + mx.min(a), T))
same("logsumexp", value_grad_jvp(lambda mx, a: mx.logsumexp(a, axis=0), A))
same("softmax", value_grad_jvp(lambda mx, a: mx.softmax(a, axis=-1), A))
same("mean, var, std", value_grad_jvp(lambda mx, a: mx.mean(a, axis=0) + mx.var(a, axis=0) + mx.std(a, axis=0), A))
same("median", value_only(lambda mx, a: (mx.median(a), mx.median(a, axis=1)), A))

# ---------------------------------------------------------------------------
# E. sorting and gathering
# ---------------------------------------------------------------------------
same("sort", value_grad_jvp(lambda mx, a: mx.sort(a, axis=1), A))
same("sort axis 0", value_grad_jvp(lambda mx, a: mx.sort(a, axis=0), A))
same("sort flattened", value_grad_jvp(lambda mx, a: mx.sort(a, axis=None), A))
same("sort of ties", value_grad_jvp(lambda mx, a: mx.sort(a), T))
same("topk", value_grad_jvp(lambda mx, a: mx.topk(a, 2, axis=1), A))
same("topk 1-D", value_grad_jvp(lambda mx, a: mx.topk(a, 3), T[:5] + np.arange(5, dtype=np.float32) * 0.01))
same("take", value_grad_jvp(lambda mx, a: mx.take(a, mx.array([2, 0, 2]), axis=1), A))
same("take flattened", value_grad_jvp(lambda mx, a: mx.take(a, mx.array([[0, 5], [11, 5]])), A))
same("take_along_axis", value_grad_jvp(lambda mx, a: mx.take_along_axis(a, mx.array([[1], [0], [3]]), axis=1), A))
same("take_along_axis broadcast", value_grad_jvp(
    lambda mx, a: mx.take_along_axis(a, mx.array([[1, 0, 2, 2]]), axis=0), A))
same("take_along_axis flattened", value_grad_jvp(lambda mx, a: mx.take_along_axis(a, mx.array([0, 3, 3]), None), A))
same("take_along_axis with argsort", value_grad_jvp(lambda mx, a: mx.take_along_axis(
    a, mx.stop_gradient(mx.argsort(a, axis=1)), axis=1), A))
same("put_along_axis", value_grad_jvp(lambda mx, a, v: mx.put_along_axis(a, mx.array([[1], [0], [3]]), v, axis=1),
                                      A, A[:, :1]))
same("put_along_axis broadcast value", value_grad_jvp(
    lambda mx, a: mx.put_along_axis(a, mx.array([[2], [1], [0]]), mx.array(5.0), axis=1), A))
same("vjp w.r.t. take's indices", lambda mx: mx.grad(lambda i, x: mx.sum(mx.take(x, i)))(
    mx.array([0, 1]), mx.array([1.0, 2.0])))
same("vjp w.r.t. take_along_axis's indices", lambda mx: mx.grad(
    lambda i, x: mx.sum(mx.take_along_axis(x, i, axis=0)))(mx.array([0, 1]), mx.array([1.0, 2.0])))
same("vjp w.r.t. put_along_axis's indices", lambda mx: mx.grad(
    lambda i, x: mx.sum(mx.put_along_axis(x, i, mx.array([5.0, 5.0]), axis=0)))(mx.array([0, 1]),
                                                                                 mx.array([1.0, 2.0])))

# ---------------------------------------------------------------------------
# F. shapes
# ---------------------------------------------------------------------------
same("pad int", value_grad_jvp(lambda mx, a: mx.pad(a, 1), A))
same("pad pairs", value_grad_jvp(lambda mx, a: mx.pad(a, [(0, 1), (2, 0)], constant_values=3.0), A))
same("pad one pair", value_grad_jvp(lambda mx, a: mx.pad(a, (1, 2)), A))
same("pad edge", value_grad_jvp(lambda mx, a: mx.pad(a, ((1, 1), (0, 2)), mode="edge"), A))
same("pad keeps int dtype", lambda mx: mx.pad(mx.array([1, 2]), 1))
same("split sections", value_grad_jvp(lambda mx, a: mx.concatenate([p * (i + 1.0) for i, p in enumerate(
    mx.split(a, 2, axis=1))], axis=0), A))
same("split indices", lambda mx: mx.split(mx.arange(6), [1, 4]))
same("split uneven", lambda mx: mx.split(mx.arange(5), 2))
same("split method", lambda mx: mx.array(A).split(3))
same("repeat flattened", value_grad_jvp(lambda mx, a: mx.repeat(a, 2), A))
same("repeat axis", value_grad_jvp(lambda mx, a: mx.repeat(a, 3, axis=1), A))
same("tile", value_grad_jvp(lambda mx, a: mx.tile(a, (2, 1, 2)), A))
same("roll", value_grad_jvp(lambda mx, a: mx.roll(a, 1, axis=1) + mx.roll(a, -2, axis=1), A))
same("roll flattened", value_only(lambda mx, a: mx.roll(a, 5), A))
same("moveaxis", value_grad_jvp(lambda mx, a: mx.moveaxis(mx.reshape(a, (3, 2, 2)), 0, -1), A))
same("flatten with axes", value_grad_jvp(lambda mx, a: mx.flatten(mx.reshape(a, (3, 2, 2)), 1, 2), A))
same("flatten method with axes", lambda mx: mx.zeros((2, 3, 4)).flatten(0, 1).shape)
same("unflatten", value_grad_jvp(lambda mx, a: mx.unflatten(a, 1, (2, 2)), A))
same("unflatten -1", lambda mx: mx.unflatten(mx.zeros((6,)), 0, (-1, 3)).shape)
same("slice_update", value_grad_jvp(lambda mx, a, u: mx.slice_update(a, u, mx.array([1, 1]), [0, 1]),
                                    A, A[:2, :2] * 3.0))
same("slice_update one axis", value_grad_jvp(lambda mx, a, u: mx.slice_update(a, u, mx.array([2]), [1]),
                                             A, A[:, :2]))
same("swapaxes, transpose, expand_dims, squeeze", value_grad_jvp(lambda mx, a: mx.squeeze(
    mx.expand_dims(mx.swapaxes(mx.transpose(a), 0, 1), 0)), A))
same("stack, concatenate", value_grad_jvp(lambda mx, a, b: mx.concatenate([mx.stack([a, b]), mx.stack([b, a])],
                                                                         axis=2), A, P))
same("concat alias", lambda mx: mx.concat([mx.array([1.0]), mx.array([2.0])]))
same("tril, triu", value_grad_jvp(lambda mx, a: mx.tril(a) + mx.triu(a, 1) * 2.0, A))
same("diag of a vector", value_grad_jvp(lambda mx, v: mx.diag(v), A[0], jvp=False))
same("diag of a matrix", value_grad_jvp(lambda mx, a: mx.diag(a, 1), A))
same("diagonal", value_grad_jvp(lambda mx, a: mx.diagonal(a, -1), A))
same("trace", value_grad_jvp(lambda mx, a: mx.trace(a), A))
same("outer", value_grad_jvp(lambda mx, a, b: mx.outer(a, b), A[0], A[1]))
same("inner", value_grad_jvp(lambda mx, a, b: mx.inner(a, b), A, P))
same("tensordot", value_grad_jvp(lambda mx, a, b: mx.tensordot(a, b, axes=([1], [1])), A, P))
same("addmm", value_grad_jvp(lambda mx, c, a, b: mx.addmm(c, a, b), A[:, :3], A, P.T))
same("addmm alpha beta", value_grad_jvp(lambda mx, c, a, b: mx.addmm(c, a, b, alpha=2.0, beta=0.5), A[:, :3], A, P.T,
                                        jvp=False))
same("addmm matches @", value_only(lambda mx, a, b: mx.addmm(mx.zeros((3, 3)), a, b) - a @ b, A, P.T))
same("meshgrid xy", lambda mx: mx.meshgrid(mx.arange(3), mx.arange(2)))
same("meshgrid ij", lambda mx: mx.meshgrid(mx.arange(3), mx.arange(2), indexing="ij"))
same("atleast_2d", lambda mx: mx.atleast_2d(mx.array([1.0, 2.0])).shape)
same("broadcast_arrays", lambda mx: [a.shape for a in mx.broadcast_arrays(mx.ones((2, 1)), mx.ones((3,)))])
same("unstack", value_only(lambda mx, a: mx.unstack(a, axis=1), A))

same("cumulative_sum", lambda mx: mx.cumulative_sum(mx.array([1, 2, 3]), reverse=True))
same("cumulative_prod", value_grad_jvp(lambda mx, a: mx.cumulative_prod(a, axis=1), A, jvp=False))
same("slice", value_grad_jvp(lambda mx, a: mx.slice(a, mx.array([1, 1]), [0, 1], [2, 3]), A))
same("searchsorted", value_only(lambda mx, s, v: (mx.searchsorted(s, v), mx.searchsorted(s, v, side="right")),
                                np.array([1.0, 2.0, 2.0, 3.0], np.float32), np.array([2.0, 0.0, 5.0], np.float32)))
same("windows", lambda mx: (mx.hanning(5), mx.hamming(4), mx.blackman(6), mx.bartlett(5)))
same("flip", value_grad_jvp(lambda mx, a: mx.flip(a, 1) * a, A))
same("flip all axes", value_only(lambda mx, a: mx.flip(a), A))
same("kron", value_grad_jvp(lambda mx, a, b: mx.kron(a, b), A[:2, :2], P[:2, :3]))
same("diff", value_grad_jvp(lambda mx, a: mx.diff(a, 2, axis=1), A))
same("vecdot", value_grad_jvp(lambda mx, a, b: mx.vecdot(a, b), A, P))
same("matrix_transpose", value_grad_jvp(lambda mx, a: mx.matrix_transpose(mx.reshape(a, (2, 2, 3))), A))
same("isposinf, isneginf", value_only(lambda mx, a: (mx.isposinf(a), mx.isneginf(a)),
                                      np.array([np.inf, -np.inf, 1.0], np.float32)))
same("count_nonzero", value_only(lambda mx, a: mx.count_nonzero(a > 0), A))
same("finfo, iinfo", lambda mx: (float(mx.finfo(mx.float32).max), int(mx.iinfo(mx.int32).max)))
same("empty", lambda mx: mx.empty((2, 3)).shape)
same("bitwise_left_shift", lambda mx: mx.bitwise_left_shift(mx.array([1, 2]), 2))
same("broadcast_shapes", lambda mx: mx.broadcast_shapes((2, 1), (3,)))

# ---------------------------------------------------------------------------
# G. item assignment and .at[]
# ---------------------------------------------------------------------------
same("item assignment", lambda mx: _setitem(mx))
same("item assignment of a traced value", lambda mx: mx.grad(_put_traced)(mx.array([1.0, 2.0])))
same(".at add with repeats", value_grad_jvp(lambda mx, a, v: a.at[mx.array([0, 0, 2])].add(v), A, A[:3], jvp=False))
same(".at subtract", value_grad_jvp(lambda mx, a: a.at[1].subtract(2.0), A))
same(".at maximum", value_grad_jvp(lambda mx, a, v: a.at[mx.array([0, 2])].maximum(v), A, A[1:3] * 2.0, jvp=False))
same(".at minimum", value_grad_jvp(lambda mx, a, v: a.at[mx.array([1])].minimum(v), A, A[:1] * 2.0, jvp=False))
same(".at maximum at ties: both get the gradient", lambda mx: mx.grad(lambda x, v: mx.sum(
    x.at[mx.array([0, 1])].maximum(v)), argnums=(0, 1))(mx.array([1.0, 2.0]), mx.array([1.0, 5.0])))
same(".at slice maximum", value_grad_jvp(lambda mx, a, v: a.at[1:3].maximum(v), A, A[:2] * 0.5, jvp=False))
same(".at slice add", value_grad_jvp(lambda mx, a, v: a.at[1:3].add(v), A, A[:2]))
same(".at slice multiply", value_grad_jvp(lambda mx, a, v: a.at[1:3].multiply(v), A, A[:2], jvp=False))
same(".at multiply value", lambda mx: mx.array([1.0, 2.0, 3.0]).at[mx.array([0, 0])].multiply(mx.array([2.0, 3.0])))
same(".at divide value", lambda mx: mx.array([1.0, 2.0, 3.0]).at[mx.array([1, 1])].divide(2.0))


def _setitem(mx):
    a = mx.array([1.0, 2.0, 3.0, 4.0])
    a[1] = 5.0
    a[mx.array([0, 3])] = mx.array([7.0, 8.0])
    a[2:] = 0.5
    b = mx.zeros((2, 3))
    b[:, 1] = mx.array([1.0, 2.0])
    return a, b


def _put_traced(x):
    y = mx_zeros_like(x)
    y[mx_index(x, [1])] = x[0] * 3.0
    return (y * x).sum()


def mx_zeros_like(x):
    return mlx.zeros(x.shape) if isinstance(x, mlx.array) else face.zeros(x.shape)


def mx_index(x, i):
    return mlx.array(i) if isinstance(x, mlx.array) else face.array(i)


# ---------------------------------------------------------------------------
# H. random: MLX's shapes and dtypes (the numbers themselves differ: see the differences below)
# ---------------------------------------------------------------------------
same("random.key", lambda mx: (mx.random.key(3).shape, dtype_name(mx.random.key(3))))
same("random.split", lambda mx: (mx.random.split(mx.random.key(0)).shape, mx.random.split(mx.random.key(0), 4).shape))
same("random.normal", lambda mx: (mx.random.normal((2, 3)).shape, dtype_name(mx.random.normal((2,)))))
same("random.uniform", lambda mx: (mx.random.uniform(shape=(4,)).shape, dtype_name(mx.random.uniform())))
same("random.uniform bounds", lambda mx: mx.random.uniform(mx.zeros((3,)), 1.0).shape)
same("random.randint", lambda mx: (mx.random.randint(0, 5, (3,)).shape, dtype_name(mx.random.randint(0, 5, (3,)))))
same("random.bernoulli", lambda mx: (mx.random.bernoulli(0.5, (3,)).shape, dtype_name(mx.random.bernoulli())))
same("random.bernoulli of an array", lambda mx: mx.random.bernoulli(mx.array([0.0, 1.0])).tolist())
same("random.categorical", lambda mx: (mx.random.categorical(mx.zeros((3, 4))).shape,
                                       dtype_name(mx.random.categorical(mx.zeros((3, 4))))))
same("random.categorical num_samples", lambda mx: mx.random.categorical(mx.zeros((3, 4)), num_samples=5).shape)
same("random.categorical shape", lambda mx: mx.random.categorical(mx.zeros((3, 4)), shape=(2, 3)).shape)
same("random.categorical of a sure thing",
     lambda mx: mx.random.categorical(mx.array([[0.0, 1e4, 0.0], [1e4, 0.0, 0.0]])).tolist())
same("random.permutation", lambda mx: (sorted(mx.random.permutation(6).tolist()),
                                       dtype_name(mx.random.permutation(6))))
same("random.permutation of an array", lambda mx: sorted(mx.random.permutation(mx.arange(5)).tolist()))
same("random.truncated_normal", lambda mx: (mx.random.truncated_normal(-1.0, 1.0, (3,)).shape,
                                            dtype_name(mx.random.truncated_normal(-1.0, 1.0))))
same("random.gumbel", lambda mx: (mx.random.gumbel((2,)).shape, dtype_name(mx.random.gumbel((2,)))))
same("random.normal float16", lambda mx: dtype_name(mx.random.normal((2,), dtype=mx.float16)))
same("random with a key is reproducible", lambda mx: mx.random.normal((3,), key=mx.random.key(5)).tolist()
     == mx.random.normal((3,), key=mx.random.key(5)).tolist())
same("random.seed is reproducible", lambda mx: _seeded(mx))


def _seeded(mx):
    mx.random.seed(11)
    a = mx.random.uniform(shape=(4,)).tolist()
    mx.random.seed(11)
    return a == mx.random.uniform(shape=(4,)).tolist()


# ---------------------------------------------------------------------------
# I. documented differences (docs/mlx.rst): both behaviours asserted
# ---------------------------------------------------------------------------
def _sorted_halves_ok(v):
    v = np.asarray(v).tolist()
    return sorted(v[:2]) == [1.0, 2.0] and v[2] == 3.0 and sorted(v[3:]) == [4.0, 5.0]


differs("partition: order inside each side", lambda mx: mx.partition(mx.array([3.0, 1.0, 2.0, 5.0, 4.0]), 2),
        returns(lambda v: np.asarray(v).tolist() == [2.0, 1.0, 3.0, 4.0, 5.0] and _sorted_halves_ok(v)),
        returns(_sorted_halves_ok))
differs("topk with k equal to the axis: order", lambda mx: mx.topk(mx.array([[3.0, 1.0], [0.0, 5.0]]), 2, axis=0),
        returns(lambda v: np.asarray(v).tolist() == [[3.0, 1.0], [0.0, 5.0]]),
        returns(lambda v: np.asarray(v).tolist() == [[0.0, 1.0], [3.0, 5.0]]))
differs("an int32 array times a Python float", lambda mx: dtype_name(mx.array([1, 2]) * 2.5),
        returns(lambda d: d == "float32"), returns(lambda d: d == "float64"))
differs("an int32 array divided by an int", lambda mx: dtype_name(mx.array([1, 2]) / 2),
        returns(lambda d: d == "float32"), returns(lambda d: d == "float64"))
differs("the jvp of max over int32 has a float tangent", lambda mx: dtype_name(
    mx.jvp(lambda x: mx.max(x), [mx.arange(3)], [mx.arange(3)])[1][0]),
    returns(lambda d: d == "int32"), returns(lambda d: d == "float64"))
differs("the jvp of max at a tie (MLX: the first maximum's tangent; its vjp shares)", lambda mx: (
    mx.jvp(lambda x: mx.max(x), [mx.array([1.0, 3.0, 3.0])], [mx.array([1.0, 2.0, 4.0])])[1][0].item(),
    mx.grad(lambda x: mx.max(x))(mx.array([1.0, 3.0, 3.0])).tolist()),
    returns(lambda v: v == (2.0, [0.0, 0.5, 0.5])), returns(lambda v: v == (3.0, [0.0, 0.5, 0.5])))
differs("grad of .at multiply (MLX has no vjp for scatter_prod)", lambda mx: mx.grad(
    lambda x: mx.sum(x.at[mx.array([0, 0])].multiply(mx.array([2.0, 3.0]))))(mx.array([1.0, 2.0])),
    raises(RuntimeError, "VJP not implemented for scatter_prod"),
    returns(lambda g: np.asarray(g).tolist() == [6.0, 1.0]))
differs("item assignment to a differentiated argument", lambda mx: mx.grad(_setitem_tracer)(mx.array([1.0, 2.0, 3.0])),
        returns(lambda g: np.asarray(g).tolist() == [1.0, 0.0, 1.0]),
        raises(TypeError, "scatter_set"))
differs("random numbers are numpy's, not MLX's", lambda mx: mx.random.normal((3,), key=mx.random.key(0)).tolist(),
        returns(lambda v: len(v) == 3),
        returns(lambda v: len(v) == 3 and v != np.array(mlx.random.normal((3,), key=mlx.random.key(0))).tolist()))
differs("bfloat16 does not exist", lambda mx: mx.bfloat16,
        returns(lambda d: True), raises(AttributeError))




# ---------------------------------------------------------------------------
# J. complex numbers: values, dtypes, and MLX's convention for their derivatives
#    (the gradient of a real loss L is dL/dx + i dL/dy; a cotangent g maps back
#    through a holomorphic f as g * conj(f'(z)); tangents as f'(z) t)
# ---------------------------------------------------------------------------
ZC = (A[:2, :3] + 1j * B[:2, :3] + 0.5).astype(np.complex64)  # no zeros, away from branch cuts
WC = (P[:2, :3] - 1j * A[1:3, :3]).astype(np.complex64)


def complex_case(f, *data, jvp=True):
    """f's value; the gradient of two real losses (real and imaginary parts, weighted); a complex jvp
    (``jvp=False`` where MLX has none: its cumulative prod/min/max and complex logcumsumexp)."""

    def case(mx):
        xs = [mx.array(d) for d in data]
        out = f(mx, *xs)
        w = mx.array(weights(out.shape))
        argnums = tuple(range(len(xs)))
        loss_re = mx.grad(lambda *v: mx.sum(mx.real(f(mx, *v)) * w), argnums=argnums)(*xs)
        loss_im = mx.grad(lambda *v: mx.sum(mx.imag(f(mx, *v)) * w), argnums=argnums)(*xs)
        if not jvp:
            return out, loss_re, loss_im
        tangents = [mx.array((weights(np.shape(d)) + 0.5j * weights(np.shape(d))[::-1]).astype(np.complex64))
                    for d in data]
        _, jv = mx.jvp(lambda *v: f(mx, *v), xs, tangents)
        return out, loss_re, loss_im, jv

    return case


same("array from a Python complex", lambda mx: mx.array(1.0 + 2.0j))
same("array from a complex list", lambda mx: mx.array([1.0 + 2.0j, 3.0]))
same("array from numpy complex128", lambda mx: mx.array(np.array([1.0 + 2.0j, -1.0j])))
same("array with dtype complex64", lambda mx: mx.array([1.0, 2.0], dtype=mx.complex64))
same("zeros complex64", lambda mx: mx.zeros((2,), dtype=mx.complex64))
same("astype float32 to complex64", lambda mx: mx.array([1.5, -2.0]).astype(mx.complex64))
same("astype complex64 to float32 keeps the real part", lambda mx: mx.array(ZC).astype(mx.float32))
same("float32 times a Python complex", lambda mx: mx.array([1.0, 2.0]) * (1.0 + 2.0j))
same("float32 plus complex64", lambda mx: mx.array([1.0, 2.0]) + mx.array([1.0j, 2.0]))
differs("int32 plus complex64 (numpy's promotion)", lambda mx: dtype_name(mx.array([1, 2]) + mx.array([1.0j, 2.0])),
        returns(lambda d: d == "complex64"), returns(lambda d: d == "complex128"))
same("complex equality", lambda mx: mx.array(ZC) == mx.array(ZC))
same("complex tests", lambda mx: (mx.isnan(mx.array(ZC)), mx.isinf(mx.array(ZC)), mx.isfinite(mx.array(ZC)),
                                  mx.not_equal(mx.array(ZC), mx.array(ZC)[0]), mx.array_equal(mx.array(ZC), ZC)))
same("complex item and tolist", lambda mx: (mx.array(ZC)[0, 0].item() == complex(ZC[0, 0]),
                                           mx.array([1.0 + 2.0j]).tolist()))
same("complex .real and .imag", lambda mx: (mx.array(ZC).real, mx.array(ZC).imag))
same("complex .conj()", lambda mx: mx.array(ZC).conj())
same("abs of complex (value, float32)", lambda mx: mx.abs(mx.array(ZC)))
for _label, _f in [
    ("add", lambda mx, z, w: z + w), ("subtract", lambda mx, z, w: mx.subtract(z, w)),
    ("multiply", lambda mx, z, w: z * w), ("divide", lambda mx, z, w: z / w),
    ("matmul", lambda mx, z, w: mx.matmul(z, w.T)),
    ("where", lambda mx, z, w: mx.where(mx.array([[True, False, True], [False, True, False]]), z, w)),
    ("concatenate", lambda mx, z, w: mx.concatenate([z, w], axis=1)),
]:
    same(f"complex {_label}: value, gradients, jvp", complex_case(_f, ZC, WC))
for _label, _f in [
    ("negative", lambda mx, z: -z), ("square", lambda mx, z: mx.square(z)), ("sqrt", lambda mx, z: mx.sqrt(z)),
    ("exp", lambda mx, z: mx.exp(z)), ("log", lambda mx, z: mx.log(z)), ("sin", lambda mx, z: mx.sin(z)),
    ("cos", lambda mx, z: mx.cos(z)), ("tan", lambda mx, z: mx.tan(z)), ("tanh", lambda mx, z: mx.tanh(z)),
    ("sinh", lambda mx, z: mx.sinh(z)), ("cosh", lambda mx, z: mx.cosh(z)), ("log2", lambda mx, z: mx.log2(z)),
    ("log10", lambda mx, z: mx.log10(z)), ("log1p", lambda mx, z: mx.log1p(z)),
    ("reciprocal", lambda mx, z: mx.reciprocal(z)),
    ("2.5 * z", lambda mx, z: 2.5 * z), ("z * 1j", lambda mx, z: z * 1j),
    ("conj", lambda mx, z: mx.conj(z)), ("conjugate", lambda mx, z: mx.conjugate(z)),
    ("real", lambda mx, z: mx.real(z)), ("imag", lambda mx, z: mx.imag(z)), ("abs", lambda mx, z: mx.abs(z)),
    ("z * conj(z)", lambda mx, z: z * mx.conj(z)), ("real(z) * imag(z)", lambda mx, z: mx.real(z) * mx.imag(z)),
    ("abs(z) ** 2", lambda mx, z: mx.abs(z) ** 2), ("sum", lambda mx, z: mx.sum(z, axis=1)),
    ("mean", lambda mx, z: mx.mean(z, axis=0)), ("prod", lambda mx, z: mx.prod(z, axis=1)),
    ("cumsum", lambda mx, z: mx.cumsum(z, axis=1)), ("reshape", lambda mx, z: mx.reshape(z, (3, 2))),
    ("transpose", lambda mx, z: mx.transpose(z)), ("getitem", lambda mx, z: z[1, ::2]),
    ("take", lambda mx, z: mx.take(z, mx.array([2, 0, 2]), axis=1)), ("flatten", lambda mx, z: mx.flatten(z)),
    ("pad", lambda mx, z: mx.pad(z, 1)), ("repeat", lambda mx, z: mx.repeat(z, 2, axis=0)),
    ("outer", lambda mx, z: mx.outer(z[0], z[1])), ("trace", lambda mx, z: mx.trace(z[:, :2])),
    ("inner", lambda mx, z: mx.inner(z, z)), ("tensordot", lambda mx, z: mx.tensordot(z, z, axes=([1], [1]))),
    ("diagonal", lambda mx, z: mx.diagonal(z)),
    ("moveaxis", lambda mx, z: mx.moveaxis(z, 0, 1)), ("swapaxes", lambda mx, z: mx.swapaxes(z, 0, 1)),
    ("expand_dims", lambda mx, z: mx.expand_dims(z, 1)), ("squeeze", lambda mx, z: mx.squeeze(z[:1])),
    ("unflatten", lambda mx, z: mx.unflatten(z, 1, (3, 1))), ("tile", lambda mx, z: mx.tile(z, (2, 1))),
    ("roll", lambda mx, z: mx.roll(z, 1, axis=1)), ("split", lambda mx, z: mx.split(z, 3, axis=1)[1]),
    ("unstack", lambda mx, z: mx.unstack(z)[1]), ("stack", lambda mx, z: mx.stack([z, z * 2.0])),
    ("broadcast_to", lambda mx, z: mx.broadcast_to(z[:1], (3, 3))), ("atleast_3d", lambda mx, z: mx.atleast_3d(z)),
    ("broadcast_arrays", lambda mx, z: mx.broadcast_arrays(z, z[:1])[1]),
    ("take_along_axis", lambda mx, z: mx.take_along_axis(z, mx.array([[2, 0], [1, 1]]), axis=1)),
    ("put_along_axis", lambda mx, z: mx.put_along_axis(z, mx.array([[1], [0]]), z[:, :1] * 2.0, axis=1)),
    ("slice_update", lambda mx, z: mx.slice_update(z, z[:1, :2] * 3.0, mx.array([1, 1]), axes=(0, 1))),
    ("stop_gradient", lambda mx, z: z * mx.stop_gradient(z)),
    # orderings are lexicographic (real part, then imaginary part), as numpy's
    ("max", lambda mx, z: mx.max(z, axis=1)), ("min", lambda mx, z: mx.min(z, axis=0)),
    ("max of all", lambda mx, z: mx.max(z)), ("sort", lambda mx, z: mx.sort(z, axis=1)),
    ("topk", lambda mx, z: mx.topk(z, 2, axis=1)), ("partition", lambda mx, z: mx.partition(z, 1, axis=1)),
    ("logsumexp", lambda mx, z: mx.logsumexp(z, axis=1)),
    ("var", lambda mx, z: mx.var(z, axis=1)), ("var, ddof 1", lambda mx, z: mx.var(z, ddof=1)),
    ("std", lambda mx, z: mx.std(z, axis=0)),
]:
    same(f"complex {_label}: value, gradients, jvp", complex_case(_f, ZC))
for _label, _f in [  # MLX has no jvp for these; ours is checked against finite differences (tests/test_complex.py)
    ("cummax", lambda mx, z: mx.cummax(z, axis=1)), ("cummin", lambda mx, z: mx.cummin(z, axis=0)),
]:
    same(f"complex {_label}: value, gradients", complex_case(_f, ZC, jvp=False))
same("complex cumprod: value", lambda mx: mx.cumprod(mx.array(ZC), axis=1))
same("complex logcumsumexp: value", lambda mx: mx.logcumsumexp(mx.array(ZC), axis=1))
same("complex argsort, argmax, argmin, argpartition (lexicographic)", lambda mx: (
    mx.argsort(mx.array(ZC), axis=1), mx.argmax(mx.array(ZC), axis=1), mx.argmin(mx.array(ZC), axis=0),
    mx.argpartition(mx.array(ZC), 1, axis=1)))
same("complex ties in real part are ordered by the imaginary part", lambda mx: (
    mx.sort(mx.array([1 + 2j, 1 - 1j, 0.5 + 9j])), mx.argmax(mx.array([1 + 2j, 1 - 1j, 0.5 + 9j]))))
same("complex: a real input's gradient is real", lambda mx: mx.grad(
    lambda x: mx.sum(mx.abs(x * (1.0 + 2.0j))))(mx.array([1.0, -2.0])))
same("complex: vjp with a complex cotangent", lambda mx: mx.vjp(
    lambda z: z * z, [mx.array(ZC)], [mx.array((1j * weights(ZC.shape)).astype(np.complex64))]))
same("complex: grad of a complex output uses cotangent 1", lambda mx: mx.grad(
    lambda z: mx.sum(z * z))(mx.array(ZC)))
same("complex: grad of abs at 0 is 0", lambda mx: mx.grad(lambda z: mx.sum(mx.abs(z)))(mx.array([0j, 1.0j])))


def _fd_gradient(loss, z, h=1e-6):
    """dL/dx + i dL/dy by central differences (complex128), for a numpy loss of a complex array."""
    z = np.asarray(z, np.complex128)
    g = np.zeros_like(z)
    for k in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[k] = h
        g[k] = (loss(z + e) - loss(z - e)) / (2 * h) + 1j * (loss(z + 1j * e) - loss(z - 1j * e)) / (2 * h)
    return g


def _matches(expected):
    return lambda v: np.allclose(np.asarray(v), expected, rtol=1e-3, atol=1e-3)


_ZP = np.array([1.0 + 2.0j, -0.5 + 0.3j], np.complex64)
_WP = np.array([0.5 - 0.2j, 1.5 + 0.1j], np.complex64)
_FD_CUBE = _fd_gradient(lambda z: np.sum(np.real(z ** 3)), _ZP)
differs("complex grad of z ** 3 (MLX's power vjp is not conjugated)",
        lambda mx: mx.grad(lambda z: mx.sum(mx.real(z ** 3)))(mx.array(_ZP)),
        returns(_matches(np.conj(_FD_CUBE))), returns(_matches(_FD_CUBE)))
_FD_POW = [_fd_gradient(lambda z: np.sum(np.real(z ** _WP.astype(complex))), _ZP),
           _fd_gradient(lambda w: np.sum(np.real(_ZP.astype(complex) ** w)), _WP)]
differs("complex grad of power(z, w) (MLX's power vjp is not conjugated)",
        lambda mx: mx.grad(lambda z, w: mx.sum(mx.real(mx.power(z, w))), argnums=(0, 1))(
            mx.array(_ZP), mx.array(_WP)),
        returns(lambda g: not _matches(_FD_POW[0])(g[0])),
        returns(lambda g: _matches(_FD_POW[0])(g[0]) and _matches(_FD_POW[1])(g[1])))
_W_ZC = weights(ZC.shape).astype(np.float64)
for _label, _numpy in [("cumprod", lambda z: np.cumprod(z, axis=1)),
                       ("logcumsumexp", lambda z: np.log(np.cumsum(np.exp(z), axis=1)))]:
    _fd = _fd_gradient(lambda z, f=_numpy: np.sum(np.real(f(z)) * _W_ZC), ZC)
    differs(f"complex grad of {_label} (MLX's vjp is not conjugated; its prod's is)",
            lambda mx, name=_label: mx.grad(lambda z: mx.sum(mx.real(getattr(mx, name)(z, axis=1)) *
                                                             mx.array(weights(ZC.shape))))(mx.array(ZC)),
            returns(_matches(np.conj(_fd))), returns(_matches(_fd)))
# d/dz of real((1 - i) * grad |z|²) = real((1 - i) 2z) = 2x + 2y: the gradient is 2 + 2i
differs("complex second derivative of abs(z) ** 2", lambda mx: mx.grad(
    lambda z: mx.sum(mx.real(mx.grad(lambda u: mx.sum(mx.abs(u) ** 2))(z) * mx.array([1.0 - 1.0j]))))(
    mx.array([1.0 + 2.0j])),
    returns(lambda g: not _matches([2.0 + 2.0j])(g)), returns(_matches([2.0 + 2.0j])))
same_class("complex sigmoid is refused", lambda mx: mx.sigmoid(mx.array(ZC)))
same_class("complex floor is refused", lambda mx: mx.floor(mx.array(ZC)))
same_class("complex arctan2 is refused", lambda mx: mx.arctan2(mx.array(ZC), mx.array(ZC)))
for _label, _f in [("maximum", lambda mx, z: mx.maximum(z, z)), ("minimum", lambda mx, z: mx.minimum(z, z)),
                   ("sign", lambda mx, z: mx.sign(z)), ("median", lambda mx, z: mx.median(z))]:
    differs(f"complex {_label}: computed by MLX, refused by microgradx",
            lambda mx, f=_f: f(mx, mx.array(ZC)), returns(lambda v: True),
            raises(ValueError, f"{_label}: a is complex"))


def _jvp_of(f):
    return lambda mx: mx.jvp(lambda x: f(mx, x), [mx.array(Z)], [mx.ones(Z.shape)])[1][0]


def _jvp_is_finite_difference(f):
    def check(o: Outcome):
        assert o.error is None, f"expected a tangent, got {type(o.error).__name__}: {o.error}"
        h = 1e-3
        plus = np.asarray(f(face, face.array(Z + h)), np.float64)
        minus = np.asarray(f(face, face.array(Z - h)), np.float64)
        assert np.allclose(np.asarray(o.value), (plus - minus) / (2 * h), rtol=1e-3, atol=1e-3)

    return check


for _label, _f, _msg in [
    ("cumprod", lambda mx, x: mx.cumprod(x, axis=1), "JVP is not implemented for cumulative prod/min/max"),
    ("cummax", lambda mx, x: mx.cummax(x * 0.5 + 0.1, axis=1), "JVP is not implemented for cumulative prod/min/max"),
    ("cummin", lambda mx, x: mx.cummin(x + 0.1, axis=0), "JVP is not implemented for cumulative prod/min/max"),
    (".at add", lambda mx, x: x.at[mx.array([0, 0])].add(x[1]), "[scatter] JVP not yet implemented"),
    (".at maximum", lambda mx, x: x.at[mx.array([1])].maximum(x[:1] + 0.5), "[scatter] JVP not yet implemented"),
    (".at slice multiply", lambda mx, x: x.at[0:1].multiply(x[1:2]), "[SliceUpdate] JVP for product"),
]:
    differs(f"jvp of {_label} (MLX has none)", _jvp_of(_f), raises(RuntimeError, _msg), _jvp_is_finite_difference(_f))


def _addmm_jvp(mx):
    c, a, b = mx.array(A[:, :3]), mx.array(A), mx.array(P.T)
    ones = [mx.ones(v.shape) for v in (c, a, b)]
    return mx.jvp(lambda c, a, b: mx.addmm(c, a, b, alpha=2.0, beta=0.5), [c, a, b], ones)[1][0]


_ADDMM_RIGHT = 2.0 * (np.ones((3, 4)) @ P.T + A @ np.ones((4, 3))) + 0.5
differs("jvp of addmm with alpha and beta (MLX drops them)", _addmm_jvp,
        returns(lambda t: np.allclose(np.asarray(t), _ADDMM_RIGHT / 2.0 + 0.75, atol=1e-4)
                and not np.allclose(np.asarray(t), _ADDMM_RIGHT, atol=1e-3)),
        returns(lambda t: np.allclose(np.asarray(t), _ADDMM_RIGHT, atol=1e-4)))


def _setitem_tracer(x):
    x[1] = 2.0
    return x.sum()


# ---------------------------------------------------------------------------
# vmap (issue 14): values, shapes, dtypes and the errors for bad in_axes/out_axes
# ---------------------------------------------------------------------------
V3 = RNG.uniform(-1.0, 1.0, (2, 3, 4)).astype(np.float32)
VW = RNG.uniform(-1.0, 1.0, (4, 2)).astype(np.float32)
VY = RNG.uniform(-1.0, 1.0, (3, 2)).astype(np.float32)


def _example_loss(mx):
    return lambda w, x, y: mx.sum((mx.tanh(x @ w) - y) ** 2)


for _label, _f in [
    ("elementwise", lambda mx: mx.vmap(lambda x: x * 2.0 + 1.0)(mx.array(A))),
    ("sum, in_axes=1", lambda mx: mx.vmap(lambda x: mx.sum(x), in_axes=1)(mx.array(A))),
    ("an unbatched argument", lambda mx: mx.vmap(lambda x, y: x * y, in_axes=(0, None))(mx.array(A), mx.array(B[0]))),
    ("broadcasting a lower-rank batch", lambda mx: mx.vmap(lambda x, y: x + y, in_axes=(0, 2))(
        mx.array(A[:, :3]), mx.array(V3[:, :, :3]))),
    ("vector @ matrix", lambda mx: mx.vmap(lambda x, w: x @ w, in_axes=(0, None))(mx.array(A), mx.array(VW))),
    ("matrix @ vector, in_axes=1", lambda mx: mx.vmap(lambda w, x: w @ x, in_axes=(None, 1))(
        mx.array(A), mx.array(B.T))),
    ("batched matrices", lambda mx: mx.vmap(lambda a, b: a @ b, in_axes=(0, 2))(
        mx.array(V3), mx.array(np.repeat(VW[:, None, :], 3, axis=1)))),
    ("out_axes=1", lambda mx: mx.vmap(lambda x: mx.exp(x), out_axes=1)(mx.array(A))),
    ("out_axes=-1", lambda mx: mx.vmap(lambda x: x * x, out_axes=-1)(mx.array(V3))),
    ("max over an axis, in_axes=2", lambda mx: mx.vmap(lambda x: mx.max(x, axis=0), in_axes=2)(mx.array(V3))),
    ("mean keepdims", lambda mx: mx.vmap(lambda x: mx.mean(x, axis=-1, keepdims=True), in_axes=1)(mx.array(V3))),
    ("reshape, transpose, index", lambda mx: mx.vmap(lambda x: x.reshape(2, 2).T[0])(mx.array(A))),
    ("concatenate with an unbatched piece", lambda mx: mx.vmap(lambda x, y: mx.concatenate([x, y]), in_axes=(0, None))(
        mx.array(A), mx.array(B[0]))),
    ("index with an array", lambda mx: mx.vmap(lambda x: x[mx.array([2, 0, 2])])(mx.array(A))),
    ("take", lambda mx: mx.vmap(lambda x: mx.take(x, mx.array([1, 1]), axis=0), in_axes=1)(mx.array(V3))),
    ("logsumexp and softmax", lambda mx: mx.vmap(lambda x: (mx.logsumexp(x), mx.softmax(x)))(mx.array(A))),
    ("where", lambda mx: mx.vmap(lambda x: mx.where(x > 0, x, 0.1 * x))(mx.array(A))),
    ("cumsum", lambda mx: mx.vmap(lambda x: mx.cumsum(x, axis=0), in_axes=1)(mx.array(V3))),
    ("pad", lambda mx: mx.vmap(lambda x: mx.pad(x, [(1, 2)]))(mx.array(A))),
    ("expand_dims, squeeze, stack", lambda mx: mx.vmap(
        lambda x: mx.stack([x, mx.squeeze(mx.expand_dims(x, 0), 0)], axis=1))(mx.array(A))),
    ("int32 keeps its dtype", lambda mx: mx.vmap(lambda x: x + 1)(mx.array([[1, 2], [3, 4]]))),
    ("an output that ignores the batch is repeated", lambda mx: mx.vmap(lambda x: mx.array(1.0))(mx.array(A))),
    ("tuple out_axes", lambda mx: mx.vmap(lambda x: (x, x * 2.0), out_axes=(0, 1))(mx.array(A))),
    ("of grad: per-example gradients", lambda mx: mx.vmap(mx.grad(_example_loss(mx)), in_axes=(None, 0, 0))(
        mx.array(VW), mx.array(A), mx.array(VY))),
    ("of value_and_grad", lambda mx: mx.vmap(mx.value_and_grad(_example_loss(mx)), in_axes=(None, 0, 0))(
        mx.array(VW), mx.array(A), mx.array(VY))),
    ("under grad", lambda mx: mx.grad(lambda w: mx.sum(mx.vmap(lambda x: mx.tanh(x @ w))(mx.array(A))))(mx.array(VW))),
    ("under jvp", lambda mx: mx.jvp(mx.vmap(lambda x: mx.sin(x) * x), [mx.array(A)], [mx.array(B)])),
    ("under vjp", lambda mx: mx.vjp(mx.vmap(lambda x: mx.sin(x) * mx.sum(x)), [mx.array(A)], [mx.array(B)])),
    ("of jvp", lambda mx: mx.vmap(lambda x, t: mx.jvp(lambda u: mx.sin(u) * mx.sum(u), [x], [t])[1][0])(
        mx.array(A), mx.array(B))),
    ("of vmap", lambda mx: mx.vmap(mx.vmap(lambda x: x * x + 1.0), in_axes=1)(mx.array(V3))),
    ("of vmap with reductions", lambda mx: mx.vmap(mx.vmap(lambda x, y: mx.sum(x * y), in_axes=(0, None)),
                                                   in_axes=(1, None))(mx.array(V3), mx.array(A[0]))),
    # the errors: same class and message
    ("inconsistent sizes", lambda mx: mx.vmap(lambda a, b: a + b)(mx.array(A), mx.array(B[:2]))),
    ("in_axes out of range", lambda mx: mx.vmap(lambda x: x, in_axes=2)(mx.array(A))),
    ("a negative in_axes out of range", lambda mx: mx.vmap(lambda x: x, in_axes=-3)(mx.array(A))),
    ("out_axes out of range", lambda mx: mx.vmap(lambda x: x, out_axes=2)(mx.array(A))),
    ("a negative out_axes out of range", lambda mx: mx.vmap(lambda x: x, out_axes=-3)(mx.array(A))),
    ("a float in_axes", lambda mx: mx.vmap(lambda x: x, in_axes=1.5)(mx.array(A))),
    ("a string in_axes", lambda mx: mx.vmap(lambda x: x, in_axes="a")(mx.array(A))),
    ("a float out_axes", lambda mx: mx.vmap(lambda x: x, out_axes=1.5)(mx.array(A))),
    ("in_axes of the wrong length", lambda mx: mx.vmap(lambda x: x, in_axes=(0, 0))(mx.array(A))),
    ("out_axes shorter than the outputs", lambda mx: mx.vmap(lambda x: (x, x), out_axes=(0,))(mx.array(A))),
    ("a tuple out_axes for one output", lambda mx: mx.vmap(lambda x: x, out_axes=(0, 0))(mx.array(A))),
    ("a dict out_axes for a tuple", lambda mx: mx.vmap(lambda x: (x, x), out_axes={"a": 0})(mx.array(A))),
    ("a None entry in out_axes", lambda mx: mx.vmap(lambda x: (x, x), out_axes=(0, None))(mx.array(A))),
    ("every in_axes None", lambda mx: mx.vmap(lambda x: x, in_axes=(None,))(mx.array(A))),
    ("an output that is None", lambda mx: mx.vmap(lambda x: None)(mx.array(A))),
    ("an output that is a string", lambda mx: mx.vmap(lambda x: "a")(mx.array(A))),
    ("batching a scalar", lambda mx: mx.vmap(lambda x: x)(mx.array(1.0))),
]:
    same(f"vmap {_label}", _f)

same_class("vmap in_axes=None", lambda mx: mx.vmap(lambda x: x, in_axes=None))
same_class("vmap out_axes=None", lambda mx: mx.vmap(lambda x: x, out_axes=None))


def _reads_a_value(mx):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mx.vmap(lambda x: x * 2.0 if x[0].item() > 0 else x)(mx.array(A))


differs("vmap of code that reads a value (microgradx loops, with a warning)", _reads_a_value,
        raises(ValueError, "[eval] Attempting to eval an array during function transformations"),
        returns(lambda t: np.allclose(np.asarray(t), np.where(A[:, :1] > 0, 2 * A, A))))
differs("vmap with a dict prefix in in_axes (JAX's trees)", lambda mx: mx.vmap(
    lambda d: d["p"] * d["q"], in_axes=({"p": 1, "q": 0},))({"p": mx.array(A[:, :3]), "q": mx.array(B[0, :3])}),
        raises(ValueError, "[tree_map] Additional input tree is not a valid prefix"),
        returns(lambda t: np.allclose(np.asarray(t), A[:, :3].T * B[0, :3, None])))
differs("vmap with a list out_axes for a tuple output", lambda mx: mx.vmap(lambda x: (x, x), out_axes=[0, 1])(
    mx.array(A)), raises(ValueError, "[tree_map] Additional input tree is not a valid prefix"),
        returns(lambda t: np.allclose(np.asarray(t[1]), A.T)))


# ---------------------------------------------------------------------------
# the tests
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_face_conformance(case):
    check_case(case)


def test_case_names_are_unique():
    assert len({c.name for c in CASES}) == len(CASES)


def test_the_comparison_checks_dtypes():
    with pytest.raises(AssertionError, match="dtype"):
        assert_same(mlx.array([1.0]), face.array(np.array([1.0], np.float64)).astype(np.float64))
    with pytest.raises(AssertionError, match="values"):
        assert_same(mlx.array([1.0]), face.array([2.0]))


def docs_table() -> dict[str, str]:
    """docs/mlx.rst's table of ``mlx.core`` names: name -> status (each row lists names, then a status)."""
    text = (Path(__file__).parents[1] / "docs" / "mlx.rst").read_text(encoding="utf-8")
    table = text[text.index("Every ``mlx.core`` name"):]
    status = {}
    for names, state in re.findall(r"^   \* - (.+)\n     - (.+)$", table, re.M):
        for name in re.findall(r"``(\w+)``", names):
            assert name not in status, f"{name} is listed twice"
            status[name] = state
    return status


def test_docs_table_lists_every_mlx_core_name_once():
    status = docs_table()
    public = {n for n in dir(mlx) if not n.startswith("_")}
    assert set(status) == public, f"missing: {sorted(public - set(status))}; extra: {sorted(set(status) - public)}"
    for name, state in status.items():
        assert state in ("provided", "provided, differs", "not provided")
        if state.startswith("provided"):
            assert name in face.__dict__, f"the table says mlx.core.{name} is provided"


def covered_names() -> set[str]:
    """The ``mlx.core`` public names that the two batteries call (``mx.X`` here, ``L.X`` in the other)."""
    public = {n for n in dir(mlx) if not n.startswith("_")}
    here = Path(__file__).read_text(encoding="utf-8")
    other = (Path(__file__).parent / "test_mlx_conformance.py").read_text(encoding="utf-8")
    names = set(re.findall(r"\bmx\.(\w+)", here)) | set(re.findall(r"\bL\.(\w+)", other))
    names |= {m for m in re.findall(r'"(\w+)"', here) if m in public}  # names looped over as strings
    return names & public


def main() -> int:
    counts = {"same": 0, "same_class": 0, "differs": 0}
    failed = []
    for case in CASES:
        try:
            counts[check_case(case)] += 1
        except AssertionError as exc:
            failed.append((case.name, str(exc)))
    public = {n for n in dir(mlx) if not n.startswith("_")}
    print(f"MLX {mlx.__version__} vs microgradx.mlx.core ({mgx.backend()} backend)")
    print(f"cases run: {len(CASES)}")
    print(f"  identical (values, dtypes, shapes; or exception class and message): {counts['same']}")
    print(f"  identical exception class: {counts['same_class']}")
    print(f"  documented differences, both behaviours asserted: {counts['differs']}")
    print(f"  failing: {len(failed)}")
    for name, msg in failed:
        print(f"    - {name}: {msg}")
    print(f"mlx.core public names exercised by the two batteries: {len(covered_names())} of {len(public)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
