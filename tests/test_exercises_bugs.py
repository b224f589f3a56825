"""Classic bugs: each wrong answer appears with its switch on and is gone with it off (and after an error)."""

import math
import sys

import numpy as np
import pytest

import microgradx as mgx
from microgradx.exercises import bugs
from microgradx.nodes import ReferenceScalar

try:
    from microgradx._ext.scalar import Scalar as CompiledScalar
except ImportError:  # extension not built: the compiled cases are skipped with a reason
    CompiledScalar = None

needs_compiled = pytest.mark.skipif(CompiledScalar is None, reason="compiled extension not built")

# every node class with a backward(): the compiled Scalar by name, whichever backend the suite runs on
NODES = [pytest.param(mgx.Tensor, id="Tensor"), pytest.param(ReferenceScalar, id="ReferenceScalar"),
         pytest.param(CompiledScalar, id="CompiledScalar", marks=needs_compiled)]
SCALARS = NODES[1:]


@pytest.mark.parametrize("node", NODES)
def test_overwrite_instead_of_accumulate(node):
    def a_grad():
        a = node(3.0)
        (a + a).backward()
        return float(a.grad)

    with bugs.overwrite_gradients():
        assert a_grad() == 1.0
    assert a_grad() == 2.0


@pytest.mark.parametrize("node", SCALARS)
def test_overwrite_on_a_scalar_training_graph(node):
    # a shared weight: each use should add its share; with the bug only the last consumer's share is kept
    def w_grad():
        w = node(0.5)
        xs = [node(float(x)) for x in (1.0, 2.0, 3.0)]
        loss = sum(((w * x).tanh() for x in xs), node(0.0))
        loss.backward()
        return w.grad

    with bugs.overwrite_gradients():
        wrong = w_grad()
    right = w_grad()
    expected = sum(x * (1.0 - math.tanh(0.5 * x) ** 2) for x in (1.0, 2.0, 3.0))
    assert right == pytest.approx(expected, rel=1e-12)
    assert wrong != pytest.approx(expected, rel=1e-6)


def test_overwrite_reaches_the_transforms():
    f = lambda x: x * x  # noqa: E731
    with bugs.overwrite_gradients():
        assert float(mgx.grad(f)(3.0)) == 3.0
    assert float(mgx.grad(f)(3.0)) == 6.0


@pytest.mark.parametrize("node", NODES)
def test_recursive_sort_fails_on_a_deep_chain(node):
    x = node(1.0)
    y = x
    for _ in range(2 * sys.getrecursionlimit()):
        y = y * 1.0
    with bugs.recursive_topological_sort():
        with pytest.raises(RecursionError):
            y.backward()
        short = node(2.0)
        (short * short).backward()  # a shallow graph is fine: the bug shows only with depth
        assert float(short.grad) == 4.0
    y.backward()
    assert float(x.grad) == 1.0


def test_parents_in_a_set():
    a, b = mgx.Tensor(3.0), mgx.Tensor(5.0)
    with bugs.parents_in_a_set():
        (a * a).backward()
        assert float(a.grad) == 3.0  # one of the two uses lost
        outcomes = set()
        for _ in range(40):  # the pairing follows the set's (address-dependent) order
            p, q = mgx.Tensor(1.0), mgx.Tensor(2.0)
            (p - q * 1.0).backward()
            outcomes.add(float(p.grad))
        assert outcomes <= {1.0, -1.0}
    a.grad = None
    (a * a).backward()
    assert float(a.grad) == 6.0
    assert b.grad is None


@pytest.mark.parametrize("node", SCALARS)
def test_parents_in_a_set_on_scalars(node):
    a = node(3.0)
    with bugs.parents_in_a_set():
        (a * a).backward()
        assert a.grad == 3.0  # one of the two uses lost
        outcomes = set()
        for _ in range(40):
            p, q = node(1.0), node(2.0)
            (p - q).backward()
            assert {p.grad, q.grad} <= {1.0, -1.0}
            outcomes.add(p.grad)
    a.grad = 0.0
    (a * a).backward()
    assert a.grad == 6.0
    p, q = node(1.0), node(2.0)
    (p - q).backward()
    assert (p.grad, q.grad) == (1.0, -1.0)


@needs_compiled
def test_the_compiled_sweep_is_back_after_the_switch_and_after_an_error():
    x = CompiledScalar(1.0)
    y = x
    for _ in range(2 * sys.getrecursionlimit()):
        y = y * 1.0
    with pytest.raises(KeyError):
        with bugs.recursive_topological_sort(), bugs.overwrite_gradients():
            with pytest.raises(RecursionError):
                y.backward()
            raise KeyError("a mistake in the block")
    y.backward()  # the C sweep again: no recursion, and accumulation
    a = CompiledScalar(3.0)
    (a + a).backward()
    assert (x.grad, a.grad) == (1.0, 2.0)


def test_untagged_perturbations_nested_derivative_is_2_not_1():
    D = lambda f: lambda x: mgx.jvp(f, [x], [1.0])[1][0]  # noqa: E731
    f = lambda x: x * D(lambda y: x + y)(1.0)  # noqa: E731
    with bugs.untagged_perturbations():
        assert D(f)(1.0).item() == 2.0
        g = lambda x: x * mgx.grad(lambda y: x + y)(1.0)  # noqa: E731
        assert float(mgx.grad(g)(1.0)) == 2.0
    assert D(f)(1.0).item() == 1.0


def test_no_unbroadcast_shape_bug():
    X = mgx.array(np.ones((4, 3)))
    b = mgx.array(np.zeros(3))
    with bugs.no_unbroadcast():
        with pytest.raises(ValueError, match="size 12 into shape \\(3,\\)"):
            mgx.grad(lambda b: mgx.sum(X + b))(b)
    assert np.array_equal(mgx.grad(lambda b: mgx.sum(X + b))(b).numpy(), [4.0, 4.0, 4.0])


def test_switches_are_off_after_an_error_inside():
    with pytest.raises(KeyError):
        with bugs.overwrite_gradients(), bugs.untagged_perturbations():
            raise KeyError("a mistake in the block")
    a = mgx.Tensor(3.0)
    (a + a).backward()
    assert float(a.grad) == 2.0
    D = lambda f: lambda x: mgx.jvp(f, [x], [1.0])[1][0]  # noqa: E731
    assert D(lambda x: x * D(lambda y: x + y)(1.0))(1.0).item() == 1.0
