"""nn benchmark: training steps of the demo MLP and of a digits classifier, against peers in one process.

N1  one full-batch training step of micrograd's demo model, ``MLP(2, [16, 16, 1])`` on
    100 moons points (max-margin loss + L2, SGD), split into forward (loss included),
    backward and update, for
      * micrograd 0.1.0 (``micrograd.nn.MLP``),
      * ``mgx.nn.MLP`` with ``mgx.Scalar`` (the active backend's Scalar),
      * ``mgx.nn.MLP`` with the reference ``microgradx.nodes.scalar.Scalar`` (when the active
        backend is compiled, its backward still runs on the compiled sweep).
    All nets start from the same weights and see the same data.
N2  one epoch of a 64-64-10 relu MLP on scikit-learn's digits (Adam, batch 64,
    cross-entropy), ``mgx.nn.TensorMLP`` against PyTorch with the same weights and
    batches, float64 and float32.

The backend is fixed when microgradx is imported, so the script measures the
active one (``MICROGRADX_BACKEND``) and, with ``--both``, runs itself again
under the other backend.  Within one process the engines are interleaved in
rounds and the figures are medians.  Peers that are not installed are skipped.

Run:  python bench/bench_nn.py            (active backend, about a minute)
      python bench/bench_nn.py --both     (compiled and python, one after the other)
      python bench/bench_nn.py --quick    (rough figures in seconds)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time

import numpy as np
from _common import optional  # noqa: E402 - bench/_common.py

import microgradx as mgx
from microgradx import datasets, nn, optim
from microgradx.nodes.scalar import Scalar as ReferenceScalar


# ---------------------------------------------------------------------------
# N1: the demo step
# ---------------------------------------------------------------------------
def demo_data(samples: int = 100):
    X, y = datasets.make_moons(samples, noise=0.1, seed=1337)
    return X.tolist(), (y * 2 - 1).astype(float).tolist()


def demo_step(model, params, rows, labels, value=None):
    """One micrograd demo step; returns (forward s, backward s, update s)."""
    t0 = time.perf_counter()
    if value is None:
        scores = [model(r) for r in rows]
    else:  # micrograd's demo wraps the inputs in Values
        scores = [model([value(v) for v in r]) for r in rows]
    losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in params)
    t1 = time.perf_counter()
    for p in params:
        p.grad = 0.0
    loss.backward()
    t2 = time.perf_counter()
    for p in params:
        p.data -= 0.01 * p.grad  # a small lr keeps the nets alike across rounds
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2


def bench_demo_step(rounds: int) -> None:
    rows, labels = demo_data()
    nets = {}
    ours = nn.MLP(2, [16, 16, 1], seed=0)
    weights = [p.data for p in ours.parameters()]
    nets[f"microgradx ({mgx.backend()} Scalar)"] = (ours, ours.parameters(), None)
    if mgx.backend() == "compiled":
        ref = nn.MLP(2, [16, 16, 1], seed=0, scalar_class=ReferenceScalar)
        nets["microgradx (reference Scalar, compiled sweep)"] = (ref, ref.parameters(), None)
    micrograd_nn = optional("micrograd.nn")
    if micrograd_nn is not None:
        from micrograd.engine import Value

        random.seed(0)
        theirs = micrograd_nn.MLP(2, [16, 16, 1])
        for p, w in zip(theirs.parameters(), weights):
            p.data = w
        nets["micrograd 0.1.0"] = (theirs, theirs.parameters(), Value)
    samples = {name: [] for name in nets}
    for _ in range(rounds):
        for name, (model, params, value) in nets.items():
            samples[name].append(demo_step(model, params, rows, labels, value))
    print(f"\nN1  demo step: MLP(2, [16, 16, 1]), 100 points, full batch  (median of {rounds} rounds)")
    print(f"    {'engine':48s} {'forward':>10s} {'backward':>10s} {'update':>10s} {'total':>10s}")
    medians = {}
    for name, runs in samples.items():
        f, b, u = (statistics.median(col) for col in zip(*runs))
        t = statistics.median(sum(r) for r in runs)
        medians[name] = (f, b, t)
        print(f"    {name:48s} {f * 1e3:8.1f}ms {b * 1e3:8.1f}ms {u * 1e3:8.2f}ms {t * 1e3:8.1f}ms")
    if "micrograd 0.1.0" in medians:
        mf, mb, mt = medians["micrograd 0.1.0"]
        for name, (f, b, t) in medians.items():
            if name != "micrograd 0.1.0":
                print(f"    micrograd / {name}: step {mt / t:5.1f}x  forward {mf / f:5.1f}x  backward {mb / b:5.1f}x")
    ours_total = medians[f"microgradx ({mgx.backend()} Scalar)"][2]
    print(f"    -> the 100-step demo spends about {100 * ours_total:.1f} s training on this backend")


# ---------------------------------------------------------------------------
# N2: a digits epoch
# ---------------------------------------------------------------------------
def bench_digits_epoch(rounds: int) -> None:
    if optional("sklearn") is None:
        print("\nN2  skipped: scikit-learn is not installed")
        return
    torch = optional("torch")
    if torch is not None:
        torch.set_num_threads(1)  # 64-wide layers: threads only add synchronisation (and numpy's BLAS
        #                           runs matrices this small on one thread too)
    X, y = datasets.load_digits()
    X = X / 16.0
    batches = list(datasets.minibatches(X, y, 64, seed=0))
    threads = f", PyTorch on {torch.get_num_threads()} thread" if torch is not None else ""
    print(f"\nN2  digits epoch: 64-64-10 relu MLP, Adam, {len(batches)} batches of 64{threads}  "
          f"(median of {rounds} rounds)")
    for dtype in (np.float64, np.float32):
        data = [(xb.astype(dtype), yb) for xb, yb in batches]
        model = nn.TensorMLP(64, [64, 10], dtype=dtype, seed=0)
        opt = optim.Adam(model.parameters(), lr=1e-3)

        def ours_epoch(model=model, opt=opt, data=data):
            for xb, yb in data:
                loss = nn.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()

        engines = {"microgradx": ours_epoch}
        if torch is not None:
            tdtype = torch.float64 if dtype == np.float64 else torch.float32
            tmodel = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)).to(tdtype)
            with torch.no_grad():
                for tp, p in zip(tmodel.parameters(), model.parameters()):
                    tp.copy_(torch.from_numpy(p.data.copy()))
            topt = torch.optim.Adam(tmodel.parameters(), lr=1e-3)
            tdata = [(torch.from_numpy(xb), torch.from_numpy(yb)) for xb, yb in data]

            def torch_epoch(tmodel=tmodel, topt=topt, tdata=tdata):
                for xb, yb in tdata:
                    loss = torch.nn.functional.cross_entropy(tmodel(xb), yb)
                    topt.zero_grad()
                    loss.backward()
                    topt.step()

            engines["PyTorch " + torch.__version__.split("+")[0]] = torch_epoch
        samples = {name: [] for name in engines}
        for _ in range(rounds):
            for name, fn in engines.items():
                t0 = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - t0)
        line = "  ".join(f"{name} {statistics.median(s) * 1e3:7.1f} ms" for name, s in samples.items())
        ratio = ""
        if len(samples) == 2:
            a, b = (statistics.median(s) for s in samples.values())
            ratio = f"  (microgradx / PyTorch = {a / b:.2f})"
        print(f"    {np.dtype(dtype).name:8s} {line}{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds: rough figures in seconds")
    parser.add_argument("--both", action="store_true", help="also run under the other backend (a second process)")
    args = parser.parse_args()
    print(f"microgradx backend: {mgx.backend()}   numpy {np.__version__}   python {sys.version.split()[0]}")
    rounds_demo = 3 if args.quick else 9
    if mgx.backend() == "python" and not args.quick:
        rounds_demo = 5
    bench_demo_step(rounds_demo)
    bench_digits_epoch(3 if args.quick else 9)
    if args.both:
        other = "python" if mgx.backend() == "compiled" else "compiled"
        sys.stdout.flush()
        env = dict(os.environ, MICROGRADX_BACKEND=other)
        extra = ["--quick"] if args.quick else []
        subprocess.call([sys.executable, os.path.abspath(__file__), *extra], env=env)


if __name__ == "__main__":
    main()
