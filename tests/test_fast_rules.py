"""The rule table's fast paths (``microgradx.core.fast_rules``) compute what its plain rules state.

Every elementwise primitive keeps its plain rules as ``plain_vjp``/``plain_jvp``;
the fast versions replace ``vjp``/``jvp``.  Hypothesis draws shapes (with
broadcasting), dtypes and values, and both modes must agree with the plain
rules -- on whichever backend the suite runs (the compiled one adds fused kernels).
"""

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from microgradx.core import fast_rules
from microgradx.core import rules as R

ELEMENTWISE = sorted(name for name, p in R.table.items() if p.is_elementwise)
# inputs where each primitive is smooth (log and sqrt need x > 0; pow a positive base)
DOMAIN = {"log": (0.125, 3.0), "sqrt": (0.125, 3.0), "pow": (0.25, 2.0), "div": (0.5, 2.0)}  # float32-exact ends


def _close(fast, plain, dtype):
    if fast is None or plain is None:
        assert fast is None and plain is None
        return
    assert np.shape(fast) == np.shape(plain)
    tol = 2e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(np.asarray(fast, dtype=np.float64), np.asarray(plain, dtype=np.float64),
                               rtol=tol, atol=tol, equal_nan=True)


@st.composite
def operands(draw, name):
    """Arrays of broadcastable shapes (or Python floats), one dtype, values in the primitive's domain."""
    prim = R.table[name]
    arity = len(prim.partials)
    lo, hi = DOMAIN.get(name, (-2.0, 2.0))
    if draw(st.booleans()) and draw(st.booleans()):  # a quarter of the cases: Python floats (the Scalar path)
        return [draw(st.floats(lo, hi)) for _ in range(arity)], np.float64
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=arity, min_dims=0, max_dims=3, max_side=4)).input_shapes
    values = st.floats(lo, hi, width=32)
    return [draw(hnp.arrays(dtype, shape, elements=values)) for shape in shapes], dtype


@pytest.mark.parametrize("name", ELEMENTWISE)
@given(data=st.data())
def test_fast_rules_equal_the_plain_rules(name, data):
    prim = R.table[name]
    xs, dtype = data.draw(operands(name))
    out = prim.forward(*xs)
    g = data.draw(hnp.arrays(np.asarray(out).dtype, np.shape(out), elements=st.floats(-2, 2, width=32)))
    if not np.shape(out):
        g = float(g) if isinstance(out, float) else g
    needs = tuple(data.draw(st.booleans()) for _ in xs)
    fast = prim.vjp(g, out, tuple(xs), {}, needs)
    plain = prim.plain_vjp(g, out, tuple(xs), {}, needs)
    for f, p in zip(fast, plain):
        _close(f, p, dtype)
    tangents = [data.draw(hnp.arrays(np.asarray(x).dtype, np.shape(x), elements=st.floats(-2, 2, width=32)))
                if data.draw(st.booleans()) else None for x in xs]
    tangents = [float(t) if t is not None and isinstance(x, float) else t for t, x in zip(tangents, xs)]
    _close(prim.jvp(tuple(tangents), out, tuple(xs), {}), prim.plain_jvp(tuple(tangents), out, tuple(xs), {}), dtype)


def test_fast_rules_replace_the_plain_ones_and_keep_them_reachable():
    for name in ELEMENTWISE:
        prim = R.table[name]
        assert prim.vjp is not prim.plain_vjp and prim.jvp is not prim.plain_jvp, name
        assert callable(prim.plain_vjp) and callable(prim.plain_jvp)
    for prim in R.table.values():  # structural rules have no fast version: one rule, both names
        if not prim.is_elementwise:
            assert prim.vjp is prim.plain_vjp


def test_a_primitive_registered_later_gets_its_fast_rules_at_registration():
    prim = R.elementwise("cube_for_test", lambda x: x * x * x, [lambda x, out: 3.0 * x * x], ["d(x³)/dx = 3x²"])
    try:
        assert prim.vjp is not prim.plain_vjp
        assert prim.vjp(1.0, 8.0, (2.0,), {}, (True,)) == [12.0] == prim.plain_vjp(1.0, 8.0, (2.0,), {}, (True,))
    finally:
        del R.table["cube_for_test"]


def test_the_rule_table_imports_no_backend_switch():
    tree = ast.parse(Path(R.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):  # imports inside functions too
        if isinstance(node, ast.ImportFrom):
            imported |= {node.module or ""} | {a.name for a in node.names}
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
    assert not {"backend", "_backend", "fast_rules"} & imported, imported
    assert "sys" not in imported  # no reference counting in the rules: that is a fast path's trick


def test_scratch_is_only_an_array_no_one_else_holds():
    x = np.ones(3)
    fresh = fast_rules._scratch(x * 2.0, others=1)  # (not inside the assert: pytest would keep a reference)
    assert fresh
    assert not fast_rules._scratch(x, others=1)  # also held by x
    assert not fast_rules._scratch((x * 2.0)[1:], others=1)  # a view: its memory belongs to another array
    frozen = x * 2.0
    frozen.flags.writeable = False
    assert not fast_rules._scratch(frozen)
    assert not fast_rules._scratch([1.0, 2.0], others=1)
