"""check_grad: finite-difference checks that find a wrong rule and say where it is."""

from __future__ import annotations

import numpy as np
import pytest

import microgradx as mgx
from microgradx.check import GradCheckError
from microgradx.core import rules as R


def test_correct_functions_pass_in_both_modes_to_third_order():
    x = np.array([0.3, -0.8, 1.1])
    for f in (lambda x: mgx.sum(mgx.tanh(x) * mgx.exp(x)),
              lambda x: mgx.softmax(x, axis=0) * x,  # a vector output: checked through random weights
              lambda x: mgx.logsumexp(mgx.sin(x) ** 2) / mgx.sqrt(1.0 + x * x)):
        report = mgx.check_grad(f, x, order=3)
        assert report.ok and len(report.checks) == 6
        assert {(c.mode, c.order) for c in report.checks} == {(m, k) for m in ("fwd", "rev") for k in (1, 2, 3)}


def test_several_arguments_and_non_array_arguments():
    f = lambda w, x, label: mgx.sum((mgx.matmul(x, w) - label[1]) ** 2)  # noqa: E731
    w, x = np.ones((3, 2)) * 0.1, np.arange(6.0).reshape(2, 3) / 6
    report = mgx.check_grad(f, w, x, ("target", 0.5))
    assert report.ok and {c.argument for c in report.checks} == {"argument 0 (w)", "argument 1 (x)"}
    only_x = mgx.check_grad(f, w, x, ("target", 0.5), argnums=[1], modes=("rev",), order=1)
    assert [c.argument for c in only_x.checks] == ["argument 1 (x)"]


def _scaled(rule, which, factor):
    """A copy of a vjp/jvp rule that gets one input's contribution wrong by ``factor``."""

    def wrong_vjp(g, out, inputs, params, needs):
        cts = list(rule(g, out, inputs, params, needs))
        if cts[which] is not None:
            cts[which] = cts[which] * factor
        return cts

    return wrong_vjp


def test_wrong_first_derivative_names_the_argument_and_mode(monkeypatch):
    # break d(x·y)/dy in reverse mode only
    monkeypatch.setattr(R.MUL, "vjp", _scaled(R.MUL.vjp, 1, 2.0))
    with pytest.raises(GradCheckError) as info:
        mgx.check_grad(lambda x, y: mgx.sum(x * y), np.array([1.0, 2.0]), np.array([0.5, -1.5]), order=1)
    report = info.value.report
    assert isinstance(info.value, AssertionError)
    wrong = [(c.argument, c.mode, c.order) for c in report.failures]
    assert wrong == [("argument 1 (y)", "rev", 1)]
    assert "argument 1 (y), reverse mode, order 1" in str(info.value)
    assert "first derivative rule" in str(info.value)


def test_wrong_forward_rule_found_only_in_forward_mode(monkeypatch):
    true_jvp = R.EXP.jvp
    half = lambda tangents, out, inputs, params: 0.5 * true_jvp(tangents, out, inputs, params)  # noqa: E731
    monkeypatch.setattr(R.EXP, "jvp", half)
    report = mgx.check_grad(mgx.exp, np.array([0.1, 0.2]), order=1, raise_on_failure=False)
    assert not report.ok
    assert {(c.mode, c.ok) for c in report.checks} == {("fwd", False), ("rev", True)}


def test_wrong_rule_seen_only_at_second_order(monkeypatch):
    # sin's first derivative (cos x) is right; cos's own derivative rule is broken,
    # so only the second derivative of sin, in reverse mode, is wrong
    monkeypatch.setattr(R.COS, "vjp", _scaled(R.COS.vjp, 0, -1.0))
    report = mgx.check_grad(mgx.sin, 0.4, order=2, raise_on_failure=False)
    failures = [(c.mode, c.order) for c in report.failures]
    assert failures == [("rev", 2)]
    text = str(report)
    assert "order 2 -- orders below 2 agree" in text and "WRONG" in text


def test_kinks_are_the_users_choice_and_stop_gradient_is_caught():
    with pytest.raises(GradCheckError):
        mgx.check_grad(lambda x: mgx.stop_gradient(x) * x, 1.5, modes=("fwd",), order=1)


def test_report_prints_a_table():
    report = mgx.check_grad(lambda x: x**3, 2.0, order=2)
    lines = str(report).splitlines()
    assert lines[0] == "check_grad: 4 checks, all agree with finite differences"
    assert "autodiff" in lines[1] and "finite diff" in lines[1]
    assert len(lines) == 2 + 4 and all(line.endswith("ok") for line in lines[2:])
    assert report.checks[0].difference < 1e-6


def test_bad_arguments():
    with pytest.raises(TypeError, match="callable"):
        mgx.check_grad(3, 1.0)
    with pytest.raises(ValueError, match="modes"):
        mgx.check_grad(mgx.sin, 1.0, modes=("sideways",))
    with pytest.raises(ValueError, match="order"):
        mgx.check_grad(mgx.sin, 1.0, order=0)
    with pytest.raises(ValueError, match="no argument to check"):
        mgx.check_grad(lambda s: mgx.array(1.0), "text")
    with pytest.raises(ValueError, match="argnums has 3"):
        mgx.check_grad(mgx.sin, 1.0, argnums=[3])
