"""jacfwd/jacrev/hessian on trees (JAX's result structure, checked against torch.func) and jacobian(mode="auto")."""

import numpy as np
import pytest

import microgradx as mgx

RNG = np.random.default_rng(0)


def params():
    return {"w": RNG.standard_normal((3, 2)), "b": RNG.standard_normal(2)}


def f_ours(p, x):
    h = mgx.tanh(x @ p["w"] + p["b"])
    return {"out": h * 2.0, "total": [mgx.sum(h * h)]}


def f_torch(p, x):
    import torch
    h = torch.tanh(x @ p["w"] + p["b"])
    return {"out": h * 2.0, "total": [torch.sum(h * h)]}


def flat_pairs(tree, prefix=""):
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from flat_pairs(v, f"{prefix}{k}.")
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            yield from flat_pairs(v, f"{prefix}{i}.")
    else:
        yield prefix, tree


@pytest.mark.parametrize("mode", ["jacrev", "jacfwd"])
@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_tree_jacobian_matches_torch_func(mode, argnums):
    torch = pytest.importorskip("torch")
    p, x = params(), RNG.standard_normal(3)
    ours = getattr(mgx, mode)(f_ours, argnums=argnums)(p, x)
    tp = {k: torch.tensor(v) for k, v in p.items()}
    theirs = getattr(torch.func, mode)(f_torch, argnums=argnums)(tp, torch.tensor(x))
    ours_flat, theirs_flat = list(flat_pairs(ours)), list(flat_pairs(theirs))
    assert [k for k, _ in ours_flat] == [k for k, _ in theirs_flat]
    for (k, a), (_, b) in zip(ours_flat, theirs_flat):
        np.testing.assert_allclose(np.asarray(a), b.detach().numpy(), rtol=1e-12, atol=1e-14, err_msg=k)


def test_tree_hessian_matches_torch_func():
    torch = pytest.importorskip("torch")
    p = params()
    ours = mgx.hessian(lambda q: mgx.sum(mgx.tanh(q["w"]) * q["b"]))(p)
    theirs = torch.func.hessian(lambda q: torch.sum(torch.tanh(q["w"]) * q["b"]))(
        {k: torch.tensor(v) for k, v in p.items()})
    for (k, a), (_, b) in zip(flat_pairs(ours), flat_pairs(theirs)):
        np.testing.assert_allclose(np.asarray(a), b.numpy(), rtol=1e-12, atol=1e-14, err_msg=k)


def test_arrays_keep_the_array_layout():
    x = RNG.standard_normal((2, 3))
    J = mgx.jacrev(lambda v: mgx.sin(v))(x)
    assert J.shape == (2, 3, 2, 3)
    np.testing.assert_allclose(np.asarray(J).reshape(6, 6), np.diag(np.cos(x).ravel()))


def test_jacobian_auto_picks_by_size_and_explains():
    wide = lambda x: mgx.sum(x * x)                       # 100 inputs, 1 output: reverse
    tall = lambda x: mgx.concatenate([x * k for k in range(1, 51)])   # 2 inputs, 100 outputs: forward
    J, report = mgx.jacobian(wide, explain=True)(np.ones(100))
    assert report.mode == "reverse" and report.forward_sweeps == 100 and report.reverse_sweeps == 1
    assert report.saved_values >= 1 and report.saved_bytes >= 800
    np.testing.assert_allclose(np.asarray(J), 2 * np.ones(100))
    J, report = mgx.jacobian(tall, explain=True)(np.ones(2))
    assert report.mode == "forward" and (report.inputs, report.outputs) == (2, 100)
    np.testing.assert_allclose(np.asarray(J), np.asarray(mgx.jacrev(tall)(np.ones(2))))
    assert "chosen: forward" in repr(report)
    J_rev = mgx.jacobian(tall, mode="reverse")(np.ones(2))
    np.testing.assert_allclose(np.asarray(J_rev), np.asarray(J))
    with pytest.raises(ValueError, match="mode must be"):
        mgx.jacobian(tall, mode="sideways")
