"""microgradx.mlx.nn against real MLX (and PyTorch for the convolutions): module trees, layers, losses, grads.

Each layer test builds the MLX layer, copies its float32 weights into ours, and compares the output and the
gradients of a scalar function of it with respect to the input and every parameter.
"""

import os

import numpy as np
import pytest

import microgradx.mlx.nn as nn
from microgradx.mlx.nn._array import new
from microgradx.tree import tree_flatten, tree_map

mx = pytest.importorskip("mlx.core")
mnn = pytest.importorskip("mlx.nn")
from mlx.utils import tree_flatten as mlx_tree_flatten  # noqa: E402
from mlx.utils import tree_map as mlx_tree_map  # noqa: E402

RNG = np.random.default_rng(0)


def to_np(tree):
    return tree_map(lambda a: np.asarray(a), tree)


def copy_weights(ours, theirs):
    """Give our module the exact float32 values of the MLX module's parameters."""
    ours.update(tree_map(lambda a: new(np.asarray(a)), mlx_tree_map(np.array, theirs.parameters())))


def compare_layer(ours, theirs, x, atol=1e-5, int_input=False):
    copy_weights(ours, theirs)
    cot = RNG.standard_normal(np.asarray(theirs(mx.array(x))).shape).astype(np.float32)

    def their_loss(params, xx):
        theirs.update(params)
        return mx.sum(theirs(xx) * mx.array(cot))

    def our_loss(xx):
        return (ours(xx) * cot).sum()

    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(mx.array(x))), atol=atol, rtol=1e-5)
    import microgradx as mgx
    if mlx_tree_flatten(theirs.parameters()):
        their_grads = mx.grad(their_loss, argnums=0)(theirs.parameters(), mx.array(x))
        _, our_grads = nn.value_and_grad(ours, our_loss)(x)
        theirs_flat = dict(mlx_tree_flatten(their_grads))
        ours_flat = dict(tree_flatten(our_grads))
        assert theirs_flat.keys() == ours_flat.keys()
        for k in theirs_flat:
            np.testing.assert_allclose(np.asarray(ours_flat[k]), np.asarray(theirs_flat[k]), atol=atol, rtol=1e-4,
                                       err_msg=k)
    if not int_input:
        their_gx = mx.grad(their_loss, argnums=1)(theirs.parameters(), mx.array(x))
        gx = mgx.grad(our_loss)(x)
        np.testing.assert_allclose(np.asarray(gx), np.asarray(their_gx), atol=atol, rtol=1e-4)


# ---------------------------------------------------------------------------
# Module semantics
# ---------------------------------------------------------------------------
class OurNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4))
        self.heads = {"a": nn.Linear(4, 2), "b": [nn.Linear(4, 1), nn.Tanh()]}
        self.scale = new(np.ones(2))
        self._cache = new(np.zeros(1))
        self.depth = 3

    def __call__(self, x):
        return self.heads["a"](self.encoder(x)) * self.scale


