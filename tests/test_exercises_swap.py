"""swap_rule: a student's rule is what the engine runs, on every path and both Scalar classes, and only in the block."""

import threading

import numpy as np
import pytest

import microgradx as mgx
from microgradx.core import rules
from microgradx.exercises import swap_rule


def swapped_mul(g, out, x, y):  # the partials exchanged: a wrong rule that is easy to see
    return g * x, g * y


def test_scalar_backward_uses_the_swapped_rule_on_both_classes(S):
    a, b = S(2.0), S(5.0)
    with swap_rule("mul", vjp=swapped_mul):
        (a * b).backward()
        (3.0 * a).backward()  # a constant operand: reflected operator, C fast path skipped too
    assert (a.grad, b.grad) == (2.0 + 2.0, 5.0)
    a.grad = b.grad = 0.0
    (a * b).backward()  # restored on exit
    assert (a.grad, b.grad) == (5.0, 2.0)


def test_unary_method_and_partials(S):
    x = S(0.3)
    with swap_rule("tanh", partials=[lambda x, out: 7.0]):
        x.tanh().backward()
    assert x.grad == 7.0
    x.grad = 0.0
    x.tanh().backward()
    assert x.grad == pytest.approx(1 - np.tanh(0.3) ** 2)


def test_the_compiled_scalar_leaves_its_c_formula_for_a_swapped_op():
    compiled = pytest.importorskip("microgradx._ext.scalar", reason="compiled extension not built")
    a = compiled.Scalar(2.0)
    with swap_rule("exp", partials=[lambda x, out: 100.0]):
        y = a.exp()
        assert y._op == "exp" and y._prim is not rules.EXP  # recorded through the table path
        y.backward()
    assert a.grad == 100.0
    assert a.exp()._prim is rules.EXP  # back on the C op


def test_grad_jvp_and_check_grad_run_on_the_swapped_rule():
    f = lambda x: mgx.sum(mgx.sin(x))  # noqa: E731
    x = mgx.array([0.1, 0.2])
    with swap_rule("sin", partials=[lambda x, out: 2.0 * mgx.cos(x)]):
        assert np.allclose(mgx.grad(f)(x).numpy(), 2 * np.cos([0.1, 0.2]))
        assert np.allclose(mgx.jvp(f, [x], [mgx.ones(2)])[1][0].item(), 2 * np.cos([0.1, 0.2]).sum())
        assert not mgx.check_grad(f, x, raise_on_failure=False).ok
    assert mgx.check_grad(f, x, raise_on_failure=False).ok


def test_vjp_only_keeps_the_tables_forward_mode():
    x = mgx.array([1.0, 2.0])
    f = lambda x: mgx.sum(x * x)  # noqa: E731
    with swap_rule("mul", vjp=swapped_mul):
        assert np.allclose(mgx.jvp(f, [x], [mgx.ones(2)])[1][0].item(), 6.0)


def test_pictures_and_narrator_show_the_swapped_rule():
    a, b = mgx.Scalar(2.0, label="a"), mgx.Scalar(5.0, label="b")
    with swap_rule("mul", vjp=swapped_mul):
        c = a * b
        c.backward()
        svg = mgx.viz.draw(c, engine="builtin")._repr_svg_()
    assert "2" in svg and a.grad == 2.0


def test_restored_after_an_error_in_the_block():
    with pytest.raises(ZeroDivisionError):
        with swap_rule("mul", vjp=swapped_mul):
            raise ZeroDivisionError("a mistake in the student's cell")
    a, b = mgx.Scalar(2.0), mgx.Scalar(5.0)
    (a * b).backward()
    assert a.grad == 5.0


def test_other_threads_keep_the_tables_rule(S):
    entered, done = threading.Event(), threading.Event()
    seen = {}

    def other():
        entered.wait()
        a, b = S(2.0), S(5.0)
        (a * b).backward()
        seen["a"] = a.grad
        done.set()

    t = threading.Thread(target=other)
    t.start()
    with swap_rule("mul", vjp=swapped_mul):
        entered.set()
        done.wait(30)
        a, b = S(2.0), S(5.0)
        (a * b).backward()
        assert a.grad == 2.0
    t.join()
    assert seen["a"] == 5.0


def test_nested_swaps_restore_in_order():
    x = mgx.Scalar(1.0)
    with swap_rule("exp", partials=[lambda x, out: 1.0]):
        with swap_rule("exp", partials=[lambda x, out: 2.0]):
            x.exp().backward()
            assert x.grad == 2.0
        x.exp().backward()
        assert x.grad == 3.0


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="name"):
        with swap_rule("nosuch", vjp=swapped_mul):
            pass
    with pytest.raises(TypeError, match="name"):
        with swap_rule(3, vjp=swapped_mul):
            pass
    with pytest.raises(ValueError, match="partials"):
        with swap_rule("sum", partials=[lambda x, out: 1.0]):
            pass
    with pytest.raises(ValueError, match="partials"):
        with swap_rule("mul", partials=[lambda x, y, out: 1.0]):
            pass
    with pytest.raises(TypeError, match="vjp"):
        with swap_rule("mul", vjp=3):
            pass
