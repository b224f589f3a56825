"""Scalar engine benchmark: micrograd vs microgradx (compiled and reference Scalar), in one process.

S1  One training step of micrograd's demo: ``MLP(2, [16, 16, 1])`` on 100 moons
    points, SVM max-margin loss + 1e-4 L2, SGD.  Forward (inputs -> loss),
    backward (``loss.backward()``), update (zero the grads, ``p.data -= lr * p.grad``)
    and release (drop the graph) are timed separately; "step" is their sum.
    The three networks start from the same weights (micrograd's, copied), run
    the same loss code and are checked to compute the same loss.
S2  ``backward()`` of a 1,000,000-node chain on each engine: seconds, time per
    node, bytes per node (tracemalloc on a 100,000-node chain: every Python
    allocation of the graph), peak RSS growth while building and sweeping the
    1M chain, and the time to free it.  micrograd's recursive topological sort
    is expected to fail: the exception is caught and reported.

Not run in CI (speed is never asserted in tests).  Run::

    python bench/bench_scalar.py            # S1 (9 rounds: one step of each engine per round) and S2
    python bench/bench_scalar.py --steps 5 --chain 200000 --skip-reference-chain

The cycle collector stays on, as in a user's program (micrograd's closures make
reference cycles, so its graphs are freed by the collector; microgradx's are
freed by reference counting).  ``--no-gc`` reruns S1 with it off, to show the
engines' own cost.

Wall-clock ratios depend on what else the machine is doing (the compiled sweep
is limited by memory, micrograd's by the interpreter).  For a load-independent
figure, count instructions with callgrind: ``--graph-only ENGINE`` builds one S1
loss graph (collector off) and exits; the difference between a run with and
without ``--backward`` is the instruction count of one ``backward()``::

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python bench/bench_scalar.py --graph-only micrograd [--backward]

The compiled sweep can also be counted alone, in one run, by collecting only
inside it: ``valgrind --tool=callgrind --toggle-collect='*Scalar*backward*'
python bench/bench_scalar.py --graph-only compiled --backward``.  Instructions
are not the whole story for the compiled sweep, whose time goes mostly into
waiting for memory: its wall time grows over the first training steps, as
freeing and rebuilding the graph leaves the nodes in no particular order in
memory -- which is why S1 times several steps, not one.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import random
import statistics
import sys
import time
import tracemalloc

import microgradx as mgx
from microgradx import nn
from microgradx.datasets import make_moons
from microgradx.nodes.scalar import Scalar as ReferenceScalar

try:
    from microgradx._ext.scalar import Scalar as CompiledScalar
except ImportError:  # extension not built: the compiled rows are skipped
    CompiledScalar = None

try:
    import micrograd.engine as mg_engine
    import micrograd.nn as mg_nn
except ImportError:
    mg_engine = mg_nn = None


# ---------------------------------------------------------------------------
# S1: one training step
# ---------------------------------------------------------------------------
def demo_loss(model, Value, X, Y):
    """micrograd's demo loss, written once for every engine: max-margin + 1e-4 * sum(p**2)."""
    inputs = [[Value(float(a)), Value(float(b))] for a, b in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    return data_loss + reg_loss


PARTS = ("forward", "backward", "update", "release")  # what training_step times, in this order


def training_step(model, params, Value, X, Y, lr):
    """Return (forward, backward, update, release) seconds and the loss value of one step."""
    t0 = time.perf_counter()
    loss = demo_loss(model, Value, X, Y)
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    for p in params:
        p.data -= lr * p.grad
        p.grad = 0.0
    t3 = time.perf_counter()
    value = loss.data
    del loss  # the graph goes (at once by refcounting for microgradx; micrograd leaves it to the collector)
    t4 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2, t4 - t3), value


def build_models():
    """micrograd's network and two microgradx networks with the same weights."""
    random.seed(1337)
    models = {}
    if mg_nn is not None:
        mg_model = mg_nn.MLP(2, [16, 16, 1])
        models["micrograd 0.1.0"] = (mg_model, mg_engine.Value)
        weights = [p.data for p in mg_model.parameters()]
    else:
        weights = None
    classes = [("microgradx compiled", CompiledScalar), ("microgradx reference", ReferenceScalar)]
    for name, cls in classes:
        if cls is None:
            continue
        model = nn.MLP(2, [16, 16, 1], seed=1337, scalar_class=cls)
        if weights is not None:
            for p, w in zip(model.parameters(), weights):
                p.data = float(w)
        models[name] = (model, cls)
    return models


