"""Regression tests for the defects of issue 15 found by adversarial testing (§4 axes, §5 IEEE and byte order, §6).

Each test names the item it covers; the whole file runs on both backends.
"""

import numpy as np
import pytest

import microgradx as mgx
from microgradx import nn

AxisError = np.exceptions.AxisError


# --- §4: out-of-range and non-integer axes raise, through one shared helper --------------------------------------
X = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize("call, error, message", [
    (lambda x: mgx.transpose(x, (1, 2)), AxisError, "axes entry 2 is out of bounds for an array of dimension 2"),
    (lambda x: mgx.transpose(x, (0, 3)), AxisError, "axes entry 3 is out of bounds for an array of dimension 2"),
    (lambda x: mgx.transpose(x, (0, 0)), ValueError, "not a permutation of 2 dimensions"),
    (lambda x: mgx.transpose(x, (0, 1.0)), TypeError, "axes entry must be an int; got float 1.0"),
    (lambda x: x.transpose(2, 0), AxisError, "axes entry 2 is out of bounds"),
    (lambda x: mgx.take(x, [0], axis=2), AxisError, "axis 2 is out of bounds for an array of dimension 2"),
    (lambda x: mgx.take(x, [0], axis=-3), AxisError, "axis -3 is out of bounds for an array of dimension 2"),
    (lambda x: mgx.take(mgx.array(1.0), [0], axis=0), AxisError, "axis 0 is out of bounds for an array of "
                                                                  "dimension 0"),
    (lambda x: mgx.sum(x, axis=(1.7,)), TypeError, "axis must be an int; got float 1.7"),
    (lambda x: mgx.sum(x, axis=1.0), TypeError, "axis must be None, an int or a tuple of ints; got float 1.0"),
    (lambda x: mgx.sum(x, axis=2), AxisError, "axis 2 is out of bounds for an array of dimension 2"),
    (lambda x: mgx.sum(x, axis=(0, -2)), ValueError, "repeated axis"),
    (lambda x: mgx.sum(x, axis=True), TypeError, "got bool"),
    (lambda x: mgx.mean(x, axis=(0, 5)), AxisError, "axis 5 is out of bounds"),
    (lambda x: mgx.var(x, axis=-3), AxisError, "axis -3 is out of bounds"),
    (lambda x: mgx.std(x, axis="0"), TypeError, "axis must be None, an int or a tuple of ints; got str '0'"),
    (lambda x: mgx.max(x, axis=(2,)), AxisError, "axis 2 is out of bounds"),
    (lambda x: mgx.min(x, axis=[0, 9]), AxisError, "axis 9 is out of bounds"),
    (lambda x: mgx.logsumexp(x, axis=3), AxisError, "axis 3 is out of bounds"),
    (lambda x: mgx.softmax(x, axis=2), AxisError, "axis 2 is out of bounds"),
    (lambda x: mgx.log_softmax(x, axis=2), AxisError, "axis 2 is out of bounds"),
    (lambda x: mgx.argmax(x, axis=2), AxisError, "axis 2 is out of bounds"),
    (lambda x: mgx.argmin(x, axis=0.5), TypeError, "axis must be an int; got float 0.5"),
    (lambda x: mgx.swapaxes(x, None, 0), TypeError, "axis1 must be an int; got NoneType"),
    (lambda x: mgx.swapaxes(x, 0, 2), AxisError, "axis2 2 is out of bounds for an array of dimension 2"),
    (lambda x: mgx.expand_dims(x, 3), AxisError, "axis 3 is out of bounds for an array of dimension 3"),
    (lambda x: mgx.expand_dims(x, (0, 0)), ValueError, "repeated axis"),
    (lambda x: mgx.squeeze(x, 2), AxisError, "axis 2 is out of bounds"),
    (lambda x: mgx.squeeze(x, 0), ValueError, "does not have size 1"),
    (lambda x: mgx.concatenate([x, x], axis=2), AxisError, "axis 2 is out of bounds"),
    (lambda x: mgx.concatenate([x, x], axis=None), TypeError, "axis=None"),
    (lambda x: mgx.concatenate([x, x], axis=1.0), TypeError, "axis must be an int; got float 1.0"),
    (lambda x: mgx.stack([x, x], axis=3), AxisError, "axis 3 is out of bounds for an array of dimension 3"),
    (lambda x: x.sum(axis=4), AxisError, "axis 4 is out of bounds"),
    (lambda x: x.softmax(axis=-3), AxisError, "axis -3 is out of bounds"),
])
def test_bad_axes_raise(call, error, message):
    with pytest.raises(error) as info:
        call(mgx.array(X))
    assert message in str(info.value)


