"""mgx.nn: Scalar nets (micrograd's API), Tensor layers, parameter trees, losses, real-data checks."""

import math

import numpy as np
import pytest

import microgradx as mgx
from microgradx import datasets, nn, optim
from microgradx.nodes.scalar import Scalar as ReferenceScalar


def _grad_by_central_differences(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        g[i] = (up - down) / (2 * h)
    return g


# ---------------------------------------------------------------------------
# Scalar nets: micrograd's Neuron / Layer / MLP
# ---------------------------------------------------------------------------
def test_mlp_has_micrograds_parameter_count_and_structure():
    model = nn.MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 337
    assert model.num_parameters() == 337
    assert [len(layer.neurons) for layer in model.layers] == [16, 16, 1]
    assert [n.nonlin for n in model.layers[-1].neurons] == [False]
    assert all(n.nonlin for layer in model.layers[:-1] for n in layer.neurons)
    # micrograd's order: each neuron's weights then its bias
    first = model.layers[0].neurons[0]
    assert model.parameters()[:3] == [first.w[0], first.w[1], first.b]
    assert repr(nn.Neuron(3, nonlin=False, seed=0)) == "LinearNeuron(3)"
    assert repr(nn.MLP(1, [1], seed=0)) == "MLP of [Layer of [LinearNeuron(1)]]"


def test_mlp_matches_micrograd_outputs_and_gradients():
    mg_engine = pytest.importorskip("micrograd.engine", reason="micrograd is not installed")
    mg_nn = pytest.importorskip("micrograd.nn")
    import random

    random.seed(0)
    theirs = mg_nn.MLP(3, [4, 4, 1])
    ours = nn.MLP(3, [4, 4, 1], seed=0)
    assert len(theirs.parameters()) == len(ours.parameters()) == 41
    assert repr(theirs) == repr(ours)
    for p, q in zip(theirs.parameters(), ours.parameters()):
        q.data = float(p.data)  # same weights, in the same order
    xs = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-2.0, 1.0, 0.1]]
    ys = [1.0, -1.0, 1.0]
    loss_theirs = sum((1 + -y * theirs([mg_engine.Value(v) for v in x])).relu() for x, y in zip(xs, ys))
    loss_ours = sum((1 + -y * ours(x)).relu() for x, y in zip(xs, ys))
    assert loss_ours.data == pytest.approx(loss_theirs.data, rel=1e-12, abs=1e-12)
    loss_theirs.backward()
    loss_ours.backward()
    for p, q in zip(theirs.parameters(), ours.parameters()):
        assert q.grad == pytest.approx(p.grad, rel=1e-12, abs=1e-12)


def test_initialisation_is_deterministic_and_uniform():
    a = [p.data for p in nn.MLP(2, [8, 1], seed=42).parameters()]
    b = [p.data for p in nn.MLP(2, [8, 1], seed=42).parameters()]
    c = [p.data for p in nn.MLP(2, [8, 1], seed=43).parameters()]
    g = [p.data for p in nn.MLP(2, [8, 1], seed=np.random.default_rng(42)).parameters()]
    assert a == b == g and a != c
    neuron = nn.Neuron(1000, seed=1)
    w = np.array([p.data for p in neuron.w])
    assert w.min() >= -1.0 and w.max() < 1.0 and abs(w.mean()) < 0.1
    assert neuron.b.data == 0.0
    # the neurons of one layer differ (one generator is shared)
    layer = nn.Layer(2, 2, seed=0)
    assert [p.data for p in layer.neurons[0].w] != [p.data for p in layer.neurons[1].w]


def test_scalar_class_selects_the_engine():
    ref = nn.MLP(2, [4, 1], seed=5, scalar_class=ReferenceScalar)
    default = nn.MLP(2, [4, 1], seed=5)
    assert all(type(p) is ReferenceScalar for p in ref.parameters())
    assert all(type(p) is mgx.Scalar for p in default.parameters())
    x = [0.3, -1.7]
    assert ref(x).data == pytest.approx(default(x).data, rel=1e-15)
    with pytest.raises(TypeError, match="scalar_class"):
        nn.Neuron(2, scalar_class="Scalar")


def test_neuron_checks_the_number_of_inputs():
    with pytest.raises(ValueError, match="Neuron\\(3\\) got 2 inputs"):
        nn.Neuron(3, seed=0)([1.0, 2.0])
    with pytest.raises(ValueError, match="got 4 inputs"):
        nn.MLP(3, [2, 1], seed=0)([1.0, 2.0, 3.0, 4.0])


