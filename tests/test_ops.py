"""Every op's derivatives against central differences, on hypothesis-generated shapes.

For each op in :data:`CASES` and each generated example (shapes with broadcasting,
size-1 and zero-size dimensions; float64 or float32) we check

* the value against the same op on float64 inputs;
* reverse mode twice: eager ``backward(grad=w)`` (``.grad`` of every input), and
  the transform path (``backward_sweep`` at a transform level, whose cotangents
  are *not* cast by ``_accumulate_grad`` — so a float64 leak in a rule shows);
* forward mode: the tangent of a ``Dual`` at a transform level;

all against central differences computed in float64, with gradient shapes equal
to input shapes and dtypes equal to the input dtype.

The inputs are generated away from kinks (``abs``, ``relu``, ties of ``maximum``
and ``max``), where finite differences mean nothing; ties have their own tests
in ``test_ops_special.py``.
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import microgradx as mgx
from microgradx.core.dispatch import raw_value
from microgradx.core.engine import backward_sweep
from microgradx.core.state import transform_level
from microgradx.nodes.dual import Dual
from microgradx.nodes.tensor import Tensor


# ---------------------------------------------------------------------------
# Value generators (float64; cast to the dtype under test later)
# ---------------------------------------------------------------------------
def anywhere(rng, shape):
    return rng.uniform(-2.0, 2.0, shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def nonzero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.3, 2.0, shape)


# Three interleaved grids: values drawn from different grids are never closer than 0.1,
# so maximum/minimum/clip never see a tie between them.
def grid(offset):
    return lambda rng, shape: 0.5 * rng.integers(-4, 4, shape) + offset


grid_a, grid_b, grid_c = grid(0.1), grid(0.35), grid(0.2)


def distinct(rng, shape):
    """All elements at least 0.3 apart (no ties inside a max reduction)."""
    n = math.prod(shape)
    return (rng.permutation(n) * 0.37 - 0.15 * n).reshape(shape) + rng.uniform(0.0, 0.01, shape)


# ---------------------------------------------------------------------------
# Shape strategies
# ---------------------------------------------------------------------------
def one_shape(min_dims=0, max_dims=3, min_side=0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=3)


def shapes(n):
    return hnp.mutually_broadcastable_shapes(num_shapes=n, max_dims=3, min_side=0, max_side=3)


class Draw:
    """What a case needs to build an example: hypothesis draws and a seeded generator."""

    def __init__(self, data, rng):
        self.data, self.rng = data, rng

    def __call__(self, strategy):
        return self.data.draw(strategy)

    def axis(self, ndim):
        """None, an int (maybe negative) or a tuple of distinct axes."""
        kind = self(st.sampled_from(["none", "int", "tuple"] if ndim else ["none"]))
        if kind == "none":
            return None
        if kind == "int":
            return self(st.integers(-ndim, ndim - 1))
        axes = self(st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim))
        return tuple(a - ndim if self(st.booleans()) else a for a in axes)


def reduced_count(shape, axis):
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


# ---------------------------------------------------------------------------
# The catalogue: name -> draw(d) returning (inputs, function of those inputs)
# ---------------------------------------------------------------------------
CASES = {}


def case(name):
    def register(make):
        CASES[name] = make
        return make

    return register


def unary(name, fn, values=anywhere):
    @case(name)
    def make(d):
        return [values(d.rng, d(one_shape()))], fn


unary("neg", lambda a: -a)
unary("abs", lambda a: abs(a), nonzero)
unary("mgx.abs", mgx.abs, nonzero)
unary("exp", mgx.exp)
unary("log", mgx.log, positive)
unary("sqrt", lambda a: a.sqrt(), positive)
unary("square", mgx.square)
unary("sin", mgx.sin)
unary("cos", lambda a: a.cos())
unary("tanh", mgx.tanh)
unary("tanh method", lambda a: a.tanh())
unary("sigmoid", mgx.sigmoid, lambda rng, s: rng.uniform(-6.0, 6.0, s))
unary("relu", mgx.relu, nonzero)
unary("pos", lambda a: +a)
unary("pow int exponent", lambda a: a**3)
unary("pow negative exponent", lambda a: a**-2, nonzero)
unary("pow float exponent", lambda a: a**0.5, positive)
unary("number ** tensor", lambda a: 2.0**a)
unary("number + tensor", lambda a: 2.5 + a)
unary("number - tensor", lambda a: 2.5 - a)
unary("tensor * number", lambda a: a * -1.5)
unary("number / tensor", lambda a: 3.0 / a, nonzero)
unary("tensor / int", lambda a: a / 4)
unary("clip numbers", lambda a: mgx.clip(a, -0.77, 0.83), grid_a)
unary("clip low only", lambda a: a.clip(-0.77, None), grid_a)
unary("chain", lambda a: mgx.sigmoid(mgx.tanh(a) * mgx.exp(-a * a)) - mgx.sin(a) ** 2)


def binary(name, fn, left=anywhere, right=anywhere):
    @case(name)
    def make(d):
        sa, sb = d(shapes(2)).input_shapes
        return [left(d.rng, sa), right(d.rng, sb)], fn


binary("add", lambda a, b: a + b)
binary("sub", lambda a, b: a - b)
binary("mul", lambda a, b: a * b)
binary("div", lambda a, b: a / b, anywhere, nonzero)
binary("pow tensor exponent", lambda a, b: a**b, positive, anywhere)
binary("mgx.power", mgx.power, positive, anywhere)
binary("maximum", mgx.maximum, grid_a, grid_b)
binary("minimum", mgx.minimum, grid_a, grid_b)
binary("mgx.add/subtract/multiply/divide",
       lambda a, b: mgx.divide(mgx.multiply(mgx.add(a, b), mgx.subtract(a, b)), b), anywhere, nonzero)


@case("ndarray on the left")
def _(d):
    sa, sb = d(shapes(2)).input_shapes
    c = nonzero(d.rng, sb)

    def fn(a):
        k = c.astype(a.dtype)
        return (k + a) * (k - a) / k + k * a - k / (a * a + 1.0) + (k * k) ** (a * 0.5)

    return [anywhere(d.rng, sa)], fn


@case("where")
def _(d):
    sc, sa, sb = d(shapes(3)).input_shapes
    cond = d.rng.random(sc) < 0.5
    return [anywhere(d.rng, sa), anywhere(d.rng, sb)], lambda a, b: mgx.where(cond, a, b)


@case("where with a number")
def _(d):
    sc, sa = d(shapes(2)).input_shapes
    cond = d.rng.random(sc) < 0.5
    return [anywhere(d.rng, sa)], lambda a: mgx.where(cond, 0.5, a)


@case("where from a comparison")
def _(d):
    x = nonzero(d.rng, d(one_shape()))
    return [x], lambda a: mgx.where(a > 0, a * a, -a)


@case("clip tensors")
def _(d):
    s1, s2, s3 = d(shapes(3)).input_shapes
    return [grid_a(d.rng, s1), grid_b(d.rng, s2), grid_c(d.rng, s3)], mgx.clip


# --- reductions -------------------------------------------------------------------
def reduction(name, fn, values=anywhere, nonempty=True, min_count=1):
    @case(name)
    def make(d):
        shape = d(one_shape())
        axis = d.axis(len(shape))
        keepdims = d(st.booleans())
        if nonempty:
            assume(reduced_count(shape, axis) >= min_count)
        return [values(d.rng, shape)], lambda a: fn(a, axis, keepdims)


reduction("sum", mgx.sum, nonempty=False)
reduction("sum method", lambda a, axis, k: a.sum(axis=axis, keepdims=k), nonempty=False)
reduction("mean", mgx.mean)
reduction("var", mgx.var)
reduction("var ddof=1", lambda a, axis, k: mgx.var(a, axis, k, ddof=1), distinct, min_count=2)
reduction("std", mgx.std, distinct, min_count=2)
reduction("max", mgx.max, distinct)
reduction("max method", lambda a, axis, k: a.max(axis, k), distinct)
reduction("min", mgx.min, distinct)
reduction("logsumexp", mgx.logsumexp)
reduction("logsumexp of large values", lambda a, axis, k: mgx.logsumexp(a * 300.0, axis, k) / 300.0)
reduction("softmax", lambda a, axis, k: mgx.softmax(a, axis))
reduction("log_softmax", lambda a, axis, k: mgx.log_softmax(a, axis))
reduction("softmax of large values", lambda a, axis, k: mgx.softmax(a * 400.0, axis))


@case("softmax method, last axis")
def _(d):
    shape = d(one_shape(min_dims=1, min_side=1))
    return [anywhere(d.rng, shape)], lambda a: a.softmax() * a.log_softmax()


# --- matrix product -----------------------------------------------------------------
@case("matmul")
def _(d):
    batch_a, batch_b = d(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)).input_shapes
    m, k, n = d(st.tuples(*[st.integers(0, 3)] * 3))
    a_vector, b_vector = d(st.booleans()), d(st.booleans())
    sa = (k,) if a_vector else batch_a + (m, k)
    sb = (k,) if b_vector else batch_b + (k, n)
    return [anywhere(d.rng, sa), anywhere(d.rng, sb)], lambda a, b: a @ b


@case("mgx.matmul 2-D")
def _(d):
    m, k, n = d(st.tuples(*[st.integers(0, 3)] * 3))
    return [anywhere(d.rng, (m, k)), anywhere(d.rng, (k, n))], mgx.matmul


@case("ndarray @ tensor")
def _(d):
    m, k, n = d(st.tuples(*[st.integers(0, 3)] * 3))
    c = anywhere(d.rng, (m, k))
    return [anywhere(d.rng, (k, n))], lambda b: c.astype(b.dtype) @ b


@case("linear layer")
def _(d):
    m, k, n = d(st.tuples(*[st.integers(0, 3)] * 3))
    x = anywhere(d.rng, (m, k))
    return ([anywhere(d.rng, (k, n)), anywhere(d.rng, (n,))],
            lambda w, b: mgx.tanh(x.astype(w.dtype) @ w + b))


# --- shapes -----------------------------------------------------------------------
@case("reshape")
def _(d):
    shape = d(one_shape())
    n = math.prod(shape)
    options = [(n,), shape[::-1], (1,) + shape, shape + (1,)]
    if shape and n:
        options.append((-1,) + shape[1:])
    target = d(st.sampled_from(options))
    method = d(st.booleans())
    return [anywhere(d.rng, shape)], (lambda a: a.reshape(target)) if method else (lambda a: mgx.reshape(a, target))


@case("flatten")
def _(d):
    return [anywhere(d.rng, d(one_shape()))], lambda a: a.flatten()


@case("transpose")
def _(d):
    shape = d(one_shape())
    perm = tuple(d(st.permutations(range(len(shape)))))
    return [anywhere(d.rng, shape)], lambda a: mgx.transpose(a, perm)


@case(".T")
def _(d):
    return [anywhere(d.rng, d(one_shape()))], lambda a: a.T


@case("swapaxes")
def _(d):
    shape = d(one_shape(min_dims=1))
    i, j = d(st.integers(-len(shape), len(shape) - 1)), d(st.integers(-len(shape), len(shape) - 1))
    return [anywhere(d.rng, shape)], lambda a: a.swapaxes(i, j)


@case("expand_dims")
def _(d):
    shape = d(one_shape())
    axis = d(st.integers(-len(shape) - 1, len(shape)))
    return [anywhere(d.rng, shape)], lambda a: mgx.expand_dims(a, axis)


@case("squeeze")
def _(d):
    shape = d(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=2))
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = d(st.sampled_from([None] + ones))
    return [anywhere(d.rng, shape)], lambda a: mgx.squeeze(a, axis)


@case("broadcast_to")
def _(d):
    target = d(one_shape())
    (shape,), result = d(hnp.mutually_broadcastable_shapes(num_shapes=1, base_shape=target, max_side=3))
    return [anywhere(d.rng, shape)], lambda a: mgx.broadcast_to(a, result)


@case("concatenate")
def _(d):
    shape = d(one_shape(min_dims=1))
    axis = d(st.integers(-len(shape), len(shape) - 1))
    sizes = d(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    pieces = [shape[: axis % len(shape)] + (n,) + shape[axis % len(shape) + 1:] for n in sizes]
    return [anywhere(d.rng, s) for s in pieces], lambda *xs: mgx.concatenate(list(xs), axis=axis)


@case("stack")
def _(d):
    shape = d(one_shape())
    axis = d(st.integers(-len(shape) - 1, len(shape)))
    count = d(st.integers(1, 3))
    return [anywhere(d.rng, shape) for _ in range(count)], lambda *xs: mgx.stack(xs, axis=axis)


# --- indexing -------------------------------------------------------------------
def basic_index(d, shape):
    """A random index of ints, slices (any step), None and Ellipsis that is valid for ``shape``."""
    items = []
    for n in shape[: d(st.integers(0, len(shape)))]:
        if n and d(st.booleans()):
            items.append(d(st.integers(-n, n - 1)))
        else:
            step = d(st.sampled_from([None, 1, 2, -1, -2]))
            start = d(st.sampled_from([None, 0, 1, -1]))
            stop = d(st.sampled_from([None, 1, -1, 5]))
            items.append(slice(start, stop, step))
        if d(st.integers(0, 4)) == 0:
            items.append(None)
    if d(st.booleans()):
        items.append(Ellipsis)
        if d(st.booleans()):
            items.append(None)
    return tuple(items) if len(items) != 1 or d(st.booleans()) else items[0]


@case("basic indexing")
def _(d):
    shape = d(one_shape())
    index = basic_index(d, shape)
    return [anywhere(d.rng, shape)], lambda a: a[index]


@case("integer array indexing, repeats")
def _(d):
    shape = d(one_shape(min_dims=1, min_side=1))
    idx = d.rng.integers(-shape[0], shape[0], size=d(st.sampled_from([(4,), (2, 3), (0,)])))
    return [anywhere(d.rng, shape)], lambda a: a[idx]


@case("integer arrays on two axes")
def _(d):
    shape = d(one_shape(min_dims=2, min_side=1))
    i = d.rng.integers(0, shape[0], size=5)
    j = d.rng.integers(0, shape[1], size=(1, 5))
    return [anywhere(d.rng, shape)], lambda a: a[i, j]


@case("integer array and slice")
def _(d):
    shape = d(one_shape(min_dims=2, min_side=1))
    idx = [0, -1, 0]
    return [anywhere(d.rng, shape)], lambda a: a[idx, ::-1]


@case("index with a Tensor of ints")
def _(d):
    shape = d(one_shape(min_dims=1, min_side=1))
    idx = mgx.array(d.rng.integers(0, shape[0], size=3))
    return [anywhere(d.rng, shape)], lambda a: a[idx]


@case("take")
def _(d):
    shape = d(one_shape(min_dims=1, min_side=1))
    axis = d(st.sampled_from([None] + list(range(len(shape)))))
    n = math.prod(shape) if axis is None else shape[axis]
    idx = d.rng.integers(0, n, size=4)
    return [anywhere(d.rng, shape)], lambda a: mgx.take(a, idx, axis=axis)


@case("boolean mask")
def _(d):
    shape = d(one_shape())
    keep = d.rng.random(shape) < 0.5
    return [anywhere(d.rng, shape)], lambda a: a[keep]


@case("boolean mask on the first axis")
def _(d):
    shape = d(one_shape(min_dims=1))
    keep = d.rng.random(shape[0]) < 0.5
    return [anywhere(d.rng, shape)], lambda a: a[keep, ...]


@case("cross-entropy")
def _(d):
    n, k = d(st.integers(1, 4)), d(st.integers(1, 4))
    labels = d.rng.integers(0, k, size=n)
    return ([anywhere(d.rng, (n, k))],
            lambda z: -mgx.mean(mgx.log_softmax(z, axis=-1)[np.arange(n), labels]))


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------
H = 1e-6


def plain(fn, xs):
    """fn on constant float64 Tensors (nothing recorded), as a float64 array."""
    with mgx.no_grad():
        return np.asarray(raw_value(fn(*[mgx.array(x) for x in xs])), dtype=np.float64)


def numeric_vjp(fn, xs, w):
    """Central-difference gradient of sum(fn(xs) * w) with respect to each input."""
    grads = []
    for i, x in enumerate(xs):
        g = np.zeros_like(x)
        for j in np.ndindex(x.shape):
            up = [a.copy() for a in xs]
            down = [a.copy() for a in xs]
            up[i][j] += H
            down[i][j] -= H
            g[j] = np.sum((plain(fn, up) - plain(fn, down)) * w) / (2 * H)
        grads.append(g)
    return grads


def numeric_jvp(fn, xs, ts):
    up = [x + H * t for x, t in zip(xs, ts)]
    down = [x - H * t for x, t in zip(xs, ts)]
    return (plain(fn, up) - plain(fn, down)) / (2 * H)


def close(actual, expected, dtype, what):
    tol = 1e-6 if dtype == np.float64 else 3e-3
    scale = 1.0 + (np.max(np.abs(expected)) if np.size(expected) else 0.0)
    np.testing.assert_allclose(np.asarray(actual, np.float64), expected, rtol=tol, atol=tol * scale, err_msg=what)


def transform_vjp(fn, xs, w):
    """Cotangents through the transform path (no cast in ``_accumulate_grad``)."""
    with transform_level() as level:
        leaves = [Tensor._leaf(x, level) for x in xs]
        out = fn(*leaves)
    assert isinstance(out, Tensor) and out._level == level
    backward_sweep(out, w, False)
    cts = []
    for leaf in leaves:
        cts.append(leaf._cot)
        leaf._cot = None
    return out._value, cts


def transform_jvp(fn, xs, ts):
    with transform_level() as level:
        out = fn(*[Dual._make(x, t, level) for x, t in zip(xs, ts)])
    assert isinstance(out, Dual) and out._level == level
    return out._primal, out._tangent


def check_case(name, data):
    dtype = data.draw(st.sampled_from([np.float64, np.float32]), label="dtype")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    d = Draw(data, rng)
    xs64, fn = CASES[name](d)
    xs64 = [np.array(x, dtype=np.float64) for x in xs64]  # 0-d arrays, not numpy scalars
    xs = [x.astype(dtype) for x in xs64]
    expected = plain(fn, xs64)

    # reverse mode, eager
    tensors = [mgx.Tensor(x) for x in xs]
    out = fn(*tensors)
    assert isinstance(out, Tensor)
    assert out.dtype == dtype and out.shape == expected.shape
    close(out.data, expected, dtype, "value")
    w64 = rng.standard_normal(expected.shape)
    out.backward(grad=w64.astype(dtype))
    numeric = numeric_vjp(fn, xs64, w64)
    for i, (t, g) in enumerate(zip(tensors, numeric)):
        assert t.grad is not None, f"input {i} got no gradient"
        assert t.grad.shape == xs[i].shape and t.grad.dtype == dtype
        close(t.grad, g, dtype, f"eager gradient of input {i}")

    # reverse mode, transform path: cotangents must already have the input's shape and dtype
    value, cts = transform_vjp(fn, xs, w64.astype(dtype))
    assert np.asarray(value).dtype == dtype
    for i, (ct, g) in enumerate(zip(cts, numeric)):
        ct = np.asarray(ct)
        assert ct.shape == xs[i].shape, f"cotangent {i}: shape {ct.shape}, input {xs[i].shape}"
        assert ct.dtype == dtype, f"cotangent {i}: dtype {ct.dtype}, input {dtype}"
        close(ct, g, dtype, f"transform cotangent of input {i}")

    # forward mode: Dual tangents
    ts64 = [rng.standard_normal(x.shape) for x in xs64]
    primal, tangent = transform_jvp(fn, xs, [t.astype(dtype) for t in ts64])
    assert tangent is not None
    tangent = np.asarray(tangent)
    assert tangent.shape == expected.shape and tangent.dtype == dtype
    close(primal, expected, dtype, "primal")
    close(tangent, numeric_jvp(fn, xs64, ts64), dtype, "tangent")

    # the two modes agree: <w, J t> == <J^T w, t>
    lhs = float(np.sum(w64 * tangent))
    rhs = float(sum(np.sum(g * t) for g, t in zip(numeric, ts64)))
    assert lhs == pytest.approx(rhs, rel=1e-3 if dtype == np.float32 else 1e-6, abs=1e-3)


@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=20)
@given(data=st.data())
def test_op_derivatives_match_finite_differences(name, data):
    check_case(name, data)
