"""Scalar: every op's value and derivative, micrograd behaviour, bad input -- for both Scalar classes.

Each test runs on the reference ``microgradx.nodes.scalar.Scalar`` and on the compiled
``microgradx._ext.scalar.Scalar`` (skipped with a reason when the extension is
not built).  Values are checked against :mod:`math`, derivatives against the
closed form and against central differences.
"""

import math
import threading

import numpy as np
import pytest

import microgradx as mgx
from microgradx.core import rules, state
from microgradx.nodes.scalar import Scalar as RefScalar


def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


# name, how to apply it to a Scalar, the math function, its derivative, points to check
UNARY = [
    ("neg", lambda a: -a, lambda x: -x, lambda x: -1.0, [-1.5, 0.3, 2.0]),
    ("exp", lambda a: a.exp(), math.exp, math.exp, [-2.0, 0.0, 1.3]),
    ("log", lambda a: a.log(), math.log, lambda x: 1 / x, [0.2, 1.0, 7.5]),
    ("tanh", lambda a: a.tanh(), math.tanh, lambda x: 1 - math.tanh(x) ** 2, [-2.0, 0.0, 0.7]),
    ("relu", lambda a: a.relu(), lambda x: max(x, 0.0), lambda x: float(x > 0), [-1.0, 0.5, 3.0]),
    ("sigmoid", lambda a: a.sigmoid(), lambda x: 1 / (1 + math.exp(-x)),
     lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, [-3.0, 0.0, 2.5]),
    ("sin", lambda a: a.sin(), math.sin, math.cos, [-1.0, 0.0, 2.0]),
    ("cos", lambda a: a.cos(), math.cos, lambda x: -math.sin(x), [-1.0, 0.0, 2.0]),
    ("sqrt", lambda a: a.sqrt(), math.sqrt, lambda x: 0.5 / math.sqrt(x), [0.25, 2.0, 9.0]),
    ("abs", lambda a: a.abs(), abs, lambda x: math.copysign(1.0, x), [-2.0, 0.5]),
    ("abs builtin", lambda a: abs(a), abs, lambda x: math.copysign(1.0, x), [-2.0, 0.5]),
    ("pow 2", lambda a: a**2, lambda x: x**2, lambda x: 2 * x, [-1.5, 0.0, 3.0]),
    ("pow 3", lambda a: a**3, lambda x: x**3, lambda x: 3 * x**2, [-1.5, 2.0]),
    ("pow -1", lambda a: a**-1, lambda x: 1 / x, lambda x: -1 / x**2, [-2.0, 0.5]),
    ("pow 0.5", lambda a: a**0.5, math.sqrt, lambda x: 0.5 / math.sqrt(x), [0.5, 4.0]),
    ("pow 0", lambda a: a**0, lambda x: 1.0, lambda x: 0.0, [0.0, 2.0]),
    ("rpow", lambda a: 2.0**a, lambda x: 2.0**x, lambda x: 2.0**x * math.log(2.0), [-1.0, 0.0, 3.5]),
    ("radd", lambda a: 1 + a, lambda x: 1 + x, lambda x: 1.0, [2.0]),
    ("rsub", lambda a: 1 - a, lambda x: 1 - x, lambda x: -1.0, [2.0]),
    ("rmul", lambda a: 3 * a, lambda x: 3 * x, lambda x: 3.0, [2.0]),
    ("rdiv", lambda a: 3 / a, lambda x: 3 / x, lambda x: -3 / x**2, [2.0, -0.5]),
    ("mgx.square", lambda a: mgx.square(a), lambda x: x * x, lambda x: 2 * x, [-1.5, 2.0]),
    ("mgx.exp", lambda a: mgx.exp(a), math.exp, math.exp, [0.5]),
]


@pytest.mark.parametrize("name,fn,ref,dref,points", UNARY, ids=[u[0] for u in UNARY])
def test_unary_value_and_derivative(S, name, fn, ref, dref, points):
    for x0 in points:
        x = S(x0)
        y = fn(x)
        assert type(y) is S
        assert y.data == pytest.approx(ref(x0), rel=1e-14, abs=1e-300)
        y.backward()
        assert x.grad == pytest.approx(dref(x0), rel=1e-12, abs=1e-15)
        if name not in ("relu", "abs", "abs builtin") or abs(x0) > 1e-3:
            numeric = central_difference(lambda v: fn(S(v)).data, x0)
            assert x.grad == pytest.approx(numeric, rel=1e-6, abs=1e-7)