def test_scalar_nets_accept_scalars_numbers_and_numpy_rows():
    model = nn.MLP(2, [3, 1], seed=0)
    row = np.array([0.5, -0.25])
    expected = model([0.5, -0.25]).data
    assert model(row).data == expected
    assert model([mgx.Scalar(0.5), mgx.Scalar(-0.25)]).data == expected


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda: nn.MLP(2, 16), TypeError, "nouts"),
        (lambda: nn.MLP(2, []), ValueError, "nouts"),
        (lambda: nn.MLP(2, [4, 0]), ValueError, "nouts\\[1\\]"),
        (lambda: nn.MLP(0, [1]), ValueError, "nin"),
        (lambda: nn.Neuron(2.5), TypeError, "nin"),
        (lambda: nn.Layer(2, True), TypeError, "nout"),
        (lambda: nn.MLP(2, [1], seed="x"), TypeError, "seed"),
        (lambda: nn.MLP(2, [1], seed=-1), ValueError, "seed"),
        (lambda: nn.Linear(3, 0), ValueError, "out_features"),
        (lambda: nn.Linear("3", 2), TypeError, "in_features"),
        (lambda: nn.Linear(3, 2, dtype=np.int64), TypeError, "dtype"),
        (lambda: nn.TensorMLP(2, [3], activation="gelu"), ValueError, "activation"),
        (lambda: nn.TensorMLP(2, [3], activation=3), TypeError, "activation"),
        (lambda: nn.Sequential(nn.ReLU(), 3), TypeError, "layer 1"),
    ],
)
def test_bad_constructor_arguments_name_the_argument(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_module_has_no_attribute_magic():
    model = nn.MLP(2, [1], seed=0)
    assert "__getattr__" not in vars(nn.Module)
    with pytest.raises(AttributeError):
        model.layerz  # noqa: B018 - a typo must not pass silently
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1.0)


def test_zero_grad_resets_scalar_and_tensor_modules():
    scalar_model = nn.MLP(2, [3, 1], seed=0)
    (scalar_model([1.0, 2.0]) * 1.0).backward()
    assert any(p.grad != 0.0 for p in scalar_model.parameters())
    scalar_model.zero_grad()
    assert all(p.grad == 0.0 for p in scalar_model.parameters())

    tensor_model = nn.TensorMLP(2, [3, 1], seed=0)
    tensor_model(mgx.ones((4, 2))).sum().backward()
    assert all(p.grad is not None for p in tensor_model.parameters())
    tensor_model.zero_grad()
    assert all(p.grad is None for p in tensor_model.parameters())


def test_scalar_mlp_learns_the_moons():
    # micrograd's recipe, made small so that the reference backend runs it in seconds
    rng = np.random.default_rng(2)
    X, y = datasets.make_moons(30, noise=0.1, seed=rng)
    labels = (y * 2 - 1).tolist()
    rows = X.tolist()
    model = nn.MLP(2, [12, 12, 1], seed=rng)
    opt = optim.SGD(model.parameters(), lr=1.0)
    steps = 50
    for k in range(steps):
        scores = [model(r) for r in rows]
        data_loss = sum((1 + -t * s).relu() for t, s in zip(labels, scores)) * (1.0 / len(rows))
        loss = data_loss + 1e-4 * sum(p * p for p in model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / steps
        opt.step()
    with mgx.no_grad():
        accuracy = np.mean([(t > 0) == (model(r).data > 0) for t, r in zip(labels, rows)])
    assert accuracy >= 0.95


# ---------------------------------------------------------------------------
# Tensor layers
# ---------------------------------------------------------------------------
def test_linear_forward_backward_and_initialisation():
    layer = nn.Linear(4, 3, seed=0)
    assert layer.weight.shape == (3, 4) and layer.bias.shape == (3,)
    k = 1 / math.sqrt(4)
    assert np.all(np.abs(layer.weight.data) <= k) and np.all(np.abs(layer.bias.data) <= k)
    x = np.random.default_rng(1).normal(size=(5, 4))
    out = layer(x)
    np.testing.assert_allclose(out.data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-14)
    g = np.random.default_rng(2).normal(size=(5, 3))
    out.backward(grad=g)
    np.testing.assert_allclose(layer.weight.grad, g.T @ x, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, g.sum(axis=0), rtol=1e-12)
    # leading batch dimensions and a single vector work too
    assert layer(np.zeros((2, 5, 4))).shape == (2, 5, 3)
    assert layer(np.zeros(4)).shape == (3,)
    no_bias = nn.Linear(4, 3, bias=False, seed=0)
    assert no_bias.bias is None and len(no_bias.parameters()) == 1
    np.testing.assert_allclose(no_bias(x).data, x @ no_bias.weight.data.T)


def test_linear_matches_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    layer = nn.Linear(5, 2, seed=0)
    tl = torch.nn.Linear(5, 2, dtype=torch.float64)
    with torch.no_grad():
        tl.weight.copy_(torch.from_numpy(layer.weight.data))
        tl.bias.copy_(torch.from_numpy(layer.bias.data))
    x = np.random.default_rng(0).normal(size=(7, 5))
    (layer(x).tanh()).sum().backward()
    torch.tanh(tl(torch.from_numpy(x))).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, tl.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, tl.bias.grad.numpy(), rtol=1e-12)


