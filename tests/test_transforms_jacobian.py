"""jacfwd, jacrev and hessian (JAX-style argnums; beyond MLX)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import microgradx as mgx


def rosenbrock(v):
    return (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2


def test_hessian_of_rosenbrock_at_the_minimum():
    H = mgx.hessian(rosenbrock)(mgx.array([1.0, 1.0]))
    assert isinstance(H, mgx.Tensor) and H.shape == (2, 2)
    assert np.asarray(H).tolist() == [[802.0, -400.0], [-400.0, 200.0]]


def test_hessian_of_rosenbrock_with_two_scalar_arguments():
    f = lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2  # noqa: E731
    H = mgx.hessian(f, argnums=(0, 1))(1.0, 1.0)
    assert [[float(h) for h in row] for row in H] == [[802.0, -400.0], [-400.0, 200.0]]


def test_hessian_elsewhere_matches_the_formula():
    x, y = -0.5, 2.0
    expected = [[2 - 400 * (y - x**2) + 800 * x**2, -400 * x], [-400 * x, 200]]
    assert np.allclose(np.asarray(mgx.hessian(rosenbrock)(np.array([x, y]))), expected)


def _random_function(seed):
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))

    def f(x, w):
        return mgx.tanh(A @ x) * mgx.sum(mgx.exp(x[:, None] * w * B), axis=0)[0] + mgx.sin(x[0] * w[1, 0])

    return f, rng.standard_normal(3), rng.standard_normal((3, 2))


@pytest.mark.parametrize("seed", range(4))
def test_jacfwd_and_jacrev_agree_on_a_random_function(seed):
    f, x, w = _random_function(seed)
    for argnums in (0, 1, (0, 1)):
        fwd = mgx.jacfwd(f, argnums)(x, w)
        rev = mgx.jacrev(f, argnums)(x, w)
        for a, b in zip(fwd if isinstance(argnums, tuple) else [fwd], rev if isinstance(argnums, tuple) else [rev]):
            assert a.shape == b.shape
            assert np.allclose(np.asarray(a), np.asarray(b), rtol=1e-10, atol=1e-12)
    J = np.asarray(mgx.jacrev(f)(x, w))
    h = 1e-6
    for j in range(3):  # and both match finite differences, column by column
        e = np.zeros(3)
        e[j] = h
        fd = (np.asarray(f(x + e, w)) - np.asarray(f(x - e, w))) / (2 * h)
        assert np.allclose(J[:, j], fd, rtol=1e-6, atol=1e-8)


shapes = st.lists(st.integers(0, 3), min_size=0, max_size=3).map(tuple)


@given(in_shape=shapes, out_shape=shapes, seed=st.integers(0, 100))
def test_jacobian_shape_is_output_shape_plus_input_shape(in_shape, out_shape, seed):
    rng = np.random.default_rng(seed)
    n_in, n_out = int(np.prod(in_shape)), int(np.prod(out_shape))
    M = rng.standard_normal((n_out, n_in))
    x = rng.standard_normal(in_shape)

    def f(x):  # a smooth map from in_shape to out_shape
        flat = mgx.reshape(x, (n_in,))
        return mgx.reshape(mgx.sin(mgx.matmul(M, flat)) if n_in else mgx.zeros((n_out,)), out_shape)

    fwd, rev = mgx.jacfwd(f)(mgx.array(x)), mgx.jacrev(f)(mgx.array(x))
    assert fwd.shape == rev.shape == out_shape + in_shape
    expected = (np.cos(M @ x.reshape(n_in))[:, None] * M).reshape(out_shape + in_shape)
    assert np.allclose(np.asarray(fwd), expected) and np.allclose(np.asarray(rev), expected)


def test_several_outputs_and_argnums_follow_jax_nesting():
    f = lambda x, y: (x * y, x + y)  # noqa: E731
    for jac in (mgx.jacfwd, mgx.jacrev):
        (dxy_dx, dxy_dy), (ds_dx, ds_dy) = jac(f, argnums=(0, 1))(2.0, 3.0)
        assert [float(t) for t in (dxy_dx, dxy_dy, ds_dx, ds_dy)] == [3.0, 2.0, 1.0, 1.0]
        d_prod, d_sum = jac(f)(2.0, 3.0)
        assert (float(d_prod), float(d_sum)) == (3.0, 1.0)


def test_output_that_ignores_the_input_has_a_zero_jacobian():
    for jac in (mgx.jacfwd, mgx.jacrev):
        J = jac(lambda x: mgx.ones((2,)))(mgx.array([1.0, 2.0, 3.0]))
        assert J.shape == (2, 3) and not np.any(np.asarray(J))


def test_jacobians_nest_inside_other_transforms():
    # d/da of trace(J(x)) with J = d/dx (a·x²): trace = Σ 2·a·x_i, derivative Σ 2·x_i
    x = np.array([1.0, 2.0, 3.0])
    for jac in (mgx.jacfwd, mgx.jacrev):
        g = mgx.grad(lambda a, jac=jac: mgx.sum(mgx.reshape(jac(lambda u: a * u * u)(x), (9,))[::4]))(0.5)
        assert float(g) == pytest.approx(12.0)


def test_hessian_of_a_function_with_matrix_input():
    A = np.array([[2.0, 1.0], [0.0, 3.0]])
    H = mgx.hessian(lambda X: mgx.sum((X @ A) ** 2))(np.eye(2))
    assert H.shape == (2, 2, 2, 2)
    # d²/dX_ij dX_kl Σ (XA)² = 2 δ_ik (A Aᵀ)_jl
    expected = 2 * np.einsum("ik,jl->ijkl", np.eye(2), A @ A.T)
    assert np.allclose(np.asarray(H), expected)


def test_bad_arguments():
    with pytest.raises(TypeError, match="argnums"):
        mgx.jacfwd(lambda x: x, argnums="0")
    with pytest.raises(ValueError, match="repeats"):
        mgx.jacrev(lambda x: x, argnums=(0, 0))
    with pytest.raises(ValueError, match="called with 1 positional"):
        mgx.jacrev(lambda x: x, argnums=1)(1.0)
    with pytest.raises(TypeError, match="argument 0 must be an array"):
        mgx.jacfwd(lambda x: x)("ab")
    with pytest.raises(TypeError, match="fun must be callable"):
        mgx.hessian(3)
    with pytest.raises(RuntimeError, match="must return an array"):
        mgx.jacfwd(lambda x: {"a": "text"})(1.0)
