"""The compiled Scalar's C copy of the scalar formulas agrees with the rule table, everywhere.

The test iterates ``rules.table``: every elementwise primitive of one or two
inputs either has a C copy -- and then its value and local derivatives are
compared with the table's ``forward`` and ``vjp`` on Python floats over a grid
of ordinary and special values (zeros of both signs, infinities, nan) -- or it
is recorded by the compiled Scalar through the table itself (``OP_RULE``).
Nothing is listed by hand: a primitive added to the table, or a C formula
changed, is checked here without editing this file.
"""

import itertools
import math

import pytest

from microgradx.core import rules

ext = pytest.importorskip("microgradx._ext.scalar", reason="compiled extension not built")

GRID = [-3.0, -1.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 3.0, math.inf, -math.inf, math.nan]


def same(a, b) -> bool:
    """Equal floats (the sign of a zero included), or both nan."""
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def table_formula(prim, inputs):
    """The table's value and local derivatives (the vjp of cotangent 1) at Python floats."""
    out = prim.forward(*inputs)
    cts = prim.vjp(1.0, out, tuple(inputs), {}, (True,) * len(inputs))
    return (out, *cts)


def elementwise_scalar_primitives():
    """The table's primitives that a Scalar can compute from one or two floats."""
    for name, prim in sorted(rules.table.items()):
        if prim.partials is not None and len(prim.partials) in (1, 2):
            yield name, prim


def test_every_c_formula_names_a_table_primitive_of_its_arity():
    c = ext._c_formulas()
    assert c, "the compiled module reports no C formulas"
    for name, arity in c.items():
        assert name in rules.table, f"C formula {name!r} has no rule-table entry"
        assert len(rules.table[name].partials) == arity, name


@pytest.mark.parametrize("name, prim", list(elementwise_scalar_primitives()), ids=lambda v: getattr(v, "name", v))
def test_c_formula_agrees_with_the_table_at_every_grid_point(name, prim):
    c = ext._c_formulas()
    if name not in c:
        # no C copy: the compiled Scalar records it through the table (checked to work, here once)
        S = ext.Scalar
        x = S(0.5)
        args = [x] + [S(2.0)] * (len(prim.partials) - 1)
        out = x._apply(prim, args, {})
        assert out._prim is prim
        return
    arity = c[name]
    disagreements = []
    for point in itertools.product(GRID, repeat=arity):
        with_c = ext._c_formula(name, *point)
        with_table = table_formula(prim, point)
        if not all(same(a, b) for a, b in zip(with_c, with_table)):
            disagreements.append((point, with_c, with_table))
    assert not disagreements, f"{name}: {len(disagreements)} points differ, e.g. {disagreements[:3]}"
