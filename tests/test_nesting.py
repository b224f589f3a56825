"""Levels: nested reverse and forward derivatives never mix their perturbations."""

import numpy as np
import pytest

import microgradx as mgx
from microgradx.core.engine import backward_sweep
from microgradx.core.state import eager_enabled, is_active, no_grad, transform_level
from microgradx.nodes.dual import Dual
from microgradx.nodes.tensor import Tensor


def _grad(f):
    """A bare reverse-mode derivative of a one-argument function (no MLX argument rules)."""

    def df(x):
        with transform_level() as level:
            leaf = Tensor._leaf(x, level)
            out = f(leaf)
        if isinstance(out, Tensor) and out._level == level:
            backward_sweep(out, np.ones(np.shape(np.asarray(out))), False)
        ct, leaf._cot = leaf._cot, None
        return 0.0 if ct is None else ct

    return df


def _jvp(f, x, t):
    with transform_level() as level:
        out = f(Dual._make(x, t, level))
    return out.tangent if isinstance(out, Dual) and out._level == level else 0.0


def _val(v):
    return float(np.asarray(v))


def test_levels_nest_and_close():
    assert eager_enabled()
    with transform_level() as outer:
        assert not eager_enabled()
        with transform_level() as inner:
            assert inner > outer and is_active(inner) and is_active(outer)
        assert not is_active(inner)
    assert eager_enabled() and not is_active(outer)


def test_no_grad_stops_eager_recording():
    x = mgx.Tensor([1.0, 2.0])
    with no_grad():
        y = x * x
    assert y._parents == ()


@pytest.mark.parametrize("x", [0.5, -1.25, 2.0])
def test_higher_order_of_cube(x):
    f = lambda v: v**3
    assert _val(_grad(f)(np.array(x))) == pytest.approx(3 * x * x)
    assert _val(_grad(_grad(f))(np.array(x))) == pytest.approx(6 * x)
    assert _val(_grad(_grad(_grad(f)))(np.array(x))) == pytest.approx(6.0)
    assert _val(_jvp(_grad(f), np.array(x), np.array(1.0))) == pytest.approx(6 * x)
    assert _val(_grad(lambda y: _jvp(f, y, np.array(1.0)))(np.array(x))) == pytest.approx(6 * x)


def test_perturbation_confusion_reverse_forward_and_mixed():
    # d/dx [x * d/dy (x + y)] at x = 1 is 1; confusing the two perturbations gives 2.
    one = np.array(1.0)
    assert _val(_grad(lambda x: x * _grad(lambda y: x + y)(one))(one)) == 1.0
    assert _val(_jvp(lambda x: x * _jvp(lambda y: x + y, one, one), one, one)) == 1.0
    assert _val(_jvp(lambda x: x * _grad(lambda y: x + y)(one), one, one)) == 1.0
    assert _val(_grad(lambda x: x * _jvp(lambda y: x + y, one, one))(one)) == 1.0


def test_hand_made_duals_share_one_epsilon():
    x, y = Dual(3.0, 1.0), Dual(2.0, 0.0)
    z = x * y
    assert (z.primal, z.tangent) == (6.0, 2.0)


def test_dual_over_eager_tensor_records_on_the_eager_graph():
    w = mgx.Tensor(2.0)
    d = Dual(w, 1.0) ** 2  # tangent 2w is an eager Tensor
    d.tangent.backward()
    assert float(w.grad) == 2.0


def test_hand_made_dual_inside_a_transform_keeps_its_own_epsilon():
    # issue 15 §4: (c * x).tangent is c's ε-part (x), not the transform's
    c = Dual(3.0, 1.0)

    def f(x):
        return mgx.array(0.0) + (c * x).tangent

    outs, tans = mgx.jvp(f, [2.0], [1.0])
    assert [float(o) for o in outs + tans] == [2.0, 1.0]
    assert float(mgx.grad(f)(2.0)) == 1.0
    assert float(mgx.grad(lambda x: mgx.array(0.0) + (c * x).tangent * x)(2.0)) == 4.0  # x² -> 2x
    assert float(mgx.grad(mgx.grad(lambda x: (c * x**3).tangent))(2.0)) == 12.0  # x³ -> 6x
    d = c * c  # made outside, used inside: the same ε (d = 9 + 6ε)
    outs, tans = mgx.jvp(lambda x: (d * x).tangent + 0 * x, [2.0], [1.0])
    assert [float(o) for o in outs + tans] == [12.0, 6.0]
    # a Dual made inside from the transform's own value
    assert float(mgx.grad(lambda x: (Dual(x, 1.0) ** 2).tangent)(3.0)) == 2.0


def test_hand_made_duals_in_and_out_of_a_transform_read_as_p_plus_t_epsilon():
    e = Dual(3.0, 1.0)
    g = mgx.grad(lambda x: e * x)(Dual(2.0, 1.0))  # d(e·x)/dx = e
    assert (g.primal, g.tangent) == (3.0, 1.0)
    (o,), (t,) = mgx.jvp(lambda x: e * x, [Dual(2.0, 1.0)], [1.0])
    assert (float(o.primal), float(o.tangent), t.primal, t.tangent) == (6.0, 5.0, 3.0, 1.0)
    g = mgx.grad(lambda x: x**3)(Dual(2.0, 1.0))  # 3x² at 2 + ε: 12 + 12ε (Hessian-vector product)
    assert (g.primal, g.tangent) == (12.0, 12.0)
    value, g = mgx.value_and_grad(lambda x: mgx.sum(e * x * x))(mgx.array([1.0, 2.0]))
    assert (float(value.primal), float(value.tangent)) == (15.0, 5.0)
    assert np.asarray(g.primal).tolist() == [6.0, 12.0] and np.asarray(g.tangent).tolist() == [2.0, 4.0]
