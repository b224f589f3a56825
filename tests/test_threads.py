"""Threads (issue 15, section 3): concurrent eager backward() passes are exact; re-entry is refused.

Each eager ``backward()`` sweep (Tensor, reference and compiled Scalar) holds a
process-wide lock, so sweeps over shared leaves or shared intermediate nodes take
turns and give the same sums as one thread running them one after another.  A
``backward()`` started from inside a running sweep in the same thread raises.
"""

import sys
import threading

import numpy as np
import pytest

import microgradx as mgx
from microgradx import optim


@pytest.fixture(autouse=True)
def _switch_often():
    """Switch threads every 10 microseconds, so that unsynchronised sweeps would interleave."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    yield
    sys.setswitchinterval(old)


def run_threads(target, n=4):
    errors = []

    def guarded(k):
        try:
            target(k)
        except BaseException as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_tensor_backward_on_a_shared_leaf_is_exact():
    """4 threads x 200 backward() on one 200,000-element leaf (lost 154-276 per element before)."""
    w = mgx.Tensor(np.zeros(200_000))

    def work(k):
        for _ in range(200):
            mgx.sum(w * float(k + 1)).backward()

    run_threads(work)
    np.testing.assert_array_equal(w.grad, np.full(200_000, 200.0 * (1 + 2 + 3 + 4)))


def test_scalar_backward_through_a_shared_intermediate_node_is_exact(S):
    """Each thread's loss uses one shared intermediate node; every sum must be exact (no 'graph changed')."""
    w = S(1.0)
    hub = mgx.where(True, w * 1.0, 0.0)
    outs = [S(0.0) for _ in range(4)]

    def work(k):
        for _ in range(300):
            leaf = outs[k]
            (hub * float(k) + leaf * float(k)).backward()

    run_threads(work)
    assert [o.grad for o in outs] == [0.0, 300.0, 600.0, 900.0]
    assert w.grad == 300.0 * (0 + 1 + 2 + 3)
    assert hub.grad == 300.0 * (0 + 1 + 2 + 3)


def test_scalar_backward_on_a_shared_root_is_exact(S):
    """4 threads call backward() on one root (the compiled sums over-counted before)."""
    xs = [S(float(i) / 10) for i in range(30)]
    root = S(0.0)
    for i, x in enumerate(xs):
        root = root + mgx.where(True, x * x, 0.0) * float(i + 1)

    def work(k):
        for _ in range(100):
            root.backward()

    run_threads(work)
    for i, x in enumerate(xs):
        assert x.grad == pytest.approx(400 * 2 * x.data * (i + 1), rel=1e-12)


def test_training_threads_on_their_own_graphs_give_what_one_thread_gives():
    """Threads training separate models in parallel: every model ends as if trained alone."""
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((16, 3)), rng.standard_normal((16, 1))

    def train(k, results):
        w = mgx.Tensor(np.full((3, 1), 0.1 * k))
        opt = optim.SGD([w], lr=0.05)
        for _ in range(100):
            opt.zero_grad()
            mgx.mean((X @ w - Y) ** 2).backward()
            opt.step()
        results[k] = w.data.copy()

    alone = {}
    for k in range(4):
        train(k, alone)
    together = {}
    run_threads(lambda k: train(k, together))
    for k in range(4):
        np.testing.assert_array_equal(together[k], alone[k])


def test_the_edit_clock_never_runs_backwards_under_thread_switches():
    """Threads changing their own tensors at once: a graph recorded after a change is never refused.

    Regression: the edit clock was set without a lock, so a thread could move it back below another
    thread's newest version, and that thread's next backward() called its fresh graph stale (seen
    as an intermittent failure of the training test above; on the old code this test failed 2 of 3 runs).
    """
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    errors = []
    def work():
        w = mgx.Tensor(np.ones(3))
        try:
            for _ in range(3000):
                w.data -= 0.0  # an in-place change: bumps the clock
                (w * 2.0).sum().backward()
        except RuntimeError as e:
            errors.append(e)
    try:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert errors == []


class _Hooked(mgx.Tensor):
    """A leaf whose gradient arrival starts another backward() (a "hook")."""

    __slots__ = ("hook",)

    def _accumulate_grad(self, g):
        super()._accumulate_grad(g)
        self.hook()


def test_backward_from_inside_a_running_sweep_is_refused():
    x = _Hooked([3.0])
    y = mgx.sum(x * x * x)
    x.hook = y.backward
    with pytest.raises(RuntimeError, match="while a backward\\(\\) sweep is running in the same thread"):
        y.backward()
    x.hook = lambda: None
    x.zero_grad()
    y.backward()  # the failed attempt left nothing behind: the next sweep is a normal one
    np.testing.assert_array_equal(x.grad, [27.0])


def test_a_scalar_backward_inside_a_running_tensor_sweep_is_refused_too():
    # one lock for every kind of eager sweep: a Scalar's backward() (reference or compiled) started
    # from inside a Tensor's sweep in the same thread raises as well, and leaves the lock free
    x = _Hooked([3.0])
    y = mgx.sum(x * x)
    s = mgx.Scalar(2.0)
    x.hook = (s * s).backward
    with pytest.raises(RuntimeError, match="while a backward\\(\\) sweep is running in the same thread"):
        y.backward()
    assert s.grad == 0.0
    (s * s).backward()
    assert s.grad == 4.0