class TheirNet(mnn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = mnn.Sequential(mnn.Linear(3, 4), mnn.ReLU(), mnn.Linear(4, 4))
        self.heads = {"a": mnn.Linear(4, 2), "b": [mnn.Linear(4, 1), mnn.Tanh()]}
        self.scale = mx.ones(2)
        self._cache = mx.zeros(1)
        self.depth = 3

    def __call__(self, x):
        return self.heads["a"](self.encoder(x)) * self.scale


def shapes(tree):
    return [(k, tuple(v.shape)) for k, v in tree_flatten(tree)]


def kinds(tree):
    """The structure of a module tree with leaves replaced by their class name."""
    if isinstance(tree, (nn.Module, mnn.Module)):
        return type(tree).__name__
    if isinstance(tree, dict):
        return {k: kinds(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [kinds(v) for v in tree]
    return type(tree).__name__


def test_parameters_tree_matches_mlx():
    ours, theirs = OurNet(), TheirNet()
    assert shapes(ours.parameters()) == shapes(theirs.parameters())
    assert shapes(ours.trainable_parameters()) == shapes(theirs.trainable_parameters())
    assert ours.parameters()["encoder"]["layers"][1] == {} == theirs.parameters()["encoder"]["layers"][1]
    assert "_cache" in ours and "_cache" not in ours.parameters()
    assert "depth" not in ours and ours.depth == 3


def test_children_leaf_modules_named_modules_match_mlx():
    ours, theirs = OurNet(), TheirNet()
    assert kinds(ours.children()) == kinds(theirs.children())
    assert kinds(ours.leaf_modules()) == kinds(theirs.leaf_modules())
    assert [(k, kinds(m)) for k, m in ours.named_modules()][1:] == \
        [(k, kinds(m)) for k, m in theirs.named_modules()][1:]
    assert ours.named_modules()[0] == ("", ours)
    seen_ours, seen_theirs = [], []
    ours.apply_to_modules(lambda k, m: seen_ours.append(k))
    theirs.apply_to_modules(lambda k, m: seen_theirs.append(k))
    assert seen_ours == seen_theirs
    assert len(ours.modules()) == len(theirs.modules())


@pytest.mark.parametrize("kwargs", [{}, {"keys": "bias"}, {"keys": ["weight"], "recurse": False},
                                    {"recurse": False}, {"keys": "scale"}])
def test_freeze_unfreeze_match_mlx(kwargs):
    ours, theirs = OurNet(), TheirNet()
    ours.freeze(**kwargs)
    theirs.freeze(**kwargs)
    assert shapes(ours.trainable_parameters()) == shapes(theirs.trainable_parameters())
    ours.encoder.unfreeze(keys="weight")
    theirs.encoder.unfreeze(keys="weight")
    assert shapes(ours.trainable_parameters()) == shapes(theirs.trainable_parameters())
    ours.unfreeze()
    theirs.unfreeze()
    assert shapes(ours.trainable_parameters()) == shapes(theirs.trainable_parameters())


def test_freeze_strict_unknown_key_is_a_key_error():
    with pytest.raises(KeyError, match="Module doesn't contain member nope."):
        OurNet().freeze(keys="nope", strict=True)
    with pytest.raises(KeyError, match="Module doesn't contain member nope."):
        TheirNet().freeze(keys="nope", strict=True)


def test_update_partial_and_errors_as_mlx():
    ours, theirs = OurNet(), TheirNet()
    ours.update({"heads": {"b": [{"bias": new([7.0])}]}})
    theirs.update({"heads": {"b": [{"bias": mx.array([7.0])}]}})
    assert float(ours.heads["b"][0].bias[0]) == 7.0 == theirs.heads["b"][0].bias[0].item()
    for bad in [{"nope": new([1.0])}, {"scale": 1.0}, {"encoder": {"layers": [{}, {}, {}, {}]}}]:
        with pytest.raises(ValueError) as ours_err:
            ours.update(bad)
        their_bad = tree_map(lambda v: mx.array(np.asarray(v)) if hasattr(v, "shape") else v, bad)
        with pytest.raises(ValueError) as their_err:
            theirs.update(their_bad)
        assert str(ours_err.value) == str(their_err.value)
    ours.update({"nope": new([1.0])}, strict=False)  # ignored, as in MLX
    assert "nope" not in ours


def test_attribute_rules_as_mlx():
    m = nn.Linear(2, 2)
    m.extra = [new([1.0])]                     # a list becomes a dict entry and so a parameter
    assert "extra" in m.parameters()
    m.extra = 5                                 # a non-array replaces it as a plain attribute
    assert "extra" not in m and m.extra == 5
    with pytest.raises(AttributeError):
        _ = m.missing
    del m.bias
    assert "bias" not in m.parameters()


def test_update_modules_swaps_a_layer():
    ours = OurNet()
    ours.update_modules({"encoder": {"layers": [{}, nn.Tanh(), {}]}})
    assert isinstance(ours.encoder.layers[1], nn.Tanh)
    with pytest.raises(ValueError, match='Module does not have sub-module named "nope".'):
        ours.update_modules({"nope": nn.ReLU()})


@pytest.mark.parametrize("bad", [{"nope": "ReLU"}, {"encoder": {"layers": [{}, {}, {}, {}]}},
                                 {"encoder": {"layers": [{}, 3, {}]}}, {"heads": 5},
                                 {"encoder": {"layers": [{"weight": 1}]}}, [1]])
def test_update_modules_errors_match_mlx(bad):
    """update() and update_modules() share one walk (with a filter): its errors are MLX's, word for word."""
    def build(tree, lib):
        if tree == "ReLU":
            return lib.ReLU()
        if isinstance(tree, dict):
            return {k: build(v, lib) for k, v in tree.items()}
        return [build(v, lib) for v in tree] if isinstance(tree, list) else tree

    with pytest.raises((ValueError, KeyError)) as ours_err:   # a list for a module: KeyError 0 in MLX too
        OurNet().update_modules(build(bad, nn))
    with pytest.raises((ValueError, KeyError)) as their_err:
        TheirNet().update_modules(build(bad, mnn))
    assert (type(ours_err.value), str(ours_err.value)) == (type(their_err.value), str(their_err.value))


def test_train_eval_reaches_every_module():
    ours = OurNet().eval()
    assert all(not m.training for m in ours.modules())
    assert all(m.training for m in ours.train().modules())


def test_save_and_load_weights_round_trip_and_mlx_reads_them(tmp_path):
    ours = OurNet()
    path = str(tmp_path / "w.npz")
    ours.save_weights(path)
    theirs = TheirNet()
    theirs.load_weights(path)                        # MLX reads our file
    for (k, a), (k2, b) in zip(tree_flatten(ours.parameters()), mlx_tree_flatten(theirs.parameters())):
        assert k == k2
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    their_path = str(tmp_path / "theirs.npz")
    TheirNet().save_weights(their_path)
    fresh = OurNet().load_weights(their_path)        # we read MLX's file
    expected = dict(np.load(their_path))
    for k, a in tree_flatten(fresh.parameters()):
        np.testing.assert_array_equal(np.asarray(a), expected[k])
        assert np.asarray(a).dtype == np.float32


def test_load_weights_strict_errors_match_mlx():
    ours, theirs = nn.Linear(2, 2), mnn.Linear(2, 2)
    cases = [[("weight", np.zeros((2, 2), np.float32))],
             [("weight", np.zeros((2, 2), np.float32)), ("bias", np.zeros(2, np.float32)),
              ("gamma", np.zeros(1, np.float32))],
             [("weight", np.zeros((3, 2), np.float32)), ("bias", np.zeros(2, np.float32))]]
    for case in cases:
        with pytest.raises(ValueError) as e1:
            ours.load_weights([(k, new(v)) for k, v in case])
        with pytest.raises(ValueError) as e2:
            theirs.load_weights([(k, mx.array(v)) for k, v in case])
        assert str(e1.value) == str(e2.value)
    ours.load_weights([("bias", new(np.ones(2)))], strict=False)
    np.testing.assert_array_equal(np.asarray(ours.bias), np.ones(2))
    with pytest.raises(ValueError, match="Unsupported file extension"):
        ours.save_weights("weights.pt")


def test_repr_lists_children_like_mlx():
    assert repr(nn.Sequential(nn.ReLU(), nn.Tanh())) == repr(mnn.Sequential(mnn.ReLU(), mnn.Tanh()))


# ---------------------------------------------------------------------------
# Layers: outputs and gradients vs MLX
# ---------------------------------------------------------------------------
def x_of(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize("make", [
    lambda m: m.Linear(5, 3), lambda m: m.Linear(5, 3, bias=False),
    lambda m: m.Sequential(m.Linear(5, 4), m.ReLU(), m.Linear(4, 3), m.Tanh()),
    lambda m: m.LayerNorm(5), lambda m: m.LayerNorm(5, affine=False), lambda m: m.LayerNorm(5, bias=False),
    lambda m: m.RMSNorm(5), lambda m: m.RMSNorm(5, eps=1e-3),
    lambda m: m.GELU(), lambda m: m.GELU(approx="tanh"), lambda m: m.GELU(approx="fast"),
    lambda m: m.SiLU(), lambda m: m.Sigmoid(), lambda m: m.Softmax(), lambda m: m.ReLU(), lambda m: m.Tanh(),
], ids=["linear", "linear_nobias", "sequential", "layernorm", "layernorm_noaffine", "layernorm_nobias",
        "rmsnorm", "rmsnorm_eps", "gelu", "gelu_tanh", "gelu_fast", "silu", "sigmoid", "softmax", "relu", "tanh"])
def test_layer_matches_mlx(make):
    compare_layer(make(nn), make(mnn), x_of(4, 5), atol=2e-5)


def test_embedding_matches_mlx():
    idx = np.array([[1, 2, 3], [3, 0, 1]])
    ours, theirs = nn.Embedding(5, 4), mnn.Embedding(5, 4)
    copy_weights(ours, theirs)
    np.testing.assert_array_equal(np.asarray(ours(idx)), np.asarray(theirs(mx.array(idx))))
    compare_layer(ours, theirs, idx, int_input=True)
    x = x_of(2, 4)
    np.testing.assert_allclose(np.asarray(ours.as_linear(x)), np.asarray(theirs.as_linear(mx.array(x))), atol=1e-6)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=3), dict(kernel_size=3, stride=2, padding=1),
                                    dict(kernel_size=2, dilation=2, padding=2),
                                    dict(kernel_size=3, groups=2, bias=False)])
def test_conv1d_matches_mlx(kwargs):
    compare_layer(nn.Conv1d(4, 6, **kwargs), mnn.Conv1d(4, 6, **kwargs), x_of(2, 9, 4), atol=3e-5)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=3), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0)),
                                    dict(kernel_size=2, dilation=2, padding=1),
                                    dict(kernel_size=3, groups=2, bias=False, stride=2)])
