"""micrograd parity: the expressions of micrograd's README and tests give micrograd's (and PyTorch's) answers.

Code written for micrograd's ``Value`` must run unchanged with
``from microgradx import Scalar as Value``.  The graphs below restate, in our
own words, the two checks in micrograd's test file (a "sanity check" graph
with relu and node reuse, and the README's "more ops" graph) plus one graph
that uses every Scalar operation.

Oracles, strongest first:

* PyTorch in float64, computed in the test when torch is importable;
* the float64 values written down in ``EXPECTED`` -- obtained by running
  these same functions on ``torch.tensor(v, dtype=torch.float64,
  requires_grad=True)`` leaves with torch 2.13.0 (CPU) and printing
  ``repr(out.item())`` and ``repr(leaf.grad.item())``; they are checked in
  every run, torch or not;
* the ``micrograd`` package itself (0.1.0) when importable: same values and
  gradients from the same code.
"""

import pytest


def relu(v):
    return v.relu()


def sanity_graph(Value):
    """micrograd's first test: relu, node reuse, numbers on the left."""
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = relu(z) + z * x
    h = relu(z * z)
    y = h + q + q * x
    return [x], y


def more_ops_graph(Value):
    """The README's example (micrograd's second test); ``c += c + 1`` is written out as it evaluates."""
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c = c + (c + 1)
    c = c + (1 + c + (-a))
    d = d + (d * 2 + relu(b + a))
    d = d + (3 * d + relu(b - a))
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return [a, b], g


def every_op_graph(Value):
    """Every Scalar operation once (micrograd 0.1.0 has only + * ** relu, so torch is the peer here)."""
    x, w, b = Value(2.0), Value(-0.75), Value(0.4)
    n = x * w + b
    o = n.tanh() * n.sigmoid() + (n * n + 1.0).log() - (n * 0.5).exp()
    p = o.sin() * o.cos() + (o * o + 2.0).sqrt() + abs(o - 1.0)
    out = p**2 / (1.0 + (w * w + 0.5) ** relu(x)) - 3.0 / (2.0 + b * b)
    return [x, w, b], out


# (value, gradients of the leaves), float64, from torch 2.13.0 as described above
EXPECTED = {
    "sanity": (-20.0, [46.0]),
    "more_ops": (24.70408163265306, [138.83381924198252, 645.5772594752186]),
    "every_op": (1.349069890788857, [-0.06313551448538347, 4.033046077930646, 0.4812250795711254]),
}
GRAPHS = {"sanity": sanity_graph, "more_ops": more_ops_graph, "every_op": every_op_graph}


def run(graph, Value):
    leaves, out = graph(Value)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_against_recorded_float64_values(S, name):
    value, grads = run(GRAPHS[name], S)
    want_value, want_grads = EXPECTED[name]
    assert value == pytest.approx(want_value, rel=1e-12)
    assert grads == pytest.approx(want_grads, rel=1e-12)


def test_readme_printout(S):
    value, (da, db) = run(more_ops_graph, S)
    assert (f"{value:.4f}", f"{da:.4f}", f"{db:.4f}") == ("24.7041", "138.8338", "645.5773")


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_against_pytorch(S, name):
    torch = pytest.importorskip("torch", reason="PyTorch not installed: the recorded values still check this graph")

    def leaf(v):
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)

    leaves, out = GRAPHS[name](leaf)
    out.backward()
    value, grads = run(GRAPHS[name], S)
    assert value == pytest.approx(out.item(), rel=1e-12)
    assert grads == pytest.approx([t.grad.item() for t in leaves], rel=1e-12)


@pytest.mark.parametrize("name", ["sanity", "more_ops"])
def test_against_micrograd_itself(S, name):
    engine = pytest.importorskip("micrograd.engine", reason="micrograd not installed")
    mg_value, mg_grads = run(GRAPHS[name], engine.Value)
    value, grads = run(GRAPHS[name], S)
    # micrograd computes a - b as a + (-1 * b) and a / b as a * b**-1: equal up to rounding
    assert value == pytest.approx(mg_value, rel=1e-12)
    assert grads == pytest.approx(mg_grads, rel=1e-12)


def test_micrograd_style_code_runs_unchanged(S):
    """A micrograd-style neuron and training loop, written against ``Value``, with our class swapped in."""
    Value = S
    import random

    rng = random.Random(0)
    w = [Value(rng.uniform(-1, 1)) for _ in range(3)]
    b = Value(0)
    data = [([1.0, -2.0, 0.5], 1.0), ([-1.0, 0.5, 2.0], -1.0), ([0.5, 0.5, -1.0], 1.0)]

    def loss_fn():
        losses = []
        for xs, y in data:
            act = sum((wi * xi for wi, xi in zip(w, xs)), b)
            losses.append((1 + -y * act).relu())
        return sum(losses) * (1.0 / len(losses))

    first = loss_fn().data
    for _ in range(20):
        loss = loss_fn()
        for p in w + [b]:
            p.grad = 0
        loss.backward()
        for p in w + [b]:
            p.data -= 0.1 * p.grad
    assert loss_fn().data < first
    assert loss_fn().data == 0.0  # this tiny set is separable: the hinge loss reaches 0