def bench_training_step(steps: int) -> dict:
    """Time ``steps`` training steps per engine, interleaved: each round runs one step of every engine.

    Interleaving spreads a change in the machine's load over all engines
    alike, and the ratios printed are medians of per-round ratios.  Before
    each engine's step the cycle collector runs (untimed), so that no engine
    pays for collecting another's garbage -- nor micrograd for its own
    previous graph, which makes its figures slightly better than in a real
    training loop.
    """
    X, y = make_moons(100, noise=0.1, seed=1)
    Y = [float(v) for v in y * 2 - 1]
    engines = build_models()
    times = {name: [] for name in engines}
    first_losses = {}
    for k in range(steps + 1):  # round 0 warms up and is not counted
        for name, (model, Value) in engines.items():
            gc.collect()
            t, loss = training_step(model, model.parameters(), Value, X, Y, lr=1.0 - 0.9 * k / 100)
            if k == 0:
                first_losses[name] = loss
            else:
                times[name].append(t)
    gc.collect()
    results = {}
    for name, rounds in times.items():
        results[name] = {part: statistics.median(t[i] for t in rounds) for i, part in enumerate(PARTS)}
        results[name].update(step=statistics.median(sum(t) for t in rounds), rounds=rounds)
    losses = list(first_losses.values())
    same = all(math.isclose(v, losses[0], rel_tol=1e-9) for v in losses)
    return {"results": results, "first_losses": first_losses, "same_loss": same}


def graph_size(Value) -> int:
    """Nodes in one step's loss graph (for time per node)."""
    if Value is None:
        return 0
    from microgradx.core.engine import topological_order

    X, y = make_moons(100, noise=0.1, seed=1)
    model = nn.MLP(2, [16, 16, 1], seed=0, scalar_class=ReferenceScalar)
    loss = demo_loss(model, ReferenceScalar, X, [float(v) for v in y * 2 - 1])
    return len(topological_order(loss))


def print_training_step(report: dict, title: str) -> None:
    res = report["results"]
    print(f"\nS1  {title}")
    print(f"    {'engine':<22}{'forward':>11}{'backward':>11}{'update':>10}{'release':>10}{'step':>11}")
    for name, r in res.items():
        print(f"    {name:<22}" + "".join(f"{r[k] * 1e3:>{w}.2f}" for k, w in
                                          [("forward", 9), ("backward", 11), ("update", 10),
                                           ("release", 10), ("step", 11)]) + "  ms")
    base = res.get("micrograd 0.1.0")
    if base:
        print("    micrograd's time / ours: median over rounds of the per-round ratio (min-max)")

        def ratio(r, part):
            def pick(t):  # t: one round's (forward, backward, update, release) seconds
                return sum(t) if part == "step" else t[PARTS.index(part)]

            per_round = [pick(a) / pick(b) for a, b in zip(base["rounds"], r["rounds"])]
            lo, hi = ((f"{v:.0f}" if v >= 10 else f"{v:.1f}") for v in (min(per_round), max(per_round)))
            return f"{statistics.median(per_round):6.1f}x ({lo}-{hi})"

        for name, r in res.items():
            if name != "micrograd 0.1.0":
                print(f"    micrograd / {name:<22} forward {ratio(r, 'forward')}   "
                      f"backward {ratio(r, 'backward')}   step {ratio(r, 'step')}")
    same = "yes" if report["same_loss"] else "NO"
    print(f"    same loss at step 0 on every engine: {same} "
          + ", ".join(f"{k}: {v:.12f}" for k, v in report["first_losses"].items()))


# ---------------------------------------------------------------------------
# S2: a million-node chain
# ---------------------------------------------------------------------------
def chain(Value, n: int):
    """x, then n operations alternating ``* 1.0000001`` and ``+ 0.5`` (ops every engine has)."""
    x = Value(0.5)
    y = x
    for i in range(n):
        y = y * 1.0000001 if i % 2 == 0 else y + 0.5
    return x, y


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM (Linux)
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def bytes_per_node(Value, n: int = 100_000) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    x, y = chain(Value, n)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del x, y
    gc.collect()
    return (after - before) / n


