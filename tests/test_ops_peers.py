"""Values and gradients against real peers: HIPS autograd, PyTorch and MLX (each only where installed).

Every case is written once against a small namespace ``m`` of MLX-named
functions and run with ``m`` = microgradx, ``mlx.core``, autograd's numpy and
PyTorch (the last two through thin shims mapping MLX's names to theirs).  That
also checks the promise that code written for ``mlx.core`` runs with ``mgx``.
"""

import types

import numpy as np
import pytest

import microgradx as mgx

RNG = np.random.default_rng(11)
LABELS = np.array([2, 0, 1, 2])
PICK = np.array([0, 2, 2, 1, 3, 0])


def distinct(shape, scale=0.23):
    n = int(np.prod(shape))
    return (RNG.permutation(n) * scale - n * scale / 2 + 0.01).reshape(shape)


# name -> (input arrays, function of (m, *inputs)); inputs avoid ties and kinks.
# Constants and index arrays go through m.array, so that each framework sees its own arrays.
CASES = {
    "mlp": ([RNG.standard_normal((4, 3)), RNG.standard_normal((3, 5)), RNG.standard_normal(5)],
            lambda m, x, w, b: m.sum(m.square(m.tanh(m.matmul(x, w) + b)))),
    "cross-entropy": ([RNG.standard_normal((4, 3))],
                      lambda m, z: -m.mean(m.log_softmax(z, axis=-1)[m.array(np.arange(4)), m.array(LABELS)])),
    "logsumexp": ([RNG.standard_normal((3, 4)) * 3],
                  lambda m, x: m.sum(m.logsumexp(x, axis=1) * m.array([1.0, -2.0, 0.5]))),
    "softmax": ([RNG.standard_normal((3, 4))],
                lambda m, x: m.sum(m.softmax(x, axis=-1) * m.array(np.arange(4.0)))),
    "maximum minimum clip": ([distinct((3, 4)), distinct((4,), 0.31) + 0.05],
                             lambda m, x, y: m.sum(m.maximum(x, y) * m.minimum(x, 0.13) + m.clip(x, -0.4, 0.6))),
    "where": ([RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))],
              lambda m, x, y: m.sum(m.where(x > y, x * y, m.exp(y)))),
    "max min reductions": ([distinct((3, 4))],
                           lambda m, x: m.sum(m.max(x, axis=0) ** 2) + m.sum(m.min(x, axis=1, keepdims=True) * x)),
    "pow": ([RNG.uniform(0.5, 2.0, (3, 4)), RNG.uniform(-2.0, 2.0, (4,))],
            lambda m, x, y: m.sum(x**y) + m.sum((x * 2.0) ** 3) + m.sum(2.0**y)),
    "unary chain": ([RNG.uniform(0.2, 2.0, (5,))],
                    lambda m, x: m.sum(m.sigmoid(m.log(x) * m.sqrt(x)) + m.abs(m.sin(x * 3.0)) * m.cos(x))),
    "shapes": ([RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))],
               lambda m, x, y: m.sum(m.square(m.concatenate([m.transpose(m.reshape(x, (3, 2))),
                                                             m.squeeze(m.expand_dims(y, 0), 0)], axis=1)))
               + m.sum(m.stack([x, y * y], axis=1) * m.array(np.arange(3.0)))),
    "broadcast_to": ([RNG.standard_normal((1, 3))],
                     lambda m, x: m.sum(m.broadcast_to(x, (4, 3)) ** 3 * m.array(np.arange(12.0).reshape(4, 3)))),
    "mean var": ([RNG.standard_normal((3, 4))],
                 lambda m, x: m.sum(m.var(x, axis=0)) + m.mean(x * x)),
    "indexing": ([RNG.standard_normal((4, 5))],
                 lambda m, x: m.sum(x[1:, ::2] ** 2) + m.sum(x[m.array(PICK % 4), 1] * 3.0)
                 + m.sum(x[None, ..., 2] ** 3)),
    "negative steps": ([RNG.standard_normal((4, 5))],
                       lambda m, x: m.sum(x[::-1, ::-2] * m.array(np.arange(12.0).reshape(4, 3)))),
    "batched matmul": ([RNG.standard_normal((2, 1, 3, 4)), RNG.standard_normal((3, 4, 2))],
                       lambda m, a, b: m.sum(m.tanh(m.matmul(a, b)))),
    "divide": ([RNG.standard_normal((3, 1)), RNG.uniform(0.5, 2.0, (4,))],
               lambda m, x, y: m.sum(x / y - y / (x * x + 1.0))),
}
UNSUPPORTED = {("torch", "negative steps"): "PyTorch has no negative slice steps",
               ("mlx", "negative steps"): "MLX has no negative slice steps"}


def mgx_run(fn, inputs):
    ts = [mgx.Tensor(x) for x in inputs]
    out = fn(mgx, *ts)
    out.backward()
    return float(out), [t.grad for t in ts]


# ---------------------------------------------------------------------------
# Shims: MLX's names on top of autograd.numpy and torch
# ---------------------------------------------------------------------------
def autograd_namespace():
    anp = pytest.importorskip("autograd.numpy", reason="HIPS autograd not installed")
    from autograd.scipy.special import logsumexp

    ns = types.SimpleNamespace(**{n: getattr(anp, n) for n in (
        "sum", "mean", "var", "max", "min", "tanh", "exp", "log", "sqrt", "abs", "sin", "cos", "square",
        "maximum", "minimum", "clip", "where", "matmul", "reshape", "transpose", "expand_dims", "squeeze",
        "concatenate", "stack", "broadcast_to", "array")})
    ns.logsumexp = lambda x, axis=None, keepdims=False: logsumexp(x, axis=axis, keepdims=keepdims)
    ns.log_softmax = lambda x, axis=-1: x - logsumexp(x, axis=axis, keepdims=True)
    ns.softmax = lambda x, axis=-1: anp.exp(ns.log_softmax(x, axis))
    ns.sigmoid = lambda x: 0.5 * (anp.tanh(x / 2.0) + 1.0)
    return ns


