"""The array functions added with the MLX face: derivatives of order 1 and 2, forward and reverse mode,
against finite differences (``mgx.check_grad``), plus the exact values of the tricky cases."""

from __future__ import annotations

import numpy as np
import pytest

import microgradx as mgx

RNG = np.random.default_rng(5)
X = RNG.uniform(-0.9, 0.9, (3, 4))  # distinct values: no ties
P = RNG.uniform(0.2, 0.9, (3, 4))
Z = np.array([[2.0, 0.0, 3.0, -1.0], [1.5, -2.0, 0.0, 0.0]])  # zeros: products need exact rules there

CASES = {
    "tan": (lambda x: mgx.tan(x), X), "sinh": (lambda x: mgx.sinh(x), X), "cosh": (lambda x: mgx.cosh(x), X),
    "arcsin": (lambda x: mgx.arcsin(x), X), "arccos": (lambda x: mgx.arccos(x), X),
    "arctan": (lambda x: mgx.arctan(x), X), "arcsinh": (lambda x: mgx.arcsinh(x), X),
    "arccosh": (lambda x: mgx.arccosh(x + 2.0), X), "arctanh": (lambda x: mgx.arctanh(x), X),
    "log1p": (lambda x: mgx.log1p(x), X), "expm1": (lambda x: mgx.expm1(x), X), "log2": (lambda x: mgx.log2(x), P),
    "log10": (lambda x: mgx.log10(x), P), "erf": (lambda x: mgx.erf(x), X), "rsqrt": (lambda x: mgx.rsqrt(x), P),
    "arctan2": (lambda x: mgx.arctan2(x, x[::-1] + 2.0), X), "remainder": (lambda x: mgx.remainder(x * 3.0, P), X),
    "logaddexp": (lambda x: mgx.logaddexp(x * 30.0, x[::-1]), X), "prod": (lambda x: mgx.prod(x, axis=1), X),
    "prod with zeros": (lambda x: mgx.prod(x, axis=1), Z), "prod of all": (lambda x: mgx.prod(x), Z[:, :3]),
    "cumsum": (lambda x: mgx.cumsum(x, axis=1, reverse=True, inclusive=False), X),
    "cumprod": (lambda x: mgx.cumprod(x, axis=1), X), "cumprod with zeros": (lambda x: mgx.cumprod(x, axis=1), Z),
    "cumprod reverse exclusive": (lambda x: mgx.cumprod(x, axis=0, reverse=True, inclusive=False), Z),
    "cummax": (lambda x: mgx.cummax(x, axis=1), X), "cummin": (lambda x: mgx.cummin(x, axis=0), X),
    "logcumsumexp": (lambda x: mgx.logcumsumexp(x, axis=1), X), "sort": (lambda x: mgx.sort(x, axis=0) ** 2, X),
    "topk": (lambda x: mgx.topk(x, 2) ** 3, X), "partition": (lambda x: mgx.partition(x, 1) ** 2, X),
    "median": (lambda x: mgx.median(x, axis=1) ** 2, X),
    "take_along_axis": (lambda x: mgx.take_along_axis(x, np.array([[1, 1], [0, 3], [2, 2]]), 1) ** 2, X),
    "put_along_axis": (lambda x: mgx.put_along_axis(x, np.array([[1], [0], [3]]), x[:, 2:3] ** 2, 1) ** 2, X),
    "pad": (lambda x: mgx.pad(x, [(1, 0), (0, 2)], constant_values=1.0) ** 2, X),
    "pad edge": (lambda x: mgx.pad(x, 2, mode="edge") ** 2, X), "split": (lambda x: mgx.split(x, 2, 1)[1] ** 2, X),
    "repeat": (lambda x: mgx.repeat(x, 2, axis=1) ** 2, X), "tile": (lambda x: mgx.tile(x, (2, 2)) ** 2, X),
    "roll": (lambda x: mgx.roll(x, 2, axis=1) * x, X), "slice_update": (
        lambda x: mgx.slice_update(x, x[:2, :2] ** 2, [1, 2]) ** 2, X),
    "diag": (lambda x: mgx.diag(x[0]) ** 2, X), "trace": (lambda x: mgx.trace(x * x), X),
    "tril triu": (lambda x: mgx.tril(x) * mgx.triu(x, -1), X), "outer": (lambda x: mgx.outer(x[0], x[1] ** 2), X),
    "tensordot": (lambda x: mgx.tensordot(x, x ** 2, ([1], [1])), X),
    "addmm": (lambda x: mgx.addmm(x[:, :3], x, mgx.transpose(x)[:, :3] ** 2, alpha=2.0, beta=0.5), X),
    ".at add": (lambda x: x.at[[0, 0, 2]].add(x[1] ** 2) ** 2, X),
    ".at multiply": (lambda x: x.at[[0, 0]].multiply(x[1]) ** 2, X),
    ".at divide": (lambda x: x.at[1].divide(x[0] + 2.0) ** 2, X),
    ".at maximum": (lambda x: x.at[[2, 0]].maximum(x[1] * 2.0) ** 2, X),
    ".at minimum": (lambda x: x.at[1:].minimum(x[0] * 0.5) ** 2, X),
    "scatter_set": (lambda x: mgx.scatter_set(x, x[0] ** 2, (slice(1, 3),)) ** 2, X),
}


