"""mgx.optim: SGD and Adam on Scalar and Tensor parameters, against hand-computed updates and torch.optim."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx as mgx
from microgradx import nn, optim
from microgradx.nodes.scalar import Scalar as ReferenceScalar


def _sgd_by_hand(p, grads, lr, momentum=0.0, weight_decay=0.0):
    v = None
    for g in grads:
        g = g + weight_decay * p
        if momentum:
            v = g if v is None else momentum * v + g
            g = v
        p = p - lr * g
    return p


def _adam_by_hand(p, grads, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0):
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return p


GRADS = [np.array([0.5, -2.0, 3.0]), np.array([1.0, 0.25, -1.0]), np.array([-0.75, 0.5, 2.0])]
START = np.array([1.0, -0.5, 0.25])


def _run(opt_class, params_kind, **kwargs):
    """Three steps with the fixed GRADS, on one Tensor or on three Scalars; returns the final values."""
    if params_kind == "tensor":
        p = mgx.Tensor(START.copy())
        opt = opt_class([p], **kwargs)
        for g in GRADS:
            p.grad = g.copy()
            opt.step()
        return p.data
    scalars = [mgx.Scalar(float(v)) for v in START]
    opt = opt_class(scalars, **kwargs)
    for g in GRADS:
        for s, gi in zip(scalars, g):
            s.grad = float(gi)
        opt.step()
    return np.array([s.data for s in scalars])


@pytest.mark.parametrize("kind", ["tensor", "scalar"])
@pytest.mark.parametrize("kwargs", [dict(lr=0.1), dict(lr=0.05, momentum=0.9), dict(lr=0.2, weight_decay=0.1),
                                    dict(lr=0.1, momentum=0.5, weight_decay=0.01)])
def test_sgd_matches_hand_computed_updates(kind, kwargs):
    expected = _sgd_by_hand(START, GRADS, **kwargs)
    np.testing.assert_allclose(_run(optim.SGD, kind, **kwargs), expected, rtol=1e-14, atol=1e-15)


def test_plain_sgd_is_microgrds_update():
    p = mgx.Scalar(2.0)
    p.grad = 0.5
    optim.SGD([p], lr=0.1).step()
    assert p.data == 2.0 - 0.1 * 0.5


@pytest.mark.parametrize("kind", ["tensor", "scalar"])
@pytest.mark.parametrize("kwargs", [dict(lr=0.1), dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6),
                                    dict(lr=0.1, weight_decay=0.1)])
def test_adam_matches_hand_computed_updates(kind, kwargs):
    hand = dict(kwargs)
    if "betas" in hand:
        hand["beta1"], hand["beta2"] = hand.pop("betas")
    expected = _adam_by_hand(START, GRADS, **hand)
    np.testing.assert_allclose(_run(optim.Adam, kind, **kwargs), expected, rtol=1e-14, atol=1e-15)


def test_first_adam_step_moves_by_lr_times_sign():
    p = mgx.Tensor([1.0, 1.0, 1.0])
    p.grad = np.array([100.0, -1e-3, 0.0])
    optim.Adam([p], lr=0.1, eps=0.0 + 1e-12).step()
    np.testing.assert_allclose(p.data, [0.9, 1.1, 1.0], rtol=1e-9)


@pytest.mark.parametrize("name", ["sgd_momentum", "adam"])
def test_updates_match_torch_optim(name):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=(4, 3))
    b0 = rng.normal(size=3)
    X = rng.normal(size=(10, 4))
    ours_w, ours_b = mgx.Tensor(w0.copy()), mgx.Tensor(b0.copy())
    tw = torch.tensor(w0.copy(), requires_grad=True)
    tb = torch.tensor(b0.copy(), requires_grad=True)
    if name == "sgd_momentum":
        ours = optim.SGD([ours_w, ours_b], lr=0.05, momentum=0.9, weight_decay=0.01)
        theirs = torch.optim.SGD([tw, tb], lr=0.05, momentum=0.9, weight_decay=0.01)
    else:
        ours = optim.Adam([ours_w, ours_b], lr=0.01, betas=(0.85, 0.995), eps=1e-7, weight_decay=0.01)
        theirs = torch.optim.Adam([tw, tb], lr=0.01, betas=(0.85, 0.995), eps=1e-7, weight_decay=0.01)
    for _ in range(5):
        ours.zero_grad()
        (mgx.tanh(X @ ours_w + ours_b) ** 2).sum().backward()
        ours.step()
        theirs.zero_grad()
        (torch.tanh(torch.from_numpy(X) @ tw + tb) ** 2).sum().backward()
        theirs.step()
    np.testing.assert_allclose(ours_w.data, tw.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours_b.data, tb.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_momentum_buffer_does_not_alias_the_gradient():
    p = mgx.Tensor([1.0])
    opt = optim.SGD([p], lr=1.0, momentum=0.5)
    (p * 2.0).sum().backward()  # grad 2
    opt.step()  # v = 2, p = -1
    (p * 2.0).sum().backward()  # no zero_grad: grad accumulates in place to 4
    opt.step()  # v = 0.5 * 2 + 4 = 5, p = -6
    assert p.data[0] == -6.0


def test_float32_parameters_stay_float32():
    p = mgx.Tensor(np.ones(3, np.float32))
    p.grad = np.full(3, 0.5, np.float32)
    for opt in (optim.SGD([p], lr=0.1, momentum=0.9), optim.Adam([p], lr=0.1)):
        opt.step()
        assert p.data.dtype == np.float32


def test_zero_grad_and_skipping_parameters_without_gradient():
    a, b = mgx.Tensor([1.0]), mgx.Tensor([2.0])
    s = mgx.Scalar(3.0)
    opt = optim.SGD([a, b, s], lr=0.5)
    (a * 3.0).sum().backward()
    (s * 2.0).backward()
    opt.step()  # b has no gradient: untouched (PyTorch's rule)
    assert (a.data[0], b.data[0], s.data) == (1.0 - 1.5, 2.0, 3.0 - 1.0)
    opt.zero_grad()
    assert a.grad is None and b.grad is None and s.grad == 0.0


def test_lr_is_assignable_and_drives_a_schedule():
    p = mgx.Scalar(0.0)
    opt = optim.SGD([p], lr=1.0)
    for k in range(3):
        p.grad = 1.0
        opt.lr = 1.0 - 0.9 * k / 100
        opt.step()
    assert p.data == pytest.approx(-(1.0 + 0.991 + 0.982))
    assert opt.lr == pytest.approx(0.982)


def test_optimizer_accepts_a_module_and_reference_scalars():
    model = nn.MLP(2, [2, 1], seed=0, scalar_class=ReferenceScalar)
    opt = optim.SGD(model, lr=0.1)
    assert opt.params == model.parameters()
    model([1.0, 1.0]).backward()
    before = [p.data for p in model.parameters()]
    opt.step()
    assert [p.data for p in model.parameters()] == [b - 0.1 * p.grad for b, p in zip(before, model.parameters())]


def test_step_with_a_gradient_tree():
    model = nn.TensorMLP(2, [3, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.5)
    before = [p.data.copy() for p in model.parameters()]
    grads = mgx.tree.tree_map(lambda p: mgx.Tensor(np.ones(p.shape)), model.parameter_tree())
    opt.step(grads)
    for b, p in zip(before, model.parameters()):
        np.testing.assert_allclose(p.data, b - 0.5)
    opt.step([np.ones(p.shape) for p in model.parameters()])
    for b, p in zip(before, model.parameters()):
        np.testing.assert_allclose(p.data, b - 1.0)
    scalars = [mgx.Scalar(1.0), mgx.Scalar(2.0)]
    optim.SGD(scalars, lr=1.0).step([mgx.Scalar(0.5), 0.25])
    assert [s.data for s in scalars] == [0.5, 1.75]


def test_step_rejects_mismatched_gradients():
    p = mgx.Tensor([1.0, 2.0])
    opt = optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="holds 2 gradients but the optimizer has 1"):
        opt.step([np.ones(2), np.ones(2)])
    with pytest.raises(ValueError, match=r"shape \(3,\) but parameter 0 has shape \(2,\)"):
        opt.step([np.ones(3)])
    with pytest.raises(TypeError, match="grads must be"):
        opt.step(np.ones(2))


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda p: optim.SGD(p, lr=-0.1), ValueError, "lr"),
        (lambda p: optim.SGD(p, lr=math.nan), ValueError, "lr"),
        (lambda p: optim.SGD(p, lr="0.1"), TypeError, "lr"),
        (lambda p: optim.SGD(p, lr=True), TypeError, "lr"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), ValueError, "momentum"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=1.5), ValueError, "momentum"),
        (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), ValueError, "weight_decay"),
        (lambda p: optim.Adam(p, lr=-1e-3), ValueError, "lr"),
        (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ValueError, r"betas\[1\]"),
        (lambda p: optim.Adam(p, betas=(-0.1, 0.9)), ValueError, r"betas\[0\]"),
        (lambda p: optim.Adam(p, betas=0.9), TypeError, "betas"),
        (lambda p: optim.Adam(p, eps=-1.0), ValueError, "eps"),
    ],
)
def test_bad_hyper_parameters_name_the_argument(make, exc, match):
    with pytest.raises(exc, match=match):
        make([mgx.Tensor([1.0])])


def test_bad_parameter_lists():
    t = mgx.Tensor([1.0])
    with pytest.raises(ValueError, match="params is empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="list of Scalars/Tensors"):
        optim.SGD(t, lr=0.1)
    with pytest.raises(TypeError, match=r"params\[1\] must be a Scalar or a Tensor; got ndarray"):
        optim.SGD([t, np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match=r"params\[1\] appears more than once"):
        optim.SGD([t, t], lr=0.1)
    with pytest.raises(ValueError, match="not a leaf Tensor"):
        optim.SGD([t * 2.0], lr=0.1)
    with pytest.raises(ValueError, match="not a leaf Scalar"):
        optim.SGD([mgx.Scalar(1.0) * 2.0], lr=0.1)
    with pytest.raises(TypeError, match="must hold floats"):
        optim.SGD([mgx.Tensor([1, 2])], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(3, lr=0.1)


@settings(max_examples=40)
@given(
    lr=st.floats(0.0, 2.0),
    momentum=st.floats(0.0, 1.0),
    weight_decay=st.floats(0.0, 0.5),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.0, 0.9999),
    grads=st.lists(st.lists(st.floats(-10, 10), min_size=3, max_size=3), min_size=1, max_size=4),
)
def test_random_hyper_parameters_match_the_rules(lr, momentum, weight_decay, beta1, beta2, grads):
    grads = [np.array(g) for g in grads]

    def run(make):
        p = mgx.Tensor(START.copy())
        opt = make([p])
        for g in grads:
            p.grad = g.copy()
            opt.step()
        return p.data

    np.testing.assert_allclose(run(lambda ps: optim.SGD(ps, lr, momentum, weight_decay)),
                               _sgd_by_hand(START, grads, lr, momentum, weight_decay), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(run(lambda ps: optim.Adam(ps, lr, (beta1, beta2), 1e-8, weight_decay)),
                               _adam_by_hand(START, grads, lr, beta1, beta2, 1e-8, weight_decay),
                               rtol=1e-12, atol=1e-12)