BINARY = [
    ("add", lambda a, b: a + b, lambda x, y: x + y, lambda x, y: (1.0, 1.0)),
    ("sub", lambda a, b: a - b, lambda x, y: x - y, lambda x, y: (1.0, -1.0)),
    ("mul", lambda a, b: a * b, lambda x, y: x * y, lambda x, y: (y, x)),
    ("div", lambda a, b: a / b, lambda x, y: x / y, lambda x, y: (1 / y, -x / y**2)),
    ("pow", lambda a, b: a**b, lambda x, y: x**y, lambda x, y: (y * x ** (y - 1), x**y * math.log(x))),
    ("maximum", lambda a, b: mgx.maximum(a, b), max, lambda x, y: (float(x > y), float(y > x))),
    ("minimum", lambda a, b: mgx.minimum(a, b), min, lambda x, y: (float(x < y), float(y < x))),
]


@pytest.mark.parametrize("name,fn,ref,dref", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("x0,y0", [(1.5, 0.75), (0.4, -2.0), (3.0, 2.5)])
def test_binary_value_and_derivatives(S, name, fn, ref, dref, x0, y0):
    a, b = S(x0), S(y0)
    out = fn(a, b)
    assert type(out) is S
    assert out.data == pytest.approx(ref(x0, y0), rel=1e-14)
    out.backward()
    da, db = dref(x0, y0)
    assert a.grad == pytest.approx(da, rel=1e-12)
    assert b.grad == pytest.approx(db, rel=1e-12)
    assert a.grad == pytest.approx(central_difference(lambda v: fn(S(v), S(y0)).data, x0), rel=1e-6, abs=1e-8)
    assert b.grad == pytest.approx(central_difference(lambda v: fn(S(x0), S(v)).data, y0), rel=1e-6, abs=1e-8)


def test_maximum_tie_shares_the_gradient(S):
    a, b = S(2.0), S(2.0)
    mgx.maximum(a, b).backward()
    assert (a.grad, b.grad) == (0.5, 0.5)


@pytest.mark.parametrize("number", [2, 2.0, np.float64(2.0), np.float32(2.0), True])
def test_numbers_on_either_side(S, number):
    x = S(3.0)
    for out, expected, grad in [
        (x + number, 3.0 + float(number), 1.0),
        (number + x, 3.0 + float(number), 1.0),
        (x - number, 3.0 - float(number), 1.0),
        (number - x, float(number) - 3.0, -1.0),
        (x * number, 3.0 * float(number), float(number)),
        (number * x, 3.0 * float(number), float(number)),
        (x / number, 3.0 / float(number), 1.0 / float(number)),
        (x**number, 3.0 ** float(number), float(number) * 3.0 ** (float(number) - 1)),
    ]:
        assert type(out) is S
        assert out.data == pytest.approx(expected)
        x.zero_grad()
        out.backward()
        assert x.grad == pytest.approx(grad)


def test_scalar_exponent(S):
    a, b = S(2.0), S(3.0)
    c = a**b
    c.backward()
    assert c.data == 8.0
    assert a.grad == pytest.approx(12.0)
    assert b.grad == pytest.approx(8.0 * math.log(2.0))


def test_ieee_forward_without_exceptions(S):
    assert S(0.0).log().data == -math.inf
    assert math.isnan(S(-1.0).log().data)
    assert (S(1.0) / 0.0).data == math.inf
    assert (S(-1.0) / 0).data == -math.inf
    assert math.isnan((S(0.0) / 0.0).data)
    assert (1.0 / S(0.0)).data == math.inf
    assert S(1000.0).exp().data == math.inf
    assert (S(10.0) ** 400).data == math.inf
    assert math.isnan((S(-8.0) ** (1 / 3)).data)
    assert (S(0.0) ** -1).data == math.inf
    assert math.isnan(S(-1.0).sqrt().data)
    assert math.isnan(S(math.inf).sin().data)
    assert S(-1000.0).sigmoid().data == 0.0 and S(1000.0).sigmoid().data == 1.0
    assert math.isnan(S(math.nan).relu().data)


def test_compiled_backward_is_ieee_at_the_poles():
    C = pytest.importorskip("microgradx._ext.scalar", reason="compiled extension not built").Scalar
    cases = [
        (lambda x: x.log(), 0.0, math.inf),
        (lambda x: x.sqrt(), 0.0, math.inf),
        (lambda x: 1.0 / x, 0.0, -math.inf),
        (lambda x: x**0.5, 0.0, math.inf),
    ]
    for f, x0, grad in cases:
        x = C(x0)
        f(x).backward()
        assert x.grad == grad
    x = C(-2.0)
    (x**0.5).backward()
    assert math.isnan(x.grad)  # a real-valued engine: nan, never a complex number


# -- micrograd behaviour ---------------------------------------------------------------
def test_leaf_defaults_and_repr(S):
    x = S(3)
    assert type(x.data) is float and x.data == 3.0
    assert type(x.grad) is float and x.grad == 0.0
    assert x.label == "" and x._prev == () and x._op == "" and x._prim is None
    assert x._parents == () and x._saved == ()
    assert repr(x) == "Scalar(data=3.0, grad=0.0)"
    assert S(1.0, label="w").label == "w"
    assert S(2.5, "b").label == "b"


def test_introspection_matches_the_rule_table(S):
    a, b = S(2.0), S(-3.0)
    c = a * b
    assert c._op == "*" and c._prim is rules.MUL
    assert c._prev == (a, b) and c._parents == (a, b)
    assert c._saved == (2.0, -3.0)
    d = 2.0 * a
    assert d._parents == (None, a) and d._prev[1] is a and d._prev[0].data == 2.0
    e = a.tanh()
    assert e._op == "tanh" and e._prim is rules.TANH and e._parents == (a,) and e._saved == (2.0,)
    assert e._prim.formulas == rules.TANH.formulas
    assert S._kind == "scalar" and S._level == 0 and a._inner() == 2.0 and a._params == {}


def test_backward_accumulates_and_zero_grad(S):
    a = S(3.0)
    b = a * a
    c = b + 1.0
    c.backward()
    assert (a.grad, b.grad, c.grad) == (6.0, 1.0, 1.0)
    c.backward()  # accumulates: leaves and intermediates get exactly twice
    assert (a.grad, b.grad, c.grad) == (12.0, 2.0, 2.0)
    a.zero_grad()
    assert a.grad == 0.0 and b.grad == 2.0


def test_node_reuse_adds_contributions(S):
    a = S(3.0)
    b = a + a  # micrograd's classic bug: a.grad must be 2, not 1
    b.backward()
    assert a.grad == 2.0
    a = S(-2.0)
    b = a + a
    c = b * b  # c = 4a^2, dc/da = 8a
    c.backward()
    assert a.grad == -16.0 and b.grad == -8.0
    x = S(1.5)
    y = x * x * x + x.tanh() * x  # a diamond with a node used three times
    y.backward()
    assert x.grad == pytest.approx(3 * 1.5**2 + (1 - math.tanh(1.5) ** 2) * 1.5 + math.tanh(1.5))


def test_in_place_operators_build_new_nodes(S):
    a = S(1.0)
    c = a + 0.0
    before = c
    c += c + 1
    assert c is not before and c.data == 3.0
    c.backward()
    assert a.grad == 2.0


def test_no_grad_records_nothing(S):
    x = S(2.0)
    with mgx.no_grad():
        y = x * x + x.exp()
        z = mgx.exp(x)
    assert type(y) is S and y._prev == () and y._op == "" and y._prim is None
    assert type(z) is S and z._prev == ()
    y.backward()
    assert x.grad == 0.0 and y.grad == 1.0
    w = x * x  # recording again afterwards
    assert w._prev == (x, x)


def test_transform_level_makes_eager_scalars_constants(S):
    x = S(2.0)
    with state.transform_level():
        y = x * 3.0
    assert y._prev == () and y.data == 6.0


def test_comparisons_compare_values(S):
    a, b = S(1.0), S(2.0)
    assert a < b and a <= b and b > a and b >= a and a != b and not a == b
    assert a == 1.0 and a == 1 and 1.0 == a and a < 1.5 and 0.5 < a and 2 > a
    assert S(2.0**53) != 2**53 + 1  # exact, as Python compares float and int
    assert (a == "x") is False and (a != None) is True  # noqa: E711
    with pytest.raises(TypeError):
        a < "x"  # noqa: B015
    assert sorted([S(3.0), S(1.0), S(2.0)])[0].data == 1.0
    assert max([S(3.0), S(5.0)], key=float).data == 5.0


def test_identity_hash(S):
    a, b = S(1.0), S(1.0)
    assert a == b and len({a, b}) == 2 and {a: 1}[a] == 1
    assert hash(a) == hash(a)


def test_float_and_numpy(S):
    a = S(2.5)
    assert float(a) == 2.5 and math.sqrt(S(4.0)) == 2.0
    out = np.float64(2.0) * a  # numpy defers to the Scalar
    assert type(out) is S and out.data == 5.0


def test_pos_is_identity(S):
    a = S(1.0)
    assert +a is a


def test_mgx_functions_on_scalars(S):
    x = S(0.5)
    for fn, ref in [(mgx.exp, math.exp), (mgx.log, math.log), (mgx.sin, math.sin), (mgx.tanh, math.tanh),
                    (mgx.sqrt, math.sqrt), (mgx.sigmoid, lambda v: 1 / (1 + math.exp(-v)))]:
        y = fn(x)
        assert type(y) is S and y.data == pytest.approx(ref(0.5))
    x = S(-0.5)
    assert mgx.abs(x).data == 0.5 and mgx.relu(x).data == 0.0
    c = mgx.where(x < 0, x * 2.0, x * 3.0)  # recorded through the rule table's `where`
    assert type(c) is S and c.data == -1.0
    c.backward()
    assert x.grad == 2.0


def test_dual_with_scalar_primal(S):
    x = S(0.5)
    d = mgx.Dual(x, 1.0)
    y = mgx.sin(d) * d
    assert type(y.primal) is S
    assert y.primal.data == pytest.approx(math.sin(0.5) * 0.5)
    assert y.tangent.data == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5))
    y.tangent.backward()  # the tangent is an eager Scalar graph: d/dx (cos x · x + sin x)
    assert x.grad == pytest.approx(-math.sin(0.5) * 0.5 + 2 * math.cos(0.5))
    p = mgx.Dual(S(2.0), 1.0) ** S(3.0)  # where() in pow's rule sees a Scalar exponent
    assert p.tangent.data == pytest.approx(12.0)


