"""Ops at the points finite differences cannot check, and bad input.

Ties (``maximum``/``minimum``, ``max``/``min`` reductions, ``clip`` at a bound) share
the gradient equally, in both modes; kinks (``abs``, ``relu`` at 0) use 0; ``pow``
at a zero base; numerical stability of ``logsumexp``/``softmax``/``sigmoid``;
zero-size arrays; repeated indices; and the errors bad shapes and bad values give.
"""

import numpy as np
import pytest

import microgradx as mgx
from microgradx.core.state import transform_level
from microgradx.nodes.dual import Dual


def grad_of(fn, *values):
    """Eager gradients of sum(fn(*tensors)) with respect to each input."""
    ts = [mgx.Tensor(v) for v in values]
    out = fn(*ts)
    out.backward(grad=np.ones(out.shape, out.dtype))
    return [t.grad for t in ts]


def tangent_of(fn, values, tangents):
    with transform_level() as level:
        out = fn(*[Dual._make(np.asarray(v, float), np.asarray(t, float), level) for v, t in zip(values, tangents)])
    return out.tangent


# ---------------------------------------------------------------------------
# Ties share the gradient equally
# ---------------------------------------------------------------------------
def test_maximum_and_minimum_ties_split_the_gradient():
    x = np.array([1.0, 2.0, 3.0])
    y = np.array([1.0, 5.0, 3.0])
    gx, gy = grad_of(mgx.maximum, x, y)
    np.testing.assert_array_equal(gx, [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(gy, [0.5, 1.0, 0.5])
    gx, gy = grad_of(mgx.minimum, x, y)
    np.testing.assert_array_equal(gx, [0.5, 1.0, 0.5])
    np.testing.assert_array_equal(gy, [0.5, 0.0, 0.5])
    # forward mode: the tangent at a tie is the average of both tangents
    np.testing.assert_array_equal(tangent_of(mgx.maximum, [x, y], [[2.0, 2.0, 2.0], [4.0, 4.0, 4.0]]),
                                  [3.0, 4.0, 3.0])


def test_maximum_of_a_value_with_itself():
    (g,) = grad_of(lambda a: mgx.maximum(a, a), np.array([1.0, -2.0]))
    np.testing.assert_array_equal(g, [1.0, 1.0])


@pytest.mark.parametrize("fn, expected", [
    (lambda a: mgx.max(a), [0.0, 0.5, 0.5, 0.0]),
    (lambda a: mgx.min(a), [0.0, 0.0, 0.0, 1.0]),
    (lambda a: a.max(axis=0, keepdims=True), [0.0, 0.5, 0.5, 0.0]),
])
def test_max_and_min_reductions_share_ties(fn, expected):
    (g,) = grad_of(fn, np.array([1.0, 3.0, 3.0, -1.0]))
    np.testing.assert_array_equal(g, expected)


def test_max_ties_per_row_and_in_forward_mode():
    x = np.array([[2.0, 2.0, 2.0], [1.0, 4.0, 0.0]])
    (g,) = grad_of(lambda a: mgx.max(a, axis=1), x)
    np.testing.assert_allclose(g, [[1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]])
    t = np.array([[3.0, 6.0, 0.0], [1.0, 2.0, 3.0]])
    np.testing.assert_allclose(tangent_of(lambda a: mgx.max(a, axis=1), [x], [t]), [3.0, 2.0])


def test_clip_at_the_bounds_and_kinks():
    (g,) = grad_of(lambda a: mgx.clip(a, 0.0, 1.0), np.array([-1.0, 0.0, 0.5, 1.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.5, 1.0, 0.5, 0.0])  # a bound is a tie of maximum/minimum
    (g,) = grad_of(mgx.relu, np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])
    (g,) = grad_of(mgx.abs, np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="a_min and a_max"):
        mgx.clip(mgx.Tensor([1.0]), None, None)


# ---------------------------------------------------------------------------
# pow
# ---------------------------------------------------------------------------
def test_pow_at_zero_base():
    gx, gy = grad_of(lambda a, b: a**b, np.array([0.0, 0.0, 2.0]), np.array([2.0, 0.0, 0.0]))
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0])  # d x^2 = 0 at 0; d x^0 = 0 everywhere
    np.testing.assert_allclose(gy, [0.0, 0.0, np.log(2.0)])  # d 0^y / dy taken as 0 (no log 0)
    (g,) = grad_of(lambda a: a**0.0, np.array([0.0, 3.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0])
    (g,) = grad_of(lambda a: 0.0**a, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [0.0, 0.0])


def test_pow_of_negative_base_with_integer_exponent():
    (g,) = grad_of(lambda a: a**3, np.array([-2.0]))
    np.testing.assert_array_equal(g, [12.0])


# ---------------------------------------------------------------------------
# Numerical stability
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logsumexp_softmax_are_stable(dtype):
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e4, 0.0, 1e4]], dtype)
    lse = mgx.logsumexp(mgx.Tensor(x), axis=1)
    np.testing.assert_allclose(lse.data, [1000.0 + np.log(2.0), 1e4], rtol=1e-6)
    p = mgx.softmax(mgx.Tensor(x), axis=1)
    np.testing.assert_allclose(p.data, [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]], atol=1e-7)
    lp = mgx.log_softmax(mgx.Tensor(x), axis=1)
    assert np.all(np.isfinite(lp.data[0, :2])) and lp.dtype == dtype
    (g,) = grad_of(lambda a: mgx.logsumexp(a, axis=1), x)
    # the gradient is exp(x - lse(x)) as in PyTorch: float32 rounds lse(x) ~ 1000 to 6e-5
    np.testing.assert_allclose(g, p.data, atol=1e-4 if dtype == np.float32 else 1e-12)
    assert g.dtype == dtype


