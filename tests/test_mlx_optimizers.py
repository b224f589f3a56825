"""microgradx.mlx.optimizers against MLX 0.32.4 (and PyTorch where it has the same optimizer).

Two problems:

* a quadratic whose gradient ``a * (p - b)`` is written out, so every framework feeds its optimizer
  bit-identical float32 gradients and any difference is the optimizer's own (we expect none vs MLX);
* a small MLP with cross-entropy, each framework computing its own gradients (float32 rounding of the
  gradients then makes the trajectories drift apart by a few 1e-6 over 100 steps).
"""

import numpy as np
import pytest

import microgradx.mlx.nn as nn
import microgradx.mlx.optimizers as optim
from microgradx.mlx.nn._array import new
from microgradx.tree import tree_flatten

mx = pytest.importorskip("mlx.core")
mnn = pytest.importorskip("mlx.nn")
moptim = pytest.importorskip("mlx.optimizers")

STEPS = 100

CASES = {
    "sgd": ("SGD", dict(learning_rate=0.1), ("SGD", dict(lr=0.1))),
    "sgd_nesterov_wd": ("SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
                        ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3))),
    "sgd_momentum": ("SGD", dict(learning_rate=0.05, momentum=0.9), ("SGD", dict(lr=0.05, momentum=0.9))),
    "sgd_dampening": ("SGD", dict(learning_rate=0.05, momentum=0.9, dampening=0.1), None),
    "rmsprop": ("RMSprop", dict(learning_rate=0.003), ("RMSprop", dict(lr=0.003, alpha=0.99, eps=1e-8))),
    "adagrad": ("Adagrad", dict(learning_rate=0.05), ("Adagrad", dict(lr=0.05, eps=1e-8))),
    "adam": ("Adam", dict(learning_rate=0.01), None),
    "adam_bc": ("Adam", dict(learning_rate=0.01, bias_correction=True), ("Adam", dict(lr=0.01))),
    "adamw_bc": ("AdamW", dict(learning_rate=0.01, weight_decay=0.05, bias_correction=True),
                 ("AdamW", dict(lr=0.01, weight_decay=0.05))),
    "adamw": ("AdamW", dict(learning_rate=0.01), None),
    "lion": ("Lion", dict(learning_rate=0.003, weight_decay=0.01), None),
    "sgd_cosine": ("SGD", dict(learning_rate=("cosine_decay", (0.2, 100, 0.01))), None),
    "sgd_step": ("SGD", dict(learning_rate=("step_decay", (0.2, 0.5, 10))), None),
    "sgd_exp": ("SGD", dict(learning_rate=("exponential_decay", (0.2, 0.98))), None),
    "adam_join": ("Adam", dict(learning_rate=("join", None)), None),
}


def make_kwargs(kwargs, lib):
    out = {}
    for k, v in kwargs.items():
        if isinstance(v, tuple):
            name, args = v
            v = (lib.join_schedules([lib.linear_schedule(0.0, 0.01, 10), lib.cosine_decay(0.01, 90)], [10])
                 if name == "join" else getattr(lib, name)(*args))
        out[k] = v
    return out


def quadratic_problem():
    rng = np.random.default_rng(1)
    return (rng.uniform(0.5, 2.0, (6, 5)).astype(np.float32), rng.standard_normal((6, 5)).astype(np.float32),
            rng.standard_normal((6, 5)).astype(np.float32), rng.standard_normal(5).astype(np.float32))


def quadratic_ours(name, kwargs):
    a, b, p0, q0 = quadratic_problem()
    opt = (name if isinstance(name, type) else getattr(optim, name))(**make_kwargs(kwargs, optim))
    params = {"p": new(p0), "nested": [{"q": new(q0)}]}
    out = []
    for _ in range(STEPS):
        q = np.asarray(params["nested"][0]["q"])
        grads = {"p": new(a * (np.asarray(params["p"]) - b)), "nested": [{"q": new(q)}]}
        params = opt.apply_gradients(grads, params)
        out.append(np.concatenate([np.asarray(params["p"]).ravel(), np.asarray(params["nested"][0]["q"])]))
    return np.array(out)