# -- bad input ---------------------------------------------------------------------------
@pytest.mark.parametrize("bad,kind", [("abc", "str"), ([1.0], "list"), (None, "NoneType"),
                                      (True, "bool"), (1 + 2j, "complex"), ({}, "dict")])
def test_bad_data_names_the_type(S, bad, kind):
    with pytest.raises(TypeError, match=f"Scalar data must be a real number.*got {kind}"):
        S(bad)


def test_bad_operands_name_the_type(S):
    x = S(2.0)
    with pytest.raises(TypeError, match="str"):
        x ** "a"
    with pytest.raises(TypeError, match="str"):
        "a" + x
    with pytest.raises(TypeError, match="list"):
        x - [1.0]
    with pytest.raises(TypeError, match="NoneType"):
        x - None
    with pytest.raises(TypeError):
        pow(x, 2, 3)
    with pytest.raises(TypeError, match="label must be a str; got int"):
        S(1.0, label=3)
    with pytest.raises(OverflowError):
        x * 10**400  # an int too large for a float, as float(10**400)


def test_tensor_in_a_scalar_graph_is_refused(S):
    x = S(1.0)
    t = mgx.Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="cannot combine a Scalar with a Tensor in one eager graph"):
        mgx.add(x, t)
    with pytest.raises(TypeError):
        x + t
    with pytest.raises(TypeError, match="elementwise operations only; sum needs a Tensor"):
        mgx.sum(x)


