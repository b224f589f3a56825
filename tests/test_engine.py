"""The compiled engine (``microgradx._ext.engine``) against its reference twin (``microgradx.core.engine``).

On random Tensor graphs both must give the same topological order (node by
node) and bit-identical gradients -- they run the same rules in the same
order.  Also: ``write_grads=False`` leaves cotangents on the leaves only, an
exception in a rule leaves no cotangent behind, and both engines sweep
either kind of Scalar through the generic node protocol.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import microgradx as mgx
from microgradx.core import engine as reference
from microgradx.core.rules import Primitive
from microgradx.nodes.scalar import Scalar as RefScalar
from microgradx.nodes.tensor import Tensor

compiled = pytest.importorskip("microgradx._ext.engine", reason="compiled extension not built")
ENGINES = [reference, compiled]

OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "tanh": lambda a, b: mgx.tanh(a),
    "sigmoid": lambda a, b: mgx.sigmoid(a),
    "exp": lambda a, b: mgx.exp(a * 0.1),
    "square": lambda a, b: mgx.square(a),
    "sum0": lambda a, b: mgx.sum(a, axis=0, keepdims=True) + b,
    "matmul": lambda a, b: a * mgx.sum(a @ mgx.transpose(mgx.broadcast_to(mgx.tanh(b), (2, 3)))),
    "scale": lambda a, b: 2.0 * a - 1.0,
}


def build(seed, program):
    """A Tensor graph: leaves of shapes (2, 3) and (3,) (broadcast), ops chosen by the program."""
    rng = np.random.default_rng(seed)
    leaves = [Tensor(rng.normal(size=(2, 3))), Tensor(rng.normal(size=(2, 3))), Tensor(rng.normal(size=3))]
    nodes = list(leaves)
    for name, i, j in program:
        a = nodes[-1 - i % len(nodes)]
        b = nodes[j % len(nodes)]
        nodes.append(OPS[name](a, b))
    out = nodes[-1]
    for extra in nodes[3:-1:2]:  # more fan-out into the output
        out = out + extra
    return leaves, nodes, mgx.sum(out)


program_strategy = st.lists(
    st.tuples(st.sampled_from(sorted(OPS)), st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=12
)


@given(st.integers(0, 2**16), program_strategy)
def test_same_order_and_same_gradients(seed, program):
    _, _, out = build(seed, program)
    order_ref = reference.topological_order(out)
    order_c = compiled.topological_order(out)
    assert [id(n) for n in order_c] == [id(n) for n in order_ref]
    assert order_c[-1] is out and len(set(map(id, order_c))) == len(order_c)

    results = []
    for engine in ENGINES:
        leaves, nodes, out = build(seed, program)  # a fresh, identical graph per engine
        swept = engine.backward_sweep(out, np.ones(()), True)
        assert swept[-1] is out
        assert all(n._cot is None for n in swept)
        results.append([n.grad for n in leaves + nodes[3:]])
    for g_ref, g_c in zip(*results):
        assert (g_ref is None) == (g_c is None)
        if g_ref is not None:
            assert np.array_equal(g_ref, g_c)  # same rules, same order: bit-identical


@given(st.integers(0, 2**16), program_strategy)
def test_transform_mode_leaves_cotangents_on_leaves(seed, program):
    kept = []
    for engine in ENGINES:
        leaves, nodes, out = build(seed, program)
        order = engine.backward_sweep(out, np.ones(()), False)
        for n in order:
            assert n.grad is None  # nothing written
            if n._parents:
                assert n._cot is None
        kept.append([leaf._cot for leaf in leaves])
    for c_ref, c_c in zip(*kept):
        assert (c_ref is None) == (c_c is None)
        if c_ref is not None:
            assert np.array_equal(c_ref, c_c)


def _boom_vjp(g, out, inputs, params, needs):
    raise ArithmeticError("boom")


BOOM = Primitive("boom", lambda x: x, vjp=_boom_vjp, jvp=lambda t, out, inputs, params: t[0])


@pytest.mark.parametrize("engine", ENGINES, ids=["reference", "compiled"])
def test_exception_in_a_rule_leaves_no_cotangents(engine):
    x = Tensor([1.0, 2.0])
    a = x * 3.0
    broken = Tensor._record(a._inner(), 0, BOOM, (a,), (a._inner(),), {})
    out = mgx.sum(broken * x + a)
    with pytest.raises(ArithmeticError, match="boom"):
        engine.backward_sweep(out, np.ones(()), True)
    for node in reference.topological_order(out):
        assert node._cot is None
    assert x.grad is None  # the sweep stopped before reaching the leaf
    out2 = mgx.sum(a * a)  # the same nodes sweep normally afterwards: sum(9 x^2)
    engine.backward_sweep(out2, np.ones(()), True)
    assert np.array_equal(x.grad, 18.0 * np.array([1.0, 2.0]))


@pytest.mark.parametrize("engine", ENGINES, ids=["reference", "compiled"])
def test_empty_and_leaf_graphs(engine):
    x = Tensor(2.0)
    assert engine.topological_order(x) == [x]
    engine.backward_sweep(x, np.ones(()), True)
    assert float(x.grad) == 1.0


@pytest.mark.parametrize("engine", ENGINES, ids=["reference", "compiled"])
def test_deep_tensor_chain(engine):
    x = Tensor(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    engine.backward_sweep(y, np.ones(()), True)
    assert float(x.grad) == pytest.approx(1.0001**5000)


def scalar_classes():
    classes = [RefScalar]
    try:
        from microgradx._ext.scalar import Scalar as CScalar

        classes.append(CScalar)
    except ImportError:
        pass
    return classes


@pytest.mark.parametrize("engine", ENGINES, ids=["reference", "compiled"])
@pytest.mark.parametrize("S", scalar_classes(), ids=lambda c: c.__module__)
def test_engines_sweep_any_scalar(engine, S):
    def graph():
        a, b = S(1.5), S(-0.5)
        c = a * b + a.tanh()
        d = c * c + b.exp() - 2.0 / a
        return a, b, c, d

    a, b, c, d = graph()
    order = engine.topological_order(d)
    assert order[-1] is d and {id(a), id(b), id(c)} <= {id(n) for n in order}
    engine.backward_sweep(d, 1.0, True)
    a2, b2, c2, d2 = graph()
    d2.backward()  # the class's own sweep (C for the compiled Scalar)
    for n, m in [(a, a2), (b, b2), (c, c2), (d, d2)]:
        assert n.grad == pytest.approx(m.grad, rel=1e-12)
        assert n._cot is None


def test_every_node_class_has_the_interface_the_engine_and_apply_read():
    # the Protocols document what apply() (NodeLike) and the sweeps (ReverseNode) rely on; a node
    # class that lost one of those attributes would fail here rather than deep inside a sweep
    from microgradx.core.dispatch import NodeLike
    from microgradx.core.engine import ReverseNode
    from microgradx.nodes.scalar import Scalar as ReferenceScalar

    x = mgx.Tensor([1.0, 2.0])
    reverse = [x, x * 2.0, ReferenceScalar(1.0), ReferenceScalar(1.0) * 2.0, mgx.Scalar(1.0) * 2.0]
    for node in reverse:
        assert isinstance(node, ReverseNode) and isinstance(node, NodeLike), type(node)
        assert node._kind in ("reverse", "scalar")
    dual = mgx.Dual(1.0, 0.0)
    assert isinstance(dual, NodeLike) and not isinstance(dual, ReverseNode) and dual._kind == "forward"
    assert not isinstance(np.ones(2), NodeLike) and not isinstance(1.0, ReverseNode)
