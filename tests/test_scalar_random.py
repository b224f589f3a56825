"""Random expression graphs: compiled Scalar vs reference Scalar, and both vs finite differences.

Hypothesis writes small programs: each step applies one operation to nodes
made earlier (chosen by index, so nodes are reused and the graph is a DAG
with fan-out), sometimes with a constant on one side.  The same program runs
on both Scalar classes; values and gradients must agree to 1e-12 (the
compiled sweep's C copy of the formulas against the rule table), and the
gradients of smooth programs must match central differences.
"""

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import microgradx as mgx
from microgradx.nodes.scalar import Scalar as RefScalar

CScalar = pytest.importorskip("microgradx._ext.scalar", reason="compiled extension not built").Scalar

# Each op maps operands (Scalars) and a constant c to a new Scalar; the ones that
# need a restricted domain get it from a smooth positive expression of the operand.
UNARY_OPS = {
    "neg": lambda a, c: -a,
    "exp": lambda a, c: (a * 0.3).exp(),
    "log": lambda a, c: (a * a + 0.5).log(),
    "tanh": lambda a, c: a.tanh(),
    "sigmoid": lambda a, c: a.sigmoid(),
    "sin": lambda a, c: a.sin(),
    "cos": lambda a, c: a.cos(),
    "sqrt": lambda a, c: (a * a + 0.25).sqrt(),
    "square": lambda a, c: a**2,
    "cube": lambda a, c: a**3,
    "powc": lambda a, c: (a * a + 0.5) ** c,
    "rpow": lambda a, c: 1.5 ** (a * 0.5),
    "addc": lambda a, c: a + c,
    "rsubc": lambda a, c: c - a,
    "mulc": lambda a, c: c * a,
    "divc": lambda a, c: a / (c * c + 0.5),
    "rdivc": lambda a, c: c / (a * a + 1.0),
    "relu": lambda a, c: a.relu(),
    "abs": lambda a, c: abs(a),
    "mgx.exp": lambda a, c: mgx.exp(a * 0.2),
}
BINARY_OPS = {
    "add": lambda a, b, c: a + b,
    "sub": lambda a, b, c: a - b,
    "mul": lambda a, b, c: a * b,
    "div": lambda a, b, c: a / (b * b + 1.0),
    "pow": lambda a, b, c: (a * a + 0.5) ** b.tanh(),
    "maximum": lambda a, b, c: mgx.maximum(a, b),
    "minimum": lambda a, b, c: mgx.minimum(a, b),
}
KINKED = {"relu", "abs", "maximum", "minimum"}  # not differentiable everywhere: no finite differences

numbers = st.floats(-2.0, 2.0, allow_nan=False)
step = st.one_of(
    st.tuples(st.sampled_from(sorted(UNARY_OPS)), st.integers(0, 99), st.just(0), numbers),
    st.tuples(st.sampled_from(sorted(BINARY_OPS)), st.integers(0, 99), st.integers(0, 99), numbers),
)


def build(S, leaf_values, program):
    """Run the program with Scalar class S; return every node, leaves first."""
    nodes = [S(v) for v in leaf_values]
    for name, i, j, c in program:
        a = nodes[-1 - i % len(nodes)]  # recent nodes more often: deeper graphs
        if name in UNARY_OPS:
            nodes.append(UNARY_OPS[name](a, c))
        else:
            nodes.append(BINARY_OPS[name](a, nodes[j % len(nodes)], c))
    return nodes


def run(S, leaf_values, program):
    """Build the program's graph with Scalar class S; return (leaves, output)."""
    nodes = build(S, leaf_values, program)
    leaves = nodes[: len(leaf_values)]
    out = nodes[-1]
    for extra in nodes[len(leaves):-1:3]:  # every third node feeds the output too: more fan-out
        out = out + extra * 0.5
    return leaves, out


def close(a, b, tol=1e-12):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= tol * max(1.0, abs(a), abs(b))


@given(st.lists(numbers, min_size=1, max_size=4), st.lists(step, min_size=1, max_size=25))
def test_compiled_matches_reference(leaf_values, program):
    ref_leaves, ref_out = run(RefScalar, leaf_values, program)
    c_leaves, c_out = run(CScalar, leaf_values, program)
    assume(math.isfinite(ref_out.data))
    assert close(c_out.data, ref_out.data)
    ref_out.backward()
    c_out.backward()
    for r, c in zip(ref_leaves, c_leaves):
        assert close(c.grad, r.grad), (c.grad, r.grad)
    # a second backward accumulates identically in both
    ref_out.backward()
    c_out.backward()
    for r, c in zip(ref_leaves, c_leaves):
        assert close(c.grad, r.grad), (c.grad, r.grad)


@given(st.lists(numbers, min_size=1, max_size=4), st.lists(step, min_size=1, max_size=25),
       st.lists(st.integers(0, 99), max_size=4), st.lists(st.integers(0, 99), min_size=1, max_size=3))
def test_compiled_matches_reference_from_any_node(leaf_values, program, kept, roots):
    """backward() from random nodes, intermediate ones too, while other expressions of the same
    nodes stay alive: the compiled sweep stalls and recounts, and must still agree."""
    grads = []
    for S in (RefScalar, CScalar):
        nodes = build(S, leaf_values, program)
        assume(all(math.isfinite(n.data) and abs(n.data) < 1e6 for n in nodes))
        alive = [nodes[k % len(nodes)] * 0.5 for k in kept]  # consumers outside the swept graphs
        for k in roots:
            nodes[-1 - k % len(nodes)].backward()
        grads.append([n.grad for n in nodes + alive])
    for r, c in zip(*grads):
        assert close(c, r), (c, r)


smooth_step = st.one_of(
    st.tuples(st.sampled_from(sorted(set(UNARY_OPS) - KINKED)), st.integers(0, 99), st.just(0), numbers),
    st.tuples(st.sampled_from(sorted(set(BINARY_OPS) - KINKED)), st.integers(0, 99), st.integers(0, 99), numbers),
)


@pytest.mark.parametrize("S", [RefScalar, CScalar], ids=["reference", "compiled"])
@given(leaf_values=st.lists(numbers, min_size=1, max_size=3), program=st.lists(smooth_step, min_size=1, max_size=15))
def test_gradients_match_finite_differences(S, leaf_values, program):
    leaves, out = run(S, leaf_values, program)
    assume(math.isfinite(out.data) and abs(out.data) < 1e4)
    out.backward()
    h = 1e-6
    for k, leaf in enumerate(leaves):
        plus = list(leaf_values)
        minus = list(leaf_values)
        plus[k] += h
        minus[k] -= h
        with mgx.no_grad():
            fp = run(S, plus, program)[1].data
            fm = run(S, minus, program)[1].data
        numeric = (fp - fm) / (2 * h)
        assume(math.isfinite(numeric) and abs(leaf.grad) < 1e4)
        assert leaf.grad == pytest.approx(numeric, rel=1e-4, abs=1e-5)
