"""The eager-recording rule (issue 15, section 1).

Outside a transform only what asked for eager ``.backward()`` records: Scalars,
``mgx.Tensor`` leaves, nn parameters and what is computed from them.  Arrays made
with ``mgx.array`` (and ``zeros``, ...), results of operations on plain arrays only,
and what the transforms return are plain values, as in MLX -- so the MLX training
idiom ``p = p - lr * g`` keeps no history and frees the old parameters.
"""

import gc
import os
import weakref

import numpy as np
import pytest

import microgradx as mgx
from microgradx import nn, state
from microgradx.tree import tree_map


def rss_bytes() -> int:
    """Resident set size of this process, from /proc (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="RSS is read from /proc (Linux)")


def mlp_loss(params, x, y):
    w1, b1, w2, b2 = params
    h = mgx.tanh(x @ w1 + b1)
    return nn.cross_entropy(h @ w2 + b2, y)


def mlp_data(n_in=100, n_hidden=64, n_out=10, batch=32, seed=0):
    rng = np.random.default_rng(seed)
    x = mgx.array(rng.standard_normal((batch, n_in)))
    y = mgx.array(rng.integers(0, n_out, batch))
    params = [mgx.array(rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in)), mgx.array(np.zeros(n_hidden)),
              mgx.array(rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden)), mgx.array(np.zeros(n_out))]
    return params, x, y


# ---------------------------------------------------------------------------
# The rule itself
# ---------------------------------------------------------------------------
def test_plain_arrays_record_nothing():
    p, g = mgx.array([1.0, 2.0]), mgx.array([0.5, 0.5])
    for out in (p - 0.1 * g, mgx.exp(p), p @ g, mgx.sum(p), p[0], mgx.zeros(2) + p, -p, p.T):
        assert out.is_leaf and out._level == state.PLAIN, out
    assert mgx.zeros(2)._level == mgx.ones(2)._level == mgx.full((2,), 1.0)._level == state.PLAIN


def test_backward_on_a_plain_array_says_why():
    y = mgx.sum(mgx.array([1.0, 2.0]) * 2.0)
    with pytest.raises(RuntimeError, match=r"plain array \(made by mgx.array.*mgx.Tensor\(\.\.\.\)"):
        y.backward()


def test_tensor_leaves_record_as_before_and_plain_operands_are_constants():
    w = mgx.Tensor([1.0, 2.0])
    x = mgx.array([3.0, 4.0])
    loss = mgx.sum(w * x + mgx.ones(2))
    assert not loss.is_leaf
    loss.backward()
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])
    assert x.grad is None  # a constant of the graph


def test_scalars_and_nn_parameters_record_as_before():
    a = mgx.Scalar(2.0)
    (a * a + mgx.exp(a)).backward()
    assert a.grad == pytest.approx(4.0 + np.exp(2.0))
    layer = nn.Linear(3, 2, seed=0)
    mgx.sum(layer(mgx.array([[1.0, 2.0, 3.0]]))).backward()
    np.testing.assert_allclose(layer.weight.grad, [[1.0, 2.0, 3.0]] * 2)


@pytest.mark.parametrize("transform", ["grad", "value_and_grad", "vjp", "jvp"])
def test_what_transforms_return_is_plain(transform):
    f = lambda v: mgx.sum(v * v)  # noqa: E731
    w = mgx.Tensor([1.0, 2.0])  # even for an eager leaf as input
    if transform == "grad":
        outs = [mgx.grad(f)(w)]
    elif transform == "value_and_grad":
        outs = list(mgx.value_and_grad(f)(w))
    elif transform == "vjp":
        o, c = mgx.vjp(f, [w], [mgx.array(1.0)])
        outs = o + c
    else:
        o, t = mgx.jvp(f, [w], [mgx.array([1.0, 0.0])])
        outs = o + t
    for out in outs:
        assert isinstance(out, mgx.Tensor) and out._level == state.PLAIN
        assert (out * 2.0 - 1.0).is_leaf


def test_inside_a_transform_plain_arrays_are_differentiated_as_inputs():
    p = mgx.array([1.0, 2.0])
    g = mgx.grad(lambda v: mgx.sum(v * v * p))(p)
    np.testing.assert_array_equal(np.asarray(g), [2.0, 8.0])


# ---------------------------------------------------------------------------
# The MLX idiom: no history from one step to the next
# ---------------------------------------------------------------------------
def test_mlx_update_frees_the_old_parameters():
    params, x, y = mlp_data(n_in=8, n_hidden=4, n_out=3, batch=5)
    vg = mgx.value_and_grad(mlp_loss)
    _, g = vg(params, x, y)
    new = [p - 0.1 * gi for p, gi in zip(params, g)]
    assert all(p.is_leaf for p in new)
    old = [weakref.ref(p) for p in params]
    del params, g
    gc.disable()  # freed by reference counting alone, not by the cycle collector
    try:
        assert all(r() is None for r in old)
    finally:
        gc.enable()


def test_tutorial6_tree_map_update_frees_the_old_tree():
    params = {"layer": {"w": mgx.array([[1.0, -1.0], [0.5, 2.0]]), "b": mgx.array([0.0, 0.1])},
              "scale": mgx.array(2.0)}
    X = mgx.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 1.0]])
    y = mgx.array([1.0, -1.0, 0.5])

    def model_loss(p, X, y):
        return mgx.mean((p["scale"] * mgx.tanh(X @ p["layer"]["w"] + p["layer"]["b"]).sum(axis=1) - y) ** 2)

    step = mgx.value_and_grad(model_loss)
    refs = []
    for _ in range(20):
        _, grads = step(params, X, y)
        refs.append(weakref.ref(params["layer"]["w"]))
        params = tree_map(lambda p, g: p - 0.1 * g, params, grads)
        assert params["layer"]["w"].is_leaf
    del grads
    assert all(r() is None for r in refs)  # every earlier tree is gone; only the current one lives


@needs_proc
def test_mlx_training_loop_rss_stays_flat():
    """1,500 MLX-style steps of a 100-64-10 MLP: RSS grows < 20 MB (it grew 112 MB in 1,300 before)."""
    params, x, y = mlp_data()
    vg = mgx.value_and_grad(mlp_loss)
    for _ in range(50):  # warm up: caches, allocator arenas
        _, g = vg(params, x, y)
        params = [p - 0.01 * gi for p, gi in zip(params, g)]
    gc.collect()
    before = rss_bytes()
    first = weakref.ref(params[0])
    for _ in range(1500):
        _, g = vg(params, x, y)
        params = [p - 0.01 * gi for p, gi in zip(params, g)]
    gc.collect()
    grown = rss_bytes() - before
    assert grown < 20 * 2**20, f"RSS grew by {grown / 2**20:.1f} MB over 1,500 steps"
    assert first() is None