def quadratic_mlx(name, kwargs):
    a, b, p0, q0 = (mx.array(v) for v in quadratic_problem())
    opt = getattr(moptim, name)(**make_kwargs(kwargs, moptim))
    params = {"p": p0, "nested": [{"q": q0}]}
    out = []
    for _ in range(STEPS):
        params = opt.apply_gradients({"p": a * (params["p"] - b), "nested": [{"q": params["nested"][0]["q"]}]}, params)
        mx.eval(params, opt.state)
        out.append(np.concatenate([np.asarray(params["p"]).ravel(), np.asarray(params["nested"][0]["q"])]))
    return np.array(out)


def quadratic_torch(spec):
    torch = pytest.importorskip("torch")
    name, kwargs = spec
    a, b, p0, q0 = (torch.tensor(v) for v in quadratic_problem())
    p, q = p0.clone().requires_grad_(True), q0.clone().requires_grad_(True)
    opt = getattr(torch.optim, name)([p, q], **kwargs)
    out = []
    for _ in range(STEPS):
        p.grad, q.grad = a * (p.detach() - b), q.detach().clone()
        opt.step()
        out.append(np.concatenate([p.detach().numpy().ravel(), q.detach().numpy()]))
    return np.array(out)


@pytest.mark.parametrize("case", list(CASES))
def test_trajectory_equals_mlx_with_the_same_gradients(case):
    name, kwargs, _ = CASES[case]
    ours, theirs = quadratic_ours(name, kwargs), quadratic_mlx(name, kwargs)
    assert np.abs(ours - theirs).max() <= 1e-7          # observed: 0 (bit-identical) without schedules
    assert np.abs(ours[-1] - ours[0]).max() > 1e-2      # and the parameters did move


@pytest.mark.parametrize("case", [c for c in CASES if CASES[c][2] is not None])
def test_trajectory_vs_pytorch(case):
    name, kwargs, spec = CASES[case]
    ours, torch_traj = quadratic_ours(name, kwargs), quadratic_torch(spec)
    if "bc" in case:
        # MLX's bias correction computes b2**t from b2 rounded to float32 while its moments use 1 - b2 = 0.001
        # (see test_bias_corrected_adam_gap_is_mlxs_float32_beta2): MLX itself differs from PyTorch by ~6e-6
        # here, and we differ exactly as much.
        mlx_vs_torch = np.abs(quadratic_mlx(name, kwargs) - torch_traj).max()
        assert np.abs(ours - torch_traj).max() == pytest.approx(mlx_vs_torch, abs=1e-7)
        assert mlx_vs_torch < 1e-5
    else:
        assert np.abs(ours - torch_traj).max() <= 1e-6


class _AdamSameBetas(optim.Adam):
    """Adam whose bias corrections ``1 - b**t`` are computed in float64 from the betas as given."""

    def apply_single(self, gradient, parameter, state):
        lr, (b1, b2), t = self._lr(gradient.dtype), self.betas, float(np.asarray(self.step))
        m = b1 * np.asarray(state["m"]) + (1 - b1) * gradient
        v = b2 * np.asarray(state["v"]) + (1 - b2) * np.square(gradient)
        state["m"], state["v"] = m, v
        c1 = (np.float64(lr) / (1 - b1 ** t)).astype(gradient.dtype)
        c2 = np.float64(1 / np.sqrt(1 - b2 ** t)).astype(gradient.dtype)
        return parameter - c1 * m / (np.sqrt(v) * c2 + self.eps)


def test_bias_corrected_adam_gap_is_mlxs_float32_beta2():
    """The cause of bias-corrected Adam's 6e-6 from PyTorch (docs/guide/mlx_nn.rst), shown piece by piece."""
    # 1. MLX's bias correction: b2 ** step with step a uint64 array is float32, so 1 - b2**1 is 1.29e-5 short
    step = mx.array(1, dtype=mx.uint64)
    corr = np.asarray(1 - 0.999 ** step)
    assert corr.dtype == np.float32 and corr / (1 - 0.999) - 1 == pytest.approx(-1.29e-5, abs=1e-7)
    # 2. ... while its moment update weighs g**2 by 1 - b2 computed in double: v after one step of g = 1 is 0.001
    opt = moptim.Adam(learning_rate=0.01, bias_correction=True)
    opt.apply_gradients({"p": mx.array([1.0])}, {"p": mx.array([0.0])})
    assert np.asarray(opt.state["p"]["v"])[0] == np.float32(0.001)
    # 3. the same step with both corrections from the same betas is within 1e-6 of PyTorch; MLX's formula is not
    name, kwargs, spec = CASES["adam_bc"]
    torch_traj = quadratic_torch(spec)
    same_betas = quadratic_ours(_AdamSameBetas, kwargs)
    assert np.abs(same_betas - torch_traj).max() <= 1e-6            # observed 2.4e-7
    assert np.abs(quadratic_ours(name, kwargs) - torch_traj).max() > 5e-6   # MLX's formula: 5.7e-6