@pytest.mark.parametrize("name", CASES)
def test_derivatives_of_order_one_and_two_match_finite_differences(name):
    f, x = CASES[name]
    mgx.check_grad(f, mgx.array(x), order=2, rtol=1e-4, atol=1e-5)


def test_products_with_zeros_are_exact():
    g = mgx.grad(lambda x: mgx.prod(x))(mgx.array([1.0, 0.0, 3.0]))
    assert g.tolist() == [0.0, 3.0, 0.0]
    g = mgx.grad(lambda x: mgx.sum(mgx.cumprod(x)))(mgx.array([2.0, 0.0, 3.0, 0.0]))
    assert g.tolist() == [1.0, 8.0, 0.0, 0.0]  # 1, 2 + 2*3 + 0, 0, 0


def test_cummax_routes_ties_to_the_latest_position():
    g = mgx.grad(lambda x: mgx.sum(mgx.cummax(x)))(mgx.array([1.0, 3.0, 3.0, 2.0, 4.0]))
    assert g.tolist() == [1.0, 1.0, 2.0, 0.0, 1.0]


def test_differentiating_with_respect_to_indices_is_an_error():
    with pytest.raises(ValueError, match=r"\[gather\] Cannot calculate VJP with respect to indices"):
        mgx.grad(lambda i, x: mgx.sum(mgx.take(x, i)))(mgx.array([0, 1]), mgx.array([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"\[scatter_axis\]"):
        mgx.grad(lambda i, x: mgx.sum(mgx.put_along_axis(x, i, 5.0, 0)))(mgx.array([0]), mgx.array([1.0, 2.0]))


def test_bit_and_logic_operators():
    a, b = mgx.array([True, False, True]), mgx.array([True, True, False])
    assert (a & b).tolist() == [True, False, False] and (a | b).tolist() == [True, True, True]
    assert (a ^ b).tolist() == [False, True, True] and (~a).tolist() == [False, True, False]
    i = mgx.array(np.array([6, 3], np.int32))
    assert (i & 3).tolist() == [2, 3] and (~i).tolist() == [-7, -4] and (i << 1).tolist() == [12, 6]
    assert [t.tolist() for t in divmod(mgx.array([7.0, -7.0]), 2.0)] == [[3.0, -4.0], [1.0, 1.0]]


def test_top_level_keeps_numpys_float64_defaults():
    assert mgx.cumsum([1.0, 2.0]).dtype == np.float64 and mgx.logaddexp(0.0, 1.0).dtype == np.float64
    assert mgx.mean(mgx.array([True, False])).dtype == np.float64  # microgradx.mlx.core gives float32


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="pad_width"):
        mgx.pad(mgx.ones(2), [(1, 2, 3)])
    with pytest.raises(ValueError, match="mode"):
        mgx.pad(mgx.ones(2), 1, mode="reflect")
    with pytest.raises(ValueError, match="equal size"):
        mgx.split(mgx.ones(5), 2)
    with pytest.raises(ValueError, match="topk"):
        mgx.topk(mgx.ones(2), 3)
    with pytest.raises(TypeError, match="indices must be integers"):
        mgx.take_along_axis(mgx.ones(2), mgx.array([0.5]), 0)