def test_conv2d_matches_mlx(kwargs):
    compare_layer(nn.Conv2d(4, 6, **kwargs), mnn.Conv2d(4, 6, **kwargs), x_of(2, 7, 6, 4), atol=3e-5)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, dilation=2,
                                                                                   groups=2)])
def test_conv2d_gradients_match_pytorch(kwargs):
    torch = pytest.importorskip("torch")
    ours = nn.Conv2d(4, 6, **kwargs)
    x = x_of(2, 7, 6, 4)
    w = np.asarray(ours.weight)
    tx = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)             # NCHW
    tw = torch.tensor(w.transpose(0, 3, 1, 2), requires_grad=True)             # (out, in/g, kh, kw)
    tb = torch.tensor(np.asarray(ours.bias), requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=ours.stride, padding=ours.padding, dilation=ours.dilation,
                                    groups=ours.groups)
    cot = RNG.standard_normal(ty.shape).astype(np.float32)
    (ty * torch.tensor(cot)).sum().backward()
    cot_nhwc = cot.transpose(0, 2, 3, 1)
    np.testing.assert_allclose(np.asarray(ours(x)), ty.detach().numpy().transpose(0, 2, 3, 1), atol=2e-5)
    _, grads = nn.value_and_grad(ours, lambda xx: (ours(xx) * cot_nhwc).sum())(x)
    np.testing.assert_allclose(np.asarray(grads["weight"]), tw.grad.numpy().transpose(0, 2, 3, 1), atol=3e-5)
    np.testing.assert_allclose(np.asarray(grads["bias"]), tb.grad.numpy(), atol=3e-5)
    import microgradx as mgx
    gx = mgx.grad(lambda xx: (ours(xx) * cot_nhwc).sum())(x)
    np.testing.assert_allclose(np.asarray(gx), tx.grad.numpy().transpose(0, 2, 3, 1), atol=3e-5)


