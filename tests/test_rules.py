"""The rule table itself: its shape, the one local-derivative rule serving both modes, unbroadcast."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from microgradx.core import floatmath as fm
from microgradx.core import rules as R

ELEMENTWISE = sorted(name for name, p in R.table.items() if p.is_elementwise)
CONSTANT = sorted(name for name, p in R.table.items() if p.vjp is None)


def test_every_primitive_has_both_rules_or_none():
    for name, prim in R.table.items():
        assert prim.name == name and callable(prim.forward)
        assert (prim.vjp is None) == (prim.jvp is None), name  # reverse and forward always together
        assert prim.formulas, f"{name} has no formula written out for people"
    assert {"eq", "lt", "sign", "stop_gradient"} <= set(CONSTANT)
    expected = {"add", "sub", "mul", "div", "pow", "neg", "exp", "log", "sqrt", "square", "sin", "cos", "tanh",
                "sigmoid", "relu", "abs", "maximum", "minimum", "where", "sum", "max", "min", "logsumexp", "matmul",
                "reshape", "transpose", "broadcast_to", "getitem", "scatter_add", "concatenate", "astype"}
    assert expected <= set(R.table)


def test_elementwise_primitives_have_one_partial_per_input():
    for name in ELEMENTWISE:
        prim = R.table[name]
        assert len(prim.partials) == len(prim.formulas), name
        arity = len(prim.partials)
        args = [np.array([0.7, 1.3])] * arity
        assert np.shape(prim.forward(*args)) == (2,)


# inputs where each elementwise primitive is smooth
DOMAIN = {"log": (0.2, 3.0), "sqrt": (0.2, 3.0), "pow": (0.2, 3.0), "div": (0.5, 3.0)}
DOMAIN.update({"arcsin": (-0.9, 0.9), "arccos": (-0.9, 0.9), "arctanh": (-0.9, 0.9), "arccosh": (1.2, 3.0),
               "log1p": (-0.5, 3.0), "log2": (0.2, 3.0), "log10": (0.2, 3.0), "remainder": (0.5, 3.0),
               "tan": (-1.2, 1.2)})  # the primitives added with the MLX face (issue 13)


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=20)
@given(seed=st.integers(0, 2**16), shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
def test_one_local_derivative_serves_both_modes(name, seed, shapes):
    """vjp = unbroadcast(g * d) and jvp = sum(t * d), with d the declared partials."""
    prim = R.table[name]
    rng = np.random.default_rng(seed)
    lo, hi = DOMAIN.get(name, (-2.0, 2.0))
    arity = len(prim.partials)
    xs = [rng.uniform(lo, hi, s) for s in shapes.input_shapes[:arity]]
    out = np.asarray(prim.forward(*xs))
    g = rng.standard_normal(out.shape)
    ts = [rng.standard_normal(x.shape) for x in xs]
    locals_ = [np.broadcast_to(np.asarray(d(*xs, out), dtype=float), out.shape) for d in prim.partials]

    cts = prim.vjp(g, out, tuple(xs), {}, (True,) * arity)
    for ct, x, d in zip(cts, xs, locals_):
        expected = g * d
        summed = expected.sum(axis=tuple(range(expected.ndim - x.ndim))) if expected.ndim > x.ndim else expected
        summed = summed.sum(axis=tuple(i for i, n in enumerate(x.shape) if n == 1), keepdims=True)
        np.testing.assert_allclose(ct, summed.reshape(x.shape), rtol=1e-12, atol=1e-12)

    tangent = prim.jvp(tuple(ts), out, tuple(xs), {})
    expected = sum(np.broadcast_to(t, out.shape) * d for t, d in zip(ts, locals_))
    np.testing.assert_allclose(tangent, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rules_reuse_only_their_own_scratch_arrays(name, dtype):
    """Products may be written over temporaries, never over an array the caller holds."""
    prim = R.table[name]
    lo, hi = DOMAIN.get(name, (-2.0, 2.0))
    rng = np.random.default_rng(1)
    arity = len(prim.partials)
    xs = [rng.uniform(lo, hi, (5, 4)).astype(dtype) for _ in range(arity)]
    out = np.asarray(prim.forward(*xs))
    g = rng.standard_normal(out.shape).astype(dtype)
    ts = [rng.standard_normal((5, 4)).astype(dtype) for _ in range(arity)]
    held = [a.copy() for a in (*xs, out, g, *ts)]
    cts = prim.vjp(g, out, tuple(xs), {}, (True,) * arity)
    tangent = prim.jvp(tuple(ts), out, tuple(xs), {})
    for before, after in zip(held, (*xs, out, g, *ts)):
        np.testing.assert_array_equal(before, after)
    results = [c for c in (*cts, tangent) if isinstance(c, np.ndarray)]
    for r in results:  # no result is an input, and no two results share memory with each other
        assert not any(np.shares_memory(r, a) for a in (*xs, out, g, *ts) if r is not a), name
    assert all(r.dtype == dtype for r in results), name


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_python_floats_take_the_float_path_with_numpys_values(name):
    prim = R.table[name]
    lo, hi = DOMAIN.get(name, (-2.0, 2.0))
    args = [lo + (hi - lo) * f for f in (0.3, 0.8)][: len(prim.partials)]
    as_float = prim.forward(*args)
    as_array = prim.forward(*[np.array(a) for a in args])
    assert isinstance(as_float, float)
    assert as_float == pytest.approx(float(as_array), rel=1e-14)


def test_floatmath_follows_ieee_where_math_raises():
    assert fm.log(0.0) == -math.inf and math.isnan(fm.log(-1.0))
    assert fm.div(1.0, 0.0) == math.inf and fm.div(-1.0, 0.0) == -math.inf and math.isnan(fm.div(0.0, 0.0))
    assert fm.exp(1e4) == math.inf and fm.pow(0.0, -1.0) == math.inf and math.isnan(fm.pow(-8.0, 1 / 3))
    assert fm.sigmoid(-1e4) == 0.0 and fm.sigmoid(1e4) == 1.0
    assert math.isnan(fm.maximum(math.nan, 1.0)) and math.isnan(fm.minimum(1.0, math.nan))
    assert math.isnan(fm.relu(math.nan)) and fm.relu(-0.5) == 0.0


# ---------------------------------------------------------------------------
# unbroadcast: the adjoint of broadcasting
# ---------------------------------------------------------------------------
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=4, min_side=0, max_side=3),
       seed=st.integers(0, 2**16), dtype=st.sampled_from([np.float32, np.float64]))
def test_unbroadcast_is_the_adjoint_of_broadcast(shapes, seed, dtype):
    """<unbroadcast(g), x> == <g, broadcast_to(x)> for every x: exactly what the chain rule needs."""
    (shape,), result = shapes
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(result).astype(dtype)
    x = rng.standard_normal(shape)
    u = R.unbroadcast(g, np.zeros(shape, dtype))
    assert u.shape == shape and u.dtype == dtype
    assert float(np.sum(u * x)) == pytest.approx(float(np.sum(g * np.broadcast_to(x, result))), rel=1e-4, abs=1e-4)


def test_unbroadcast_examples_and_dtypes():
    g = np.ones((2, 3, 4))
    assert R.unbroadcast(g, np.zeros((3, 1))).tolist() == [[8.0]] * 3
    assert R.unbroadcast(g, np.zeros(())).shape == ()
    assert R.unbroadcast(g, np.zeros((2, 3, 4))) is g  # nothing to do: no copy
    assert R.unbroadcast(g, np.zeros(4, np.float32)).dtype == np.float32  # the input's float dtype
    assert R.unbroadcast(g.astype(np.float32), np.zeros(4, np.int64)).dtype == np.float64  # ints: float64


def test_mask_keeps_float32():
    x = np.array([1.0, -1.0], np.float32)
    assert R.mask(x > 0, x).dtype == np.float32
    assert R.mask(np.float32(2.0) > 0, np.float32(2.0)).dtype == np.float32  # numpy bool scalar
    assert R.mask(True, 2.0) == 1.0