@pytest.mark.parametrize("method", ["tanh", "exp"])
def test_unary_methods_through_the_class_as_micrograds_tests_call_them(S, method):
    """micrograd's later tests call ``Value.tanh(v)`` and ``Value.exp(v)`` at -1, 0.123 and 2."""
    import math

    for x in (-1.0, 0.123, 2.0):
        v = S(x)
        out = getattr(S, method)(v)
        out.backward()
        want = getattr(math, method)(x)
        assert out.data == pytest.approx(want, rel=1e-12)
        assert v.grad == pytest.approx(1 - want**2 if method == "tanh" else want, rel=1e-12)


# -- micrograd's initial model: random.seed reproduces it ------------------------------------------------
def test_unseeded_mlp_draws_micrograds_initial_weights(S):
    """With no ``seed=``, ``nn.MLP`` draws its weights as micrograd 0.1.0 does, from Python's ``random``."""
    import random

    from microgradx import nn

    mg_nn = pytest.importorskip("micrograd.nn", reason="micrograd not installed")
    saved = random.getstate()
    try:
        random.seed(1337)
        theirs = mg_nn.MLP(2, [16, 16, 1])
        random.seed(1337)
        ours = nn.MLP(2, [16, 16, 1], scalar_class=S)
        random.seed(1337)
        neuron = nn.Neuron(3, scalar_class=S)
        random.seed(1337)
        their_neuron = mg_nn.Neuron(3)
    finally:
        random.setstate(saved)
    def weights(model):  # micrograd's parameters() order, read directly (any Scalar class, either backend)
        return [p.data for layer in model.layers for n in layer.neurons for p in n.w + [n.b]]

    assert weights(ours) == [float(p.data) for p in theirs.parameters()]
    assert [p.data for p in neuron.w + [neuron.b]] == [float(p.data) for p in their_neuron.parameters()]
    # same weights, same order of operations: the same score, to the last bit
    x = [0.5, -1.25]
    assert ours(x).data == theirs(x).data
    # a seed still gives numpy's reproducible draw, without touching Python's generator
    state = random.getstate()
    a, b = nn.MLP(2, [3, 1], seed=5, scalar_class=S), nn.MLP(2, [3, 1], seed=5, scalar_class=S)
    assert random.getstate() == state
    assert weights(a) == weights(b)


# -- micrograd's graph picture: draw_dot walks _prev and labels _op -----------------------------------------
def micrograd_trace(root):
    """The walk of micrograd's ``trace_graph`` notebook (nodes and edges, following ``_prev``), restated."""
    nodes, edges = set(), set()
    stack = [root]
    while stack:
        v = stack.pop()
        if v not in nodes:
            nodes.add(v)
            for child in v._prev:
                edges.add((child, v))
                stack.append(child)
    return nodes, edges


def picture(root):
    """What draw_dot would draw: one box per value (its data), one op bubble per node with an op, the edges."""
    nodes, edges = micrograd_trace(root)
    boxes = sorted(float(n.data) for n in nodes)
    ops = sorted(n._op for n in nodes if n._op)
    return boxes, ops, len(edges)


def relu_graph(Value):
    x = Value(1.0)
    return (x * 2 + 1).relu()


def powers_graph(Value):
    a, b = Value(-2.0), Value(3.0)
    return (a * b + a**2) * 0.5 + (b + 1).relu() ** 3


@pytest.mark.parametrize("build", [relu_graph, powers_graph, lambda V: sanity_graph(V)[1]],
                         ids=["relu", "powers", "sanity"])
def test_micrograd_style_graph_walk_draws_micrograds_picture(S, build):
    engine = pytest.importorskip("micrograd.engine", reason="micrograd not installed")
    ours, theirs = picture(build(S)), picture(build(engine.Value))
    assert ours == theirs
    # (micrograd keeps node reuse in a set; a picture is made of sets, so ours matches it too)


def test_relu_graph_has_micrograds_six_values(S):
    out = relu_graph(S)
    nodes, edges = micrograd_trace(out)
    assert len(nodes) == 6 and len(edges) == 5
    assert out._op == "ReLU" and out._prev[0]._op == "+" and out._prev[0]._prev[0]._op == "*"
    assert [p.data for p in out._prev[0]._prev] == [2.0, 1.0]  # the constant 1 is a leaf of its own
    assert out._parents[0]._parents[1] is None  # the engine's record keeps constants out