# ---------------------------------------------------------------------------
# The MLP problem: each framework computes its own gradients
# ---------------------------------------------------------------------------
def mlp_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    ws = [rng.uniform(-0.5, 0.5, (16, 4)), rng.uniform(-0.5, 0.5, 16), rng.uniform(-0.25, 0.25, (3, 16)),
          rng.uniform(-0.25, 0.25, 3)]
    return x, y, [w.astype(np.float32) for w in ws]


def mlp_run(lib_nn, lib_opt, arr, name, kwargs, flatten):
    x, y, (w1, b1, w2, b2) = mlp_data()
    model = lib_nn.Sequential(lib_nn.Linear(4, 16), lib_nn.Tanh(), lib_nn.Linear(16, 3))
    model.update({"layers": [{"weight": arr(w1), "bias": arr(b1)}, {}, {"weight": arr(w2), "bias": arr(b2)}]})
    opt = getattr(lib_opt, name)(**make_kwargs(kwargs, lib_opt))
    xa, ya = arr(x), arr(y)
    step = lib_nn.value_and_grad(model, lambda: lib_nn.losses.cross_entropy(model(xa), ya, reduction="mean"))
    out = []
    for _ in range(STEPS):
        _, grads = step()
        opt.update(model, grads)
        out.append(np.concatenate([np.asarray(v).ravel() for _, v in flatten(model.parameters())]))
    return np.array(out)


@pytest.mark.parametrize("case", ["sgd_nesterov_wd", "adam", "adamw", "lion", "adam_join"])
def test_mlp_trajectory_close_to_mlx(case):
    from mlx.utils import tree_flatten as mlx_flatten
    name, kwargs, _ = CASES[case]
    ours = mlp_run(nn, optim, lambda v: new(v, np.asarray(v).dtype), name, kwargs, tree_flatten)
    theirs = mlp_run(mnn, moptim, mx.array, name, kwargs, mlx_flatten)
    # float32 rounding of the gradients (not the optimizers: see the quadratic tests) lets the trajectories drift:
    # observed up to 1.4e-5 (AdamW without bias correction, whose steps m/sqrt(v) amplify small differences)
    assert np.abs(ours - theirs).max() <= 3e-5


# ---------------------------------------------------------------------------
# API: state, init, learning rate, schedules, errors
# ---------------------------------------------------------------------------
def structure(tree):
    return [(k, tuple(np.shape(np.asarray(v)))) for k, v in tree_flatten(tree)]


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Lion"])
def test_state_tree_matches_mlx(name):
    from mlx.utils import tree_flatten as mlx_flatten
    params = {"a": np.ones((2, 3), np.float32), "b": [np.ones(2, np.float32), {"c": np.ones(1, np.float32)}]}
    ours = getattr(optim, name)(learning_rate=0.1, **({"momentum": 0.9} if name == "SGD" else {}))
    theirs = getattr(moptim, name)(learning_rate=0.1, **({"momentum": 0.9} if name == "SGD" else {}))
    ours.init({k: v for k, v in params.items()})
    theirs.init({"a": mx.array(params["a"]), "b": [mx.array(params["b"][0]), {"c": mx.array(params["b"][1]["c"])}]})
    assert structure(ours.state) == [(k, tuple(v.shape)) for k, v in mlx_flatten(theirs.state)]


def test_step_learning_rate_and_setter():
    opt = optim.Adam(learning_rate=optim.linear_schedule(0.0, 1.0, 10))
    assert int(opt.step) == 0 and float(opt.learning_rate) == 0.0
    for _ in range(3):
        opt.apply_gradients({"w": np.ones(2, np.float32)}, {"w": np.zeros(2, np.float32)})
    assert int(opt.step) == 3
    assert float(opt.learning_rate) == pytest.approx(0.2)   # scheduled at step 2, before the third update
    sgd = optim.SGD(learning_rate=0.1)
    sgd.learning_rate = 0.5
    out = sgd.apply_gradients({"w": np.ones(1, np.float32)}, {"w": np.zeros(1, np.float32)})
    assert float(out["w"][0]) == -0.5


