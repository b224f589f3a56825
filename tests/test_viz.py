"""Graph pictures: DOT and SVG of Scalar and Tensor graphs, deep and huge graphs, no Graphviz."""

import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import microgradx as mgx
from microgradx import nn
from microgradx.core import engine
from microgradx.nodes.scalar import Scalar as ReferenceScalar
from microgradx.teaching import viz


def _neuron(cls=mgx.Scalar):
    x, w, b = cls(2.0, label="x"), cls(-3.0, label="w"), cls(6.8813735870195432, label="b")
    n = x * w + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter() if t.tag.endswith("text")]


def test_dot_of_a_neuron_names_every_node_with_data_and_grad():
    dot = viz.to_dot(_neuron(), rankdir="LR")  # left to right: Graphviz stacks a record's fields itself
    assert dot.startswith("digraph microgradx {") and dot.rstrip().endswith("}")
    for expected in ['"x | data 2 | grad -1.5"', '"w | data -3 | grad 1"', '"b | data 6.881 | grad 0.5"',
                     '"n | data 0.8814 | grad 0.5"', '"o | data 0.7071 | grad 1"']:
        assert expected in dot
    assert [line.split("label=")[1].split(",")[0] for line in dot.splitlines() if "shape=ellipse" in line] == [
        '"mul"', '"add"', '"tanh"']
    assert dot.count("->") == 8  # 2 into mul, mul->value, 2 into add, add->n, n->tanh, tanh->o


def test_output_is_deterministic():
    a, b = viz.to_dot(_neuron()), viz.to_dot(_neuron())
    assert a == b
    assert viz.to_svg(_neuron(), engine="builtin") == viz.to_svg(_neuron(), engine="builtin")


def test_constants_are_drawn_from_saved_operands_and_operand_order_is_numbered():
    x = mgx.Scalar(3.0, label="x")
    y = 2.0 - x  # sub: operand order matters
    dot = viz.to_dot(y)
    assert 'label="2", fontsize=10' in dot  # the constant 2
    assert 'n1c0 -> n1op [label="1"]' in dot and 'n0 -> n1op [label="2"]' in dot


@pytest.mark.parametrize("engine_name", ["builtin", "dot"])
def test_svg_is_well_formed_and_shows_every_node(engine_name):
    if engine_name == "dot" and not viz.dot_available():
        pytest.skip("Graphviz's dot is not installed")
    svg = viz.to_svg(_neuron(), engine=engine_name)
    texts = " ".join(_texts(svg))
    for word in ["x", "w", "b", "n", "o", "mul", "add", "tanh", "grad -1.5", "data 0.7071"]:
        assert word in texts


def test_builtin_layout_puts_every_arrow_forward():
    x = mgx.Scalar(1.5, label="x")
    y = (x * x - x / 2.0).exp() + x
    boxes, edges, _, _, _ = viz._build(y, 100)
    layer = viz._layers(boxes, edges)
    assert all(layer[a] < layer[b] for a, b, _ in edges)


