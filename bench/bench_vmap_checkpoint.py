"""vmap vs a Python loop of per-example gradients, and checkpoint's memory/time trade on a deep MLP.

    python bench/bench_vmap_checkpoint.py

* **vmap**: ``vmap(grad(loss), in_axes=(None, 0, 0))(w, xs, ys)`` against
  ``stack([grad(loss)(w, xs[i], ys[i]) for i in ...])`` for a one-hidden-layer network; median of
  repeated timings.  "before" is vmap as it was computed before the batching rules (a loop over the
  examples, still there as vmap's fallback: ``microgradx.transforms.vmap._looped``); "after" is the
  batched vmap (one call of ``grad(loss)`` on the whole batch).
* **checkpoint**: the gradient of a ``DEPTH``-block tanh MLP, each block plain or ``checkpoint``'ed;
  the peak memory that numpy allocates during ``grad`` (``tracemalloc``) and the median time.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

import numpy as np

import microgradx as mgx
from microgradx.transforms.custom import checkpoint
from microgradx.transforms.vmap import _looped, vmap


def median_time(fn, repeats=7):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def loss(params, x, y):
    w1, w2 = params
    return mgx.sum((mgx.tanh(x @ w1) @ w2 - y) ** 2)


def bench_vmap(batch=64, features=32, hidden=64):
    rng = np.random.default_rng(0)
    params = (rng.standard_normal((features, hidden)) / 8, rng.standard_normal((hidden, 1)) / 8)
    xs, ys = rng.standard_normal((batch, features)), rng.standard_normal((batch, 1))
    per_example = mgx.grad(loss)
    batched = vmap(per_example, in_axes=(None, 0, 0))

    def loop():
        grads = [per_example(params, xs[i], ys[i]) for i in range(batch)]
        return [np.stack([np.asarray(g[k]) for g in grads]) for k in range(2)]

    def before():  # vmap as a loop over the examples (the fallback path)
        return _looped(per_example, (params, xs, ys), [None, 0, 0], 0, batch)

    a, b, c = batched(params, xs, ys), loop(), before()
    assert all(np.allclose(np.asarray(u), v) and np.allclose(np.asarray(w), v) for u, v, w in zip(a, b, c))
    t_vmap, t_loop, t_before = (median_time(lambda: batched(params, xs, ys)), median_time(loop),
                                median_time(before))
    print(f"vmap(grad(loss), in_axes=(None, 0, 0)), batch {batch}: loop of grad calls {t_loop * 1e3:.1f} ms; "
          f"before (vmap as a loop) {t_before * 1e3:.1f} ms, ratio vmap/loop {t_before / t_loop:.2f}; "
          f"after (batching rules) {t_vmap * 1e3:.2f} ms, ratio vmap/loop {t_vmap / t_loop:.3f} "
          f"({t_loop / t_vmap:.0f}x faster than the loop)")


def block(h, w, b):
    return mgx.tanh(h @ w + b)


def bench_checkpoint(depth=32, width=256, batch=128):
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((width, width)) / np.sqrt(width), np.zeros(width)) for _ in range(depth)]
    x = rng.standard_normal((batch, width))

    def make(step):
        def f(params):
            h = x
            for w, b in params:
                h = step(h, w, b)
            return mgx.sum(h * h)
        return mgx.grad(f)

    rows = []
    for name, step in [("plain", block), ("checkpoint per block", checkpoint(block))]:
        g = make(step)
        g(params)
        tracemalloc.start()
        g(params)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append((name, peak, median_time(lambda g=g: g(params), repeats=5)))
    saved = []
    for step in (block, checkpoint(block)):
        leaves = [(mgx.Tensor(w), mgx.Tensor(b)) for w, b in params]
        tracemalloc.start()
        h = x
        for w, b in leaves:
            h = step(h, w, b)
        out = mgx.sum(h * h)                       # the graph is alive: what it holds is the saved values
        saved.append(tracemalloc.get_traced_memory()[0])
        out.backward()
        tracemalloc.stop()
        del out, h
    base_peak, base_time = rows[0][1], rows[0][2]
    one_activation = batch * width * 8
    print(f"checkpoint: {depth} blocks of tanh(h @ W + b), width {width}, batch {batch} "
          f"(one activation = {one_activation / 2**20:.2f} MiB)")
    for (name, peak, t), kept in zip(rows, saved):
        print(f"  {name:22s} saved by the forward pass {kept / 2**20:6.1f} MiB, peak during grad "
              f"{peak / 2**20:6.1f} MiB ({peak / base_peak:.2f}x), time {t * 1e3:7.1f} ms ({t / base_time:.2f}x)")
    print(f"  (the peaks include the {depth * (width * width + width) * 8 / 2**20:.1f} MiB of weight gradients)")


if __name__ == "__main__":
    bench_vmap()
    bench_checkpoint()