# -- the compiled module's C recording flag ------------------------------------------------
def test_compiled_flag_follows_no_grad_and_transforms_per_thread():
    ext = pytest.importorskip("microgradx._ext.scalar", reason="compiled extension not built")
    assert ext.eager_enabled() is True
    with mgx.no_grad():
        assert ext.eager_enabled() is False
        seen = []
        recorded = lambda: (ext.Scalar(1.0) * 2)._prim is not None  # noqa: E731
        worker = threading.Thread(target=lambda: seen.append((ext.eager_enabled(), recorded())))
        worker.start()
        worker.join()
        assert seen == [(True, True)]  # another thread still records
        with state.transform_level():
            assert ext.eager_enabled() is False
        assert ext.eager_enabled() is False
    with state.transform_level():
        assert ext.eager_enabled() is False
    assert ext.eager_enabled() is True


def test_active_backend_class():
    if mgx.backend() == "compiled":
        from microgradx._ext.scalar import Scalar as CScalar

        assert mgx.Scalar is CScalar
    else:
        assert mgx.Scalar is RefScalar


def test_compiled_topological_order_matches_the_reference_engine():
    ext = pytest.importorskip("microgradx._ext.scalar", reason="compiled extension not built")
    from microgradx.core import engine

    a, b = ext.Scalar(1.0), ext.Scalar(2.0)
    c = a * b
    d = (c + a).tanh() * c + b.exp()
    assert [id(n) for n in ext.topological_order(d)] == [id(n) for n in engine.topological_order(d)]
    with pytest.raises(TypeError, match="root must be a compiled Scalar; got float"):
        ext.topological_order(1.0)


def test_reference_backward_is_ieee_at_the_poles():
    for f, x0, grad in [(lambda x: x.log(), 0.0, math.inf), (lambda x: x.sqrt(), 0.0, math.inf),
                        (lambda x: 1.0 / x, 0.0, -math.inf), (lambda x: x**0.5, 0.0, math.inf)]:
        x = RefScalar(x0)
        f(x).backward()
        assert x.grad == grad
    x = RefScalar(-2.0)
    (x**0.5).backward()
    assert isinstance(x.grad, float) and math.isnan(x.grad)
