"""Second (and third) derivatives: the rules are written with generic ops, so they differentiate too.

For each function f: R^n -> R below, the Hessian-vector product H v is computed
three ways and checked against central differences of the gradient:

* reverse over reverse:  grad(x -> <grad f(x), v>)
* forward over reverse:  jvp(grad f, x, v)
* reverse over forward:  grad(x -> jvp(f, x, v))

plus forward over forward (u^T H v).  The derivatives use bare transform levels
(the helper style of ``tests/test_nesting.py``), not ``mgx.grad``.
"""

import numpy as np
import pytest

import microgradx as mgx
from microgradx.core.engine import backward_sweep
from microgradx.core.state import transform_level
from microgradx.nodes.dual import Dual
from microgradx.nodes.tensor import Tensor


def _grad(f):
    """Reverse-mode gradient of a scalar function of one array."""

    def df(x):
        shape = np.shape(x)
        with transform_level() as level:
            leaf = Tensor._leaf(x, level)
            out = f(leaf)
            if isinstance(out, Tensor) and out._level == level:
                backward_sweep(out, np.ones(out.shape), False)
        ct, leaf._cot = leaf._cot, None
        return np.zeros(shape) if ct is None else ct

    return df


def _jvp(f, x, t):
    with transform_level() as level:
        out = f(Dual._make(x, t, level))
    if isinstance(out, Dual) and out._level == level:
        return out.tangent
    return np.zeros(np.shape(mgx.stop_gradient(out).data))


def _plain(v):
    return np.asarray(mgx.stop_gradient(v).data if not isinstance(v, np.ndarray) else v, dtype=np.float64)


RNG = np.random.default_rng(7)
W = RNG.standard_normal((4, 3))
C = RNG.standard_normal((3, 4))
IDX = np.array([0, 2, 2, 1, 0])
COND = RNG.random((3, 4)) < 0.5

FUNCTIONS = {
    "tanh": lambda x: mgx.sum(mgx.tanh(x) * C),
    "sigmoid": lambda x: mgx.sum(mgx.sigmoid(x * 2.0) * C),
    "exp log": lambda x: mgx.sum(mgx.log(mgx.exp(x) + 1.0) * C),
    "sin cos": lambda x: mgx.sum(mgx.sin(x) * mgx.cos(2.0 * x)),
    "sqrt square": lambda x: mgx.sum(mgx.sqrt(mgx.square(x) + 1.0)),
    "div": lambda x: mgx.sum(1.0 / (x * x + 1.0) - x / (C * C + 2.0)),
    "pow": lambda x: mgx.sum((x * x + 0.5) ** 2.5) + mgx.sum(mgx.power(1.5, x)),
    "tensor exponent": lambda x: mgx.sum((x * x + 1.0) ** (x * 0.5)),
    "matmul": lambda x: mgx.sum(mgx.tanh(x @ W)) + mgx.sum((x @ x.T) ** 2) * 0.01,
    "batched matmul": lambda x: mgx.sum(mgx.stack([x, 2.0 * x]) @ W @ W.T),
    "logsumexp": lambda x: mgx.sum(mgx.logsumexp(x, axis=1) * C[:, 0]),
    "softmax": lambda x: mgx.sum(mgx.softmax(x, axis=-1) * C),
    "log_softmax": lambda x: mgx.sum(mgx.log_softmax(x, axis=0) * C),
    "max": lambda x: mgx.sum(mgx.max(x, axis=0) ** 2) + mgx.max(x) ** 3,
    "min": lambda x: mgx.sum(mgx.min(x, axis=1) ** 2),
    "maximum": lambda x: mgx.sum(mgx.maximum(x, 0.1) ** 2),
    "getitem repeated": lambda x: mgx.sum(x[IDX] ** 3),
    "getitem mixed": lambda x: mgx.sum(x[1:, ::-1] ** 2 * x[0]) + mgx.sum(x[IDX, 1:] ** 2),
    "boolean mask": lambda x: mgx.sum(x[COND] ** 3),
    "where": lambda x: mgx.sum(mgx.where(COND, x**2, x**3)),
    "reshape transpose": lambda x: mgx.sum(mgx.transpose(mgx.reshape(x, (2, 6)) ** 2) @ np.ones((2, 1))) ** 2,
    "concatenate": lambda x: mgx.sum(mgx.concatenate([x, x**2], axis=1) ** 2),
    "broadcast": lambda x: mgx.sum((x + mgx.sum(x, axis=0)) ** 2) + mgx.sum(mgx.broadcast_to(x[0], (2, 4)) ** 3),
    "mean var": lambda x: mgx.var(x) + mgx.mean(x, axis=1).sum() ** 2,
    "cross-entropy": lambda x: -mgx.mean(mgx.log_softmax(x, axis=-1)[np.arange(3), [0, 3, 1]]),
}


