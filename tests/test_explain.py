"""The narrator: its numbers come from the rule table and agree with backward(); text and table."""

import numpy as np
import pytest

import microgradx as mgx
from microgradx.core import engine, rules
from microgradx.nodes.scalar import Scalar as ReferenceScalar
from microgradx.teaching import viz
from microgradx.teaching.explain import explain

SCALAR_CLASSES = [mgx.Scalar] + ([ReferenceScalar] if mgx.Scalar is not ReferenceScalar else [])


def _random_scalar_graph(rng, cls, n_leaves=4, n_ops=25):
    """A random expression DAG over a few leaves, reusing values (so gradients fan in)."""
    values = [cls(float(rng.uniform(0.3, 1.5)) * rng.choice([-1, 1]), label=f"x{i}") for i in range(n_leaves)]
    leaves = list(values)
    for _ in range(n_ops):
        a = values[rng.integers(len(values))]
        b = values[rng.integers(len(values))]
        kind = rng.integers(12)
        if kind == 0:
            v = a + b
        elif kind == 1:
            v = a - b
        elif kind == 2:
            v = a * b
        elif kind == 3:
            v = a / (b * b + 1.0)
        elif kind == 4:
            v = a ** 2
        elif kind == 5:
            v = a.tanh()
        elif kind == 6:
            v = (a * 0.5).exp()
        elif kind == 7:
            v = a.relu()
        elif kind == 8:
            v = a.sigmoid()
        elif kind == 9:
            v = a.sin() + b.cos()
        elif kind == 10:
            v = -a + 2.0 * b
        else:
            v = (a * a + 1.0).log() - 3.0
        values.append(v)
    out = values[-1]
    for v in values[-6:-1]:
        out = out + v
    return out, leaves


@pytest.mark.parametrize("cls", SCALAR_CLASSES)
@pytest.mark.parametrize("seed", range(12))
def test_random_scalar_graphs_agree_with_backward(cls, seed):
    rng = np.random.default_rng(seed)
    y, leaves = _random_scalar_graph(rng, cls)
    story = explain(y)
    nodes = viz.topological_order(y)
    assert all(n.grad == 0.0 for n in nodes)  # the narrator only reads the graph
    y.backward()
    for node in nodes:
        assert story.grad(node) == pytest.approx(node.grad, rel=1e-12, abs=1e-12)
    assert [story.grads[leaf.label] for leaf in leaves if leaf.label in story.grads] == pytest.approx(
        [leaf.grad for leaf in leaves if leaf.label in story.grads], rel=1e-12, abs=1e-12)


def test_the_two_pass_reference_sweep_is_bit_for_bit():
    # Scalar.backward() adds contributions in the order consumers finish (engine.backward_by_counts):
    # the last bit may differ.  The narrator tells the two-pass sweep, and matches it exactly.
    rng = np.random.default_rng(99)
    y, _ = _random_scalar_graph(rng, ReferenceScalar, n_ops=40)
    story = explain(y)
    engine.backward_sweep(y, 1.0)
    for node in viz.topological_order(y):
        assert story.grad(node) == node.grad  # same rules, same order, same sums


def _tensor_graph():
    W = mgx.Tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]), label="W")
    x = mgx.Tensor(np.array([1.0, -2.0, 0.5]), label="x")
    b = mgx.Tensor(np.array([[0.1], [0.2]]), label="b")  # broadcasts against (2, 4)
    h = mgx.tanh(W @ mgx.stack([x, x * 2.0, x - 1.0, mgx.exp(x)], axis=1) + b)
    s = mgx.softmax(h, axis=0)
    y = (mgx.maximum(s, 0.3) * h).sum() + mgx.logsumexp(h[:, 1:3]) + mgx.where(h > 0, h, 0.1 * h).mean()
    return y, [W, x, b]


