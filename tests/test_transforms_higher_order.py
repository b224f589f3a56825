"""Higher order: transforms nested to any depth, in every combination, without perturbation confusion."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import microgradx as mgx


def num(x) -> float:
    return float(np.asarray(x))


# One-argument derivative operators built from each transform, so that every combination can be nested.
def d_grad(f):
    return mgx.grad(f)


def d_value_and_grad(f):
    return lambda x: mgx.value_and_grad(f)(x)[1]


def d_jvp(f):
    return lambda x: mgx.jvp(f, [x], [1.0])[1][0]


def d_vjp(f):
    return lambda x: mgx.vjp(f, [x], [1.0])[1][0]


def d_jacfwd(f):
    return mgx.jacfwd(f)


def d_jacrev(f):
    return mgx.jacrev(f)


DERIVATIVES = {"grad": d_grad, "value_and_grad": d_value_and_grad, "jvp": d_jvp, "vjp": d_vjp,
               "jacfwd": d_jacfwd, "jacrev": d_jacrev}


# --- the canonical perturbation-confusion case, every pair of modes -----------------------------------------
@pytest.mark.parametrize("outer, inner", list(itertools.product(DERIVATIVES, repeat=2)))
@pytest.mark.parametrize("start", [1.0, "tensor"])
def test_perturbation_confusion(outer, inner, start):
    # d/dx [ x · d/dy (x + y) |_{y=1} ] at x = 1 is 1 (a confused implementation gives 2)
    x0 = mgx.array(1.0) if start == "tensor" else start
    f = lambda x: x * DERIVATIVES[inner](lambda y: x + y)(1.0)  # noqa: E731
    assert num(DERIVATIVES[outer](f)(x0)) == 1.0


@pytest.mark.parametrize("modes", list(itertools.product(["grad", "jvp", "vjp"], repeat=3)))
def test_closure_over_outer_variable_across_two_inner_derivatives(modes):
    # g(x) = x · d/dy[ d/dz (x·y·z) ] = x · x, so g'(x) = 2x: 3 at x = 1.5
    outer, middle, inner = (DERIVATIVES[m] for m in modes)

    def g(x):
        return x * middle(lambda y: inner(lambda z: x * y * z)(1.0))(1.0)

    assert num(outer(g)(1.5)) == pytest.approx(3.0)


def test_enclosing_scope_case_from_hips_autograd():
    # inner grad closes over the outer x: fun(x) = x · d/dy (x·y) = x², fun'(x) = 2x
    def fun(x):
        return x * mgx.grad(lambda y: x * y)(2.0)

    def fun_other_order(x):
        return x * mgx.grad(lambda y: y * x)(2.0)

    for f in (fun, fun_other_order):
        assert num(mgx.grad(f)(1.0)) == 2.0
        assert num(mgx.grad(f)(mgx.array(3.0))) == 6.0
        assert mgx.check_grad(f, 1.0, order=2).ok


# --- repeated derivatives of one variable ---------------------------------------------------------------
KNOWN = [  # f, and its derivatives of order 1..4 as functions of x
    (mgx.sin, [math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x), math.sin]),
    (mgx.exp, [math.exp] * 4),
    (mgx.log, [lambda x: 1 / x, lambda x: -1 / x**2, lambda x: 2 / x**3, lambda x: -6 / x**4]),
    (lambda x: x**4, [lambda x: 4 * x**3, lambda x: 12 * x**2, lambda x: 24 * x, lambda x: 24.0]),
    (mgx.sqrt, [lambda x: 0.5 * x**-0.5, lambda x: -0.25 * x**-1.5, lambda x: 0.375 * x**-2.5,
                lambda x: -0.9375 * x**-3.5]),
]


@pytest.mark.parametrize("f, derivatives", KNOWN, ids=["sin", "exp", "log", "x^4", "sqrt"])
@pytest.mark.parametrize("mode", ["grad", "jvp", "alternating"])
def test_repeated_derivatives(f, derivatives, mode):
    x = 0.7
    d = f
    for order, expected in enumerate(derivatives, start=1):
        step = d_jvp if mode == "jvp" or (mode == "alternating" and order % 2) else d_grad
        d = step(d)
        assert num(d(x)) == pytest.approx(expected(x), rel=1e-10), f"order {order}"


def test_sixth_derivative_of_sin_by_grad():
    d = mgx.sin
    for _ in range(6):
        d = mgx.grad(d)
    assert num(d(0.3)) == pytest.approx(-math.sin(0.3), rel=1e-12)


def test_third_derivative_is_a_tensor_for_tensor_input():
    d3 = mgx.grad(mgx.grad(mgx.grad(lambda x: x**3)))
    out = d3(mgx.array(0.5))
    assert isinstance(out, mgx.Tensor) and num(out) == 6.0


# --- several variables -----------------------------------------------------------------------------------
def test_mixed_partials_through_argnums_agree():
    f = lambda a, b: a * a * b**3 + mgx.sin(a * b)  # noqa: E731
    a, b = 0.7, -1.3
    expected = 6 * a * b**2 + math.cos(a * b) - a * b * math.sin(a * b)
    ab = mgx.grad(mgx.grad(f, argnums=1), argnums=0)(a, b)
    ba = mgx.grad(mgx.grad(f, argnums=0), argnums=1)(a, b)
    assert num(ab) == pytest.approx(expected, rel=1e-12) and num(ba) == pytest.approx(expected, rel=1e-12)
    # the whole gradient at once, then its Jacobian: the Hessian is symmetric
    H = mgx.jacfwd(lambda v: mgx.stack(list(mgx.grad(lambda x, y: f(x, y), argnums=(0, 1))(v[0], v[1]))))(
        mgx.array([a, b]))
    assert np.allclose(np.asarray(H), np.asarray(H).T)
    assert num(H[0, 1]) == pytest.approx(expected, rel=1e-12)


def test_value_and_grad_of_value_and_grad():
    (value, inner), outer = mgx.value_and_grad(mgx.value_and_grad(lambda x: mgx.sum(x**3)))(mgx.array([1.0, 2.0]))
    assert num(value) == 9.0
    assert np.asarray(inner).tolist() == [3.0, 12.0] and np.asarray(outer).tolist() == [3.0, 12.0]


def test_inner_value_and_grad_gradient_is_differentiable_and_aux_is_not():
    g = lambda y: (y * y, y**3)  # noqa: E731
    assert num(mgx.grad(lambda y: mgx.value_and_grad(g)(y)[1])(0.5)) == 2.0  # d/dy (2y)
    assert num(mgx.grad(lambda y: mgx.value_and_grad(g)(y)[0][0])(0.5)) == 1.0  # d/dy y²
    assert num(mgx.grad(lambda y: mgx.value_and_grad(g)(y)[0][1])(0.5)) == 0.0  # aux: stop_gradient


# --- Hessian-vector products, three ways, against finite differences ----------------------------------------
def _loss(x):
    return mgx.sum(mgx.sin(x) * mgx.exp(x)) + mgx.logsumexp(x * x) + mgx.sum(x**3) / 3


def _fd_hvp(x, v, h=1e-6):
    g = mgx.grad(_loss)
    return (np.asarray(g(x + h * v)) - np.asarray(g(x - h * v))) / (2 * h)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hessian_vector_products_match_finite_differences(seed):
    rng = np.random.default_rng(seed)
    x, v = rng.standard_normal(5), rng.standard_normal(5)
    expected = _fd_hvp(x, v)
    by_jvp = mgx.jvp(mgx.grad(_loss), [x], [v])[1][0]
    by_grad = mgx.grad(lambda y: mgx.sum(mgx.grad(_loss)(y) * v))(x)
    by_vjp = mgx.vjp(mgx.grad(_loss), [x], [v])[1][0]  # H is symmetric, so vᵀH = Hv
    for hv in (by_jvp, by_grad, by_vjp):
        assert np.allclose(np.asarray(hv), expected, rtol=1e-6, atol=1e-7)
    full = np.asarray(mgx.hessian(_loss)(mgx.array(x)))
    assert np.allclose(full @ v, expected, rtol=1e-6, atol=1e-7)


def test_grad_of_jvp_and_vjp_results_match_finite_differences():
    v = np.array([0.3, -1.0, 2.0])

    def through_jvp(x):
        return mgx.sum(mgx.jvp(lambda u: mgx.tanh(u) * u, [x], [v])[1][0] ** 2)

    def through_vjp(x):
        return mgx.sum(mgx.vjp(lambda u: mgx.exp(u) * mgx.sin(u), [x], [v])[1][0])

    x = np.array([0.1, 0.5, -0.4])
    for f in (through_jvp, through_vjp):
        assert mgx.check_grad(f, x, order=2).ok


def test_grad_through_a_whole_training_step():
    # d(loss after one SGD step)/d(learning rate): reverse mode through reverse mode
    w0, x, y = np.array([0.5, -0.2]), np.array([1.0, 2.0]), 0.3
    loss = lambda w: (mgx.sum(w * x) - y) ** 2  # noqa: E731
    after = lambda lr: loss(w0 - lr * mgx.grad(loss)(w0))  # noqa: E731
    lr = 0.05
    h = 1e-6
    fd = (num(after(lr + h)) - num(after(lr - h))) / (2 * h)
    assert num(mgx.grad(after)(lr)) == pytest.approx(fd, rel=1e-6)