def test_axis_errors_are_numpy_axis_errors():
    assert issubclass(AxisError, ValueError) and issubclass(AxisError, IndexError)
    with pytest.raises(IndexError):  # also catchable as numpy users do
        mgx.take(mgx.array(X), [0], axis=2)


def test_valid_axes_still_work_and_differentiate():
    x = mgx.array(X)
    assert mgx.transpose(x, (-1, 0)).shape == (3, 2)
    assert mgx.swapaxes(mgx.zeros((2, 3, 4)), -1, 0).shape == (4, 3, 2)
    assert mgx.expand_dims(x, (0, -1)).shape == (1, 2, 3, 1)
    assert mgx.squeeze(mgx.zeros((1, 2, 1)), (0, -1)).shape == (2,)
    assert mgx.stack([x, x], -1).shape == (2, 3, 2)
    assert mgx.sum(mgx.array(2.0), axis=0).item() == 2.0  # numpy's reductions accept axis 0 / -1 on 0-d arrays
    assert mgx.sum(x, axis=np.int64(-1)).shape == (2,)
    g = mgx.grad(lambda v: mgx.sum(mgx.take(v, [2, 2], axis=-1)))(x)
    np.testing.assert_array_equal(np.asarray(g), [[0, 0, 2], [0, 0, 2]])


def test_one_shared_axis_helper():
    from microgradx.core import arguments, rules

    assert arguments.axis_index(-1, 4) == 3
    assert arguments.axis_indices((1, -1), 3) == (1, 2)
    assert rules._norm_axes(-1, 2) == (1,)
    with pytest.raises(AxisError, match="axis 5 is out of bounds"):
        rules._norm_axes(5, 2)


# --- §5: IEEE results instead of ZeroDivisionError ---------------------------------------------------------------
def test_divide_by_int_zero_backward_is_ieee():
    x = mgx.Tensor([1.0, 2.0])
    y = mgx.sum(x / 0)
    assert np.isinf(y.item())
    y.backward()
    np.testing.assert_array_equal(x.grad, [np.inf, np.inf])
    np.testing.assert_array_equal(np.asarray(mgx.grad(lambda v: mgx.sum(v / 0))(mgx.array([1.0]))), [np.inf])
    _, (t,) = mgx.jvp(lambda v: v / 0, [mgx.array([1.0])], [mgx.array([1.0])])
    np.testing.assert_array_equal(np.asarray(t), [np.inf])


def test_var_with_ddof_n_and_means_of_nothing():
    x = mgx.Tensor([1.0, 3.0])
    v = mgx.var(x, ddof=2)
    assert np.isinf(v.item())
    v.backward()
    assert np.all(np.isinf(x.grad)) or np.all(np.isnan(x.grad))
    g = mgx.grad(lambda a: mgx.var(a, ddof=2))(mgx.array([1.0, 3.0]))
    assert np.asarray(g).shape == (2,)
    empty = mgx.Tensor(np.zeros(0))
    m = mgx.mean(empty)
    assert np.isnan(m.item())
    m.backward()
    assert empty.grad.shape == (0,)
    assert np.asarray(mgx.grad(mgx.mean)(mgx.array(np.zeros(0)))).shape == (0,)
    (out,), (tan,) = mgx.jvp(mgx.mean, [mgx.array(np.zeros(0))], [mgx.array(np.zeros(0))])
    assert np.isnan(np.asarray(out)) and np.isnan(np.asarray(tan))


def test_losses_on_an_empty_batch():
    p = mgx.Tensor(np.zeros((0,)))
    loss = nn.mse_loss(p, np.zeros(0))
    assert np.isnan(loss.item())
    loss.backward()
    assert p.grad.shape == (0,)
    logits = mgx.Tensor(np.zeros((0, 3)))
    ce = nn.cross_entropy(logits, np.zeros(0, dtype=np.int64))
    assert np.isnan(ce.item())
    ce.backward()
    assert logits.grad.shape == (0, 3)
    g = mgx.grad(lambda z: nn.cross_entropy(z, np.zeros(0, dtype=np.int64)))(mgx.array(np.zeros((0, 3))))
    assert np.asarray(g).shape == (0, 3)