def point(name):
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    if name in ("max", "min"):  # no ties
        return rng.permutation(12).reshape(3, 4) * 0.31 - 1.5
    if name == "maximum":  # away from the kink at 0.1
        return np.where(rng.random((3, 4)) < 0.5, -1.0, 1.0) * rng.uniform(0.4, 1.5, (3, 4))
    return rng.uniform(-1.0, 1.0, (3, 4))


def hvp_by_differences(f, x, v, h=1e-5):
    g = _grad(f)
    return (_plain(g(x + h * v)) - _plain(g(x - h * v))) / (2 * h)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_hessian_vector_products(name):
    f = FUNCTIONS[name]
    x = point(name)
    v = np.random.default_rng(1).standard_normal(x.shape)
    expected = hvp_by_differences(f, x, v)
    grad_f = _grad(f)

    reverse_reverse = _grad(lambda y: mgx.sum(grad_f(y) * v))(x)
    forward_reverse = _jvp(grad_f, x, v)
    reverse_forward = _grad(lambda y: _jvp(f, y, v))(x)
    for label, got in (("reverse over reverse", reverse_reverse), ("forward over reverse", forward_reverse),
                       ("reverse over forward", reverse_forward)):
        got = _plain(got)
        assert got.shape == x.shape, label
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=label)

    u = np.random.default_rng(2).standard_normal(x.shape)
    forward_forward = _jvp(lambda y: _jvp(f, y, v), x, u)
    assert float(_plain(forward_forward)) == pytest.approx(float(np.sum(u * expected)), rel=1e-5, abs=1e-6)


def test_third_derivative_of_tanh():
    # d³/dx³ tanh(x) = -2 (1 - t²)(1 - 3t²) with t = tanh x
    f = lambda x: mgx.sum(mgx.tanh(x))
    x = np.array([-1.3, -0.2, 0.0, 0.7, 2.0])
    ones = np.ones_like(x)
    d1 = _grad(f)
    d2 = _grad(lambda y: mgx.sum(d1(y)))  # the Hessian is diagonal: sum of a row is the entry
    d3 = _grad(lambda y: mgx.sum(d2(y)))
    t = np.tanh(x)
    np.testing.assert_allclose(_plain(d1(x)), 1 - t * t, rtol=1e-12)
    np.testing.assert_allclose(_plain(d2(x)), -2 * t * (1 - t * t), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_plain(d3(x)), -2 * (1 - t * t) * (1 - 3 * t * t), rtol=1e-12)
    np.testing.assert_allclose(_plain(_jvp(lambda y: _jvp(lambda z: _jvp(f, z, ones), y, ones), x, ones)),
                               np.sum(-2 * (1 - t * t) * (1 - 3 * t * t)), rtol=1e-12)


@pytest.mark.parametrize("name, fn, second", [
    ("tanh", mgx.tanh, lambda x, t: -2 * t * (1 - t * t)),
    ("sigmoid", mgx.sigmoid, lambda x, s: s * (1 - s) * (1 - 2 * s)),
    ("log", lambda x: mgx.log(x + 2.0), lambda x, y: -1 / (x + 2.0) ** 2),
    ("softmax", lambda x: mgx.softmax(x)[0], None),
])
def test_eager_backward_through_a_hand_made_dual(name, fn, second):
    """Dual(w, 1) over an eager Tensor: the tangent (the rule's jvp) is an eager graph to differentiate."""
    w = mgx.Tensor([0.3, -0.8, 1.1])
    d = fn(Dual(w, np.ones(3) if name != "softmax" else np.array([1.0, 0.0, 0.0])))
    assert isinstance(d.tangent, Tensor)
    mgx.sum(d.tangent).backward()
    if second is not None:
        np.testing.assert_allclose(w.grad, second(w.data, fn(w).data), rtol=1e-12)
    else:  # d²/dw0² of softmax(w)[0] and the mixed partials: p0(1-p0)(1-2p0) and -p0 pj (1 - 2 p0)
        p = np.exp(w.data) / np.exp(w.data).sum()
        expected = -p[0] * p * (1 - 2 * p[0])
        expected[0] = p[0] * (1 - p[0]) * (1 - 2 * p[0])
        np.testing.assert_allclose(w.grad, expected, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_second_order_keeps_float32(dtype):
    x = np.linspace(-1, 1, 6).reshape(2, 3).astype(dtype)
    w = np.ones((3, 2), dtype)
    f = lambda y: mgx.sum(mgx.logsumexp(mgx.tanh(y @ w), axis=1))
    g = _grad(f)
    h = _grad(lambda y: mgx.sum(g(y)))(x)
    assert np.asarray(_plain(g(x))).shape == x.shape
    assert np.asarray(h).dtype == dtype if not isinstance(h, Tensor) else h.dtype == dtype
