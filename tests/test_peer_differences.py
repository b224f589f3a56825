"""Issue 15 §7: each documented difference from PyTorch (docs/guide/peers.rst), on both backends.

Our value is asserted on its own; where we match PyTorch the test also runs PyTorch (skipped without it).
"""

import math

import numpy as np
import pytest

import microgradx as mgx
from microgradx.nodes.scalar import Scalar as RefScalar


def torch_or_skip():
    return pytest.importorskip("torch", reason="PyTorch not installed: only our side is checked")


def _scalars():
    out = [RefScalar]
    try:
        from microgradx._ext.scalar import Scalar

        out.append(Scalar)
    except ImportError:
        pass
    return out


# --- std of equal values: gradient 0, as PyTorch ---------------------------------------------------------------
@pytest.mark.parametrize("ddof", [0, 1])
def test_std_of_equal_values_has_gradient_zero(ddof):
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    g = np.asarray(mgx.grad(lambda v: mgx.sum(mgx.std(v, axis=1, ddof=ddof)))(mgx.array(x)))
    assert np.all(g[0] == 0)
    leaf = mgx.Tensor(x)
    mgx.sum(mgx.std(leaf, axis=1, ddof=ddof)).backward()
    np.testing.assert_allclose(leaf.grad, g)
    _, (t,) = mgx.jvp(mgx.std, [mgx.array([3.0, 3.0])], [mgx.array([1.0, -2.0])])
    assert float(t) == 0.0
    assert math.isnan(float(mgx.std(mgx.array([math.nan, 1.0]))))  # nan data still gives nan
    torch = torch_or_skip()
    tx = torch.tensor(x, requires_grad=True)
    tx.std(dim=1, correction=ddof).sum().backward()
    np.testing.assert_allclose(tx.grad.numpy(), g, rtol=1e-12)


# --- d(0**y)/dy: 0 for y >= 0, -inf for y < 0, as PyTorch ------------------------------------------------------
@pytest.mark.parametrize("y, expected", [(-1.0, -math.inf), (-0.5, -math.inf), (0.0, 0.0), (2.0, 0.0),
                                         (0.5, 0.0)])
def test_d_zero_pow_y_dy(y, expected):
    assert float(mgx.grad(lambda e: mgx.array(0.0) ** e)(mgx.array(y))) == expected
    assert float(mgx.grad(lambda e: mgx.sum(mgx.array([0.0, 0.0]) ** e))(mgx.array(y))) == 2 * expected
    for S in _scalars():
        e = S(y)
        (0.0 ** e).backward()
        assert e.grad == expected
    torch = torch_or_skip()
    te = torch.tensor(y, dtype=torch.float64, requires_grad=True)
    (torch.tensor(0.0, dtype=torch.float64) ** te).backward()
    assert te.grad.item() == expected


# --- clip exactly at a bound: ties share (0.5), unlike PyTorch's 1 -----------------------------------------------
def test_clip_at_its_bound_shares_the_gradient():
    g = mgx.grad(lambda x: mgx.sum(mgx.clip(x, 0.0, 1.0)))(mgx.array([0.0, 1.0, 0.5, 2.0]))
    np.testing.assert_array_equal(np.asarray(g), [0.5, 0.5, 1.0, 0.0])
    torch = torch_or_skip()
    tx = torch.tensor(1.0, requires_grad=True)
    torch.clamp(tx, 0.0, 1.0).backward()
    assert tx.grad.item() == 1.0  # the documented difference


# --- abs'(nan) is nan (PyTorch 0) ---------------------------------------------------------------------------------
def test_abs_derivative_at_nan_is_nan():
    assert math.isnan(float(mgx.grad(mgx.abs)(mgx.array(math.nan))))
    for S in _scalars():
        x = S(math.nan)
        abs(x).backward()
        assert math.isnan(x.grad)
    torch = torch_or_skip()
    tx = torch.tensor(math.nan, requires_grad=True)
    torch.abs(tx).backward()
    assert tx.grad.item() == 0.0  # the documented difference


# --- (-inf) ** 0.5: one answer on every path, IEEE's inf -----------------------------------------------------------
@pytest.mark.parametrize("y, expected", [(0.5, math.inf), (1 / 3, math.inf), (2.0, math.inf), (3.0, -math.inf),
                                         (-0.5, 0.0)])
def test_pow_of_minus_inf_agrees_on_every_path(y, expected):
    results = [(mgx.array(-math.inf) ** y).item(), (mgx.array([-math.inf]) ** y).item(),
               (mgx.array([-math.inf]) ** mgx.array([y])).item(),
               float(mgx.power(mgx.array(np.float32(-math.inf)), y).item())]
    results += [(S(-math.inf) ** y).data for S in _scalars()]
    assert results == [expected] * len(results)
    assert math.pow(-math.inf, y) == expected  # IEEE pow, as C and Python compute it