# --- §5: byte-swapped arrays fall back to numpy instead of breaking the compiled kernels -------------------------
SWAPPED = np.array([0.5, -1.0, 2.0], dtype=np.dtype("f8").newbyteorder())


def test_byte_swapped_arrays():
    assert not SWAPPED.dtype.isnative
    x = mgx.array(SWAPPED)
    native = mgx.array(SWAPPED.astype("f8"))
    for f in (mgx.sigmoid, mgx.tanh, mgx.exp, mgx.relu, nn.Sigmoid(), lambda v: mgx.log(v * v)):
        np.testing.assert_allclose(np.asarray(f(x)), np.asarray(f(native)))
        g = mgx.grad(lambda v, f=f: mgx.sum(f(v)))
        np.testing.assert_allclose(np.asarray(g(x)), np.asarray(g(native)))
    _, (t,) = mgx.jvp(lambda v: v * v * mgx.tanh(v), [x], [x])
    _, (t0,) = mgx.jvp(lambda v: v * v * mgx.tanh(v), [native], [native])
    np.testing.assert_allclose(np.asarray(t), np.asarray(t0))
    leaf = mgx.Tensor(SWAPPED.copy())
    mgx.sum(mgx.sigmoid(leaf) * leaf).backward()
    leaf2 = mgx.Tensor(SWAPPED.astype("f8"))
    mgx.sum(mgx.sigmoid(leaf2) * leaf2).backward()
    np.testing.assert_allclose(leaf.grad, leaf2.grad)


@pytest.mark.parametrize("dtype", ["f4", "f8"])
def test_kernels_refuse_byte_swapped_loops(dtype):
    from microgradx.core import backend

    k = backend.kernels
    a = np.array([0.5, -1.0], dtype=np.dtype(dtype).newbyteorder())
    np.testing.assert_allclose(k.sigmoid(a), 1 / (1 + np.exp(-a.astype(dtype))), rtol=1e-6)
    r = k.backward("tanh", a, a, np.tanh(a))
    assert r is None or np.allclose(r, a * (1 - np.tanh(a) ** 2))
    acc = a.copy()
    np.testing.assert_allclose(k.accumulate(acc, a), 2 * a.astype(dtype))


# --- §6: datasets bound every size argument up front -------------------------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda d: d.make_spirals(10, classes=10**9), "classes must be at most 10,000; got 1,000,000,000"),
    (lambda d: d.make_spirals(10**12), "n must be at most 10,000,000"),
    (lambda d: d.make_moons(10**12), "n must be at most 10,000,000"),
    (lambda d: d.make_blobs(10**12), "n must be at most 10,000,000"),
    (lambda d: d.make_blobs(10, centers=10**9), "centers must be at most 10,000"),
    (lambda d: d.make_blobs(10, features=10**9), "features must be at most 10,000"),
    (lambda d: d.make_blobs(10**6, features=10**4), "n * features must be at most 100,000,000"),
])
def test_dataset_sizes_are_bounded(call, message):
    from microgradx import datasets

    with pytest.raises(ValueError) as info:
        call(datasets)  # refused before anything is allocated: this returns at once
    assert message in str(info.value)


# --- §6: creation functions and operators refuse non-numeric dtypes ----------------------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda: mgx.full((2,), "abc"), "vals must be a Tensor, Scalar, Dual, numpy array, number or list; got str"),
    (lambda: mgx.full((2,), None), "got NoneType"),
    (lambda: mgx.zeros(2, dtype=str), "dtype must be a bool, integer, float or complex dtype"),
    (lambda: mgx.ones(2, dtype="U3"), "dtype must be a bool, integer, float or complex dtype; got <U3"),
    (lambda: mgx.eye(2, dtype=object), "got object"),
    (lambda: mgx.arange(3j), "arange: start must be a real number; got complex 3j"),
    (lambda: mgx.arange(0, "3"), "arange: stop must be a real number; got str"),
    (lambda: mgx.linspace(0, 1j), "linspace: stop must be a real number"),
    (lambda: mgx.astype(mgx.zeros(2), "U3"), "got <U3"),
    (lambda: mgx.astype(mgx.zeros(2), None), "got None"),
    (lambda: mgx.zeros(2, dtype="no such dtype"), "dtype must be a numpy dtype of numbers"),
])
def test_creation_refuses_non_numeric_dtypes(call, message):
    with pytest.raises(TypeError) as info:
        call()
    assert message in str(info.value)


