"""Complex numbers (issue 13): values, and derivatives that follow MLX's convention, checked against
finite differences in each of the real and imaginary directions.

The convention (rule table, "Complex numbers"): a complex number is a pair of reals; the gradient of
a real loss L at z = x + iy is dL/dx + i dL/dy; a tangent t maps to df = f'(z) t for holomorphic f.
"""

import numpy as np
import pytest

import microgradx as mgx
from microgradx.core import rules as R

Z = np.array([[0.7 + 0.4j, -0.3 + 1.1j, 1.2 - 0.6j], [0.5 - 0.9j, 1.5 + 0.2j, -0.8 - 0.3j]])
W = np.array([[1.1 - 0.2j, 0.4 + 0.5j, -0.7 + 0.9j], [0.6 + 0.3j, -1.2 - 0.4j, 0.9 + 0.8j]])
H = 1e-6


def fd_gradient(loss, z):
    """dL/dx + i dL/dy of a real loss, by central differences."""
    g = np.zeros_like(z)
    for k in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[k] = H
        g[k] = (loss(z + e) - loss(z - e)) / (2 * H) + 1j * (loss(z + 1j * e) - loss(z - 1j * e)) / (2 * H)
    return g


def fd_tangent(f, z, t):
    """(f(z + h t) - f(z - h t)) / 2h: the output's change along the direction t."""
    return (np.asarray(f(mgx.array(z + H * t))) - np.asarray(f(mgx.array(z - H * t)))) / (2 * H)


FUNCTIONS = {
    "add": lambda z: z + mgx.array(W), "multiply": lambda z: z * mgx.array(W), "divide": lambda z: mgx.array(W) / z,
    "power": lambda z: z ** 3, "power by an array": lambda z: mgx.power(z, mgx.array(W)),
    "square": mgx.square, "sqrt": mgx.sqrt, "exp": mgx.exp, "log": mgx.log, "sin": mgx.sin, "cos": mgx.cos,
    "tanh": mgx.tanh, "tan": mgx.tan, "sinh": mgx.sinh, "cosh": mgx.cosh, "reciprocal": mgx.reciprocal,
    "conj": mgx.conj, "real": mgx.real, "imag": mgx.imag, "abs": mgx.abs, "python abs": abs,
    "z * conj(z)": lambda z: z * mgx.conj(z), "matmul": lambda z: mgx.matmul(z, mgx.array(W).T),
    "sum": lambda z: mgx.sum(z, axis=0), "mean": mgx.mean, "prod": lambda z: mgx.prod(z, axis=1),
    "cumsum": lambda z: mgx.cumsum(z, axis=1), "getitem": lambda z: z[1, ::-1], "transpose": mgx.transpose,
    "astype to real": lambda z: mgx.astype(z, np.float64), "real times complex": lambda z: mgx.real(z) * (1 + 2j),
    "max": lambda z: mgx.max(z, axis=1), "min": lambda z: mgx.min(z, axis=0), "sort": lambda z: mgx.sort(z, axis=1),
    "cumprod": lambda z: mgx.cumprod(z, axis=1), "logsumexp": lambda z: mgx.logsumexp(z, axis=1),
    "var": lambda z: mgx.var(z, axis=1), "var, ddof 1": lambda z: mgx.var(z, ddof=1),
    "std": lambda z: mgx.std(z, axis=0), "cummax": lambda z: mgx.cummax(z, axis=1),
    "cummin": lambda z: mgx.cummin(z, axis=0), "topk": lambda z: mgx.topk(z, 2, axis=1),
    "partition": lambda z: mgx.partition(z, 1, axis=1), "logcumsumexp": lambda z: mgx.logcumsumexp(z, axis=1),
    "cumprod through a zero": lambda z: mgx.cumprod(mgx.concatenate([z, z[:, :1] * 0.0, z], axis=1), axis=1),
}
NUMPY_LOSSES = {"re": lambda v: np.real(v), "im": lambda v: np.imag(v)}


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("part", ["re", "im"])
def test_gradient_of_a_real_loss_is_dL_dx_plus_i_dL_dy(name, part):
    f = FUNCTIONS[name]
    weights = np.linspace(0.5, 2.0, np.asarray(f(mgx.array(Z))).size).reshape(np.shape(f(mgx.array(Z))))
    loss = getattr(mgx, {"re": "real", "im": "imag"}[part])
    g = mgx.grad(lambda z: mgx.sum(loss(f(z)) * weights))(mgx.array(Z))
    assert g.dtype == np.complex128
    expected = fd_gradient(lambda z: np.sum(NUMPY_LOSSES[part](np.asarray(f(mgx.array(z)))) * weights), Z)
    assert np.allclose(np.asarray(g), expected, rtol=1e-5, atol=1e-6), name


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("direction", [1.0, 1.0j])
def test_jvp_is_the_change_along_the_tangent(name, direction):
    f = FUNCTIONS[name]
    t = direction * np.linspace(0.5, 1.5, Z.size).reshape(Z.shape)
    _, (tangent,) = mgx.jvp(f, [mgx.array(Z)], [mgx.array(t)])
    assert np.allclose(np.asarray(tangent), fd_tangent(f, Z, t), rtol=1e-5, atol=1e-6), name


