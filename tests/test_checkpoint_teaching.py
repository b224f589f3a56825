"""``mgx.viz`` and ``mgx.explain`` show what ``checkpoint`` dropped and what the backward sweep recomputes.

Runs on both backends (the suite is run once per backend).  The recomputed values shown must be the
values the plain (un-checkpointed) graph saves, and the narrated inner sweep must add up to the
contributions the engine's own backward step sends to the segment's inputs.
"""

import numpy as np
import pytest

import microgradx as mgx
from microgradx.teaching.explain import explain
from microgradx.teaching.viz import RECOMPUTED, draw


def block(x, w):
    return mgx.tanh(x * w + 1.0)


def graph(checkpointed: bool):
    x = mgx.Tensor(np.array([0.5, 1.0]), label="x")
    w = mgx.Tensor(np.array([2.0, 3.0]), label="w")
    h = (mgx.checkpoint(block) if checkpointed else block)(x, w)
    h.label = "h"
    loss = mgx.sum(h * x)
    loss.label = "loss"
    return x, w, h, loss


def test_draw_shows_the_segment_as_a_cluster_of_recomputed_values():
    *_, loss = graph(True)
    loss.backward()
    g = draw(loss, engine="builtin")
    title = f"checkpoint[block]: not saved, {RECOMPUTED}"
    assert "subgraph cluster_0" in g.dot and title in g.dot
    cluster = g.dot.split("subgraph cluster_0 {")[1].split("  }")[0]
    # the two values inside the block (x*w and x*w + 1) are drawn, marked, with their values
    assert cluster.count(RECOMPUTED) == 2 + 1          # two boxes and the cluster's title
    assert "[1, 3]" in cluster and "[2, 4]" in cluster
    assert all(f'label="{op}"' in cluster for op in ("mul", "add", "tanh"))
    assert "checkpoint[block]" not in g.dot.replace(title, "")  # no single opaque oval any more
    # the inputs x (n0) and w (n1) feed the first recomputed operation; its last one makes h (n2)
    assert "n0 -> n2r1op;" in g.dot and "n1 -> n2r1op;" in g.dot and "n2op -> n2;" in g.dot
    svg = g.svg
    assert svg.count('stroke-dasharray="6,4"') == 1 and "recomputed in the backward sweep" in svg
    assert g.num_nodes == 5   # values of the graph itself: the recomputed ones are drawn but not counted


def test_draw_with_graphviz_renders_the_cluster():
    if not mgx.viz.dot_available():
        pytest.skip("Graphviz's dot is not installed")
    *_, loss = graph(True)
    svg = draw(loss, engine="dot").svg
    assert "cluster" in svg and "recomputed in the backward sweep" in svg


def test_a_custom_vjp_is_not_recomputed_and_stays_one_operation():
    f = mgx.custom_function(block)

    @f.vjp
    def f_vjp(primals, cotangent, output):
        x, w = primals
        return cotangent * w * (1 - output ** 2), cotangent * x * (1 - output ** 2)

    x, w = mgx.Tensor(np.array([0.5, 1.0])), mgx.Tensor(np.array([2.0, 3.0]))
    loss = mgx.sum(f(x, w))
    dot = draw(loss, engine="builtin").dot
    assert "cluster" not in dot and 'label="custom[block]"' in dot
    assert not any(s.recomputed for s in explain(loss).steps)


def test_draw_cut_short_keeps_a_segment_whose_inputs_are_not_drawn():
    *_, loss = graph(True)
    g = draw(loss, max_nodes=3, engine="builtin")
    assert g.truncated and "inputs not shown" in g.dot and "cluster_0" in g.dot
    assert g.svg.startswith("<svg")


def test_explain_lists_the_recomputed_values_and_sweeps_back_through_them():
    x, w, h, loss = graph(True)
    story = explain(loss)
    step = next(s for s in story.steps if s.name == "h")
    plain = explain(graph(False)[3])
    saved = {d: v for _, v, d in plain.order}   # the plain graph's saved values, by definition
    assert [n for n, _, _ in step.recomputed] == ["h_1", "h_2", "h"]
    assert [d for _, _, d in step.recomputed] == ["mul(x, w)", "add(h_1, 1)", "tanh(h_2)"]
    np.testing.assert_array_equal(step.recomputed[0][1], saved["mul(x, w)"])
    np.testing.assert_array_equal(step.recomputed[2][1], h.data if hasattr(h, "data") else h)
    # the inner sweep starts from the step's upstream gradient and ends in the segment's inputs ...
    assert step.inner[0].name == "h"
    np.testing.assert_array_equal(step.inner[0].upstream, step.upstream)
    sent = {}
    for inner in step.inner:
        for c in inner.contributions:
            if c.to in ("x", "w"):
                sent[c.to] = sent.get(c.to, 0) + c.value
    # ... and sends them what the engine's backward step (a vjp of the recomputed segment) sent
    for c in step.contributions:
        np.testing.assert_allclose(c.value, sent[c.to], rtol=1e-12)
    # the whole story's gradients are those of backward() and of the un-checkpointed graph
    loss.backward()
    np.testing.assert_allclose(story.grads["x"], x.grad, rtol=1e-12)
    np.testing.assert_allclose(story.grads["w"], plain.grads["w"], rtol=1e-12)


