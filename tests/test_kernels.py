"""Elementwise kernels: compiled (``microgradx._ext.kernels``) against the numpy reference and the rule table.

* same kernel names and signatures in both modules, each backed by a rule-table primitive;
* the one compiled forward, sigmoid, within a few ulp of the reference (libm's exp and numpy's may round
  differently);
* fused backward and accumulate bit-for-bit equal to the reference;
* both backward kernels equal the rule table's local derivative times ``g``;
* inputs the loops don't take (strided, broadcast, other dtypes, mixed dtypes, zero-size,
  read-only, mismatched shapes, numbers) are validated or handed to numpy -- never a crash.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from microgradx.core import kernels as reference
from microgradx.core import rules as R

try:
    from microgradx._ext import kernels as compiled
except ImportError:  # not built: the compiled side of each test is skipped
    compiled = None

needs_compiled = pytest.mark.skipif(compiled is None, reason="compiled kernels not built "
                                    "(MICROGRADX_EXT=kernels python setup.py build_ext --inplace)")
IMPLEMENTATIONS = [pytest.param(reference, id="reference"),
                   pytest.param(compiled, id="compiled", marks=needs_compiled)]
NAMES = sorted(reference.BACKWARD)
PRIMITIVE = {p.kernel: p for p in R.table.values() if p.kernel is not None}


def forward(name, x):
    """The primitive's own forward (numpy; for sigmoid, the kernel's): what a backward kernel is given."""
    return PRIMITIVE[name].forward(x)


def domain(name, x):
    """Inputs where the kernel is defined (log needs x > 0)."""
    return np.abs(x) + np.asarray(0.1, x.dtype) if name == "log" else x


def saved_for(name, x):
    """The (x, out) pair a backward kernel reads."""
    return x, forward(name, x)


floats = st.sampled_from([np.float32, np.float64])
arrays = floats.flatmap(lambda dt: hnp.arrays(
    dt, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=9),
    elements=st.floats(-30, 30, width=32 if dt == np.float32 else 64)))


def assert_close_ulp(a, b, maxulp=4):
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    finite = np.isfinite(b)
    np.testing.assert_array_equal(a[~finite & ~np.isnan(b)], b[~finite & ~np.isnan(b)])  # same infinities
    np.testing.assert_array_max_ulp(a[finite], b[finite], maxulp=maxulp)


def test_same_kernels_and_each_has_a_rule():
    assert set(reference.BACKWARD) == set(PRIMITIVE)
    if compiled is not None:
        assert set(compiled.BACKWARD) == set(reference.BACKWARD)
        for fn in ("sigmoid", "backward", "accumulate"):
            assert callable(getattr(compiled, fn))


@needs_compiled
@given(x=arrays)
def test_compiled_sigmoid_matches_reference(x):
    assert_close_ulp(compiled.sigmoid(x), reference.sigmoid(x))


@needs_compiled
@given(x=arrays, seed=st.integers(0, 2**16))
def test_compiled_backward_is_bit_identical_to_reference(x, seed):
    g = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
    for name in NAMES:
        xx, out = saved_for(name, domain(name, x))
        ours, ref = compiled.backward(name, g, xx, out), reference.backward(name, g, xx, out)
        assert ours.dtype == ref.dtype == x.dtype and ours.shape == x.shape
        np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@given(x=arrays, seed=st.integers(0, 2**16))
def test_backward_kernel_is_the_rule_table_formula(kernels, x, seed):
    g = np.random.default_rng(seed).standard_normal(x.shape).astype(x.dtype)
    for name in NAMES:
        xx, out = saved_for(name, domain(name, x))
        local = PRIMITIVE[name].partials[0](xx, out)  # the rule table's d out / d x
        assert_close_ulp(kernels.backward(name, g, xx, out), np.asarray(g * local), maxulp=2)


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
def test_sigmoid_edge_values(kernels):
    x = np.array([0.0, -0.0, 1e-300, -1e-300, 700.0, -700.0, 1000.0, -1000.0, np.inf, -np.inf, np.nan])
    with np.errstate(all="ignore"):
        sig = kernels.sigmoid(x)
        assert np.all((sig[:-1] >= 0) & (sig[:-1] <= 1)) and np.isnan(sig[-1])  # stable at the extremes
        assert sig[6] == 1.0 and sig[7] == 0.0
        assert_close_ulp(sig, reference.sigmoid(x))


@needs_compiled
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_long_odd_sized_arrays(dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((101, 99)).astype(dtype)
    g = rng.standard_normal((101, 99)).astype(dtype)
    for name in NAMES:
        xx, out = saved_for(name, domain(name, x))
        np.testing.assert_array_equal(compiled.backward(name, g, xx, out), reference.backward(name, g, xx, out))
    assert_close_ulp(compiled.sigmoid(x), reference.sigmoid(x))


# ---------------------------------------------------------------------------
# Inputs the loops do not take: validated or handed to numpy, never a crash
# ---------------------------------------------------------------------------
def _readonly(a):
    a = a.copy()
    a.flags.writeable = False
    return a


_base = np.random.default_rng(1).standard_normal((4, 6))
ODD_INPUTS = {
    "strided slice": lambda a: a[:, ::2],
    "negative stride": lambda a: a[::-1],
    "transposed (Fortran order)": lambda a: a.T,
    "broadcast view (stride 0)": lambda a: np.broadcast_to(a[:1], a.shape),
    "zero-size": lambda a: a[:0],
    "0-d array": lambda a: a[0, 0].copy().reshape(()),
    "read-only": _readonly,
    "float16": lambda a: a.astype(np.float16),
    "int64": lambda a: (a * 10).astype(np.int64),
    "bool": lambda a: a > 0,
    "Python float": lambda a: float(a[0, 0]),
    "list": lambda a: a.tolist(),
    "float32 with float64": None,  # mixed dtypes, below
}


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", sorted(k for k, v in ODD_INPUTS.items() if v is not None))
def test_unusual_inputs_sigmoid_like_numpy(kernels, case):
    x = ODD_INPUTS[case](_base)
    with np.errstate(all="ignore"):
        expected = reference.sigmoid(np.asarray(x) if case == "list" else x)
        got = kernels.sigmoid(np.asarray(x) if case == "list" else x)
    got, expected = np.asarray(got), np.asarray(expected)
    if expected.dtype.kind == "f":
        assert_close_ulp(got, expected)  # the compiled loop takes the contiguous ones: libm vs numpy
    else:
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", sorted(k for k, v in ODD_INPUTS.items() if v is not None))
@pytest.mark.parametrize("name", NAMES)
def test_unusual_inputs_backward_like_reference(kernels, case, name):
    make = ODD_INPUTS[case]
    x = make(domain(name, _base))
    out = make(forward(name, domain(name, _base)))
    g = make(_base * 0.5)
    with np.errstate(all="ignore"):
        ours = kernels.backward(name, g, x, out)
        ref = reference.backward(name, g, x, out)
    if ref is None:
        assert ours is None  # not plain float arrays: the caller uses the rule-table formula
    else:
        assert ours is not None and ours.dtype == ref.dtype and ours.shape == ref.shape
        np.testing.assert_array_equal(ours, ref)
        assert isinstance(ours, np.ndarray) and ours.flags.writeable


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@pytest.mark.parametrize("name", NAMES)
def test_mismatched_inputs_give_none(kernels, name):
    x = domain(name, _base)
    out = forward(name, x)
    g = np.ones_like(x)
    assert kernels.backward(name, g[:1], x, out) is None  # broadcast cotangent
    assert kernels.backward(name, g, x[:, :1], out[:, :1]) is None  # broadcast saved value
    assert kernels.backward(name, g.astype(np.float32), x, out) is None  # mixed dtypes
    assert kernels.backward(name, g.reshape(6, 4), x, out) is None  # same size, other shape
    assert kernels.backward(name, 1.0, 0.5, 0.5) is None  # numbers: the formula handles them


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
def test_unknown_kernel_is_an_error(kernels):
    with pytest.raises(ValueError, match="softplus"):
        kernels.backward("softplus", _base, _base, _base)


@needs_compiled
def test_compiled_rejects_wrong_argument_types():
    with pytest.raises(TypeError):
        compiled.backward(3, _base, _base, _base)  # the name must be a str


# ---------------------------------------------------------------------------
# accumulate
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_accumulate_in_place_when_allowed(kernels, dtype):
    acc = np.arange(6, dtype=dtype).reshape(2, 3)
    g = np.full((2, 3), 0.5, dtype)
    result = kernels.accumulate(acc, g)
    assert result is acc
    np.testing.assert_array_equal(acc, np.arange(6).reshape(2, 3) + 0.5)


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_accumulate_a_product_in_place(kernels, dtype):
    rng = np.random.default_rng(3)
    acc, g, d = (rng.standard_normal((3, 5)).astype(dtype) for _ in range(3))
    expected = acc + g * d  # numpy: the product rounded, then the sum
    before_g, before_d = g.copy(), d.copy()
    result = kernels.accumulate(acc, g, d)
    assert result is acc
    np.testing.assert_array_equal(acc, expected)  # bit for bit: no fused multiply-add
    np.testing.assert_array_equal(g, before_g)
    np.testing.assert_array_equal(d, before_d)


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@pytest.mark.parametrize("with_d", [False, True])
@pytest.mark.parametrize("shift", [-1, 0, 1, 3])
def test_accumulate_with_overlapping_operands_gives_numpys_answer(kernels, with_d, shift):
    # acc and an operand are views of one buffer; shifted, a naive in-place loop reads what it wrote
    base = np.arange(1.0, 17.0)
    n = 8
    start = 2
    acc = base[start:start + n]
    other = base[start + shift:start + shift + n]
    g, d = (np.full(n, 0.5), other) if with_d else (other, None)
    expected = acc + (g * d if with_d else g)  # numpy, from the values before any write
    result = kernels.accumulate(acc, g, d)
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", ["read-only", "mixed dtypes", "broadcast d", "strided d", "zero-size", "number d",
                                  "int accumulator"])
def test_accumulate_a_product_other_cases(kernels, case):
    acc = np.arange(6.0).reshape(2, 3)
    g = np.full((2, 3), 0.5)
    d = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    if case == "read-only":
        acc.flags.writeable = False
    elif case == "mixed dtypes":
        d = d.astype(np.float32)
    elif case == "broadcast d":
        d = d[:1]
    elif case == "strided d":
        d = np.linspace(-1.0, 1.0, 12).reshape(2, 6)[:, ::2]
    elif case == "zero-size":
        acc, g, d = np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3))
    elif case == "number d":
        d = 2.0
    elif case == "int accumulator":
        acc = acc.astype(np.int64)
    before = acc.copy()
    expected = before + g * d
    result = kernels.accumulate(acc, g, d)
    np.testing.assert_array_equal(result, expected)
    assert result.dtype == expected.dtype and result.shape == expected.shape
    if case in ("read-only", "int accumulator"):
        np.testing.assert_array_equal(acc, before)  # not written: a new array came back
        assert result is not acc


@pytest.mark.parametrize("kernels", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", ["read-only", "mixed dtypes", "broadcast g", "int accumulator", "strided"])
def test_accumulate_other_cases_like_reference(kernels, case):
    acc = np.arange(6.0).reshape(2, 3)
    g = np.full((2, 3), 0.5)
    if case == "read-only":
        acc.flags.writeable = False
    elif case == "mixed dtypes":
        g = g.astype(np.float32)
    elif case == "broadcast g":
        g = g[:1]
    elif case == "int accumulator":
        acc = acc.astype(np.int64)
    elif case == "strided":
        acc, g = np.arange(12.0).reshape(2, 6)[:, ::2], g
    before = acc.copy()
    expected = before + g
    ref_acc = before.copy()
    if not acc.flags.writeable:
        ref_acc.flags.writeable = False
    ref = reference.accumulate(ref_acc if case != "strided" else np.arange(12.0).reshape(2, 6)[:, ::2], g)
    result = kernels.accumulate(acc, g)
    np.testing.assert_array_equal(result, expected)
    np.testing.assert_array_equal(ref, expected)
    assert result.dtype == ref.dtype
    if case in ("read-only", "mixed dtypes", "broadcast g", "int accumulator"):
        np.testing.assert_array_equal(acc, before)  # not written: a new array came back
        assert result is not acc


@needs_compiled
def test_rule_table_uses_the_kernel_with_any_layout():
    """The tanh rule gives the same cotangent for contiguous, strided and broadcast cotangents."""
    x = np.random.default_rng(3).standard_normal((3, 4))
    out = np.tanh(x)
    for g in (np.ones((3, 4)), np.ones((4, 3)).T, np.broadcast_to(np.ones(4), (3, 4)), np.ones((3, 8))[:, ::2]):
        (ct,) = R.TANH.vjp(g, out, (x,), {}, (True,))
        np.testing.assert_allclose(ct, g * (1 - out * out), rtol=1e-15)