def test_fractions_become_floats():
    from fractions import Fraction

    x = mgx.array([1.0, 3.0])
    for y in (x * Fraction(1, 3), Fraction(1, 3) * x, mgx.multiply(x, Fraction(1, 3)), mgx.full(2, Fraction(1, 2))):
        assert y.dtype.kind == "f"
    np.testing.assert_allclose(np.asarray(x * Fraction(1, 3)), [1 / 3, 1.0])
    assert mgx.eye(2, dtype=bool).dtype == np.bool_ and mgx.zeros(2, dtype="float32").dtype == np.float32


# --- §6: unclear messages made clear -----------------------------------------------------------------------------
def test_softmax_of_a_scalar_says_it_needs_a_tensor(S):
    for f in (mgx.softmax, mgx.log_softmax, mgx.sum):
        with pytest.raises(TypeError, match="Scalar supports elementwise operations only; .* needs a Tensor"):
            f(S(1.0))


def test_empty_list_index_selects_nothing():
    x = mgx.array(np.arange(6.0).reshape(2, 3))
    assert x[[]].shape == np.arange(6.0).reshape(2, 3)[[]].shape == (0, 3)
    assert x[:, []].shape == (2, 0)
    g = mgx.grad(lambda v: mgx.sum(v[[]]) + mgx.sum(v))(x)
    np.testing.assert_array_equal(np.asarray(g), np.ones((2, 3)))
    with pytest.raises(IndexError, match="integers or booleans; got dtype float64"):
        x[[0.5]]


def test_non_leaf_tensors_pickle_with_their_graph():
    import copy
    import pickle

    from microgradx.core import rules

    x = mgx.Tensor([0.5, -1.0])
    y = mgx.sum(mgx.tanh(x) * x)
    z = pickle.loads(pickle.dumps(y))
    assert z.item() == y.item()
    z.backward()
    y.backward()
    (leaf,) = [n for n in mgx.viz.topological_order(z) if not n._parents and n.grad is not None]
    np.testing.assert_allclose(leaf.grad, x.grad)
    assert pickle.loads(pickle.dumps(rules.table["tanh"])) is rules.table["tanh"]
    assert copy.deepcopy(y)._prim is y._prim  # a copied graph keeps the rule table's entries
    np.testing.assert_array_equal(np.asarray(pickle.loads(pickle.dumps(mgx.stop_gradient(x)))), [0.5, -1.0])


def test_numpy_array_with_a_scalar_is_refused_clearly(S):
    for f in (lambda s: np.array(2.0) + s, lambda s: s + np.array(2.0), lambda s: np.ones(2) * s,
              lambda s: s / np.ones(2)):
        with pytest.raises(TypeError, match="a Scalar cannot be combined with a numpy array"):
            f(S(1.0))
    assert (np.float64(2.0) + S(1.0)).data == 3.0  # numpy numbers are numbers


# --- §6: check_grad's step is relative to |x|; inf/nan points are refused with a reason --------------------------
def test_check_grad_at_large_magnitudes():
    report = mgx.check_grad(lambda x: x * x * 3.0, mgx.array([1e20, -3e19, 2.0]), raise_on_failure=False)
    assert report.ok, str(report)
    assert mgx.check_grad(lambda x: mgx.sin(x) * x, mgx.array([1e-3, 2.0, 50.0])).ok
    with pytest.raises(mgx.check.GradCheckError if hasattr(mgx, "check") else AssertionError):
        mgx.check_grad(lambda x: mgx.stop_gradient(x) * x, 1e20, modes=("rev",), order=1)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan, [1.0, np.nan]])
def test_check_grad_refuses_non_finite_points(bad):
    with pytest.raises(ValueError, match="holds inf or nan; finite differences need a finite point"):
        mgx.check_grad(lambda x: x * x, mgx.array(bad))


@pytest.mark.parametrize("kw", [{"eps": 0.0}, {"eps": np.nan}, {"rtol": -1.0}, {"atol": "1"}])
def test_check_grad_refuses_bad_tolerances(kw):
    with pytest.raises(ValueError, match=f"check_grad: {next(iter(kw))} must be a finite number"):
        mgx.check_grad(lambda x: x * x, 1.0, **kw)
