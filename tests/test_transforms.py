"""grad/value_and_grad/vjp/jvp: our extensions, nesting, state hygiene (MLX conformance is in test_mlx_*)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import microgradx as mgx
from microgradx.core import state


# --- gradients come back in the kind of their leaf ------------------------------------------------------
@pytest.mark.parametrize("leaf, kind, dtype", [
    (mgx.array([1.0, 2.0]), mgx.Tensor, np.float64),
    (mgx.array(np.array([1.0, 2.0], np.float32)), mgx.Tensor, np.float32),
    (np.array([1.0, 2.0]), np.ndarray, np.float64),
    (np.array([1.0, 2.0], np.float32), np.ndarray, np.float32),
    (np.array([1, 2]), np.ndarray, np.float64),
    (mgx.array([1, 2]), mgx.Tensor, np.float64),
])
def test_array_leaves(leaf, kind, dtype):
    g = mgx.grad(lambda x: mgx.sum(x * x * 1.5))(leaf)
    assert type(g) is kind and g.dtype == dtype
    assert np.asarray(g).tolist() == [3.0, 6.0]


@pytest.mark.parametrize("leaf", [2.0, 2, np.float64(2.0), np.float32(2.0), np.int32(2)])
def test_number_leaves_give_floats(leaf):
    g = mgx.grad(lambda x: x * x)(leaf)
    assert type(g) is float and g == 4.0


def test_scalar_leaf_gives_a_scalar():
    s = mgx.Scalar(3.0)
    g = mgx.grad(lambda x: x.tanh() * x)(s)
    assert isinstance(g, type(s)) and g.data == pytest.approx(np.tanh(3.0) + 3.0 * (1 - np.tanh(3.0) ** 2))


def test_mixed_tree_of_kinds():
    params = {"w": mgx.array([1.0, 2.0]), "b": 0.5, "scale": np.array(3.0), "s": mgx.Scalar(2.0)}
    g = mgx.grad(lambda p: mgx.sum(p["w"] * p["scale"]) + p["b"] * p["s"])(params)
    assert type(g["w"]) is mgx.Tensor and type(g["b"]) is float and type(g["scale"]) is np.ndarray
    assert g["b"] == 2.0 and g["s"].data == 0.5 and float(g["scale"]) == 3.0


def test_unused_leaves_get_zeros_of_their_kind():
    g = mgx.grad(lambda x, y, z: x * 2, argnums=(0, 1, 2))(1.0, np.zeros((2, 3), np.float32), mgx.array([1, 2]))
    assert g[0] == 2.0 and g[1].shape == (2, 3) and g[1].dtype == np.float32 and not g[1].any()
    assert type(g[2]) is mgx.Tensor and g[2].dtype == np.float64 and not np.asarray(g[2]).any()


def test_eager_tensors_are_constants_inside_a_transform():
    w = mgx.Tensor([1.0, 2.0])
    h = w * 3.0  # an eager graph exists
    g = mgx.grad(lambda x: mgx.sum(x * h))(w)
    assert np.asarray(g).tolist() == [3.0, 6.0]
    assert w.grad is None and h._level == 0  # the eager graph was not touched


def test_transforms_work_inside_no_grad():
    with mgx.no_grad():
        assert mgx.grad(lambda x: x**3)(2.0) == 12.0
        assert float(mgx.jvp(lambda x: x**3, [2.0], [1.0])[1][0]) == 12.0


# --- nesting: inner results are nodes of the outer transform --------------------------------------------
def test_inner_gradient_is_a_node_of_the_outer_level():
    seen = []

    def outer(x):
        g = mgx.grad(lambda y: y * y * x)(x)  # depends on the outer x
        seen.append(g)
        return g

    assert mgx.grad(outer)(2.0) == 8.0  # outer(x) = 2x·x, outer'(x) = 4x
    assert isinstance(seen[0], mgx.Tensor) and seen[0]._level != 0


def test_inner_gradient_value():
    # outer(x) = d/dy (y²·x) at y = x = 2x², outer'(x) = 4x
    assert mgx.grad(lambda x: mgx.grad(lambda y: y * y * x)(x))(2.0) == 8.0


def test_dual_inputs_inside_jvp_stay_duals():
    _, (t,) = mgx.jvp(lambda x: mgx.grad(lambda y: y**3)(x), [2.0], [1.0])
    assert float(t) == 12.0  # d/dx 3x² = 6x


# --- vjp: several sweeps into the same leaves (engine's root._cot accumulates) -----------------------------
def test_vjp_output_that_is_the_input_twice():
    outs, (g,) = mgx.vjp(lambda x: (x, x), [mgx.array([1.0, 2.0])], [np.array([1.0, 1.0]), np.array([2.0, 5.0])])
    assert np.asarray(g).tolist() == [3.0, 6.0]


def test_vjp_input_as_output_after_a_computed_output():
    _, (g,) = mgx.vjp(lambda x: (x * 2, x), [3.0], [1.0, 10.0])
    assert g == 12.0


def test_vjp_cotangent_dtype_follows_the_output():
    _, (g,) = mgx.vjp(lambda x: x * 2, [np.array([1.0], np.float32)], [np.array([1.0])])
    assert g.dtype == np.float32


# --- state hygiene --------------------------------------------------------------------------------------
def test_exceptions_leave_no_level_open_and_restore_the_arguments():
    lst = [mgx.array(1.0)]
    original = lst[0]

    def boom(p):
        raise KeyError("boom")

    for transform in (mgx.grad, mgx.value_and_grad):
        with pytest.raises(KeyError):
            transform(boom)(lst)
        assert lst[0] is original
    with pytest.raises(KeyError):
        mgx.jvp(boom, [1.0], [1.0])
    with pytest.raises(KeyError):
        mgx.vjp(boom, [1.0], [1.0])
    assert state.active_levels() == () and state.eager_enabled()


def test_output_errors_leave_no_level_open():
    with pytest.raises(ValueError):
        mgx.grad(lambda x: x)(np.zeros(2))
    assert state.active_levels() == ()


def test_wraps_the_function():
    def loss(w):
        """The loss."""
        return w * w

    for transform in (mgx.grad, mgx.value_and_grad, mgx.jacfwd, mgx.jacrev, mgx.hessian):
        t = transform(loss)
        assert t.__name__ == "loss" and t.__doc__ == "The loss." and t.__wrapped__ is loss


def test_threads_keep_their_own_levels():
    results, errors = {}, []

    def work(k):
        try:
            for _ in range(50):
                results[k] = mgx.grad(mgx.grad(lambda x: x ** 3 * k))(1.0)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in (1.0, 2.0, 3.0)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == {1.0: 6.0, 2.0: 12.0, 3.0: 18.0}


def test_value_is_a_tensor_and_keeps_float32():
    value, g = mgx.value_and_grad(lambda x: mgx.sum(x * x))(np.array([1.0, 2.0], np.float32))
    assert type(value) is mgx.Tensor and value.dtype == np.float32 and g.dtype == np.float32