def test_conv1d_gradients_match_pytorch():
    torch = pytest.importorskip("torch")
    ours = nn.Conv1d(3, 4, kernel_size=3, stride=2, padding=1)
    x = x_of(2, 8, 3)
    tx = torch.tensor(x.transpose(0, 2, 1), requires_grad=True)
    tw = torch.tensor(np.asarray(ours.weight).transpose(0, 2, 1), requires_grad=True)
    ty = torch.nn.functional.conv1d(tx, tw, torch.tensor(np.asarray(ours.bias)), stride=2, padding=1)
    cot = RNG.standard_normal(ty.shape).astype(np.float32)
    (ty * torch.tensor(cot)).sum().backward()
    _, grads = nn.value_and_grad(ours, lambda xx: (ours(xx) * cot.transpose(0, 2, 1)).sum())(x)
    np.testing.assert_allclose(np.asarray(grads["weight"]), tw.grad.numpy().transpose(0, 2, 1), atol=3e-5)


def test_conv_bad_input_names_the_layout():
    with pytest.raises(ValueError, match=r"Conv2d: x must have shape \(N, H, W, C\) with C = 3"):
        nn.Conv2d(3, 2, 3)(np.zeros((1, 3, 5, 5), np.float32))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv1d(3, 4, 3, groups=2)


def test_dropout_masks_and_scales_in_training_only():
    from microgradx.mlx.nn._array import seed
    seed(1)
    d = nn.Dropout(0.25)
    y = np.asarray(d(np.ones((200, 50), np.float32)))
    assert set(np.unique(y).tolist()) <= {0.0, np.float32(1 / 0.75)}
    assert 0.2 < (y == 0).mean() < 0.3
    d.eval()
    np.testing.assert_array_equal(np.asarray(d(np.ones(3))), np.ones(3))
    with pytest.raises(ValueError, match=r"The dropout probability 1 is not in \[0, 1\)"):
        nn.Dropout(1)