def autograd_run(fn, inputs):
    ag = pytest.importorskip("autograd", reason="HIPS autograd not installed")
    ns = autograd_namespace()
    f = lambda *xs: fn(ns, *xs)
    grads = [ag.grad(f, i)(*inputs) for i in range(len(inputs))]
    return float(f(*inputs)), grads


def torch_namespace(torch):
    def reduce(op):
        def run(x, axis=None, keepdims=False):
            return op(x) if axis is None else op(x, dim=axis, keepdim=keepdims)
        return run

    def tensor_of(like, v):
        return v if torch.is_tensor(v) else torch.as_tensor(v, dtype=like.dtype)

    return types.SimpleNamespace(
        sum=reduce(torch.sum), mean=reduce(torch.mean), max=reduce(torch.amax), min=reduce(torch.amin),
        var=lambda x, axis=None: torch.var(x, dim=axis, unbiased=False),
        logsumexp=lambda x, axis=None: torch.logsumexp(x, dim=axis),
        softmax=lambda x, axis=-1: torch.softmax(x, dim=axis),
        log_softmax=lambda x, axis=-1: torch.log_softmax(x, dim=axis),
        maximum=lambda x, y: torch.maximum(x, tensor_of(x, y)),
        minimum=lambda x, y: torch.minimum(x, tensor_of(x, y)),
        clip=torch.clamp, where=torch.where, matmul=torch.matmul, reshape=torch.reshape,
        transpose=lambda x, axes=None: x.permute(*(axes or reversed(range(x.ndim)))),
        expand_dims=torch.unsqueeze, squeeze=torch.squeeze,
        concatenate=lambda xs, axis=0: torch.cat(xs, axis), stack=lambda xs, axis=0: torch.stack(xs, axis),
        broadcast_to=torch.broadcast_to,
        array=lambda v: torch.as_tensor(np.asarray(v)),
        **{n: getattr(torch, n) for n in ("tanh", "exp", "log", "sqrt", "abs", "sin", "cos", "square", "sigmoid")},
    )


def torch_run(fn, inputs):
    torch = pytest.importorskip("torch", reason="PyTorch not installed")
    ts = [torch.tensor(x, requires_grad=True) for x in inputs]
    out = fn(torch_namespace(torch), *ts)
    out.backward()
    return float(out.detach()), [t.grad.numpy() for t in ts]


def mlx_namespace(mx):
    """mlx.core itself, plus log_softmax (which MLX keeps in mlx.nn) and float32 constants."""
    ns = types.SimpleNamespace(**{n: getattr(mx, n) for n in dir(mx) if not n.startswith("_")})
    ns.log_softmax = lambda x, axis=-1: x - mx.logsumexp(x, axis=axis, keepdims=True)
    ns.array = lambda v: mx.array(np.asarray(v).astype(np.float32) if np.asarray(v).dtype.kind == "f"
                                  else np.asarray(v))
    return ns


def mlx_run(fn, inputs):
    mx = pytest.importorskip("mlx.core", reason="MLX not installed")
    ns = mlx_namespace(mx)
    xs = [mx.array(x.astype(np.float32)) for x in inputs]
    f = lambda *a: fn(ns, *a)
    grads = mx.grad(f, argnums=list(range(len(xs))))(*xs)
    if len(xs) == 1 and not isinstance(grads, (tuple, list)):
        grads = (grads,)
    return float(f(*xs)), [np.array(g) for g in grads]


PEERS = {"autograd": (autograd_run, 1e-10), "torch": (torch_run, 1e-10), "mlx": (mlx_run, 2e-4)}


@pytest.mark.parametrize("peer", sorted(PEERS))
@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_match_peer(peer, name):
    inputs, fn = CASES[name]
    run, tol = PEERS[peer]
    if (peer, name) in UNSUPPORTED:
        pytest.skip(UNSUPPORTED[peer, name])
    value, grads = mgx_run(fn, inputs)
    peer_value, peer_grads = run(fn, inputs)
    assert value == pytest.approx(peer_value, rel=tol, abs=tol)
    for ours, theirs, x in zip(grads, peer_grads, inputs):
        assert ours.shape == x.shape
        np.testing.assert_allclose(ours, np.asarray(theirs, dtype=np.float64), rtol=tol, atol=tol)


def test_mlx_written_code_runs_with_mgx_in_float32():
    """The same function body, mx swapped for mgx, float32 in both: same values, same gradients."""
    mx = pytest.importorskip("mlx.core", reason="MLX not installed")
    inputs, fn = CASES["mlp"]
    xs32 = [x.astype(np.float32) for x in inputs]
    ts = [mgx.Tensor(x) for x in xs32]
    out = fn(mgx, *ts)
    out.backward()
    assert out.dtype == np.float32 and all(t.grad.dtype == np.float32 for t in ts)
    grads = mx.grad(lambda *a: fn(mx, *a), argnums=[0, 1, 2])(*[mx.array(x) for x in xs32])  # mx itself
    for t, g in zip(ts, grads):
        np.testing.assert_allclose(t.grad, np.array(g), rtol=1e-4, atol=1e-5)