def test_float32_stays_float32_through_a_training_step():
    model = nn.TensorMLP(3, [4, 2], dtype=np.float32, seed=0)
    x = np.ones((5, 3), np.float32)
    out = model(x)
    assert out.dtype == np.float32
    nn.cross_entropy(out, np.array([0, 1, 0, 1, 1])).backward()
    opt = optim.Adam(model.parameters(), lr=0.01)
    opt.step()
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())


def test_linear_rejects_a_wrong_input_width():
    with pytest.raises(ValueError, match=r"Linear\(in_features=4\).*\(5, 3\)"):
        nn.Linear(4, 2, seed=0)(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="last dimension"):
        nn.Linear(4, 2, seed=0)(np.float64(1.0))
    with pytest.raises(TypeError, match="x must be"):
        nn.Linear(4, 2, seed=0)("abcd")


def test_sequential_activations_and_tensor_mlp():
    net = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 3, seed=1), mgx.tanh,
                        nn.Linear(3, 1, seed=2), nn.Sigmoid())
    x = np.random.default_rng(0).normal(size=(6, 2))
    h = np.maximum(x @ net.layers[0].weight.data.T + net.layers[0].bias.data, 0)
    h = np.tanh(h @ net.layers[2].weight.data.T + net.layers[2].bias.data)
    h = 1 / (1 + np.exp(-(h @ net.layers[4].weight.data.T + net.layers[4].bias.data)))
    np.testing.assert_allclose(net(x).data, h, rtol=1e-12)
    assert [n for n, _ in net.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.4.weight", "layers.4.bias"]
    assert "tanh" in repr(net)

    for activation, fn in [("relu", lambda v: np.maximum(v, 0)), ("tanh", np.tanh), (mgx.sigmoid, None)]:
        mlp = nn.TensorMLP(2, [5, 3], activation=activation, seed=0)
        a, b = mlp.layers
        hidden = a.weight.data @ x.T
        hidden = hidden.T + a.bias.data
        hidden = fn(hidden) if fn is not None else 1 / (1 + np.exp(-hidden))
        np.testing.assert_allclose(mlp(x).data, hidden @ b.weight.data.T + b.bias.data, rtol=1e-12)
    assert nn.TensorMLP(2, [16, 16, 1], seed=0).num_parameters() == 337
    assert repr(nn.TensorMLP(2, [3, 1])) == "TensorMLP(2, [3, 1], activation='relu')"


# ---------------------------------------------------------------------------
# Parameter trees, loading, functional use
# ---------------------------------------------------------------------------
class _Custom(nn.Module):
    def __init__(self):
        self.encoder = nn.Linear(2, 3, seed=0)
        self.heads = {"a": nn.Linear(3, 1, seed=1), "b": nn.Linear(3, 1, seed=2)}
        self.scale = mgx.Tensor(2.0)
        self.tied = self.encoder.weight  # the same parameter twice: counted once
        self.blocks = [nn.ReLU(), nn.Linear(3, 3, seed=3)]
        self._cache = mgx.Tensor(1.0)  # private: not a parameter
        self.name = "custom"
        self.parent = self  # a cycle must not loop

    def forward(self, x):
        h = self.blocks[1](self.blocks[0](self.encoder(x)))
        return self.scale * (self.heads["a"](h) + self.heads["b"](h)) + (self.tied ** 2).sum()


def test_parameter_tree_names_and_order_agree():
    model = _Custom()
    tree = model.parameter_tree()
    assert list(tree) == ["encoder", "heads", "scale", "blocks"]
    assert tree["blocks"][0] == {} and set(tree["blocks"][1]) == {"weight", "bias"}
    names = [n for n, _ in model.named_parameters()]
    assert names == ["encoder.weight", "encoder.bias", "heads.a.weight", "heads.a.bias", "heads.b.weight",
                     "heads.b.bias", "scale", "blocks.1.weight", "blocks.1.bias"]
    assert [id(p) for p in model.parameters()] == [id(p) for _, p in model.named_parameters()]
    assert len({id(p) for p in model.parameters()}) == len(model.parameters())
    flat = mgx.tree.tree_flatten(tree)
    assert [n for n, _ in flat] == names and all(a is b for (_, a), b in zip(flat, model.parameters()))


def test_load_parameters_copies_values_in_place():
    model = _Custom()
    params = model.parameters()
    new_tree = mgx.tree.tree_map(lambda p: np.full(p.shape, 0.5), model.parameter_tree())
    model.load_parameters(new_tree)
    assert model.parameters() == params  # same objects (optimizers keep working)
    assert all(np.all(p.data == 0.5) for p in params)
    flat = {name: np.zeros(p.shape) for name, p in model.named_parameters()}
    model.load_parameters(flat)
    assert all(np.all(p.data == 0.0) for p in params)
    scalar_model = nn.MLP(2, [2, 1], seed=0)
    scalar_model.load_parameters({name: 1.5 for name, _ in scalar_model.named_parameters()})
    assert all(p.data == 1.5 for p in scalar_model.parameters())


def test_load_parameters_rejects_mismatches():
    layer = nn.Linear(2, 3, seed=0)
    with pytest.raises(ValueError, match="missing \\['bias'\\]"):
        layer.load_parameters({"weight": np.zeros((3, 2))})
    with pytest.raises(ValueError, match="unexpected \\['extra'\\]"):
        layer.load_parameters({"weight": np.zeros((3, 2)), "bias": np.zeros(3), "extra": 1.0})
    with pytest.raises(ValueError, match="'weight' has shape \\(3, 2\\)"):
        layer.load_parameters({"weight": np.zeros((2, 3)), "bias": np.zeros(3)})
    with pytest.raises(TypeError, match="params must be"):
        layer.load_parameters(np.zeros(3))


def test_functional_call_swaps_parameters_and_restores_them():
    model = _Custom()
    originals = model.parameters()
    x = np.random.default_rng(0).normal(size=(4, 2))
    doubled = mgx.tree.tree_map(lambda p: mgx.Tensor(p.data * 2), model.parameter_tree())
    expected_model = _Custom()
    expected_model.load_parameters(doubled)
    np.testing.assert_allclose(nn.functional_call(model, doubled, x).data, expected_model(x).data)
    assert model.parameters() == originals and model.tied is model.encoder.weight

    def boom(_):
        raise RuntimeError("inside")

    model.encoder.forward = boom
    with pytest.raises(RuntimeError, match="inside"):
        nn.functional_call(model, doubled, x)
    del model.encoder.forward
    assert model.parameters() == originals
    with pytest.raises(TypeError, match="module"):
        nn.functional_call(lambda v: v, {}, x)


def test_functional_gradients_equal_eager_gradients():
    model = _Custom()
    x = np.random.default_rng(0).normal(size=(4, 2))

    def loss_of(params, x):
        return nn.functional_call(model, params, x).sum()

    loss, grads = mgx.value_and_grad(loss_of)(model.parameter_tree(), x)
    model(x).sum().backward()
    assert float(loss) == pytest.approx(float(model(x).sum()))
    flat = mgx.tree.tree_flatten(grads)
    assert [n for n, _ in flat] == [n for n, _ in model.named_parameters()]
    for (_, g), p in zip(flat, model.parameters()):
        np.testing.assert_allclose(np.asarray(g), p.grad, rtol=1e-12)  # the tied weight gets both paths


def test_nn_value_and_grad_then_optimizer_step_equals_the_eager_step():
    X, y = datasets.make_spirals(60, classes=3, seed=0)
    eager = nn.TensorMLP(2, [8, 3], seed=0)
    functional = nn.TensorMLP(2, [8, 3], seed=0)
    opt_e = optim.SGD(eager.parameters(), lr=0.3, momentum=0.9)
    opt_f = optim.SGD(functional.parameters(), lr=0.3, momentum=0.9)
    loss_and_grad = nn.value_and_grad(functional, lambda X, y: nn.cross_entropy(functional(X), y))
    for _ in range(3):
        loss_e = nn.cross_entropy(eager(X), y)
        opt_e.zero_grad()
        loss_e.backward()
        opt_e.step()
        loss_f, grads = loss_and_grad(X, y)
        opt_f.step(grads)
        assert float(loss_f) == pytest.approx(float(loss_e), rel=1e-12)
    for p, q in zip(eager.parameters(), functional.parameters()):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-12)
    with pytest.raises(TypeError, match="model"):
        nn.value_and_grad(lambda: 0, lambda: 0)


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------
def test_mse_loss_value_gradient_and_reductions():
    p = mgx.Tensor([[1.0, 2.0], [3.0, 5.0]])
    t = np.array([[0.0, 2.0], [1.0, 1.0]])
    loss = nn.mse_loss(p, t)
    assert float(loss) == pytest.approx((1 + 0 + 4 + 16) / 4)
    loss.backward()
    np.testing.assert_allclose(p.grad, 2 * (p.data - t) / 4)
    assert float(nn.mse_loss(p, t, reduction="sum")) == 21.0
    assert nn.mse_loss(p, t, reduction="none").shape == (2, 2)
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(2,\)"):
        nn.mse_loss(p, np.zeros(2))
    with pytest.raises(ValueError, match="reduction"):
        nn.mse_loss(p, t, reduction="avg")


