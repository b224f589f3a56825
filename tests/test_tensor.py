"""Tensor / mgx.array: construction, dtypes, numpy interop, operators, backward() and accumulation."""

import gc
import operator
import weakref

import numpy as np
import pytest

import microgradx as mgx
from microgradx.nodes.tensor import Tensor


# ---------------------------------------------------------------------------
# Construction and dtypes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data, dtype",
    [
        (1.5, np.float64),
        ([1.0, 2.0], np.float64),
        ([[1, 2], [3, 4]], np.int64),
        ([True, False], np.bool_),
        (np.zeros(3, np.float32), np.float32),
        (np.float32(2.0), np.float32),
        (np.arange(3, dtype=np.int32), np.int32),
    ],
)
def test_dtype_follows_the_data(data, dtype):
    assert mgx.array(data).dtype == dtype
    assert Tensor(data).dtype == dtype


def test_dtype_argument_and_copies():
    src = np.array([1.0, 2.0])
    t = mgx.array(src, dtype=np.float32)
    assert t.dtype == np.float32
    u = mgx.array(src)
    src[0] = 99.0
    assert u.data[0] == 1.0  # the Tensor has its own copy
    v = mgx.array(u)
    assert v.data is not u.data and v.tolist() == [1.0, 2.0] and v.is_leaf


def test_shape_properties():
    t = mgx.array(np.zeros((2, 3, 4)))
    assert (t.shape, t.ndim, t.size, len(t)) == ((2, 3, 4), 3, 24, 2)
    assert t.T.shape == (4, 3, 2)
    assert mgx.array(3.0).shape == () and mgx.array(3.0).size == 1
    with pytest.raises(TypeError):
        len(mgx.array(3.0))


@pytest.mark.parametrize(
    "bad, error",
    [
        ("abc", TypeError),
        (b"abc", TypeError),
        (None, TypeError),
        ({"a": 1}, TypeError),
        ([[1.0, 2.0], [3.0]], ValueError),  # ragged
        ([1.0, [2.0]], ValueError),
        (np.array([1, None], dtype=object), TypeError),
        (np.array(["a", "b"]), TypeError),
        ([1.0, "a"], TypeError),
        (["a", "b"], TypeError),
        (object(), TypeError),
    ],
)
def test_bad_data_is_rejected_with_a_clear_error(bad, error):
    with pytest.raises(error, match="data"):
        mgx.array(bad)


def test_dual_cannot_become_a_tensor():
    with pytest.raises(TypeError, match="Dual"):
        mgx.array(mgx.Dual(1.0, 1.0))


# ---------------------------------------------------------------------------
# numpy interop and conversions
# ---------------------------------------------------------------------------
def test_numpy_conversions():
    t = mgx.array([[1.0, 2.0], [3.0, 4.0]])
    assert np.asarray(t) is t.data  # no copy
    a = np.array(t)
    a[0, 0] = 100.0
    assert t.data[0, 0] == 1.0  # np.array copies
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert t.numpy() is t.data
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert mgx.array([2.5]).item() == 2.5 and isinstance(mgx.array([2.5]).item(), float)
    assert mgx.array([3]).item() == 3 and isinstance(mgx.array([3]).item(), int)
    assert float(mgx.array(2.5)) == 2.5 and int(mgx.array(3.0)) == 3
    with pytest.raises(ValueError):
        mgx.array([1.0, 2.0]).item()


