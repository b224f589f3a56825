"""Tensor engine benchmark: microgradx against numpy, HIPS autograd, PyTorch and MLX, in one process.

T1  one training step (forward, backward, SGD update) of a 784-256-10 MLP with
    tanh and softmax cross-entropy on a random batch of 128, in float32 and
    float64.  Hand-written numpy backprop is the floor.
T2  per-op overhead: the gradient of a 50-op elementwise chain on a
    16-element vector, per call and per op.
T3  kernel throughput on 1,000,000 float64 elements, in GB/s: a numpy copy
    (memory-bandwidth proxy), the numpy expression for tanh's backward
    ``g * (1 - y*y)`` and the fused compiled kernel (bytes counted: what
    each must read and write, 16 B/element for the copy and 24 for the others).
    For information, the same numpy formula computed in place in one
    preallocated buffer (most of the expression's time is its three fresh
    temporaries), and gradient accumulation ``a += g``.

Every engine runs in this one process, interleaved in rounds so that a busy
machine slows all of them alike; the figures are medians.  PyTorch gets as
many threads as numpy's BLAS has (printed), so both matmuls use the same
cores.  Peers that are not installed are skipped.

Run:  python bench/bench_tensor.py            (under a minute)
      python bench/bench_tensor.py --quick    (a few seconds, rough figures)
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time

import _common  # bench/_common.py
import numpy as np
from _common import optional

import microgradx as mgx

BATCH, N_IN, N_HIDDEN, N_OUT = 128, 784, 256, 10
LR = 0.01


def blas_threads() -> int | None:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            return int(info["num_threads"])
    return None


# ---------------------------------------------------------------------------
# Timing helpers: interleaved rounds, medians
# ---------------------------------------------------------------------------
def time_interleaved(fns: dict, rounds: int, calls: int) -> dict:
    """Median seconds per call of each function, measured in ``rounds`` interleaved rounds."""
    samples = {name: [] for name in fns}
    for fn in fns.values():  # warm up (first calls allocate, compile, fill caches)
        for _ in range(2):
            fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            for _ in range(calls):
                t0 = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - t0)
    return {name: statistics.median(s) for name, s in samples.items()}


# ---------------------------------------------------------------------------
# T1: MLP training step
# ---------------------------------------------------------------------------
def mlp_data(dtype, seed=0):
    return _common.mlp_data(dtype, BATCH, N_IN, N_HIDDEN, N_OUT, seed)


def numpy_grads(x, y, w1, b1, w2, b2):
    """Loss and gradients of the MLP, by hand (the floor every engine is compared with)."""
    rows = np.arange(len(y))
    h = np.tanh(x @ w1 + b1)
    z = h @ w2 + b2
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(s[:, 0]) - z[rows, y])
    dz = e / s
    dz[rows, y] -= 1
    dz /= len(y)
    dh = dz @ w2.T
    da = dh * (1 - h * h)
    return loss, (x.T @ da, da.sum(axis=0), h.T @ dz, dz.sum(axis=0))


def numpy_step(dtype):
    x, y, params = mlp_data(dtype)

    def step():
        loss, grads = numpy_grads(x, y, *params)
        for p, g in zip(params, grads):
            p -= LR * g
        return loss

    return step


def microgradx_step(dtype):
    x, y, params = mlp_data(dtype)
    w1, b1, w2, b2 = params = [mgx.Tensor(p) for p in params]  # eager leaves: they record for backward()
    rows = np.arange(BATCH)

    def step():
        h = mgx.tanh(x @ w1 + b1)
        z = h @ w2 + b2
        loss = -mgx.mean(mgx.log_softmax(z, axis=-1)[rows, y])
        loss.backward()
        for p in params:
            p.data -= LR * p.grad
            p.grad = None
        return loss

    return step


def microgradx_mlx_step(dtype):
    """The MLX idiom: value_and_grad over plain arrays and ``params = [p - lr * g ...]`` (no in-place update)."""
    x, y, params = mlp_data(dtype)
    params = [mgx.array(p) for p in params]
    rows = np.arange(BATCH)

    def loss_fn(params):
        w1, b1, w2, b2 = params
        z = mgx.tanh(x @ w1 + b1) @ w2 + b2
        return -mgx.mean(mgx.log_softmax(z, axis=-1)[rows, y])

    loss_and_grad = mgx.value_and_grad(loss_fn)

    def step():
        nonlocal params
        loss, grads = loss_and_grad(params)
        params = [p - LR * g for p, g in zip(params, grads)]
        return loss

    return step


def autograd_step(dtype):
    ag = optional("autograd")
    if ag is None:
        return None
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp

    x, y, params = mlp_data(dtype)
    rows = np.arange(BATCH)

    def loss_fn(params):
        w1, b1, w2, b2 = params
        h = anp.tanh(anp.dot(x, w1) + b1)
        z = anp.dot(h, w2) + b2
        return anp.mean(logsumexp(z, axis=1) - z[rows, y])

    grad = ag.grad(loss_fn)

    def step():
        grads = grad(params)
        for p, g in zip(params, grads):
            p -= LR * g

    return step


def torch_step(dtype):
    torch = optional("torch")
    if torch is None:
        return None
    x, y, params = mlp_data(dtype)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    params = [torch.tensor(p, requires_grad=True) for p in params]
    w1, b1, w2, b2 = params
    cross_entropy = torch.nn.functional.cross_entropy

    def step():
        h = torch.tanh(x @ w1 + b1)
        loss = cross_entropy(h @ w2 + b2, y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None

    return step


def mlx_step(dtype):
    try:
        import mlx.core as mx
    except ImportError:
        return None
    mx.set_default_device(mx.cpu)
    mdtype = mx.float32 if dtype == np.float32 else mx.float64
    x, y, params = mlp_data(dtype)
    x, y = mx.array(x, dtype=mdtype), mx.array(y)
    params = [mx.array(p, dtype=mdtype) for p in params]
    rows = mx.arange(BATCH)

    def loss_fn(params):
        w1, b1, w2, b2 = params
        h = mx.tanh(x @ w1 + b1)
        z = h @ w2 + b2
        return mx.mean(mx.logsumexp(z, axis=1) - z[rows, y])

    value_and_grad = mx.value_and_grad(loss_fn)

    def step():
        nonlocal params
        loss, grads = value_and_grad(params)
        params = [p - LR * g for p, g in zip(params, grads)]
        mx.eval(loss, *params)

    return step


def check_gradients(dtype):
    """microgradx's gradients equal the hand-written ones and keep the dtype (like is compared with like)."""
    x, y, params = mlp_data(dtype)
    w1, b1, w2, b2 = ts = [mgx.Tensor(p) for p in params]
    loss = -mgx.mean(mgx.log_softmax(mgx.tanh(x @ w1 + b1) @ w2 + b2, axis=-1)[np.arange(BATCH), y])
    loss.backward()
    ref_loss, ref_grads = numpy_grads(x, y, *params)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    assert abs(loss.item() - ref_loss) < tol
    for t, g in zip(ts, ref_grads):
        assert t.grad.dtype == dtype and np.allclose(t.grad, g, rtol=tol, atol=tol)


