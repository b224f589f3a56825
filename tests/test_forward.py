"""Forward mode: Dual numbers on every operation, jvp, and jvp's checks."""

from __future__ import annotations

import numpy as np
import pytest

import microgradx as mgx
from microgradx import ops

RNG = np.random.default_rng(7)
X = RNG.uniform(0.2, 0.9, (2, 3))  # positive, away from kinks and ties
Y = RNG.uniform(0.2, 0.9, (2, 3))
TX = RNG.standard_normal((2, 3))
TY = RNG.standard_normal((2, 3))

# name -> function of two array-like operands; covers every differentiable mgx function and the operators
FUNCTIONS = {
    "add": lambda x, y: mgx.add(x, y), "subtract": lambda x, y: mgx.subtract(x, y),
    "multiply": lambda x, y: mgx.multiply(x, y), "divide": lambda x, y: mgx.divide(x, y),
    "power": lambda x, y: mgx.power(x, y), "negative": lambda x, y: mgx.negative(x),
    "square": lambda x, y: mgx.square(x), "sqrt": lambda x, y: mgx.sqrt(x), "abs": lambda x, y: mgx.abs(x - 0.5),
    "exp": lambda x, y: mgx.exp(x), "log": lambda x, y: mgx.log(x), "sin": lambda x, y: mgx.sin(x),
    "cos": lambda x, y: mgx.cos(x), "tanh": lambda x, y: mgx.tanh(x), "sigmoid": lambda x, y: mgx.sigmoid(x),
    "relu": lambda x, y: mgx.relu(x - 0.5), "maximum": lambda x, y: mgx.maximum(x, y),
    "minimum": lambda x, y: mgx.minimum(x, y), "clip": lambda x, y: mgx.clip(x, 0.3, 0.8),
    "where": lambda x, y: mgx.where(X > Y, x, y), "sum": lambda x, y: mgx.sum(x, axis=1),
    "mean": lambda x, y: mgx.mean(x), "max": lambda x, y: mgx.max(x, axis=0), "min": lambda x, y: mgx.min(x),
    "var": lambda x, y: mgx.var(x), "std": lambda x, y: mgx.std(x, axis=1),
    "logsumexp": lambda x, y: mgx.logsumexp(x, axis=1), "softmax": lambda x, y: mgx.softmax(x, axis=1),
    "log_softmax": lambda x, y: mgx.log_softmax(x, axis=1), "matmul": lambda x, y: mgx.matmul(x, mgx.transpose(y)),
    "reshape": lambda x, y: mgx.reshape(x, (3, 2)), "transpose": lambda x, y: mgx.transpose(x),
    "swapaxes": lambda x, y: mgx.swapaxes(x, 0, 1), "expand_dims": lambda x, y: mgx.expand_dims(x, 0),
    "squeeze": lambda x, y: mgx.squeeze(mgx.expand_dims(x, 0)),
    "broadcast_to": lambda x, y: mgx.broadcast_to(x, (4, 2, 3)),
    "concatenate": lambda x, y: mgx.concatenate([x, y], axis=1), "stack": lambda x, y: mgx.stack([x, y]),
    "flatten": lambda x, y: mgx.flatten(x), "astype": lambda x, y: mgx.astype(x, np.float64),
    "take": lambda x, y: mgx.take(x, [2, 0, 2], axis=1), "getitem": lambda x, y: x[1, ::-1],
    "fancy index": lambda x, y: x[[0, 1, 1], [2, 0, 0]], "mask index": lambda x, y: x[X > 0.5],
    "operators": lambda x, y: (2.0 - x) * y / (1.0 + x) ** 2 - x ** 0.5 + 3.0 ** y,
    "methods": lambda x, y: x.T.reshape(6).exp().sum() + x.tanh().mean(axis=0).sum(),
    "numpy ufunc": lambda x, y: np.exp(x) * np.sin(y),
    "ndarray on the left": lambda x, y: np.ones(3) + x,
}
# added with the MLX face (issue 13)
FUNCTIONS.update({
    "tan": lambda x, y: mgx.tan(x), "sinh": lambda x, y: mgx.sinh(x), "cosh": lambda x, y: mgx.cosh(x),
    "arcsin": lambda x, y: mgx.arcsin(x), "arccos": lambda x, y: mgx.arccos(x), "arctan": lambda x, y: mgx.arctan(x),
    "arcsinh": lambda x, y: mgx.arcsinh(x), "arccosh": lambda x, y: mgx.arccosh(x + 1.0),
    "arctanh": lambda x, y: mgx.arctanh(x), "log1p": lambda x, y: mgx.log1p(x), "expm1": lambda x, y: mgx.expm1(x),
    "log2": lambda x, y: mgx.log2(x), "log10": lambda x, y: mgx.log10(x), "erf": lambda x, y: mgx.erf(x),
    "reciprocal": lambda x, y: mgx.reciprocal(x), "rsqrt": lambda x, y: mgx.rsqrt(x),
    "degrees": lambda x, y: mgx.degrees(x), "radians": lambda x, y: mgx.radians(x),
    "nan_to_num": lambda x, y: mgx.nan_to_num(x), "arctan2": lambda x, y: mgx.arctan2(x, y),
    "remainder": lambda x, y: mgx.remainder(x, y * 0.3), "divmod": lambda x, y: mgx.divmod(x, y * 0.3)[1],
    "logaddexp": lambda x, y: mgx.logaddexp(x, y), "prod": lambda x, y: mgx.prod(x, axis=1),
    "cumsum": lambda x, y: mgx.cumsum(x, axis=1, reverse=True), "cumprod": lambda x, y: mgx.cumprod(x, axis=1),
    "cummax": lambda x, y: mgx.cummax(x, axis=1), "cummin": lambda x, y: mgx.cummin(x, axis=0),
    "logcumsumexp": lambda x, y: mgx.logcumsumexp(x, axis=1), "median": lambda x, y: mgx.median(x, axis=1),
    "sort": lambda x, y: mgx.sort(x, axis=1), "topk": lambda x, y: mgx.topk(x, 2), "partition": lambda x, y:
    mgx.partition(x, 1), "take_along_axis": lambda x, y: mgx.take_along_axis(x, np.array([[2, 0], [1, 1]]), 1),
    "put_along_axis": lambda x, y: mgx.put_along_axis(x, np.array([[2], [0]]), y[:, :1], 1),
    "pad": lambda x, y: mgx.pad(x, 1), "split": lambda x, y: mgx.split(x, [1], axis=1)[1],
    "repeat": lambda x, y: mgx.repeat(x, 2, axis=0), "tile": lambda x, y: mgx.tile(x, (2, 1)),
    "roll": lambda x, y: mgx.roll(x, 1, axis=1), "moveaxis": lambda x, y: mgx.moveaxis(x, 0, 1),
    "unflatten": lambda x, y: mgx.unflatten(x, 1, (3, 1)), "unstack": lambda x, y: mgx.unstack(x)[1],
    "slice_update": lambda x, y: mgx.slice_update(x, y[:1, :2], [1, 1]),
    "scatter_set": lambda x, y: mgx.scatter_set(x, y[0], 1), "tril": lambda x, y: mgx.tril(x),
    "triu": lambda x, y: mgx.triu(x, 1), "diag": lambda x, y: mgx.diag(x[0]), "diagonal": lambda x, y: mgx.diagonal(x),
    "trace": lambda x, y: mgx.trace(x), "outer": lambda x, y: mgx.outer(x, y),
    "inner": lambda x, y: mgx.inner(x, y), "tensordot": lambda x, y: mgx.tensordot(x, y, ([1], [1])),
    "addmm": lambda x, y: mgx.addmm(x[:, :2], x, mgx.transpose(y)[:, :2], alpha=2.0),
    "meshgrid": lambda x, y: mgx.meshgrid(x[0], y[1])[1], "atleast_1d": lambda x, y: mgx.atleast_1d(x),
    "atleast_2d": lambda x, y: mgx.atleast_2d(x[0]), "atleast_3d": lambda x, y: mgx.atleast_3d(x),
    "broadcast_arrays": lambda x, y: mgx.broadcast_arrays(x, y[0])[1],
    "at add": lambda x, y: x.at[[0, 0]].add(y[0]), "at multiply": lambda x, y: x.at[[0, 0]].multiply(y[0]),
    "at divide": lambda x, y: x.at[1].divide(y[0]), "at maximum": lambda x, y: x.at[[1, 0]].maximum(y[::-1]),
    "at minimum": lambda x, y: x.at[0].minimum(y[1]), "at subtract": lambda x, y: x.at[:, 1].subtract(y[:, 0]),
})
MISSING = {"array", "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye", "linspace",  # creation
           "argmax", "argmin", "stop_gradient",  # no derivative
           "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",  # comparisons
           # added with the MLX face: no derivative (rounding, logic, bits, tests, indices, constants)
           "sign", "floor", "ceil", "round", "trunc", "isnan", "isinf", "isfinite", "floor_divide",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_invert", "left_shift", "right_shift", "isclose", "allclose", "array_equal", "all", "any",
           "argsort", "argpartition", "tri",
           # complex numbers: their forward derivatives are checked in tests/test_complex.py
           "conj", "conjugate", "real", "imag"}


