"""Optimizer trajectories: microgradx.mlx.optimizers vs MLX 0.32 and PyTorch on the same problem.

The problem: a float32 MLP (4 -> 16 tanh -> 3) with softmax cross-entropy on 32 fixed examples, the same
initial weights in every framework; each framework computes its own gradients.  After every step the
parameters are compared; the table gives the largest absolute difference over all parameters and all
``STEPS`` steps.  Run: ``python bench/bench_optimizers.py`` (prints Markdown tables).

The last table says where bias-corrected Adam's distance to PyTorch comes from: every trajectory is also
compared with an exact one (the same formulas in float64 with the exact betas), and with a variant of
our Adam -- defined here, not in the library -- whose bias corrections use the betas the moments use.
"""

from __future__ import annotations

import numpy as np

import microgradx.mlx.nn as nn
import microgradx.mlx.optimizers as optim
from microgradx.mlx.nn._array import new
from microgradx.tree import tree_flatten

STEPS = 100

# (name, our/MLX constructor kwargs, PyTorch class name and kwargs or None)
CASES = [
    ("SGD", "SGD", dict(learning_rate=0.1), ("SGD", dict(lr=0.1))),
    ("SGD momentum+nesterov", "SGD", dict(learning_rate=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
     ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3))),
    ("SGD momentum+dampening", "SGD", dict(learning_rate=0.05, momentum=0.9, dampening=0.1), None),
    ("RMSprop", "RMSprop", dict(learning_rate=0.003), ("RMSprop", dict(lr=0.003, alpha=0.99, eps=1e-8))),
    ("Adagrad", "Adagrad", dict(learning_rate=0.05), ("Adagrad", dict(lr=0.05, eps=1e-8))),
    ("Adam", "Adam", dict(learning_rate=0.01), None),
    ("Adam bias_correction", "Adam", dict(learning_rate=0.01, bias_correction=True),
     ("Adam", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8))),
    ("AdamW bias_correction", "AdamW", dict(learning_rate=0.01, weight_decay=0.05, bias_correction=True),
     ("AdamW", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05))),
    ("AdamW", "AdamW", dict(learning_rate=0.01), None),
    ("Lion", "Lion", dict(learning_rate=0.003, weight_decay=0.01), None),
    ("SGD + cosine_decay", "SGD", dict(learning_rate=("cosine_decay", (0.2, 100))), None),
    ("Adam + warmup, cosine", "Adam", dict(learning_rate=("join", None)), None),
]


def data(dtype=np.float32):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype(np.float32)
    y = rng.integers(0, 3, 32)
    w1 = rng.uniform(-0.5, 0.5, (16, 4)).astype(np.float32)
    b1 = rng.uniform(-0.5, 0.5, 16).astype(np.float32)
    w2 = rng.uniform(-0.25, 0.25, (3, 16)).astype(np.float32)
    b2 = rng.uniform(-0.25, 0.25, 3).astype(np.float32)
    return x.astype(dtype), y, [w.astype(dtype) for w in (w1, b1, w2, b2)]


def schedule(spec, lib):
    if not isinstance(spec, tuple):
        return spec
    name, args = spec
    if name == "join":
        return lib.join_schedules([lib.linear_schedule(0.0, 0.01, 10), lib.cosine_decay(0.01, 90)], [10])
    return getattr(lib, name)(*args)


def kwargs_for(kwargs, lib):
    return {k: schedule(v, lib) for k, v in kwargs.items()}


class OurMLP(nn.Module):
    def __init__(self, weights):
        super().__init__()
        self.layers = [nn.Linear(4, 16), nn.Linear(16, 3)]
        w1, b1, w2, b2 = weights
        self.update({"layers": [{"weight": new(w1, w1.dtype), "bias": new(b1, b1.dtype)},
                                {"weight": new(w2, w2.dtype), "bias": new(b2, b2.dtype)}]})

    def __call__(self, x):
        return self.layers[1](nn.tanh(self.layers[0](x)))


def optimizer_class(opt_name):
    """Our optimizer by name, or the bench's own variant class when given one."""
    return opt_name if isinstance(opt_name, type) else getattr(optim, opt_name)


def ours(opt_name, kwargs, steps=STEPS, dtype=np.float32):
    x, y, weights = data(dtype)
    model = OurMLP(weights)
    opt = optimizer_class(opt_name)(**kwargs_for(kwargs, optim))
    loss_and_grad = nn.value_and_grad(model, lambda: nn.losses.cross_entropy(model(x), y, reduction="mean"))
    out = []
    for _ in range(steps):
        _, grads = loss_and_grad()
        opt.update(model, grads)
        out.append(np.concatenate([np.asarray(v).ravel() for _, v in tree_flatten(model.parameters())]))
    return np.array(out)