def bench_t1(args) -> list[str]:
    lines = []
    rounds, calls = (2, 3) if args.quick else (9, 10)
    for dtype in (np.float32, np.float64):
        check_gradients(dtype)
        makers = {"numpy (hand-written)": numpy_step, "microgradx": microgradx_step,
                  "microgradx (MLX update)": microgradx_mlx_step, "autograd": autograd_step,
                  "torch": torch_step, "mlx": mlx_step}
        fns = {name: make(dtype) for name, make in makers.items()}
        fns = {name: fn for name, fn in fns.items() if fn is not None}
        times = time_interleaved(fns, rounds, calls)
        floor = times["numpy (hand-written)"]
        ours = times["microgradx"]
        lines.append(f"T1 MLP 784-256-10 training step, batch {BATCH}, {np.dtype(dtype).name}")
        for name, t in times.items():
            line = f"  {name:22s} {t * 1e3:8.2f} ms   {t / floor:5.2f}x numpy"
            if name != "microgradx":
                line += f"   microgradx/{name} = {ours / t:4.2f}"
            lines.append(line)
        for peer, limit in (("autograd", 1.0), ("torch", 1.3)):
            if peer in times:
                ratio = ours / times[peer]
                verdict = "met" if ratio < limit else "MISSED"
                sign = "<" if limit == 1.0 else "<="
                lines.append(f"  target microgradx/{peer} {sign} {limit}: {ratio:.2f} {verdict}")
    return lines