def test_repr_is_readable():
    assert repr(mgx.array([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(mgx.array([1, 2])) == "Tensor([1, 2])"
    assert repr(mgx.array(np.float32(1.5))) == "Tensor(1.5, dtype=float32)"
    assert repr(mgx.array([[1.0, 2.0], [3.0, 4.0]])) == "Tensor([[1., 2.],\n        [3., 4.]])"
    assert "Tensor([]" in repr(mgx.zeros((0,)))


# ---------------------------------------------------------------------------
# Operators: numbers and ndarrays on either side
# ---------------------------------------------------------------------------
BINARY = [operator.add, operator.sub, operator.mul, operator.truediv, operator.pow]
COMPARE = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


@pytest.mark.parametrize("op", BINARY + COMPARE, ids=lambda f: f.__name__)
@pytest.mark.parametrize("other", [2.0, 3, np.float64(2.0), np.array([1.5, 2.5]), [1.5, 2.5]],
                         ids=["float", "int", "numpy scalar", "ndarray", "list"])
def test_operators_with_plain_values_on_either_side(op, other):
    t = mgx.Tensor([1.25, 0.5])
    plain = np.asarray(other)
    for result, expected in ((op(t, other), op(t.data, plain)), (op(other, t), op(plain, t.data))):
        assert isinstance(result, Tensor), type(result)
        np.testing.assert_array_equal(result.data, expected)


def test_ndarray_on_the_left_records_a_gradient():
    x = mgx.Tensor([1.0, 2.0])
    y = np.array([3.0, 4.0]) * x + np.array([1.0, 1.0]) @ mgx.stack([x, x])
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 6.0])


def test_matmul_operator_both_sides():
    a = np.arange(6.0).reshape(2, 3)
    t = mgx.Tensor(np.ones((3, 2)))
    assert isinstance(a @ t, Tensor) and isinstance(t.T @ a.T, Tensor)
    np.testing.assert_array_equal((a @ t).data, a @ np.ones((3, 2)))


def test_unary_operators_and_numpy_ufuncs():
    x = mgx.Tensor([-1.0, 2.0])
    np.testing.assert_array_equal((-x).data, [1.0, -2.0])
    assert (+x) is x
    np.testing.assert_array_equal(abs(x).data, [1.0, 2.0])
    y = np.tanh(x)  # numpy ufuncs dispatch to the rule table
    assert isinstance(y, Tensor)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, 1 - np.tanh([-1.0, 2.0]) ** 2)


def test_operator_with_unsupported_type_raises_type_error():
    x = mgx.Tensor([1.0])
    with pytest.raises(TypeError):
        x + "a"
    with pytest.raises(TypeError):
        "a" * x
    with pytest.raises(TypeError):
        x + None
    with pytest.raises(TypeError):
        x + {1: 2}


def test_comparisons_have_no_gradient():
    x = mgx.Tensor([1.0, -2.0, 3.0])
    mask = x > 0
    assert mask.dtype == np.bool_ and mask.is_leaf and mask._prim is None
    y = mgx.where(mask, x * 2.0, x * -1.0).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, -1.0, 2.0])


def test_item_assignment_names_a_new_array_as_in_mlx():
    x = mgx.array([1.0, 2.0])
    before = x.data
    x[0] = 5.0
    assert x.tolist() == [5.0, 2.0] and before.tolist() == [1.0, 2.0]  # the old value is not written over
    y = mgx.array([0.0, 0.0, 0.0])
    g = mgx.grad(lambda v: (lambda z: (z.__setitem__(1, v * 3.0), mgx.sum(z * z))[1])(mgx.zeros(3)))(2.0)
    assert g == pytest.approx(36.0)
    y[mgx.array([0, 2])] = mgx.array([1.0, 4.0])
    assert y.tolist() == [1.0, 0.0, 4.0]


def test_item_assignment_to_a_traced_variable_is_refused():
    def f(x):
        x[0] = 5.0
        return mgx.sum(x)

    with pytest.raises(TypeError, match="item assignment"):
        mgx.grad(f)(mgx.array([1.0, 2.0]))


# ---------------------------------------------------------------------------
# backward(grad=None), accumulation, dtypes of gradients
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (1, 1, 1)])
def test_implicit_seed_for_size_one_outputs(shape):
    x = mgx.Tensor(np.full(shape, 3.0))
    (x * x).backward()
    np.testing.assert_array_equal(x.grad, np.full(shape, 6.0))
    assert x.grad.shape == shape


@pytest.mark.parametrize("shape", [(2,), (0,), (2, 3)])
def test_no_implicit_seed_for_larger_outputs(shape):
    y = mgx.Tensor(np.ones(shape)) * 2.0
    with pytest.raises(ValueError, match="grad") as info:
        y.backward()
    assert str(shape) in str(info.value)


def test_backward_with_grad_and_shape_check():
    x = mgx.Tensor([1.0, 2.0, 3.0])
    y = x * x
    y.backward(grad=[1.0, 0.0, 2.0])
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, 12.0])
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        (x * x).backward(grad=np.ones(2))