def test_update_changes_the_model_and_keeps_frozen_parameters():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    model.layers[0].freeze()
    before = np.asarray(model.layers[0].weight).copy()
    x = np.ones((4, 2), np.float32)
    _, grads = nn.value_and_grad(model, lambda: model(x).sum())()
    assert grads["layers"][0] == {}
    w1 = np.asarray(model.layers[1].weight).copy()
    optim.SGD(learning_rate=0.1).update(model, grads)
    np.testing.assert_array_equal(np.asarray(model.layers[0].weight), before)
    assert not np.array_equal(np.asarray(model.layers[1].weight), w1)


@pytest.mark.parametrize("schedule,args", [("exponential_decay", (0.1, 0.97)), ("step_decay", (0.1, 0.5, 7)),
                                           ("cosine_decay", (0.1, 50, 0.001)), ("linear_schedule", (0.0, 0.1, 20))])
def test_schedules_match_mlx(schedule, args):
    ours, theirs = getattr(optim, schedule)(*args), getattr(moptim, schedule)(*args)
    for s in [0, 1, 5, 19, 20, 49, 50, 51, 120]:
        assert float(ours(s)) == pytest.approx(theirs(mx.array(s)).item(), rel=1e-6, abs=1e-9)


def test_join_schedules_matches_mlx():
    ours = optim.join_schedules([optim.linear_schedule(0.0, 0.1, 10), optim.cosine_decay(0.1, 40)], [10])
    theirs = moptim.join_schedules([moptim.linear_schedule(0.0, 0.1, 10), moptim.cosine_decay(0.1, 40)], [10])
    for s in [0, 5, 9, 10, 11, 30, 50, 80]:
        assert float(ours(s)) == pytest.approx(theirs(mx.array(s)).item(), rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("make", [
    lambda o: o.SGD(learning_rate=0.1, nesterov=True), lambda o: o.Adam(learning_rate=0.1, betas=[0.9, 1.0]),
    lambda o: o.AdamW(learning_rate=0.1, betas=[1.5, 0.9]), lambda o: o.RMSprop(learning_rate=0.1, eps=0.0),
    lambda o: o.RMSprop(learning_rate=0.1, alpha=-1.0), lambda o: o.Adagrad(learning_rate=0.1, eps=-1.0),
    lambda o: o.Lion(learning_rate=0.1, betas=[0.9, -0.1]), lambda o: o.step_decay(0.1, 0.9, 0),
    lambda o: o.cosine_decay(0.1, 0), lambda o: o.linear_schedule(0.1, 0.0, 0), lambda o: o.join_schedules([], []),
    lambda o: o.join_schedules([o.cosine_decay(0.1, 5)], [3]), lambda o: o.clip_grad_norm({}, -1.0),
])
def test_errors_match_mlx(make):
    with pytest.raises(ValueError) as ours:
        make(optim)
    with pytest.raises(ValueError) as theirs:
        make(moptim)
    assert str(ours.value) == str(theirs.value)


def test_clip_grad_norm_matches_mlx():
    grads = {"a": np.array([3.0, 4.0], np.float32), "b": [np.array([[12.0]], np.float32)]}
    ours, n1 = optim.clip_grad_norm(grads, 2.0)
    theirs, n2 = moptim.clip_grad_norm({"a": mx.array(grads["a"]), "b": [mx.array(grads["b"][0])]}, 2.0)
    assert float(n1) == pytest.approx(n2.item())
    np.testing.assert_allclose(np.asarray(ours["a"]), np.asarray(theirs["a"]), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(ours["b"][0]), np.asarray(theirs["b"][0]), rtol=1e-6)


def test_bad_arguments_are_type_errors():
    with pytest.raises(TypeError, match="learning_rate must be a number"):
        optim.SGD(learning_rate="fast")
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        optim.SGD(learning_rate=0.1).update({"w": 1}, {})
    with pytest.raises(ValueError, match="a gradient of shape"):
        optim.SGD(learning_rate=0.1).apply_gradients({"w": np.ones(2)}, {"w": np.ones(3)})