def test_every_function_is_covered():
    assert set(ops.__all__) - set(FUNCTIONS) == MISSING


@pytest.mark.parametrize("name", FUNCTIONS)
def test_dual_tangent_matches_central_differences(name):
    f = FUNCTIONS[name]
    out = f(mgx.Dual(X, TX), mgx.Dual(Y, TY))
    assert isinstance(out, mgx.Dual)
    h = 1e-6
    plus = np.asarray(f(mgx.array(X + h * TX), mgx.array(Y + h * TY)))
    minus = np.asarray(f(mgx.array(X - h * TX), mgx.array(Y - h * TY)))
    assert np.allclose(np.asarray(out.primal), np.asarray(f(mgx.array(X), mgx.array(Y))))
    assert np.shape(out.tangent) == np.shape(out.primal)
    assert np.allclose(np.asarray(out.tangent), (plus - minus) / (2 * h), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_jvp_agrees_with_reverse_mode(name):
    # <J·t, c> computed by forward mode equals <t, Jᵀ·c> computed by reverse mode
    f = FUNCTIONS[name]
    (out,), (tangent,) = mgx.jvp(f, [X, Y], [TX, TY])
    c = RNG.standard_normal(out.shape)
    _, (cx, cy) = mgx.vjp(f, [X, Y], [c])
    assert np.sum(np.asarray(tangent) * c) == pytest.approx(np.sum(cx * TX) + np.sum(cy * TY), rel=1e-9, abs=1e-12)


def test_constants_have_no_tangent():
    d = mgx.Dual(X, TX)
    assert isinstance(mgx.stop_gradient(d), mgx.Tensor)
    assert np.asarray(mgx.argmax(d)).item() == int(np.argmax(X))
    assert np.asarray(mgx.equal(d, X)).all()
    assert np.asarray(mgx.zeros_like(d)).shape == X.shape


def test_repr_shows_epsilon():
    assert repr(mgx.Dual(3.0, 2.0)) == "Dual(3.0 + 2.0ε)"
    assert repr(mgx.Dual(3.0, 1.0) * mgx.Dual(3.0, 1.0)) == "Dual(9.0 + 6.0ε)"
    assert repr(1.0 / mgx.Dual(2.0, 1.0)) == "Dual(0.5 - 0.25ε)"
    assert repr(mgx.Dual([1.0, 2.0], [0.5, 0.0])) == "Dual([1., 2.] + [0.5, 0. ]ε)"
    assert repr(mgx.Dual(2.0)) == "Dual(2.0 + 0.0ε)"


def test_epsilon_squared_is_zero():
    eps = mgx.Dual(0.0, 1.0)
    sq = eps * eps
    assert (sq.primal, sq.tangent) == (0.0, 0.0)
    # (a + bε)(c + dε) = ac + (ad + bc)ε
    p = mgx.Dual(2.0, 3.0) * mgx.Dual(5.0, 7.0)
    assert (p.primal, p.tangent) == (10.0, 2.0 * 7.0 + 3.0 * 5.0)


def test_mismatched_shapes_name_both():
    with pytest.raises(ValueError, match=r"primal has shape \(2,\) but tangent has shape \(3,\)"):
        mgx.Dual(np.zeros(2), np.zeros(3))
    with pytest.raises(TypeError):
        mgx.Dual("a", 1.0)
    with pytest.raises(TypeError):
        mgx.Dual(None)


def test_dual_parts_may_be_tensors_arrays_or_numbers():
    for primal, tangent in [(2.0, 1.0), (np.array(2.0), np.array(1.0)), (mgx.array(2.0), mgx.array(1.0)), (2, 1)]:
        d = mgx.Dual(primal, tangent) ** 3
        assert float(np.asarray(d.primal)) == 8.0 and float(np.asarray(d.tangent)) == 12.0


def test_hand_made_duals_share_one_epsilon_and_jvp_levels_do_not():
    x = mgx.Dual(3.0, 1.0)
    assert (x * x).tangent == 6.0  # one ε: d/dx x²
    # inside jvp a hand-made Dual is a constant of that level's perturbation, and keeps its own ε
    _, (t,) = mgx.jvp(lambda y: y * mgx.Dual(2.0, 1.0), [3.0], [1.0])
    assert isinstance(t, mgx.Dual) and (t.primal, t.tangent) == (2.0, 1.0)  # d/dy(y·x) = x = 2 + ε


def test_jvp_with_tensor_inputs_of_any_shape():
    x = RNG.standard_normal((2, 3, 4))
    t = RNG.standard_normal((2, 3, 4))
    (out,), (tangent,) = mgx.jvp(lambda x: mgx.sum(mgx.tanh(x), axis=(0, 2)), [mgx.array(x)], [mgx.array(t)])
    assert out.shape == tangent.shape == (3,)
    assert np.allclose(np.asarray(tangent), np.sum(t * (1 - np.tanh(x) ** 2), axis=(0, 2)))


def test_jvp_returns_lists_of_tensors():
    outs, tans = mgx.jvp(lambda x, y: (x * y, x + y), [2.0, 3.0], [1.0, 0.0])
    assert isinstance(outs, list) and isinstance(tans, list)
    assert all(isinstance(v, mgx.Tensor) for v in outs + tans)
    assert [float(v) for v in outs + tans] == [6.0, 5.0, 3.0, 1.0]


def test_jvp_errors():
    with pytest.raises(ValueError, match=r"^\[jvp\] Number of inputs does not match number of tangents\.$"):
        mgx.jvp(lambda x, y: x * y, [1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match=r"^\[jvp\] Input shape does not match shape of tangent\.$"):
        mgx.jvp(lambda x: x, [np.zeros(2)], [np.zeros(3)])
    with pytest.raises(RuntimeError, match="returned a NoneType"):
        mgx.jvp(lambda x: None, [1.0], [1.0])
    with pytest.raises(RuntimeError, match="element 0 is a float"):
        mgx.jvp(lambda x: (1.0, x), [1.0], [1.0])
    with pytest.raises(TypeError, match=r"primals\[0\] must be an array"):
        mgx.jvp(lambda x: x, ["a"], [1.0])
    with pytest.raises(TypeError, match="tangents must be a list or tuple"):
        mgx.jvp(lambda x: x, [1.0], 1.0)
    with pytest.raises(TypeError, match="fun must be callable"):
        mgx.jvp(None, [1.0], [1.0])


def test_nested_jvp_keeps_its_tangents_apart():
    # d/dx d/dy (x·y·y) at x = 2, y = 3: inner = 2xy, outer = 2y = 6
    inner = lambda x: mgx.jvp(lambda y: x * y * y, [3.0], [1.0])[1][0]  # noqa: E731
    assert float(mgx.jvp(inner, [2.0], [1.0])[1][0]) == 6.0


def test_forward_mode_on_an_eager_tensor_records_for_backward():
    w = mgx.Tensor(2.0)
    d = mgx.Dual(w, 1.0) ** 3  # tangent 3w² is an eager Tensor
    d.tangent.backward()
    assert float(w.grad) == 12.0  # d/dw (3w²)