def theirs_mlx(opt_name, kwargs, steps=STEPS, dtype=np.float32):
    import mlx.core as mx
    import mlx.nn as mnn
    import mlx.optimizers as moptim
    from mlx.utils import tree_flatten as mlx_flatten

    x, y, (w1, b1, w2, b2) = data(dtype)

    class MLP(mnn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [mnn.Linear(4, 16), mnn.Linear(16, 3)]

        def __call__(self, x):
            return self.layers[1](mx.tanh(self.layers[0](x)))

    model = MLP()
    mdt = getattr(mx, np.dtype(dtype).name)
    model.update({"layers": [{"weight": mx.array(w1, mdt), "bias": mx.array(b1, mdt)},
                             {"weight": mx.array(w2, mdt), "bias": mx.array(b2, mdt)}]})
    opt = getattr(moptim, opt_name)(**kwargs_for(kwargs, moptim))
    xm, ym = mx.array(x, mdt), mx.array(y)
    loss_and_grad = mnn.value_and_grad(model, lambda: mnn.losses.cross_entropy(model(xm), ym, reduction="mean"))
    out = []
    for _ in range(steps):
        _, grads = loss_and_grad()
        opt.update(model, grads)
        mx.eval(model.parameters(), opt.state)
        out.append(np.concatenate([np.asarray(v).ravel() for _, v in mlx_flatten(model.parameters())]))
    return np.array(out)


def theirs_torch(torch_spec, steps=STEPS, dtype=np.float32):
    import torch

    name, kwargs = torch_spec
    x, y, weights = data(dtype)
    params = [torch.tensor(w, requires_grad=True) for w in weights]
    opt = getattr(torch.optim, name)(params, **kwargs)
    xt, yt = torch.tensor(x), torch.tensor(y)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        w1, b1, w2, b2 = params
        logits = torch.tanh(xt @ w1.T + b1) @ w2.T + b2
        torch.nn.functional.cross_entropy(logits, yt).backward()
        opt.step()
        out.append(np.concatenate([p.detach().numpy().ravel() for p in params]))
    return np.array(out)


def quadratic(framework, opt_name, kwargs, steps=STEPS, torch_spec=None):
    """``f(p) = sum(a * (p - b)**2) / 2`` with ``g = a * (p - b)`` written out (two exactly rounded float32
    operations), so every framework feeds its optimizer bit-identical gradients: only the optimizers differ."""
    rng = np.random.default_rng(1)
    a = rng.uniform(0.5, 2.0, (6, 5)).astype(np.float32)
    b = rng.standard_normal((6, 5)).astype(np.float32)
    p0 = rng.standard_normal((6, 5)).astype(np.float32)
    out = []
    if framework == "ours":
        opt = optimizer_class(opt_name)(**kwargs_for(kwargs, optim))
        params = {"p": new(p0)}
        for _ in range(steps):
            g = a * (np.asarray(params["p"]) - b)
            params = opt.apply_gradients({"p": new(g)}, params)
            out.append(np.asarray(params["p"]).ravel())
    elif framework == "mlx":
        import mlx.core as mx
        import mlx.optimizers as moptim
        opt = getattr(moptim, opt_name)(**kwargs_for(kwargs, moptim))
        params = {"p": mx.array(p0)}
        am, bm = mx.array(a), mx.array(b)
        for _ in range(steps):
            params = opt.apply_gradients({"p": am * (params["p"] - bm)}, params)
            mx.eval(params, opt.state)
            out.append(np.asarray(params["p"]).ravel())
    else:
        import torch
        name, tkwargs = torch_spec
        p = torch.tensor(p0, requires_grad=True)
        opt = getattr(torch.optim, name)([p], **tkwargs)
        at, bt = torch.tensor(a), torch.tensor(b)
        for _ in range(steps):
            p.grad = (at * (p.detach() - bt))
            opt.step()
            out.append(p.detach().numpy().ravel().copy())
    return np.array(out)


class _SameBetas:
    """Adam's step with the bias corrections ``1 - b**t`` computed in float64 from the betas as given.

    MLX (and so ``optim.Adam``) computes ``b2**t`` in float32, from ``b2`` rounded to float32
    (0.999 -> 0.99900001287), while its moment update uses ``1 - b2`` computed in double (0.001): the
    two disagree by 1.3e-5 relative in ``1 - b2**t``.  This variant removes only that disagreement.
    """

    def apply_single(self, gradient, parameter, state):
        if isinstance(self, optim.AdamW):
            parameter = parameter * (1 - self._lr(gradient.dtype) * self.weight_decay)
        lr = self._lr(gradient.dtype)
        b1, b2 = self.betas
        m = b1 * np.asarray(state["m"]) + (1 - b1) * gradient
        v = b2 * np.asarray(state["v"]) + (1 - b2) * np.square(gradient)
        state["m"], state["v"] = m, v
        t = float(np.asarray(self.step))
        c1 = (np.float64(lr) / (1 - b1 ** t)).astype(gradient.dtype)
        c2 = np.float64(1 / np.sqrt(1 - b2 ** t)).astype(gradient.dtype)
        return parameter - c1 * m / (np.sqrt(v) * c2 + self.eps)


class AdamSameBetas(_SameBetas, optim.Adam):
    pass


class AdamWSameBetas(_SameBetas, optim.AdamW):
    pass


def exact_quadratic(kwargs, steps=STEPS):
    """The quadratic's Adam/AdamW trajectory in float64 from the same float32 start, exact betas and learning rate."""
    rng = np.random.default_rng(1)
    a, b, p = (np.float64(rng.uniform(0.5, 2.0, (6, 5)).astype(np.float32)),
               np.float64(rng.standard_normal((6, 5)).astype(np.float32)),
               np.float64(rng.standard_normal((6, 5)).astype(np.float32)))
    lr, wd, (b1, b2), eps = kwargs["learning_rate"], kwargs.get("weight_decay", 0.0), (0.9, 0.999), 1e-8
    m, v, out = np.zeros_like(p), np.zeros_like(p), []
    for t in range(1, steps + 1):
        g = a * (p - b)
        p = p * (1 - lr * wd)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        p = p - lr / (1 - b1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps)
        out.append(p.ravel())
    return np.array(out)


ADAM_GAP = [("Adam bias_correction", "Adam", AdamSameBetas, dict(learning_rate=0.01, bias_correction=True),
             ("Adam", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8))),
            ("AdamW bias_correction", "AdamW", AdamWSameBetas,
             dict(learning_rate=0.01, weight_decay=0.05, bias_correction=True),
             ("AdamW", dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)))]


