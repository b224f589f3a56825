"""Deep graphs and memory: a 100,000-node chain sorts, sweeps and is freed; graphs die by refcounting.

Both Scalar classes.  The million-node case lives in ``bench/bench_scalar.py``.
"""

import gc
import math
import sys
import weakref

import pytest

from microgradx.core import engine
from microgradx.nodes.scalar import Scalar as RefScalar

DEPTH = 100_000


@pytest.fixture
def no_cycle_collector():
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def test_deep_chain_backward_and_free(S, no_cycle_collector):
    x = S(0.5)
    y = x
    for i in range(DEPTH):  # alternate a binary op with a constant and a unary op
        y = y * 1.00001 if i % 2 else (y + 0.1).tanh()
    last = weakref.ref(y)
    walk = engine.topological_order if S is RefScalar else sys.modules[type(y).__module__].topological_order
    order = walk(y)  # the depth-first walk (explicit stack) on the whole chain
    assert len(order) == 1 + DEPTH // 2 * 3 and order[0] is x and order[-1] is y
    del order
    y.backward()  # iterative: no RecursionError, no C stack overflow
    assert x.grad != 0.0 and math.isfinite(x.grad)
    assert y.grad == 1.0
    del y  # freeing a 100,000-deep chain must not recurse either (a segfault would end the run)
    assert last() is None
    assert x.grad != 0.0


def test_deep_chain_gradient_value(S):
    n = 20_000
    x = S(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**n, rel=1e-9)


def test_graph_is_freed_by_reference_counting(S, no_cycle_collector):
    a = S(2.0)
    b = S(-1.0)
    c = a * b
    d = (c + a).tanh() * c
    refs = [weakref.ref(n) for n in (a, b, c, d)]
    d.backward()  # a sweep leaves nothing behind that keeps nodes alive
    del a, b, c
    assert all(r() is not None for r in refs)  # d still holds its whole history
    del d
    assert [r() for r in refs] == [None, None, None, None]


def test_leaf_outlives_graph(S, no_cycle_collector):
    w = S(3.0)
    out = w * w + 1.0
    inner = weakref.ref(out._prev[0])  # the w * w node
    out.backward()
    del out
    assert inner() is None  # intermediates die with the output
    assert w.grad == 6.0  # the leaf the user still holds is untouched


def test_wide_fan_in(S):
    xs = [S(float(i)) for i in range(2000)]
    total = xs[0]
    for x in xs[1:]:
        total = total + x * x
    total.backward()
    assert xs[0].grad == 1.0
    assert xs[-1].grad == 2.0 * 1999