def test_backward_accumulates_and_zero_grad_resets():
    x = mgx.Tensor([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    y.backward()  # accumulates: 2 * 2x
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    x.zero_grad()
    assert x.grad is None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_reused_node_accumulates_like_scalar():
    a = mgx.Tensor(3.0)
    b = a + a
    c = b * b  # c = 4a², dc/da = 8a
    c.backward()
    assert float(a.grad) == 24.0
    assert float(b.grad) == 12.0  # intermediate nodes get .grad too, as in micrograd


def test_intermediate_gradients_are_not_aliased():
    x = mgx.Tensor([1.0, 2.0])
    y = x + 0.0
    z = y + 0.0  # cotangents flow through unchanged: the arrays must not be shared
    z.sum().backward()
    z.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    np.testing.assert_array_equal(y.grad, [2.0, 2.0])
    np.testing.assert_array_equal(z.grad, [2.0, 2.0])
    x.grad += 1.0  # an optimizer may change a leaf's gradient in place
    np.testing.assert_array_equal(y.grad, [2.0, 2.0])


def test_user_seed_is_not_aliased():
    x = mgx.Tensor([1.0, 2.0])
    seed = np.ones(2)
    (x * 1.0).backward(grad=seed)
    seed[0] = 100.0
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_float32_stays_float32_end_to_end():
    rng = np.random.default_rng(0)
    w = mgx.Tensor(rng.standard_normal((3, 2)).astype(np.float32))
    x = rng.standard_normal((4, 3)).astype(np.float32)
    h = mgx.tanh(x @ w + 1) * 0.5 - 2.0 / (1.0 + mgx.exp(-(x @ w)))
    loss = mgx.mean(mgx.log_softmax(h, axis=-1)[np.arange(4), [0, 1, 1, 0]] ** 2)
    assert h.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    assert w.grad.dtype == np.float32


def test_integer_inputs_give_float64_gradients():
    x = mgx.Tensor([1, 2, 3])
    (x * 2.5).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [2.5, 2.5, 2.5])
    i = mgx.Tensor([1, 2, 3])
    (i * i).sum().backward()  # an integer result: seeded with float64 ones
    np.testing.assert_array_equal(i.grad, [2.0, 4.0, 6.0])
    assert i.grad.dtype == np.float64


def test_mixed_precision_gradient_takes_each_inputs_dtype():
    a = mgx.Tensor(np.ones(2, np.float32))
    b = mgx.Tensor(np.ones(2, np.float64))
    y = (a * b).sum()
    assert y.dtype == np.float64  # numpy's promotion
    y.backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_backward_inside_no_grad_is_an_error():
    x = mgx.Tensor([1.0])
    y = (x * 2.0).sum()
    with mgx.no_grad():
        with pytest.raises(RuntimeError):
            y.backward()


def test_no_grad_records_nothing():
    x = mgx.Tensor([1.0, 2.0])
    with mgx.no_grad():
        y = mgx.tanh(x) * 2.0
    assert y.is_leaf and isinstance(y, Tensor)


def test_detach_and_stop_gradient():
    x = mgx.Tensor(2.0)
    y = x * x
    d = y.detach()
    assert d.is_leaf and float(d) == 4.0
    z = (mgx.stop_gradient(y) * x + d * x)
    z.backward()
    assert float(x.grad) == 8.0


def test_data_assignment_updates_a_parameter():
    w = mgx.Tensor([1.0, 2.0])
    (w * w).sum().backward()
    w.data -= 0.1 * w.grad
    np.testing.assert_allclose(w.data, [0.8, 1.6])
    with pytest.raises(TypeError):
        w.data = np.array(["a"])


def test_graph_is_freed_by_reference_counting():
    gc.disable()
    try:
        x = mgx.Tensor(np.ones(3))
        y = mgx.tanh(x * 2.0).sum()
        y.backward()
        ref = weakref.ref(y)
        inner = weakref.ref(y._parents[0])
        del y
        assert ref() is None and inner() is None
    finally:
        gc.enable()


def test_deep_tensor_chain_backward():
    x = mgx.Tensor(np.ones(2))
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full(2, 1.0001**5000))


def test_numpy_reductions_keep_the_graph():
    x = mgx.Tensor([1.0, 2.0, 4.0])
    for fn in (np.sum, np.mean, np.max, np.min, np.var, np.std):
        y = fn(x * x)
        assert isinstance(y, Tensor), fn.__name__
        np.testing.assert_allclose(y.data, fn(x.data * x.data))
    x.zero_grad()
    np.sum(x * x, axis=0).backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 8.0])
    assert np.sum(x, dtype=np.float32).dtype == np.float32
    with pytest.raises(TypeError, match="out="):
        np.sum(x, out=np.zeros(()))
