"""Benchmarks for the function transforms, with peers timed in the same process.

G1  cost of ``value_and_grad`` relative to evaluating the loss alone, for a
    784-256-10 tanh MLP with softmax cross-entropy on a batch of 128 (random
    data) -- the "cheap gradient principle" says a small constant, about 3-5.
F1  cost of ``jvp`` relative to evaluating ``f(x) = sum(sin(x) * exp(x))`` on
    100,000 elements.

Engines: microgradx (active backend), MLX CPU (``mx.value_and_grad``,
``mx.jvp``; every timed call ends with ``mx.eval``), PyTorch
(``torch.func.grad_and_value`` / ``torch.func.jvp``; plain evaluation under
``torch.no_grad``), HIPS autograd (``value_and_grad`` / ``make_jvp``; plain
evaluation on numpy).  A peer that is not installed is reported as such.

Each time is the median of ``--repeat`` timed calls after warm-up calls; an
engine's calls are timed interleaved (one of each per round).  The ratio is
the median over rounds of (transform time) / (plain evaluation time) of the
*same* engine.  F1 also shows the floor: the derivative written by hand in
numpy.

Run:  python bench/bench_transforms.py [--repeat 30] [--dtype float32|float64|both]

Memory matters as much as arithmetic here: forward mode keeps a tangent beside
every value, so more 100,000-element temporaries are alive at once; glibc then
returns the freed heap top to the OS after each call and the next call pays a
page fault per 4 KiB page (the table prints faults per call).  Running with
``GLIBC_TUNABLES=glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432``
keeps the heap and removes that cost for every numpy-based engine.

Timings on a busy machine are noisy; for F1 a load-independent check is the
instruction count (run each line with --repeat 1 and 11; the difference is 10 calls)::

    valgrind --tool=callgrind python bench/bench_transforms.py --just f1-eval --dtype float64 --repeat 11
    valgrind --tool=callgrind python bench/bench_transforms.py --just f1-jvp --dtype float64 --repeat 11
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time

# One thread for every engine's BLAS and thread pool (set these variables to change it): with 2 cores shared with
# other work, multi-threaded BLAS mostly measures thread contention.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import _common  # noqa: E402 - bench/_common.py
import numpy as np  # noqa: E402

import microgradx as mgx  # noqa: E402


def _minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def measure(calls: dict, repeat: int, warmup: int = 3) -> dict:
    """Median seconds of each call, timed *interleaved* (one of each per round), so that a load change on
    the machine hits all of them alike; ``"ratio <name>"`` is the median over rounds of name / eval."""
    for fn in calls.values():
        for _ in range(warmup):
            fn()
    times: dict = {name: [] for name in calls}
    faults = dict.fromkeys(calls, 0)
    for _ in range(repeat):
        for name, fn in calls.items():
            f0 = _minor_faults()
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
            faults[name] += _minor_faults() - f0
    out = {name: statistics.median(t) for name, t in times.items()}
    out["faults"] = {name: n / repeat for name, n in faults.items()}
    for name in calls:
        if name != "eval":
            out["ratio " + name] = statistics.median(a / b for a, b in zip(times[name], times["eval"]))
    return out


# ---------------------------------------------------------------------------
# G1: value_and_grad of an MLP loss
# ---------------------------------------------------------------------------
def mlp_data(dtype, seed=0):
    x, y, params = _common.mlp_data(dtype, 128, 784, 256, 10, seed)
    return params, x, y


def g1_microgradx(params, x, y, repeat):
    rows = np.arange(len(y))

    def loss(p, x, y):
        h = mgx.tanh(x @ p[0] + p[1])
        logits = h @ p[2] + p[3]
        return mgx.mean(mgx.logsumexp(logits, axis=1) - logits[rows, y])

    p = [mgx.array(a) for a in params]
    xt = mgx.array(x)
    vag = mgx.value_and_grad(loss)
    value, grads = vag(p, xt, y)
    ref = float(loss(p, xt, y))
    assert abs(float(value) - ref) < 1e-4 * max(1.0, abs(ref))

    def plain_no_grad():
        with mgx.no_grad():
            return loss(p, xt, y)

    return measure({"eval": lambda: loss(p, xt, y), "value_and_grad": lambda: vag(p, xt, y),
                    "eval under no_grad": plain_no_grad}, repeat)


def g1_mlx(params, x, y, repeat):
    import mlx.core as mx

    def loss(p, x, y):
        h = mx.tanh(x @ p[0] + p[1])
        logits = h @ p[2] + p[3]
        return mx.mean(mx.logsumexp(logits, axis=1) - mx.take_along_axis(logits, y[:, None], axis=1)[:, 0])

    p = [mx.array(a) for a in params]
    xm, ym = mx.array(x), mx.array(y)
    vag = mx.value_and_grad(loss)

    def run_eval():
        mx.eval(loss(p, xm, ym))

    def run_vag():
        value, grads = vag(p, xm, ym)
        mx.eval(value, grads)

    return measure({"eval": run_eval, "value_and_grad": run_vag}, repeat)


def _torch():
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    return torch


def g1_torch(params, x, y, repeat):
    torch = _torch()
    from torch.func import grad_and_value

    def loss(p, x, y):
        h = torch.tanh(x @ p[0] + p[1])
        logits = h @ p[2] + p[3]
        return torch.mean(torch.logsumexp(logits, dim=1) - logits[torch.arange(len(y)), y])

    p = [torch.from_numpy(a) for a in params]
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gv = grad_and_value(loss)

    def run_eval():
        with torch.no_grad():
            return loss(p, xt, yt)

    def run_backward():  # classic autograd: requires_grad leaves + .backward()
        q = [a.detach().requires_grad_() for a in p]
        loss(q, xt, yt).backward()
        return [a.grad for a in q]

    return measure({"eval": run_eval, "value_and_grad": lambda: gv(p, xt, yt),
                    "value + .backward()": run_backward}, repeat)


def g1_autograd(params, x, y, repeat):
    import autograd.numpy as anp
    from autograd import value_and_grad
    from autograd.scipy.special import logsumexp

    rows = np.arange(len(y))

    def loss(p, x, y):
        h = anp.tanh(anp.dot(x, p[0]) + p[1])
        logits = anp.dot(h, p[2]) + p[3]
        return anp.mean(logsumexp(logits, axis=1) - logits[rows, y])

    vag = value_and_grad(loss)
    return measure({"eval": lambda: loss(params, x, y), "value_and_grad": lambda: vag(params, x, y)}, repeat)


# ---------------------------------------------------------------------------
# F1: jvp of sum(sin(x) * exp(x))
# ---------------------------------------------------------------------------
def f1_microgradx(x, t, repeat):
    f = lambda v: mgx.sum(mgx.sin(v) * mgx.exp(v))  # noqa: E731
    xt, tt = mgx.array(x), mgx.array(t)
    (out,), (tangent,) = mgx.jvp(f, [xt], [tt])
    assert np.isclose(float(tangent), np.sum(t * np.exp(x) * (np.cos(x) + np.sin(x))), rtol=1e-4)

    def plain_no_grad():
        with mgx.no_grad():
            return f(xt)

    return measure({"eval": lambda: f(xt), "jvp": lambda: mgx.jvp(f, [xt], [tt]),
                    "eval under no_grad": plain_no_grad}, repeat)


def f1_mlx(x, t, repeat):
    import mlx.core as mx

    f = lambda v: mx.sum(mx.sin(v) * mx.exp(v))  # noqa: E731
    xm, tm = mx.array(x), mx.array(t)

    def run_eval():
        mx.eval(f(xm))

    def run_jvp():
        mx.eval(*mx.jvp(f, [xm], [tm]))

    return measure({"eval": run_eval, "jvp": run_jvp}, repeat)


def f1_torch(x, t, repeat):
    torch = _torch()
    from torch.func import jvp

    f = lambda v: torch.sum(torch.sin(v) * torch.exp(v))  # noqa: E731
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)

    def run_eval():
        with torch.no_grad():
            return f(xt)

    return measure({"eval": run_eval, "jvp": lambda: jvp(f, (xt,), (tt,))}, repeat)


def f1_autograd(x, t, repeat):
    import autograd.numpy as anp
    from autograd import make_jvp

    f = lambda v: anp.sum(anp.sin(v) * anp.exp(v))  # noqa: E731
    return measure({"eval": lambda: f(x), "jvp": lambda: make_jvp(f)(x)(t)}, repeat)


def f1_numpy(x, t, repeat):
    """The floor: the same derivative written by hand (sin, cos and exp once each)."""

    def f(v):
        return np.sum(np.sin(v) * np.exp(v))

    def jvp_by_hand(v, dv):
        s, e = np.sin(v), np.exp(v)
        return np.sum(s * e), np.sum(dv * e * (np.cos(v) + s))

    return measure({"eval": lambda: f(x), "jvp": lambda: jvp_by_hand(x, t)}, repeat)


def run_engines(engines, args):
    results = {}
    for name, fn in engines:
        try:
            results[name] = fn(*args)
        except ImportError as exc:
            results[name] = f"not installed ({exc.name})"
    return results


def report(title, results, transform):
    print(f"\n{title}")
    print(f"  {'engine':<12} {'eval ms':>9} {transform + ' ms':>18} {'ratio':>7}   other")
    for name, r in results.items():
        if isinstance(r, str):
            print(f"  {name:<12} {r}")
            continue
        extra = ", ".join(f"{k} {v * 1e3:.3f} ms (ratio {r['ratio ' + k]:.2f})" for k, v in r.items()
                          if k not in ("eval", transform, "faults") and not k.startswith("ratio "))
        faults = r["faults"]
        extra = (extra + "; " if extra else "") + f"page faults/call {faults['eval']:.0f} vs {faults[transform]:.0f}"
        ratio = r["ratio " + transform]
        print(f"  {name:<12} {r['eval'] * 1e3:9.3f} {r[transform] * 1e3:18.3f} {ratio:7.2f}   {extra}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed calls per figure (median reported)")
    parser.add_argument("--dtype", choices=["float32", "float64", "both"], default="both")
    parser.add_argument("--just", choices=["f1-eval", "f1-jvp"],
                        help="only run microgradx's F1 evaluation or jvp --repeat times, untimed (for instruction "
                             "counts under valgrind --tool=callgrind, which do not depend on the machine's load)")
    args = parser.parse_args(argv)
    dtypes = ["float32", "float64"] if args.dtype == "both" else [args.dtype]
    if args.just:
        x = np.random.default_rng(1).uniform(-2, 2, 100_000).astype(dtypes[0])
        f = lambda v: mgx.sum(mgx.sin(v) * mgx.exp(v))  # noqa: E731
        xt, tt = mgx.array(x), mgx.array(np.ones_like(x))
        for _ in range(args.repeat):
            f(xt) if args.just == "f1-eval" else mgx.jvp(f, [xt], [tt])
        return
    print(f"microgradx {mgx.__version__}, backend {mgx.backend()}; median of {args.repeat} calls; "
          f"BLAS/torch threads: {os.environ['OPENBLAS_NUM_THREADS']}/{os.environ['OMP_NUM_THREADS']}; "
          f"GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '(unset)')}")
    for dtype in dtypes:
        params, x, y = mlp_data(np.dtype(dtype))
        g1 = run_engines([("microgradx", g1_microgradx), ("mlx", g1_mlx), ("pytorch", g1_torch),
                          ("autograd", g1_autograd)], (params, x, y, args.repeat))
        report(f"G1 value_and_grad / loss, 784-256-10 tanh MLP, softmax cross-entropy, batch 128, {dtype}",
               g1, "value_and_grad")
    for dtype in dtypes:
        rng = np.random.default_rng(1)
        x = rng.uniform(-2, 2, 100_000).astype(dtype)
        t = rng.standard_normal(100_000).astype(dtype)
        f1 = run_engines([("numpy", f1_numpy), ("microgradx", f1_microgradx), ("mlx", f1_mlx),
                          ("pytorch", f1_torch), ("autograd", f1_autograd)], (x, t, args.repeat))
        report(f"F1 jvp / f, f(x) = sum(sin(x) * exp(x)), 100,000 elements, {dtype}", f1, "jvp")


if __name__ == "__main__":
    main()