def adam_gap():
    """Largest differences for bias-corrected Adam/AdamW: each trajectory vs PyTorch and vs the exact one."""
    print(f"Where bias-corrected Adam's gap to PyTorch comes from ({STEPS} steps; quadratic: same float32 "
          "gradients; MLP: each its own gradients)")
    print()
    print("| optimizer | trajectory | quadratic f32: vs PyTorch | quadratic f32: vs exact float64 "
          "| MLP f32: vs PyTorch | MLP f64: vs PyTorch |")
    print("|---|---|---|---|---|---|")
    for label, name, variant, kwargs, torch_spec in ADAM_GAP:
        t32 = quadratic("torch", name, kwargs, torch_spec=torch_spec)
        exact = exact_quadratic(kwargs)
        mlp = {dt: theirs_torch(torch_spec, dtype=dt) for dt in (np.float32, np.float64)}
        rows = [("PyTorch", t32, None), ("MLX", quadratic("mlx", name, kwargs), (theirs_mlx, name)),
                ("microgradx (MLX's formula)", quadratic("ours", name, kwargs), (ours, name)),
                ("variant: bias corrections from the same betas", quadratic("ours", variant, kwargs),
                 (ours, variant))]
        for who, traj, run in rows:
            cells = [f"{np.abs(traj - t32).max():.1e}" if who != "PyTorch" else "—",
                     f"{np.abs(traj - exact).max():.1e}"]
            for dt in (np.float32, np.float64):
                cells.append(f"{np.abs(run[0](run[1], kwargs, dtype=dt) - mlp[dt]).max():.1e}" if run else "—")
            print(f"| {label} | {who} | {' | '.join(cells)} |")


def main():
    print(f"Largest absolute parameter difference over {STEPS} steps (each framework computes its own gradients)")
    print()
    print("| optimizer | vs MLX, float32 | vs MLX, float64 | vs PyTorch, float32 | vs PyTorch, float64 "
          "| largest parameter change |")
    print("|---|---|---|---|---|---|")
    start = np.concatenate([w.ravel() for w in data()[2]])
    for label, name, kwargs, torch_spec in CASES:
        cells = []
        for dtype in (np.float32, np.float64):
            a = ours(name, kwargs, dtype=dtype)
            cells.append(f"{np.abs(a - theirs_mlx(name, kwargs, dtype=dtype)).max():.1e}")
        for dtype in (np.float32, np.float64):
            a = ours(name, kwargs, dtype=dtype)
            cells.append(f"{np.abs(a - theirs_torch(torch_spec, dtype=dtype)).max():.1e}" if torch_spec else "—")
        print(f"| {label} | {' | '.join(cells)} | {np.abs(a[-1] - start).max():.2f} |")
    print()
    print(f"Same gradients in every framework (a quadratic, float32): largest difference over {STEPS} steps")
    print()
    print("| optimizer | vs MLX | vs PyTorch | MLX itself vs PyTorch |")
    print("|---|---|---|---|")
    for label, name, kwargs, torch_spec in CASES:
        a = quadratic("ours", name, kwargs)
        vs_mlx = np.abs(a - quadratic("mlx", name, kwargs)).max()
        if torch_spec:
            t = quadratic("torch", name, kwargs, torch_spec=torch_spec)
            vs_torch = f"{np.abs(a - t).max():.1e}"
            mlx_vs_torch = f"{np.abs(quadratic('mlx', name, kwargs) - t).max():.1e}"
        else:
            vs_torch = mlx_vs_torch = "—"
        print(f"| {label} | {vs_mlx:.1e} | {vs_torch} | {mlx_vs_torch} |")
    print()
    adam_gap()


if __name__ == "__main__":
    main()
