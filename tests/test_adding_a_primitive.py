"""Adding an elementwise primitive takes one rule entry (plus its public function and its tests).

The fixture declares a throwaway primitive, ``cube``, the way
``docs/architecture.rst`` ("Adding a primitive") says -- one ``elementwise``
entry in the rule table -- and a one-line public function like those of
:mod:`microgradx.ops`.  Nothing else is registered anywhere, and it works on
both Scalar classes, Tensors and Duals, in reverse and forward mode, to second
order, in ``check_grad`` and in the ``graph`` command.
"""

import numpy as np
import pytest

import microgradx as mgx
from microgradx.cli import graph as graph_command
from microgradx.core import rules as R
from microgradx.nodes.scalar import Scalar as ReferenceScalar
from microgradx.nodes.tensor import _call


@pytest.fixture
def cube():
    prim = R.elementwise("cube", lambda x: x * x * x, [lambda x, out: 3.0 * x * x], ["d(x³)/dx = 3x²"])

    def cube(a):  # its public function, as it would read in microgradx/ops.py
        return _call(prim, a)

    yield cube
    del R.table["cube"]


@pytest.mark.parametrize("S", [ReferenceScalar, mgx.Scalar], ids=["reference", "active"])
def test_scalar(cube, S):
    x = S(2.0)
    y = cube(x) + x
    assert type(y) is S and y.data == 10.0
    y.backward()
    assert x.grad == 13.0  # 3x² + 1


def test_tensor_and_dual(cube):
    t = mgx.Tensor([1.0, -2.0])
    cube(t).sum().backward()
    np.testing.assert_array_equal(t.grad, [3.0, 12.0])
    d = cube(mgx.Dual(2.0, 1.0))
    assert (d.primal, d.tangent) == (8.0, 12.0)


def test_both_modes_and_second_order(cube):
    assert mgx.grad(cube)(2.0) == 12.0
    assert float(mgx.jvp(cube, [2.0], [1.0])[1][0]) == 12.0
    assert mgx.grad(mgx.grad(cube))(2.0) == 12.0  # 6x
    assert float(mgx.jvp(mgx.grad(cube), [2.0], [1.0])[1][0]) == 12.0
    np.testing.assert_allclose(mgx.hessian(lambda v: mgx.sum(cube(v)))(mgx.array([1.0, 2.0])).tolist(),
                               [[6.0, 0.0], [0.0, 12.0]])
    mgx.check_grad(lambda v: mgx.sum(cube(v)), mgx.array([0.5, -1.5]), order=2)


def test_fast_rules_are_put_in_place_at_registration(cube):
    prim = R.table["cube"]
    assert prim.vjp is not prim.plain_vjp and prim.jvp is not prim.plain_jvp


def test_graph_command(cube, capsys):
    assert graph_command.main(["cube(x) + x", "--at", "x=2", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "d(x³)/dx = 3x²" in out
    assert "dout/dx = 13" in out