@pytest.mark.parametrize("shape", [(5, 4), (3,), (2, 3, 4)])
def test_cross_entropy_matches_definition_and_finite_differences(shape):
    rng = np.random.default_rng(sum(shape))
    logits = rng.normal(size=shape) * 3
    labels = rng.integers(0, shape[-1], size=shape[:-1])

    def reference(z):
        z2 = z.reshape(-1, shape[-1])
        m = z2.max(axis=1, keepdims=True)
        lse = (m + np.log(np.exp(z2 - m).sum(axis=1, keepdims=True)))[:, 0]
        return float(np.mean(lse - z2[np.arange(z2.shape[0]), labels.reshape(-1)]))

    x = mgx.Tensor(logits)
    loss = nn.cross_entropy(x, labels)
    assert float(loss) == pytest.approx(reference(logits), rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(x.grad, _grad_by_central_differences(reference, logits.copy()), rtol=1e-6, atol=1e-8)
    assert nn.cross_entropy(mgx.Tensor(logits), labels, reduction="none").shape == shape[:-1]
    total = float(nn.cross_entropy(mgx.Tensor(logits), labels, reduction="sum"))
    assert total == pytest.approx(reference(logits) * max(1, labels.size), rel=1e-12)


def test_cross_entropy_matches_torch():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(8, 5)) * 4
    labels = rng.integers(0, 5, 8)
    x = mgx.Tensor(logits)
    loss = nn.cross_entropy(x, labels)
    loss.backward()
    tx = torch.tensor(logits, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tx, torch.from_numpy(labels))
    tloss.backward()
    assert float(loss) == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_cross_entropy_is_stable_for_huge_logits():
    x = mgx.Tensor([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]])
    loss = nn.cross_entropy(x, [2, 1])
    assert float(loss) == pytest.approx((2e4 + math.log(2)) / 2, rel=1e-12)
    loss.backward()
    np.testing.assert_allclose(x.grad, [[0.5, 0.0, -0.5], [0.0, -0.25, 0.25]], atol=1e-12)
    assert np.all(np.isfinite(x.grad))