def test_auto_falls_back_to_the_builtin_renderer_without_graphviz(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert not viz.dot_available()
    g = viz.draw(_neuron())
    assert g.engine == "builtin"
    assert g.svg.startswith("<svg") and "tanh" in g.svg
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        viz.draw(_neuron(), engine="dot")


@pytest.mark.skipif(not shutil.which("dot"), reason="Graphviz's dot is not installed")
def test_auto_uses_graphviz_when_installed():
    g = viz.draw(_neuron())
    assert g.engine == "dot"
    assert g.svg.startswith("<svg") and 'class="graph"' in g.svg  # Graphviz's own SVG, prolog removed


def test_deep_chain_never_recurses_and_is_truncated_with_a_note():
    x = mgx.Scalar(0.5, label="x")
    y = x
    for _ in range(50_000):
        y = y * 1.0
    g = viz.draw(y, max_nodes=25, engine="builtin")
    assert (g.num_nodes, g.total_nodes, g.truncated) == (25, 50_001, True)
    assert g.note == "showing the 25 values nearest the output, of 50001"
    assert g.note in g.dot and g.note in g.svg
    assert "1 more input not shown" in g.dot
    assert len(viz.topological_order(y)) == 50_001


def test_wide_graph_keeps_the_nodes_nearest_the_output():
    xs = [mgx.Scalar(float(i), label=f"x{i}") for i in range(50)]
    y = xs[0]
    for x in xs[1:]:
        y = y + x
    g = viz.draw(y, max_nodes=5, engine="builtin")
    assert g.num_nodes == 5 and g.total_nodes == 99
    assert "x49" in g.dot and "x48" in g.dot and "x0" not in g.dot


def test_tensor_graph_shows_small_values_and_shapes():
    W = mgx.Tensor(np.ones((3, 4)), label="W")
    v = mgx.Tensor([1.0, 2.0, 3.0, 4.0], label="v")
    y = mgx.tanh(W @ v + 1.0).sum()
    y.backward()
    dot = viz.to_dot(y, rankdir="LR")
    assert "W | shape (3, 4) float64 | grad shape (3, 4)" in dot
    assert '"v | [1, 2, 3, 4] | grad shape (4,)"' in dot
    assert '"[1, 1, 1] | grad [1, 1, 1]"' in dot  # tanh(11) in float64, and the sum's gradient
    assert 'label="matmul"' in dot and 'label="sum"' in dot and 'label="tanh"' in dot
    assert "grad None" not in dot
    assert viz.to_svg(y, engine="builtin").startswith("<svg")


def test_tensor_params_are_shown():
    x = mgx.Tensor(np.arange(6.0).reshape(2, 3))
    y = x.sum(axis=1)
    assert 'label="sum axis=1"' in viz.to_dot(y)
    assert "grad None" in viz.to_dot(y)  # no backward yet


@pytest.mark.parametrize("make", [
    lambda: mgx.Tensor([1.0, 2.0]) * mgx.Tensor(3.0) + 1.0,
    lambda: mgx.exp(mgx.Tensor([[1.0, 2.0]])).T @ mgx.Tensor([[1.0, 1.0]]),
])
def test_order_is_the_engines_order(make):
    y = make()
    assert [id(n) for n in viz.topological_order(y)] == [id(n) for n in engine.topological_order(y)]


def test_order_is_the_engines_order_for_the_reference_scalar():
    x = ReferenceScalar(2.0)
    y = (x * x + x).tanh() * x
    assert [id(n) for n in viz.topological_order(y)] == [id(n) for n in engine.topological_order(y)]


def test_labels_are_escaped():
    x = mgx.Scalar(1.0, label='a<b>|{"c"}')
    y = x + 1.0
    assert r'a\<b\>\|\{\"c\"\}' in viz.to_dot(y)
    svg = viz.to_svg(y, engine="builtin")
    assert 'a<b>|{"c"}' in " ".join(_texts(svg))  # parsed back from the escaped XML
    if viz.dot_available():
        ET.fromstring(viz.to_svg(y, engine="dot"))


def test_graph_object_repr_and_inline_display(tmp_path):
    g = viz.draw(_neuron(), engine="builtin")
    assert repr(g) == "Graph(6 values, 3 operations, engine='builtin')"
    assert g._repr_svg_() == g.svg
    p = g.save(tmp_path / "g.svg")
    assert open(p).read() == g.svg
    assert open(g.save(tmp_path / "g.gv")).read() == g.dot
    with pytest.raises(ValueError, match=r"\.svg, \.dot or \.gv"):
        g.save(tmp_path / "g.png")


def test_top_to_bottom():
    g = viz.draw(_neuron(), rankdir="TB", engine="builtin")
    assert "rankdir=TB" in g.dot and '"{ x | data 2 | grad -1.5 }"' in g.dot  # braces: fields in a column
    ET.fromstring(g.svg)


@pytest.mark.parametrize("bad, exc, match", [
    (2.0, TypeError, "Scalar or Tensor"),
    (np.ones(2), TypeError, "Scalar or Tensor"),
    (mgx.Dual(1.0, 1.0), TypeError, "Dual records no graph"),
])
def test_bad_roots(bad, exc, match):
    with pytest.raises(exc, match=match):
        viz.draw(bad)


def test_bad_options():
    y = _neuron()
    with pytest.raises(ValueError, match="max_nodes must be at least 1"):
        viz.draw(y, max_nodes=0)
    with pytest.raises(TypeError, match="max_nodes must be a positive int"):
        viz.draw(y, max_nodes=2.5)
    with pytest.raises(ValueError, match="engine must be one of"):
        viz.draw(y, engine="neato")
    with pytest.raises(ValueError, match="rankdir"):
        viz.to_dot(y, rankdir="RL")
    with pytest.raises(TypeError, match="names must be a model"):
        viz.draw(y, names="layers.0.weight")
    with pytest.raises(TypeError, match="names must hold"):
        viz.draw(y, names=[("w", 1.0, 2.0)])
    with pytest.raises(ValueError, match="page_width"):
        viz.choose_rankdir(y, page_width=0)


def test_auto_layout_follows_the_graph_shape():
    x = mgx.Scalar(0.5, label="x")
    chain = x
    for _ in range(15):
        chain = chain.tanh()
    g = viz.draw(chain, engine="builtin")
    assert g.rankdir == "TB" and "rankdir=TB" in g.dot  # a long chain runs down the page
    level = [mgx.Scalar(float(i), label=f"input number {i}") for i in range(16)]
    while len(level) > 1:  # a balanced tree of additions: 16 leaves side by side, 4 levels deep
        level = [a + b for a, b in zip(level[::2], level[1::2])]
    broad = viz.draw(level[0], engine="builtin")
    assert broad.rankdir == "LR"  # sixteen leaves side by side would be far wider than a page
    assert viz.draw(chain, rankdir="LR").rankdir == "LR"  # an explicit choice is kept
    for graph in (g, broad):  # the chosen layout is the narrower one when the other would not fit
        w = {r: viz._extent(graph._boxes, graph._edges, r)[0] for r in ("LR", "TB")}
        assert w[graph.rankdir] <= viz.PAGE_WIDTH or w[graph.rankdir] == min(w.values())


def test_names_label_a_models_parameters():
    model = nn.TensorMLP(3, [4, 2], seed=0)
    loss = mgx.sum(model(mgx.ones((5, 3))))
    dot = viz.to_dot(loss, names=model)
    for name in ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]:
        assert dot.count(f"{name} |") == 1, name
    assert "layers.0.weight" not in viz.to_dot(loss)  # nothing is written into the nodes
    w = model.layers[0].weight
    assert "my W |" in viz.to_dot(loss, names={"my W": w})
    assert "pair |" in viz.to_dot(loss, names=[("pair", w)])
    w.label = "own"
    assert "own |" in viz.to_dot(loss, names=model)  # a node's own label wins


def test_format_value():
    assert viz.format_value(None) == "None"
    assert viz.format_value(2) == "2"
    assert viz.format_value(np.float32(0.5)) == "0.5"
    assert viz.format_value(np.array([[1.0, 2.0], [3.0, 4.0]])) == "[[1, 2], [3, 4]]"
    assert viz.format_value(np.zeros((2, 3), np.float32)) == "shape (2, 3) float32"
    assert viz.format_value(np.zeros(5), dtype=False) == "shape (5,)"