def test_logsumexp_with_infinities():
    assert float(mgx.logsumexp(mgx.Tensor([-np.inf, 0.0]))) == 0.0
    assert float(mgx.logsumexp(mgx.Tensor([-np.inf, -np.inf]))) == -np.inf
    assert float(mgx.logsumexp(mgx.Tensor([np.inf, 0.0]))) == np.inf
    (g,) = grad_of(mgx.logsumexp, np.array([-np.inf, 0.0]))
    np.testing.assert_array_equal(g, [0.0, 1.0])


def test_sigmoid_is_stable_and_its_gradient_finite():
    x = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    y = mgx.sigmoid(mgx.Tensor(x))
    assert y.data[0] == 0.0 and y.data[-1] == 1.0 and y.data[2] == 0.5
    (g,) = grad_of(mgx.sigmoid, x)
    assert np.all(np.isfinite(g)) and g[0] == 0.0 and g[2] == 0.25


def test_nan_and_inf_follow_ieee():
    y = mgx.log(mgx.Tensor([0.0, -1.0]))
    assert y.data[0] == -np.inf and np.isnan(y.data[1])
    assert mgx.exp(mgx.Tensor([1000.0])).data[0] == np.inf


# ---------------------------------------------------------------------------
# Zero-size arrays and indexing details
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [
    lambda a: mgx.sum(a, axis=0),
    lambda a: a @ np.ones((3, 2)),
    lambda a: mgx.tanh(a) * 2.0,
    lambda a: a.T,
    lambda a: mgx.concatenate([a, a], axis=0),
    lambda a: mgx.logsumexp(a, axis=1),
])
def test_zero_size_inputs_get_zero_size_gradients(fn):
    (g,) = grad_of(fn, np.zeros((0, 3)))
    assert g.shape == (0, 3) and g.dtype == np.float64


def test_reductions_over_nothing():
    assert float(mgx.sum(mgx.zeros((0,)))) == 0.0
    with pytest.raises(ValueError, match="empty"):
        mgx.max(mgx.zeros((0, 3)), axis=0)
    with np.errstate(all="ignore"):
        assert np.isnan(float(mgx.mean(mgx.zeros((0,)))))
    (g,) = grad_of(lambda a: mgx.sum(a, axis=1), np.zeros((3, 0)))
    assert g.shape == (3, 0)


def test_repeated_indices_accumulate():
    x = np.arange(4.0)
    (g,) = grad_of(lambda a: a[[0, 0, 3, 0]], x)
    np.testing.assert_array_equal(g, [3.0, 0.0, 0.0, 1.0])
    (g,) = grad_of(lambda a: a[np.array([[1, 1], [2, 1]])], x)
    np.testing.assert_array_equal(g, [0.0, 3.0, 1.0, 0.0])
    x2 = np.arange(6.0).reshape(2, 3)
    (g,) = grad_of(lambda a: a[[1, 1], [2, 2]], x2)
    np.testing.assert_array_equal(g, [[0, 0, 0], [0, 0, 2]])


def test_indexing_variants():
    x = np.arange(24.0).reshape(2, 3, 4)  # each element's value is its flat position
    cases = {
        "int": (lambda a: a[1], x[1]),
        "negative int": (lambda a: a[-1, -2], x[-1, -2]),
        "negative step": (lambda a: a[:, ::-2], x[:, ::-2]),
        "None and Ellipsis": (lambda a: a[None, ..., 1:3], x[None, ..., 1:3]),
        "boolean mask": (lambda a: a[x > 10], x[x > 10]),
        "tensor mask": (lambda a: a[a > 10.0], x[x > 10]),
        "list of ints": (lambda a: a[[1, 0]], x[[1, 0]]),
        "mixed": (lambda a: a[0, [2, 0], ::-1], x[0, [2, 0], ::-1]),
    }
    for name, (fn, expected) in cases.items():
        t = mgx.Tensor(x)
        y = fn(t)
        np.testing.assert_array_equal(y.data, expected, err_msg=name)
        y.backward(grad=np.ones(y.shape))
        # the gradient counts how often each element was picked (x holds 0, 1, 2, ...: its own positions)
        count = np.zeros(x.size)
        np.add.at(count, fn(mgx.Tensor(np.arange(x.size).reshape(x.shape))).data.astype(int).ravel(), 1.0)
        np.testing.assert_array_equal(t.grad, count.reshape(x.shape), err_msg=name)