@pytest.mark.parametrize(
    "labels, exc, match",
    [
        (np.array([0.0, 1.0]), TypeError, "integer class indices"),
        (np.array([0, 3]), ValueError, r"\[0, 3\)"),
        (np.array([-1, 0]), ValueError, r"\[0, 3\)"),
        (np.array([[0, 1]]), ValueError, r"labels need shape \(2,\)"),
        ("ab", TypeError, "labels must be"),
    ],
)
def test_cross_entropy_rejects_bad_labels(labels, exc, match):
    with pytest.raises(exc, match=match):
        nn.cross_entropy(mgx.zeros((2, 3)), labels)


def test_cross_entropy_needs_a_class_axis():
    with pytest.raises(ValueError, match="class axis"):
        nn.cross_entropy(mgx.Tensor(1.0), 0)


# ---------------------------------------------------------------------------
# Real data: scikit-learn's 8x8 digits
# ---------------------------------------------------------------------------
def test_tensor_mlp_reaches_95_percent_on_digits():
    pytest.importorskip("sklearn", reason="scikit-learn (which ships the digits) is not installed")
    X, y = datasets.load_digits()
    X_train, X_test, y_train, y_test = datasets.train_test_split(X / 16.0, y, test_size=0.25, seed=0)
    model = nn.TensorMLP(64, [64, 10], activation="relu", seed=0)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    for _epoch in range(20):
        for xb, yb in datasets.minibatches(X_train, y_train, 64, seed=rng):
            loss = nn.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    with mgx.no_grad():
        accuracy = float(np.mean(model(X_test).argmax(axis=1).numpy() == y_test))
    assert len(y_test) == 450
    assert accuracy >= 0.95, accuracy