def test_explain_text_and_table_say_what_was_recomputed():
    *_, loss = graph(True)
    story = explain(loss)
    text = str(story)
    assert "checkpoint[block](x, w)   (inside it, not saved: h_1, h_2)" in text
    assert "recomputes checkpoint[block] from its saved inputs x, w" in text
    assert "h_1 = mul(x, w)   = [1, 3]" in text
    assert "h_1 → w   rule d(x·y)/dy = x  local derivative [0.5, 1]" in text
    assert "rule vjp of the segment, recomputed in the backward sweep" in text
    table = story._repr_html_()
    assert "recomputed (not saved by the forward pass)" in table and "h_2 = add(h_1, 1) = [2, 4]" in table
    assert "then swept back" in table and "h_1 → w sends [0.01766, 0.001341]" in table


def test_checkpoint_with_two_outputs_a_constant_argument_and_float32():
    def two(x, scale):
        y = mgx.exp(x * scale)
        return y, mgx.sin(y)

    x = mgx.Tensor(np.array([0.1, 0.2], np.float32), label="x")
    a, b = mgx.checkpoint(two)(x, 3.0)
    loss = mgx.sum(a) + mgx.sum(b)
    story = explain(loss)
    steps = [s for s in story.steps if s.recomputed]
    assert len(steps) == 2                                   # each output's step recomputes the segment
    assert all(s.recomputed[0][1].dtype == np.float32 for s in steps)
    loss.backward()
    np.testing.assert_allclose(story.grads["x"], x.grad, rtol=1e-6)
    dot = draw(loss, engine="builtin").dot
    assert dot.count("subgraph cluster_") == 2 and 'label="3"' in dot   # the constant 3.0 inside each


def test_nested_checkpoints_are_narrated_inside_each_other():
    inner = mgx.checkpoint(lambda v: mgx.tanh(v) * 2.0)
    outer = mgx.checkpoint(lambda v: inner(v * v) + 1.0)
    x = mgx.Tensor(np.array([0.3]), label="x")
    loss = mgx.sum(outer(x))
    story = explain(loss)
    step = next(s for s in story.steps if s.recomputed)
    nested = [s for s in step.inner if s.recomputed]
    assert len(nested) == 1 and [d for _, _, d in nested[0].recomputed][0].startswith("tanh(")
    loss.backward()
    np.testing.assert_allclose(story.grads["x"], x.grad, rtol=1e-12)


def test_the_docs_picture_is_what_draw_shows_now():
    """docs/_static/checkpoint.svg (``python tools/checkpoint_picture.py``) carries today's labels."""
    import importlib.util
    import pathlib
    import xml.etree.ElementTree as ET

    root = pathlib.Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("checkpoint_picture", root / "tools" / "checkpoint_picture.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    svg = (root / "docs" / "_static" / "checkpoint.svg").read_text(encoding="utf-8")
    assert ET.fromstring(svg).tag.endswith("svg")
    texts = [t.strip() for t in ET.fromstring(svg).itertext() if t.strip()]
    dot = draw(tool.example(), engine="builtin").dot
    for label in ("recomputed in the backward sweep", "[1, 3]", "[2, 4]", "grad [1.035, 1.003]",
                  "grad [0.01766, 0.001341]", "checkpoint[block]: not saved, recomputed in the backward sweep"):
        assert label in dot and label in texts, label


def test_a_tensor_the_function_captures_is_a_constant_of_the_segment():
    """As in MLX, arrays captured in a closure are constants: no contribution reaches them, none is narrated."""
    x = mgx.Tensor([1.0, 2.0], label="x")
    W = mgx.Tensor([3.0, 4.0], label="W")
    loss = mgx.sum(mgx.checkpoint(lambda v: v * W)(x))
    story = explain(loss)
    step = next(s for s in story.steps if s.recomputed)
    assert [c.to for inner in step.inner for c in inner.contributions] == ["x"]
    assert "W (captured by the function)" in step.inner[0].constants
    assert "→ W (captured by the function)   a constant: no gradient" in str(story)
    loss.backward()
    assert W.grad is None and "W" not in story.grads
    np.testing.assert_allclose(story.grads["x"], x.grad)
    assert 'label="[3, 4]"' in draw(loss, engine="builtin").dot      # drawn as a constant box in the frame