def test_gelu_approx_rejects_unknown_like_mlx():
    with pytest.raises(ValueError) as e1:
        nn.GELU("x")
    with pytest.raises(ValueError) as e2:
        mnn.GELU("x")
    assert str(e1.value) == str(e2.value)


def test_erf_derivative_second_order():
    import microgradx as mgx
    x = 0.7
    d2 = mgx.grad(mgx.grad(lambda v: nn.erf(v)))(x)
    np.testing.assert_allclose(float(d2), -2 * x * 2 / np.sqrt(np.pi) * np.exp(-x * x), rtol=1e-12)


# ---------------------------------------------------------------------------
# Losses vs MLX (values and gradients)
# ---------------------------------------------------------------------------
def both(fn_name, args, kwargs, grad_arg=0, atol=1e-6):
    ours_fn = getattr(nn.losses, fn_name)
    their_fn = getattr(mnn.losses, fn_name)
    import microgradx as mgx
    ours = ours_fn(*args, **kwargs)
    theirs = their_fn(*[mx.array(a) for a in args], **{k: mx.array(v) if isinstance(v, np.ndarray) else v
                                                       for k, v in kwargs.items()})
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), atol=atol, rtol=1e-5)

    def our_scalar(a):
        new_args = list(args)
        new_args[grad_arg] = a
        return mgx.sum(ours_fn(*new_args, **kwargs))

    def their_scalar(a):
        new_args = [mx.array(v) for v in args]
        new_args[grad_arg] = a
        return mx.sum(their_fn(*new_args, **{k: mx.array(v) if isinstance(v, np.ndarray) else v
                                             for k, v in kwargs.items()}))

    g_ours = mgx.grad(our_scalar)(args[grad_arg])
    g_theirs = mx.grad(their_scalar)(mx.array(args[grad_arg]))
    np.testing.assert_allclose(np.asarray(g_ours), np.asarray(g_theirs), atol=atol, rtol=1e-5)


LOGITS = x_of(6, 4) * 3
LABELS = RNG.integers(0, 4, 6)
PROBS = np.asarray(mx.softmax(mx.array(x_of(6, 4)), axis=-1))
WEIGHTS = RNG.uniform(0.5, 2.0, 6).astype(np.float32)


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "mean"}, {"reduction": "sum"}, {"label_smoothing": 0.2},
                                    {"weights": WEIGHTS, "reduction": "mean"}])
def test_cross_entropy_indices(kwargs):
    both("cross_entropy", (LOGITS, LABELS), kwargs)


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.1, "reduction": "mean"}])
def test_cross_entropy_probabilities(kwargs):
    both("cross_entropy", (LOGITS, PROBS), kwargs)


def test_cross_entropy_other_axis():
    both("cross_entropy", (LOGITS.T.copy(), LABELS), {"axis": 0})


def test_cross_entropy_errors_match_mlx():
    for args, kwargs in [((LOGITS, LABELS[:3]), {}), ((LOGITS, LABELS), {"label_smoothing": 1.0}),
                         ((LOGITS, LABELS), {"weights": WEIGHTS[:2]}), ((LOGITS, LABELS), {"reduction": "max"})]:
        with pytest.raises(ValueError) as e1:
            nn.losses.cross_entropy(*args, **kwargs)
        with pytest.raises(ValueError) as e2:
            mnn.losses.cross_entropy(*[mx.array(a) for a in args],
                                     **{k: mx.array(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()})
        assert str(e1.value) == str(e2.value)


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "none"}, {"weights": np.full(6, 0.5, np.float32)}])
def test_binary_cross_entropy_logits(kwargs):
    both("binary_cross_entropy", (x_of(6) * 4, RNG.uniform(0, 1, 6).astype(np.float32)), kwargs)


def test_binary_cross_entropy_probabilities():
    both("binary_cross_entropy", (RNG.uniform(0.05, 0.95, 6).astype(np.float32),
                                  RNG.integers(0, 2, 6).astype(np.float32)), {"with_logits": False})


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_regression_losses(name, reduction):
    both(name, (x_of(5, 3), x_of(5, 3)), {"reduction": reduction})