# ---------------------------------------------------------------------------
# T2: per-op overhead, a 50-op elementwise chain on 16 elements
# ---------------------------------------------------------------------------
CHAIN_LENGTH = 50


def chain(x, sin, tanh, exp):
    """50 elementwise ops: (x * 0.9, sin, + 0.1, tanh, - 0.2) ten times."""
    for _ in range(CHAIN_LENGTH // 5):
        x = x * 0.9
        x = sin(x)
        x = x + 0.1
        x = tanh(x)
        x = x - 0.2
    return x


def t2_functions():
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal(16)
    fns = {}

    xm = mgx.Tensor(x0)

    def mgx_grad():
        xm.grad = None
        chain(xm, mgx.sin, mgx.tanh, mgx.exp).sum().backward()
        return xm.grad

    fns["microgradx"] = mgx_grad

    ag = optional("autograd")
    if ag is not None:
        import autograd.numpy as anp

        autograd_grad = ag.grad(lambda x: anp.sum(chain(x, anp.sin, anp.tanh, anp.exp)))
        fns["autograd"] = lambda: autograd_grad(x0)

    torch = optional("torch")
    if torch is not None:
        xt = torch.tensor(x0, requires_grad=True)

        def torch_grad():
            xt.grad = None
            chain(xt, torch.sin, torch.tanh, torch.exp).sum().backward()
            return xt.grad

        fns["torch"] = torch_grad
    try:
        import mlx.core as mx
    except ImportError:
        mx = None
    if mx is not None:
        xx = mx.array(x0.astype(np.float32))
        mlx_grad_fn = mx.grad(lambda x: mx.sum(chain(x, mx.sin, mx.tanh, mx.exp)))

        def mlx_grad():
            r = mlx_grad_fn(xx)
            mx.eval(r)
            return r

        fns["mlx"] = mlx_grad
    return fns, x0


def bench_t2(args) -> list[str]:
    fns, x0 = t2_functions()
    # all engines compute the same gradient
    ref = np.asarray(fns["microgradx"]())
    for name, fn in fns.items():
        got = fn()
        got = np.asarray(got.detach() if hasattr(got, "detach") else got, dtype=np.float64)
        tol = 1e-4 if name == "mlx" else 1e-10
        assert np.allclose(got, ref, rtol=tol, atol=tol), name
    rounds, calls = (2, 20) if args.quick else (7, 200)
    times = time_interleaved(fns, rounds, calls)
    ours = times["microgradx"]
    lines = [f"T2 gradient of a {CHAIN_LENGTH}-op elementwise chain on 16 float64 elements (mlx: float32)"]
    for name, t in times.items():
        extra = "" if name == "microgradx" else f"   microgradx is {t / ours:5.2f}x faster"
        lines.append(f"  {name:22s} {t * 1e6:8.1f} us/call  {t * 1e6 / CHAIN_LENGTH:6.2f} us/op{extra}")
    if "autograd" in times:
        speedup = times["autograd"] / ours
        lines.append(f"  target autograd/microgradx >= 2: {speedup:.2f} {'met' if speedup >= 2 else 'MISSED'}")
    return lines


# ---------------------------------------------------------------------------
# T3: kernel throughput
# ---------------------------------------------------------------------------
def bench_t3(args) -> list[str]:
    n = 1_000_000
    rng = np.random.default_rng(2)
    y = np.tanh(rng.standard_normal(n))
    g = rng.standard_normal(n)
    from microgradx.core import backend as _backend

    try:
        from microgradx._ext import kernels as compiled
    except ImportError:
        compiled = None
    scratch = np.empty(n)

    def numpy_in_place():  # the same formula with one preallocated buffer: no fresh temporaries
        np.multiply(y, y, out=scratch)
        np.subtract(1.0, scratch, out=scratch)
        return np.multiply(g, scratch, out=scratch)

    fns = {
        "numpy copy": (lambda: y.copy(), 16),
        "numpy g * (1 - y*y)": (lambda: g * (1 - y * y), 24),
        "numpy, in place (info)": (numpy_in_place, 24),
    }
    if compiled is not None:
        assert np.array_equal(compiled.backward("tanh", g, None, y), g * (1 - y * y))
        fns["fused kernel (compiled)"] = (lambda: compiled.backward("tanh", g, None, y), 24)
        a = np.zeros(n)
        fns["accumulate a += g (compiled)"] = (lambda: compiled.accumulate(a, g), 24)
    fns["numpy a += g"] = (lambda: np.add(a, g, out=a), 24)
    rounds, calls = (2, 5) if args.quick else (9, 30)
    times = time_interleaved({k: f for k, (f, _) in fns.items()}, rounds, calls)
    copy_bw = 16 * n / times["numpy copy"] / 1e9
    lines = [f"T3 kernel throughput, {n:,} float64 elements (backend: {_backend.NAME})"]
    for name, (_, per) in fns.items():
        t = times[name]
        bw = per * n / t / 1e9
        lines.append(f"  {name:30s} {t * 1e3:7.3f} ms  {bw:6.1f} GB/s  {bw / copy_bw * 100:5.1f}% of copy")
    if compiled is not None:
        speedup = times["numpy g * (1 - y*y)"] / times["fused kernel (compiled)"]
        share = 24 * n / times["fused kernel (compiled)"] / 1e9 / copy_bw
        met = {True: "met", False: "MISSED"}
        lines.append(f"  target fused/numpy expression >= 1.5x: {speedup:.2f}x {met[speedup >= 1.5]}")
        lines.append(f"  target fused >= 60% of copy bandwidth: {share * 100:.0f}% {met[share >= 0.6]}")
    else:
        lines.append("  compiled kernels not built: MICROGRADX_EXT=kernels python setup.py build_ext --inplace")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions: rough figures in seconds")
    parser.add_argument("--only", choices=["T1", "T2", "T3"], action="append", help="run only these parts")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads for numpy (via threadpoolctl) and torch; default: numpy's own setting")
    args = parser.parse_args(argv)
    parts = args.only or ["T1", "T2", "T3"]

    limit = contextlib.nullcontext()
    if args.threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            parser.error("--threads needs threadpoolctl (pip install threadpoolctl)")
        limit = threadpool_limits(args.threads, user_api="blas")
    with limit:
        threads = blas_threads()
        torch = optional("torch")
        if torch is not None and threads is not None:
            torch.set_num_threads(threads)
        print(f"microgradx {mgx.__version__}, backend {mgx.backend()}; numpy {np.__version__}, "
              f"BLAS threads {threads}; torch threads {torch.get_num_threads() if torch else '-'} "
              "(set equal to numpy's BLAS threads)")
        for part, fn in (("T1", bench_t1), ("T2", bench_t2), ("T3", bench_t3)):
            if part in parts:
                for line in fn(args):
                    print(line)
                sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
