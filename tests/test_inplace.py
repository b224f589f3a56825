"""In-place parameter updates between building a loss and backward() (issue 15, section 4).

Every Tensor has a version: an in-place change of its value (``t.data -= ...``, an
optimizer's step, ``Module.load_parameters``) advances it, and backward() refuses a
graph recorded from an older version with a RuntimeError naming the Tensor -- instead of
computing with the new values (``[1, 4]`` where the graph's gradient is ``[3, 12]``).
"""

import numpy as np
import pytest

import microgradx as mgx
from microgradx import nn, optim

STALE = "was changed in place .* after this graph was recorded"


def cube_loss(w):
    return mgx.sum(w * w * w)


def test_sgd_step_between_loss_and_backward_is_refused():
    w = mgx.Tensor([1.0, 2.0])
    loss = cube_loss(w)
    w.grad = np.array([1.0, 1.0])
    optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()
    assert w.grad.tolist() == [1.0, 1.0]  # nothing was accumulated


def test_documented_data_update_between_loss_and_backward_is_refused_and_names_the_tensor():
    w = mgx.Tensor([1.0, 2.0], label="w")
    loss = cube_loss(w)
    w.data -= 0.1 * np.ones(2)
    with pytest.raises(RuntimeError, match="Tensor 'w' of shape \\(2,\\) " + STALE):
        loss.backward()


def test_load_parameters_and_adam_are_detected_too():
    layer = nn.Linear(2, 1, seed=0)
    loss = mgx.sum(layer(mgx.array([[1.0, 2.0]])) ** 2)
    layer.load_parameters({"weight": np.array([[1.0, 1.0]]), "bias": np.array([0.0])})
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()
    w = mgx.Tensor([1.0, 2.0])
    loss = cube_loss(w)
    optim.Adam([w], lr=0.1).step([np.ones(2)])
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_a_computed_tensor_changed_in_place_is_detected():
    w = mgx.Tensor([1.0, 2.0])
    h = mgx.exp(w)  # exp's rule reads its own output
    loss = mgx.sum(h * 2.0)
    h.data = np.zeros(2)
    with pytest.raises(RuntimeError, match=STALE):
        loss.backward()


def test_the_usual_orders_are_fine():
    w = mgx.Tensor([1.0, 2.0])
    opt = optim.SGD([w], lr=0.1)
    for _ in range(3):  # forward, backward, update
        opt.zero_grad()
        cube_loss(w).backward()
        opt.step()
    w.data -= 0.0 * w.grad  # an update before the next forward pass
    w.zero_grad()
    cube_loss(w).backward()
    np.testing.assert_allclose(w.grad, 3 * w.data**2)


def test_replacing_a_leaf_value_keeps_the_recorded_graph_right():
    w = mgx.Tensor([1.0, 2.0])
    loss = cube_loss(w)
    w.data = w.data - 0.5  # a new array: the graph kept the old one
    loss.backward()
    np.testing.assert_array_equal(w.grad, [3.0, 12.0])


def test_changes_before_the_graph_was_recorded_do_not_count():
    w = mgx.Tensor([1.0, 2.0])
    w.data *= 2.0
    loss = cube_loss(w)
    loss.backward()
    np.testing.assert_array_equal(w.grad, [12.0, 48.0])
