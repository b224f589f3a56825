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


# -- data and grad take real numbers only, with the attribute named ----------------------------------
@pytest.mark.parametrize("attr", ["data", "grad"])
@pytest.mark.parametrize("value, error, words", [
    ("1", TypeError, "must be a real number"),
    (None, TypeError, "must be a real number"),
    (True, TypeError, "must be a real number"),
    (10**400, OverflowError, "too large for a float"),
])
def test_data_and_grad_refuse_what_is_not_a_float(S, attr, value, error, words):
    s = S(1.0)
    with pytest.raises(error, match=f"^{attr} .*{words}"):
        setattr(s, attr, value)
    assert getattr(s, attr) == (1.0 if attr == "data" else 0.0)  # unchanged
    setattr(s, attr, 3)  # an int is a real number: stored as a float
    assert getattr(s, attr) == 3.0 and type(getattr(s, attr)) is float
    with pytest.raises(OverflowError, match="Scalar data is too large"):
        S(10**400)


def test_neither_scalar_class_can_be_subclassed(S):
    with pytest.raises(TypeError):
        type("MyScalar", (S,), {})


# -- copy, deepcopy and pickle of a deep graph need no recursion ---------------------------------------
def _chain(S, n):
    x = S(1.0, label="x")
    y = x
    for i in range(n):
        y = y * 1.0 if i % 2 else y + 1.0
    return x, y


def _first_leaf(node):
    while node._parents:
        node = node._parents[0]
    return node


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_chain_far_deeper_than_the_recursion_limit_copies_and_pickles(S, how):
    x, y = _chain(S, 30_000)  # 30x the default recursion limit
    z = copy.deepcopy(y) if how == "deepcopy" else pickle.loads(pickle.dumps(y))
    assert type(z) is S and z.data == y.data and z._op == y._op
    leaf = _first_leaf(z)
    assert leaf is not x and leaf.label == "x" and leaf.data == 1.0
    z.backward()
    assert leaf.grad == 1.0 and x.grad == 0.0  # the copy is a graph of its own
    z2 = copy.deepcopy(y) if how == "deepcopy" else pickle.loads(pickle.dumps(y))  # again: same result
    assert _first_leaf(z2).label == "x" and z2.data == y.data


def test_copies_keep_shared_nodes_shared(S):
    a = S(2.0)
    b = a * 3.0
    c = b + a
    for copied in (copy.deepcopy([a, b, c]), pickle.loads(pickle.dumps([a, b, c]))):
        a2, b2, c2 = copied
        assert c2._parents[0] is b2 and c2._parents[1] is a2 and b2._parents[0] is a2
        assert a2._consumers == 2 and (a2.data, b2.data, c2.data) == (2.0, 6.0, 8.0)
        c2.backward()
        assert a2.grad == 4.0
    c3 = copy.copy(c)  # a shallow copy: a new node on the same operands
    assert c3 is not c and c3._parents[0] is b and c3._parents[1] is a and c3.data == 8.0
    w = mgx.where(True, a * 1.0, 0.0)  # a primitive without a C copy keeps its saved condition
    w2 = pickle.loads(pickle.dumps(w))
    assert w2._op == w._op and w2._saved == w._saved