def test_smooth_l1_beta_and_shape_error():
    both("smooth_l1_loss", (x_of(8), x_of(8)), {"beta": 0.3})
    with pytest.raises(ValueError) as e1:
        nn.losses.mse_loss(x_of(3), x_of(2))
    with pytest.raises(ValueError) as e2:
        mnn.losses.mse_loss(mx.array(x_of(3)), mx.array(x_of(2)))
    assert str(e1.value) == str(e2.value)


@pytest.mark.parametrize("kwargs", [{}, {"reduction": "mean"}, {"axis": 0}])
def test_nll_and_kl_div(kwargs):
    logp = np.log(PROBS)
    labels = LABELS if kwargs.get("axis", -1) == -1 else RNG.integers(0, 6, 4)
    both("nll_loss", (logp, labels), kwargs)
    both("kl_div_loss", (logp, np.log(np.asarray(mx.softmax(mx.array(x_of(6, 4)), axis=-1)))), kwargs)


@pytest.mark.parametrize("name", ["huber_loss", "log_cosh_loss"])
def test_more_losses(name):
    both(name, (x_of(7) * 2, x_of(7)), {"reduction": "mean"})


# ---------------------------------------------------------------------------
# value_and_grad and init
# ---------------------------------------------------------------------------
def test_value_and_grad_skips_frozen_and_restores_params():
    ours, theirs = OurNet(), TheirNet()
    copy_weights(ours, theirs)
    ours.encoder.freeze()
    theirs.encoder.freeze()
    x = x_of(5, 3)
    before = ours.heads["a"].weight
    loss_o, g_o = nn.value_and_grad(ours, lambda x: ours(x).sum())(x)
    loss_t, g_t = mnn.value_and_grad(theirs, lambda x: theirs(x).sum())(mx.array(x))
    np.testing.assert_allclose(float(loss_o), loss_t.item(), rtol=1e-6)
    assert shapes(g_o) == shapes(g_t)
    for (k, a), (_, b) in zip(tree_flatten(g_o), mlx_tree_flatten(g_t)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5, err_msg=k)
    assert ours.heads["a"].weight is before


def test_value_and_grad_rejects_non_module():
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        nn.value_and_grad(lambda x: x, lambda x: x)


@pytest.mark.parametrize("name,args", [("glorot_uniform", ()), ("glorot_normal", ()), ("he_uniform", ()),
                                       ("he_normal", ()), ("normal", (0.0, 0.1)), ("uniform", (-1.0, 1.0))])
def test_init_statistics_match_the_formula(name, args):
    a = np.zeros((400, 300), np.float32)
    ours = np.asarray(getattr(nn.init, name)(*args)(a))
    theirs = np.asarray(getattr(mnn.init, name)(*args)(mx.array(a)))
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours.std(), theirs.std(), rtol=0.03)
    if "uniform" in name:
        np.testing.assert_allclose(np.abs(ours).max(), np.abs(theirs).max(), rtol=0.01)


def test_init_errors_match_mlx():
    with pytest.raises(ValueError) as e1:
        nn.init.glorot_uniform()(np.zeros(3))
    with pytest.raises(ValueError) as e2:
        mnn.init.glorot_uniform()(mx.zeros(3))
    assert str(e1.value) == str(e2.value)
    with pytest.raises(ValueError, match="Invalid mode: fan_mid"):
        nn.init.he_normal()(np.zeros((2, 2)), mode="fan_mid")
    np.testing.assert_array_equal(np.asarray(nn.init.identity()(np.zeros((3, 3)))), np.eye(3))
    np.testing.assert_array_equal(np.asarray(nn.init.constant(3.0)(np.zeros(2))), [3.0, 3.0])


def test_layers_make_float32_parameters():
    for m in [nn.Linear(2, 2), nn.Conv2d(1, 1, 2), nn.Embedding(3, 2), nn.LayerNorm(3), nn.RMSNorm(3)]:
        assert all(np.asarray(p).dtype == np.float32 for _, p in tree_flatten(m.parameters()))


@pytest.mark.skipif(os.environ.get("MICROGRADX_BACKEND") == "python", reason="one backend is enough for shapes")
def test_linear_init_range_as_mlx():
    w = np.asarray(nn.Linear(16, 100).weight)
    assert np.abs(w).max() <= 0.25 and np.abs(w).max() > 0.2
