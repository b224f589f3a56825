"""Memory soak: the four training styles, long, printing the resident set size (RSS) as they go.

The styles (each one step = forward, gradient, update of all parameters):

scalar   micrograd style: an ``nn.MLP`` of Scalars, ``zero_grad()``, ``loss.backward()``,
         ``p.data -= lr * p.grad``
tensor   eager Tensors: an ``nn.TensorMLP``, ``loss.backward()``, ``optim.SGD.step()``
mlx      ``mgx.value_and_grad`` over a list of plain ``mgx.array`` parameters and the MLX update
         ``params = [p - lr * g for p, g in zip(params, grads)]``
nn       ``nn.value_and_grad(model, loss_fn)`` and ``optimizer.step(grads)`` (the MLX nn style)

A loop that keeps history from one step to the next (a graph reaching back to earlier
parameters) grows without bound; a healthy one stays flat after its first steps.  The
figure that matters is the growth after warm-up, printed at the end of each style.

Run:  python bench/soak.py                         (10,000 steps of each style, a few minutes)
      python bench/soak.py --steps 2000 --every 500 --styles mlx nn
      MICROGRADX_BACKEND=python python bench/soak.py    (the reference backend)

``tests/test_soak.py`` runs the same styles, shorter, in the test suite.
"""

from __future__ import annotations

import argparse
import gc
import os
import time

import numpy as np

import microgradx as mgx
from microgradx import nn, optim

LR = 0.05


def rss_bytes() -> int:
    """Resident set size of this process (Linux: /proc; elsewhere the peak from ``resource``)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def data(n_in: int, n_out: int, batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((batch, n_in)), rng.integers(0, n_out, batch)


# ---------------------------------------------------------------------------
# The four styles: each factory returns a function that runs one training step
# ---------------------------------------------------------------------------
def scalar_style(n_in=2, hidden=4, batch=4):
    """micrograd's loop: Scalars, backward(), p.data -= lr * p.grad."""
    model = nn.MLP(n_in, [hidden, hidden, 1], seed=0)
    X, Y = data(n_in, 2, batch)
    xs = [[float(v) for v in row] for row in X]
    ys = [1.0 if y else -1.0 for y in Y]

    def step():
        loss = sum(((model(x) - y) ** 2 for x, y in zip(xs, ys)), start=mgx.Scalar(0.0))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= LR * p.grad
        return loss.data

    return step


def tensor_style(n_in=20, hidden=32, n_out=4, batch=16):
    """Eager Tensors: an nn.TensorMLP, backward(), SGD.step()."""
    model = nn.TensorMLP(n_in, [hidden, n_out], activation="tanh", seed=0)
    opt = optim.SGD(model.parameters(), lr=LR)
    X, Y = data(n_in, n_out, batch)
    x = mgx.array(X)

    def step():
        loss = nn.cross_entropy(model(x), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss)

    return step


def mlx_style(n_in=20, hidden=32, n_out=4, batch=16):
    """MLX's loop: value_and_grad over plain arrays, params = [p - lr * g ...]."""
    rng = np.random.default_rng(1)
    params = [mgx.array(rng.standard_normal((n_in, hidden)) / np.sqrt(n_in)), mgx.zeros(hidden),
              mgx.array(rng.standard_normal((hidden, n_out)) / np.sqrt(hidden)), mgx.zeros(n_out)]
    X, Y = data(n_in, n_out, batch)
    x = mgx.array(X)

    def loss_fn(params):
        w1, b1, w2, b2 = params
        return nn.cross_entropy(mgx.tanh(x @ w1 + b1) @ w2 + b2, Y)

    loss_and_grad = mgx.value_and_grad(loss_fn)

    def step():
        nonlocal params
        loss, grads = loss_and_grad(params)
        params = [p - LR * g for p, g in zip(params, grads)]
        return float(loss)

    return step


def nn_style(n_in=20, hidden=32, n_out=4, batch=16):
    """MLX's nn loop: nn.value_and_grad(model, fn), optimizer.step(grads)."""
    model = nn.TensorMLP(n_in, [hidden, n_out], activation="tanh", seed=0)
    opt = optim.SGD(model.parameters(), lr=LR)
    X, Y = data(n_in, n_out, batch)
    x = mgx.array(X)
    loss_and_grad = nn.value_and_grad(model, lambda x, y: nn.cross_entropy(model(x), y))

    def step():
        loss, grads = loss_and_grad(x, Y)
        opt.step(grads)
        return float(loss)

    return step


STYLES = {"scalar": scalar_style, "tensor": tensor_style, "mlx": mlx_style, "nn": nn_style}


def soak(style: str, steps: int, every: int, warmup: int = 100, report=print) -> float:
    """Run ``steps`` steps of ``style`` after ``warmup``; report RSS every ``every`` steps; return the growth."""
    step = STYLES[style]()
    for _ in range(warmup):
        step()
    gc.collect()
    start = rss_bytes()
    t0 = time.perf_counter()
    for i in range(1, steps + 1):
        loss = step()
        if i % every == 0:
            report(f"  {style:6s} step {i:6d}  RSS {rss_bytes() / 2**20:8.1f} MB  "
                   f"(+{(rss_bytes() - start) / 2**20:6.1f})  loss {loss:.4f}  "
                   f"{(time.perf_counter() - t0) / i * 1e3:.2f} ms/step")
    gc.collect()
    return rss_bytes() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1_000)
    parser.add_argument("--styles", nargs="+", choices=list(STYLES), default=list(STYLES))
    args = parser.parse_args()
    print(f"microgradx backend: {mgx.backend()}; {args.steps} steps per style after 100 warm-up steps")
    growth = {}
    for style in args.styles:
        growth[style] = soak(style, args.steps, args.every)
    print("RSS growth after warm-up: " + ", ".join(f"{s} {g / 2**20:+.1f} MB" for s, g in growth.items()))


if __name__ == "__main__":
    main()