def test_bad_indices():
    x = mgx.Tensor([1.0, 2.0])
    with pytest.raises(IndexError):
        x[5]
    with pytest.raises(IndexError):
        x[np.array([0.5])]
    with pytest.raises(IndexError):
        x[mgx.Tensor([0.5])]


# ---------------------------------------------------------------------------
# Bad shapes and values: ValueError naming both shapes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("fn, shapes", [
    (lambda: mgx.Tensor(np.ones((2, 3))) @ mgx.Tensor(np.ones((2, 3))), ["(2, 3)", "(2, 3)"]),
    (lambda: mgx.matmul(np.ones(3), mgx.Tensor(np.ones(4))), ["(3,)", "(4,)"]),
    (lambda: mgx.Tensor(np.ones((2, 3))) + mgx.Tensor(np.ones(4)), ["(2,3)", "(4,)"]),
    (lambda: mgx.Tensor(np.ones((2, 3))) * np.ones((3, 3)), ["(2,3)", "(3,3)"]),
    (lambda: mgx.concatenate([mgx.zeros((2, 3)), mgx.zeros((2, 4))]), ["(2, 3)", "(2, 4)"]),
    (lambda: mgx.stack([mgx.zeros(2), mgx.zeros(3)]), ["(2,)", "(3,)"]),
    (lambda: mgx.reshape(mgx.zeros((2, 3)), (4, 2)), ["(2, 3)", "(4, 2)"]),
    (lambda: mgx.zeros((2, 3)).reshape(5), ["(2, 3)", "(5,)"]),
    (lambda: mgx.broadcast_to(mgx.zeros(3), (2, 4)), ["(3,)", "(2, 4)"]),
    (lambda: mgx.where(np.ones(3, bool), mgx.zeros(2), 0.0), ["(3,)", "(2,)"]),
])
def test_shape_mismatches_name_both_shapes(fn, shapes):
    with pytest.raises(ValueError) as info:
        fn()
    message = str(info.value).replace(" ", "")
    for s in shapes:
        assert s.replace(" ", "") in message, message


@pytest.mark.parametrize("fn, error", [
    (lambda: mgx.matmul(mgx.Tensor(2.0), mgx.zeros(2)), ValueError),
    (lambda: mgx.squeeze(mgx.zeros((2, 3)), 0), ValueError),
    (lambda: mgx.transpose(mgx.zeros((2, 3)), (0, 0)), ValueError),
    (lambda: mgx.swapaxes(mgx.zeros((2, 3)), 0, 2), ValueError),
    (lambda: mgx.expand_dims(mgx.zeros((2, 3)), 5), ValueError),
    (lambda: mgx.sum(mgx.zeros((2, 3)), axis=3), ValueError),
    (lambda: mgx.sum(mgx.zeros((2, 3)), axis="a"), TypeError),
    (lambda: mgx.reshape(mgx.zeros(2), "ab"), TypeError),
    (lambda: mgx.concatenate([]), ValueError),
    (lambda: mgx.concatenate(mgx.zeros(2)), ValueError),
    (lambda: mgx.exp("abc"), TypeError),
    (lambda: mgx.exp([[1.0], [2.0, 3.0]]), ValueError),
    (lambda: mgx.exp(np.array([None])), TypeError),
    (lambda: mgx.sigmoid(1j), ValueError),
    (lambda: mgx.maximum(mgx.zeros(2), "x"), TypeError),
    (lambda: mgx.Tensor([1.0]) ** "a", TypeError),
])
def test_bad_arguments(fn, error):
    with pytest.raises(error):
        fn()


def test_astype():
    x = mgx.Tensor([1.5, 2.5])
    y = mgx.astype(x, np.float32)
    assert y.dtype == np.float32
    (y * 2.0).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 2.0]
    i = x.astype(np.int64)
    assert i.dtype == np.int64 and i.is_leaf  # a cast to integers is a constant


def test_min_and_max_of_integer_and_bool_arrays():
    assert int(mgx.min(mgx.Tensor(np.array([0, 5, 3], np.uint8)))) == 0  # no negation trick: unsigned is safe
    assert int(mgx.max(mgx.Tensor(np.array([0, 5, 3], np.uint8)))) == 5
    assert bool(mgx.min(mgx.Tensor([True, False]))) is False
    x = mgx.Tensor([4, 1, 1])
    mgx.min(x).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 0.5])
    assert x.grad.dtype == np.float64
