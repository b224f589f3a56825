"""Scalar defects found by adversarial testing (issue 15), on both Scalar classes (fixture ``S``)."""

import copy
import math
import pickle

import numpy as np
import pytest

import microgradx as mgx

NAN = float("nan")


# -- max and min pass nan on, and send the gradient to the operand they picked -------------------
@pytest.mark.parametrize("fn, np_fn", [(mgx.maximum, np.maximum), (mgx.minimum, np.minimum)])
@pytest.mark.parametrize("x, y, dx, dy", [
    (1.0, NAN, 0.0, 1.0),   # y is picked: it is nan
    (NAN, 1.0, 1.0, 0.0),
    (NAN, NAN, 1.0, 0.0),   # both nan: x is picked, as numpy does
    (2.0, 2.0, 0.5, 0.5),   # a tie shares
])
def test_maximum_minimum_with_nan_match_numpy_and_the_rule_table(S, fn, np_fn, x, y, dx, dy):
    a, b = S(x), S(y)
    out = fn(a, b)
    assert math.isnan(out.data) == math.isnan(np_fn(x, y))
    if not math.isnan(out.data):
        assert out.data == np_fn(x, y)
    out.backward()
    assert (a.grad, b.grad) == (dx, dy)
    # the Tensor path (the rule table on arrays) agrees
    ta, tb = mgx.Tensor([x]), mgx.Tensor([y])
    mgx.sum(fn(ta, tb)).backward()
    assert (float(ta.grad[0]), float(tb.grad[0])) == (dx, dy)


@pytest.mark.parametrize("fn", [mgx.maximum, mgx.minimum])
def test_maximum_minimum_of_a_number_and_a_nan_scalar(S, fn):
    b = S(NAN)
    out = fn(0.0, b)
    assert math.isnan(out.data)
    out.backward()
    assert b.grad == 1.0
    c = S(1.0)
    out = fn(c, NAN)  # the constant nan is picked: nothing reaches c
    assert math.isnan(out.data)
    out.backward()
    assert c.grad == 0.0