def bench_chain(Value, name: str, n: int) -> dict:
    out = {"name": name, "n": n}
    gc.collect()
    base = rss_bytes()
    can_peak = reset_peak_rss()
    t0 = time.perf_counter()
    x, y = chain(Value, n)
    t1 = time.perf_counter()
    out["build"] = t1 - t0
    out["rss_graph"] = rss_bytes() - base
    try:
        y.backward()
        t2 = time.perf_counter()
        out["backward"] = t2 - t1
        out["grad_ok"] = math.isclose(x.grad, 1.0000001 ** ((n + 1) // 2), rel_tol=1e-6)
    except RecursionError as exc:
        out["error"] = f"RecursionError ({exc}) after {time.perf_counter() - t1:.3f} s"
    out["peak_rss"] = peak_rss_bytes() - base if can_peak else None
    t3 = time.perf_counter()
    del x, y
    t4 = time.perf_counter()
    collected = gc.collect()
    t5 = time.perf_counter()
    out["free"] = t4 - t3
    out["collect"] = (t5 - t4, collected)
    return out


def print_chain(rows: list, bpn: dict) -> None:
    print(f"\nS2  backward() of a {rows[0]['n']:,}-node chain")
    for r in rows:
        line = f"    {r['name']:<22} build {r['build']:6.2f} s"
        if "backward" in r:
            line += (f"   backward {r['backward']:7.3f} s = {r['backward'] / r['n'] * 1e9:7.1f} ns/node"
                     f"   grad ok: {r['grad_ok']}")
        else:
            line += f"   backward FAILED: {r['error']}"
        print(line)
        peak = f"{r['peak_rss'] / r['n']:.0f}" if r["peak_rss"] is not None else "n/a"
        print(f"    {'':<22} graph RSS {r['rss_graph'] / r['n']:.0f} B/node, peak RSS during build+backward "
              f"{peak} B/node; free by refcount {r['free']:.3f} s, then gc.collect() {r['collect'][0]:.3f} s "
              f"({r['collect'][1]} objects)")
    for name, b in bpn.items():
        print(f"    bytes per node (tracemalloc, 100,000-node chain): {name:<22} {b:7.1f}")
    by = {r["name"]: r for r in rows}
    c, ref = by.get("microgradx compiled"), by.get("microgradx reference")
    if c and ref and "backward" in c and "backward" in ref:
        print(f"    compiled sweep vs reference sweep: {ref['backward'] / c['backward']:.1f}x faster")


def graph_only(engine: str, backward: bool) -> int:
    """Build one S1 loss graph (cycle collector off) and optionally sweep it; print nothing timed."""
    names = {"micrograd": "micrograd 0.1.0", "compiled": "microgradx compiled", "reference": "microgradx reference"}
    models = build_models()
    if names[engine] not in models:
        print(f"{names[engine]} is not available", file=sys.stderr)
        return 1
    model, Value = models[names[engine]]
    X, y = make_moons(100, noise=0.1, seed=1)
    gc.disable()
    loss = demo_loss(model, Value, X, [float(v) for v in y * 2 - 1])
    if backward:
        loss.backward()
    print(f"{names[engine]}: loss {loss.data:.12f}" + (" (after backward)" if backward else ""))
    sys.stdout.flush()
    os._exit(0)  # skip freeing the graph: only building (and sweeping) is counted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=9, help="timed rounds (one training step per engine each)")
    parser.add_argument("--chain", type=int, default=1_000_000, help="nodes in the S2 chain")
    parser.add_argument("--no-gc", action="store_true", help="also run S1 with the cycle collector off")
    parser.add_argument("--skip-reference-chain", action="store_true", help="S2 without the (slow) reference")
    parser.add_argument("--skip-s2", action="store_true")
    parser.add_argument("--graph-only", choices=["micrograd", "compiled", "reference"],
                        help="build one S1 loss graph with this engine and exit (for instruction counting)")
    parser.add_argument("--backward", action="store_true", help="with --graph-only: also run backward()")
    args = parser.parse_args(argv)
    if args.graph_only:
        return graph_only(args.graph_only, args.backward)

    print(f"python {sys.version.split()[0]}, microgradx backend {mgx.backend()}, "
          f"compiled Scalar {'available' if CompiledScalar else 'NOT BUILT'}, "
          f"micrograd {'0.1.0' if mg_engine else 'not installed'}")
    print(f"one S1 graph has {graph_size(ReferenceScalar):,} nodes")

    print_training_step(bench_training_step(args.steps), "training step, medians of "
                        f"{args.steps} interleaved rounds (cycle collector on)")
    if args.no_gc:
        gc.disable()
        try:
            print_training_step(bench_training_step(args.steps), "the same with the cycle collector OFF")
        finally:
            gc.enable()
            gc.collect()

    if not args.skip_s2:
        engines = []
        if CompiledScalar is not None:
            engines.append(("microgradx compiled", CompiledScalar))
        if not args.skip_reference_chain:
            engines.append(("microgradx reference", ReferenceScalar))
        if mg_engine is not None:
            engines.append(("micrograd 0.1.0", mg_engine.Value))
        bpn = {name: bytes_per_node(cls) for name, cls in engines}
        rows = [bench_chain(cls, name, args.chain) for name, cls in engines]
        print_chain(rows, bpn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