@pytest.mark.parametrize("name", ["multiply", "exp", "abs", "conj", "imag", "matmul"])
def test_vjp_and_jvp_are_adjoint(name):
    """<cotangent, jvp(t)> = <vjp(cotangent), t> in the real inner product Re(conj(a) b) of pairs of reals."""
    f = FUNCTIONS[name]
    rng = np.random.default_rng(0)
    t = rng.normal(size=Z.shape) + 1j * rng.normal(size=Z.shape)
    (out,), (tangent,) = mgx.jvp(f, [mgx.array(Z)], [mgx.array(t)])
    c = rng.normal(size=out.shape) + (1j * rng.normal(size=out.shape) if out.dtype.kind == "c" else 0)
    _, (back,) = mgx.vjp(f, [mgx.array(Z)], [mgx.array(c)])
    lhs = np.sum(np.real(np.conj(c) * np.asarray(tangent)))
    rhs = np.sum(np.real(np.conj(np.asarray(back)) * t))
    assert np.isclose(lhs, rhs)


def test_holomorphic_vjp_multiplies_by_the_conjugate_derivative():
    # f(z) = z², cotangent i: g * conj(f'(z)) = i * conj(2z)
    z = np.array([1.0 + 2.0j])
    _, (back,) = mgx.vjp(lambda u: u * u, [mgx.array(z)], [mgx.array([1.0j])])
    assert np.allclose(np.asarray(back), 1j * np.conj(2 * z))
    assert R.adjoint(np.array([1 + 2j])).tolist() == [1 - 2j]


def test_second_order_through_complex_values():
    # d/dz real((1 - i) * grad |z|²) = d/dz 2(x + y) = 2 + 2i
    inner = mgx.grad(lambda u: mgx.sum(mgx.abs(u) ** 2))
    g = mgx.grad(lambda z: mgx.sum(mgx.real(inner(z) * (1 - 1j))))(mgx.array([1.0 + 2.0j]))
    assert np.allclose(np.asarray(g), [2.0 + 2.0j])


def test_abs_at_zero_has_gradient_zero():
    g = mgx.grad(lambda z: mgx.sum(mgx.abs(z)))(mgx.array([0j, 3.0 + 4.0j]))
    assert np.asarray(g)[0] == 0 and np.allclose(np.asarray(g), [0j, 0.6 + 0.8j])


def test_top_level_defaults_are_numpy_s():
    assert mgx.array(1 + 2j).dtype == np.complex128
    assert mgx.zeros(2, dtype=complex).dtype == np.complex128
    assert (mgx.array([1.0], dtype=np.float32) * 1j).dtype == np.complex64
    assert mgx.astype(mgx.array([1.5 - 2j]), np.float64).tolist() == [1.5]
    x = mgx.array([1.0 + 2.0j])
    assert (x.real.tolist(), x.imag.tolist(), x.conj().tolist()) == ([1.0], [2.0], [1.0 - 2.0j])


def test_a_real_input_gets_a_real_gradient():
    g = mgx.grad(lambda x: mgx.sum(mgx.abs(x * (1 + 2j))))(mgx.array([1.0, -2.0]))
    assert g.dtype == np.float64 and np.allclose(np.asarray(g), [5 ** 0.5, -(5 ** 0.5)])


@pytest.mark.parametrize("call, name", [
    (lambda z: mgx.sigmoid(z), "sigmoid: a is complex"),
    (lambda z: mgx.maximum(1.0, z), "maximum: b is complex"),
    (lambda z: mgx.minimum(z, 1.0), "minimum: a is complex"),
    (lambda z: mgx.sign(z), "sign: a is complex"),
    (lambda z: mgx.median(z), "median: a is complex"),
    (lambda z: z.relu(), "relu: a is complex"),
])
def test_functions_not_checked_for_complex_refuse_it(call, name):
    with pytest.raises(ValueError, match=name):
        call(mgx.array(Z))


def test_rules_not_holomorphic_refuse_complex_derivatives():
    # the rule table's own guard, for code that applies a primitive directly
    with pytest.raises(ValueError, match="no derivative rule for complex inputs of relu"):
        R.local_derivative(R.RELU, 0, (np.array([1j]),), np.array([1j]))
    assert R.MUL.holomorphic and not R.ABS.holomorphic


def test_eager_backward_on_a_complex_leaf_agrees_with_grad():
    z = mgx.Tensor([1 + 2j, 3 - 1j])
    mgx.sum(mgx.abs(z * z)).backward()  # |z|² has gradient 2z
    assert np.allclose(z.grad, [2 + 4j, 6 - 2j])
    g = mgx.grad(lambda u: mgx.sum(mgx.abs(u * u)))(mgx.array([1 + 2j, 3 - 1j]))
    assert np.allclose(np.asarray(g), z.grad)