def test_tensor_graph_agrees_with_backward():
    y, leaves = _tensor_graph()
    story = explain(y)
    y.backward()
    for leaf in leaves:
        np.testing.assert_allclose(story.grads[leaf.label], leaf.grad, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(story.grad(leaf), leaf.grad, rtol=1e-12, atol=1e-14)
    ops = {s.op for s in story.steps}
    assert {"matmul", "tanh", "add", "sum", "logsumexp", "getitem", "maximum", "where", "concatenate"} <= ops or \
        {"matmul", "tanh", "add", "sum", "logsumexp", "getitem", "maximum", "where"} <= ops


def test_broadcast_contribution_is_summed_and_said_so():
    x = mgx.Tensor(np.array([1.0, 2.0, 3.0]), label="x")
    b = mgx.Tensor(0.5, label="b")
    y = (x * b).sum()
    story = explain(y)
    mul = next(s for s in story.steps if s.op == "mul")
    to_b = next(c for c in mul.contributions if c.to == "b")
    assert to_b.summed and to_b.value == pytest.approx(6.0)
    to_x = next(c for c in mul.contributions if c.to == "x")
    assert not to_x.summed
    assert "sum over broadcast axes" in str(story)
    assert "summed over broadcast axes" in story._repr_html_()


def test_explicit_seed_matches_backward_with_grad():
    x = mgx.Tensor(np.array([1.0, 2.0]), label="x")
    y = x * x
    seed = np.array([3.0, -1.0])
    story = explain(y, seed)
    y.backward(grad=seed)
    np.testing.assert_array_equal(story.grads["x"], x.grad)


def test_the_numbers_come_from_the_rule_table(monkeypatch):
    calls = []
    real = rules.MUL.vjp

    def spy(g, out, inputs, params, needs):
        calls.append((g, inputs))
        return real(g, out, inputs, params, needs)

    monkeypatch.setattr(rules.MUL, "vjp", spy)
    a, b = ReferenceScalar(2.0, label="a"), ReferenceScalar(5.0, label="b")
    story = explain(a * b)
    assert calls == [(1.0, (2.0, 5.0))]
    assert story.grads == {"a": 5.0, "b": 2.0, "out": 1.0}
    step = story.steps[0]
    assert [c.formula for c in step.contributions] == list(rules.MUL.formulas)
    assert [c.local for c in step.contributions] == [5.0, 2.0]


def test_fan_in_is_narrated_as_a_running_sum():
    a = mgx.Scalar(3.0, label="a")
    b = a * 2.0
    b.label = "b"
    c = b * a + b
    c.label = "c"
    story = explain(c)
    to_a = [c_ for s in story.steps for c_ in s.contributions if c_.to == "a"]
    assert [(c_.k, c_.n) for c_ in to_a] == [(1, 2), (2, 2)]
    assert to_a[0].before is None and to_a[1].before == to_a[0].total
    assert to_a[1].total == to_a[0].value + to_a[1].value == 14.0  # dc/da = 4a + 2 at a = 3
    text = str(story)
    assert "dc/da = 6 + 8 = 14   (2 of 2: complete)" in text
    assert "upstream g = dc/db = 1 + 3 = 4" in text
    assert "→ 2   a constant: no gradient needed" in text
    assert 'class="mgx-fan"' in story._repr_html_()


def test_text_lists_order_rules_and_leaf_gradients():
    x, w, b = (mgx.Scalar(v, label=n) for v, n in [(2.0, "x"), (-3.0, "w"), (6.8813735870195432, "b")])
    n = x * w + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    text = str(explain(o))
    lines = text.splitlines()
    assert lines[0] == "Backward sweep of o = tanh(n) = 0.707107"
    assert lines[1] == "6 values, 3 operations; seed do/do = 1"
    order = [line.split()[1] for line in lines[4:10]]
    assert order == ["x", "w", "v3", "b", "n", "o"]
    assert "rule d(tanh x)/dx = 1 - tanh(x)^2  (here x = n)  local derivative 0.5" in text
    assert "rule d(x·y)/dx = y  (here y = w)  local derivative -3" in text  # no "x = x" when the variable is x
    assert "x = x" not in text
    assert text.endswith("   do/dx = -1.5\n   do/dw = 1\n   do/db = 0.5")
    assert text.index("step 1  o = tanh(n)") < text.index("step 2  n = add(v3, b)") < text.index(
        "step 3  v3 = mul(x, w)")


def test_html_table_is_escaped_and_complete():
    x = mgx.Scalar(1.0, label="<x>")
    y = x.exp() * x
    page = explain(y)._repr_html_()
    assert "<x>" not in page and "&lt;x&gt;" in page
    assert page.count("<table>") == 3
    assert "d(e^x)/dx = e^x" in page and "d(x·y)/dx = y" in page


def test_max_steps_limits_what_is_shown_not_what_is_computed():
    x = mgx.Scalar(0.1, label="x")
    y = x
    for _ in range(100):
        y = y * 1.01
    story = explain(y, max_steps=5)
    assert len(story.steps) == 100
    assert "... 95 more steps" in str(story)
    assert "95 more steps" in story._repr_html_()
    assert story.grads["x"] == pytest.approx(1.01 ** 100)
    assert "more steps" not in str(explain(y, max_steps=None))


def test_deep_chain_does_not_recurse():
    x = mgx.Scalar(1.0, label="x")
    y = x
    for _ in range(20_000):
        y = y + 0.0
    assert explain(y, max_steps=3).grads["x"] == 1.0


def test_leaf_output_and_unreached_inputs():
    x = mgx.Scalar(4.0, label="x")
    story = explain(x)
    assert story.steps == [] and story.grads == {"x": 1.0}
    assert "a leaf: nothing to sweep" in str(story)
    # relu at a negative input sends a zero, which still counts as reaching the input
    z = mgx.Scalar(-1.0, label="z")
    assert explain(z.relu()).grads["z"] == 0.0


def test_names_are_unique():
    a = mgx.Scalar(1.0, label="a")
    b = mgx.Scalar(2.0, label="a")
    story = explain(a * b)
    assert [name for name, _, _ in story.order] == ["a", "a#2", "out"]
    assert story.grads["a"] == 2.0 and story.grads["a#2"] == 1.0


def test_bad_input():
    x = mgx.Tensor(np.ones(3))
    with pytest.raises(ValueError, match="single-element output"):
        explain(x * 2.0)
    with pytest.raises(ValueError, match=r"seed has shape \(2,\) but the output has shape \(3,\)"):
        explain(x * 2.0, np.ones(2))
    with pytest.raises(TypeError, match="seed must be a number"):
        explain(mgx.Scalar(1.0) * 2.0, "one")
    with pytest.raises(TypeError, match="Dual records no graph"):
        explain(mgx.Dual(1.0, 1.0))
    with pytest.raises(TypeError, match="Scalar or Tensor"):
        explain(3.0)
    with pytest.raises(ValueError, match="max_steps"):
        explain(mgx.Scalar(1.0), max_steps=0)
    with pytest.raises(ValueError, match="not part of this graph"):
        explain(mgx.Scalar(1.0) * 2.0).grad(mgx.Scalar(1.0))


@pytest.mark.parametrize("seed", range(8))
def test_gradient_is_the_sum_over_paths(seed):
    rng = np.random.default_rng(100 + seed)
    y, leaves = _random_scalar_graph(rng, mgx.Scalar, n_leaves=3, n_ops=7)
    story = explain(y)
    for leaf in leaves:
        if leaf.label in story.grads:
            total = sum(product for _, _, product in story.paths(leaf, limit=10_000))
            assert total == pytest.approx(story.grads[leaf.label], rel=1e-9, abs=1e-12)


def test_paths_of_a_fan_in_graph_and_their_limits():
    a = mgx.Scalar(3.0, label="a")
    b = a * a
    b.label = "b"
    c = b * b
    c.label = "c"
    paths = explain(c).paths(a)
    assert [names for names, _, _ in paths] == [("c", "b", "a")] * 4  # 2 uses of b × 2 uses of a
    assert sum(p for _, _, p in paths) == 4 * 3.0**3
    with pytest.raises(ValueError, match="more than 3 paths"):
        explain(c).paths(a, limit=3)
    with pytest.raises(ValueError, match="not part of this graph"):
        explain(c).paths(mgx.Scalar(1.0))
    t = mgx.Tensor([1.0, 2.0], label="t")
    with pytest.raises(ValueError, match="number-valued local derivatives"):
        explain((t * t).sum()).paths(t)


POLES = [  # (name, function, x): backward() gives inf or nan here, never an exception
    ("log at 0", lambda x: x.log(), 0.0),
    ("cube root at -8", lambda x: x ** (1 / 3), -8.0),
    ("1/x at 0", lambda x: 1.0 / x, 0.0),
    ("sqrt at 0", lambda x: x.sqrt(), 0.0),
    ("0 ** 0.5", lambda x: x ** 0.5, 0.0),
]


@pytest.mark.parametrize("kind", ["reference", "active", "tensor"])
@pytest.mark.parametrize("name, f, at", POLES, ids=[p[0] for p in POLES])
def test_explain_and_backward_agree_at_poles(kind, name, f, at):
    make = {"reference": ReferenceScalar, "active": mgx.Scalar, "tensor": lambda v, label: mgx.Tensor(v, label=label)}
    x = make[kind](at, label="x")
    y = f(x)
    story = explain(y)  # the engine's own chain-rule step and IEEE-safe local derivative
    y.backward()
    np.testing.assert_equal(story.grads["x"], x.grad)
    assert not np.isfinite(x.grad)
    str(story)  # and it can be told


def test_graph_command_explains_log_at_zero_without_a_traceback():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "microgradx", "graph", "log(x)", "--at", "x=0", "--explain"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "dout/dx = inf" in done.stdout
