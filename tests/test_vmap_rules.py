"""Every batching rule of the rule table against the loop that defines vmap, on random shapes and axes.

The tests iterate the rule table: a primitive that gains a batching rule is tested here automatically
(elementwise ones need nothing; a structural one needs a case in ``CASES``, and a test fails until it has
one).  The composition tests check ``vmap`` with ``grad``/``value_and_grad``/``jvp``/``vjp`` and itself.
"""

import inspect
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import microgradx as mgx
from microgradx.core import rules as R
from microgradx.core.dispatch import apply
from microgradx.nodes.batched import VmapFallbackWarning
from microgradx.transforms.vmap import vmap

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INTEGER_ONLY = {"bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_invert", "left_shift", "right_shift"}
DOMAIN = {"arccosh": (1.1, 3.0)}  # everything else: values in (0.2, 0.9), inside every domain


def arity(prim) -> int:
    if prim.partials is not None:
        return len(prim.partials)
    if prim.ufunc is not None:
        return prim.ufunc.nin
    if hasattr(prim.plain_forward, "nin"):  # a numpy ufunc as the forward
        return prim.plain_forward.nin
    params = inspect.signature(prim.plain_forward).parameters.values()
    return sum(1 for p in params if p.default is inspect.Parameter.empty and p.kind == p.POSITIONAL_OR_KEYWORD)


def is_elementwise(prim) -> bool:
    """Batched by the elementwise rule of the table (elementwise(), constant(), where, conj, ...)."""
    return getattr(prim.batch, "__qualname__", "").startswith("elementwise_batch")


def values(draw, shape, name="", dtype=np.float64):
    if name in INTEGER_ONLY:
        return np.asarray(draw(st.lists(st.integers(0, 7), min_size=int(np.prod(shape)),
                                        max_size=int(np.prod(shape))))).reshape(shape).astype(np.int64)
    lo, hi = DOMAIN.get(name, (0.2, 0.9))
    seed = draw(st.integers(0, 2**31 - 1))
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(dtype)


shapes = st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple)


def broadcastable(draw, shape):
    """A shape that broadcasts to ``shape``: a suffix of it, some axes set to 1."""
    k = draw(st.integers(0, len(shape)))
    suffix = shape[len(shape) - k:]
    return tuple(1 if draw(st.booleans()) else n for n in suffix)


# ---------------------------------------------------------------------------
# One example's operands and parameters, per structural primitive
# ---------------------------------------------------------------------------
def case_reduction(draw, name):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple))
    r = len(shape)
    axis = draw(st.one_of(st.none(), st.integers(-r, r - 1),
                          st.lists(st.integers(0, r - 1), min_size=1, max_size=r, unique=True).map(tuple)))
    return [values(draw, shape)], {"axis": axis, "keepdims": draw(st.booleans())}


def case_cumulative(draw, name):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple))
    return [values(draw, shape)], {"axis": draw(st.integers(-len(shape), len(shape) - 1))}


def case_reshape(draw, name):
    shape = draw(shapes)
    size = int(np.prod(shape))
    target = draw(st.sampled_from([(size,), shape[::-1], (1,) + shape, (-1,), (size, 1)]))
    return [values(draw, shape)], {"shape": target}


def case_transpose(draw, name):
    shape = draw(shapes)
    return [values(draw, shape)], {"axes": tuple(draw(st.permutations(range(len(shape)))))}


def case_broadcast_to(draw, name):
    target = draw(shapes)
    extra = tuple(draw(st.lists(st.integers(1, 3), max_size=1)))
    return [values(draw, broadcastable(draw, target))], {"shape": extra + target}


def case_astype(draw, name):
    return [values(draw, draw(shapes))], {"dtype": np.dtype(np.float32)}


def an_index(draw, shape):
    """A basic index (ints, slices, None, Ellipsis), an integer-array index, two arrays apart, or a mask."""
    r = len(shape)
    kind = draw(st.sampled_from(["basic", "array", "apart", "mask"]))
    if kind == "array":
        ax = draw(st.integers(0, r - 1))
        idx = np.asarray(draw(st.lists(st.integers(0, shape[ax] - 1), min_size=1, max_size=4)))
        return (slice(None),) * ax + (idx,)
    if kind == "apart" and r >= 3:
        i = np.asarray(draw(st.lists(st.integers(0, shape[0] - 1), min_size=2, max_size=2)))
        j = np.asarray(draw(st.lists(st.integers(0, shape[2] - 1), min_size=2, max_size=2)))
        return (i, slice(None), j)
    if kind == "mask":
        return np.asarray(draw(st.lists(st.booleans(), min_size=shape[0], max_size=shape[0])))
    items = []
    for n in shape:
        items.append(draw(st.one_of(st.integers(-n, n - 1), st.just(slice(None)), st.just(slice(None, None, -1)),
                                    st.just(slice(0, n, 2)))))
    if draw(st.booleans()):
        items.insert(draw(st.integers(0, len(items))), None)
    if draw(st.booleans()) and items:
        items = [Ellipsis] + items[1:]
    return tuple(items)


def case_getitem(draw, name):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple))
    return [values(draw, shape)], {"index": an_index(draw, shape)}


def case_scatter_add(draw, name):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple))
    index = an_index(draw, shape)
    slot = np.zeros(shape)[index].shape
    return [values(draw, slot)], {"index": index, "shape": shape}


def case_scatter_set(draw, name):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple))
    index = an_index(draw, shape)
    slot = np.zeros(shape)[index].shape
    return [values(draw, shape), values(draw, broadcastable(draw, slot))], {"index": index}


def case_concatenate(draw, name):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        s = list(shape)
        s[axis] = draw(st.integers(1, 3))
        parts.append(values(draw, tuple(s)))
    return parts, {"axis": axis}


def case_matmul(draw, name):
    n, k, m, b = (draw(st.integers(1, 3)) for _ in range(4))
    sa, sb = draw(st.sampled_from([((k,), (k,)), ((n, k), (k,)), ((k,), (k, m)), ((n, k), (k, m)),
                                    ((b, n, k), (k, m)), ((n, k), (b, k, m)), ((b, n, k), (1, k, m)),
                                    ((k,), (b, k, m))]))
    return [values(draw, sa), values(draw, sb)], {}


def case_pad(draw, name):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3).map(tuple))
    widths = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in shape)
    return [values(draw, shape)], {"widths": widths, "value": draw(st.sampled_from([0.0, 1.5]))}


CASES = {
    "sum": case_reduction, "max": case_reduction, "min": case_reduction, "logsumexp": case_reduction,
    "prod": case_reduction, "cumsum": case_cumulative, "cumprod": case_cumulative, "reshape": case_reshape,
    "transpose": case_transpose, "broadcast_to": case_broadcast_to, "astype": case_astype,
    "getitem": case_getitem, "scatter_add": case_scatter_add, "scatter_set": case_scatter_set,
    "concatenate": case_concatenate, "matmul": case_matmul, "pad": case_pad,
}


def case_elementwise(draw, name):
    prim = R.table[name]
    shape = draw(shapes)
    operands = [values(draw, broadcastable(draw, shape), name) for _ in range(arity(prim))]
    if name == "where":
        operands[0] = operands[0] > 0.5
    return operands, {}


WITH_RULES = sorted(name for name, prim in R.table.items() if prim.batch is not None)


def test_every_structural_primitive_with_a_rule_has_a_case():
    missing = [n for n in WITH_RULES if not is_elementwise(R.table[n]) and n not in CASES]
    assert missing == [], f"add a case to CASES for the batching rules of {missing}"


def batch_up(draw, x, n):
    """Put a batch of ``n`` copies-with-noise of ``x`` at a random axis (or leave it unbatched: None)."""
    if draw(st.booleans()) and draw(st.booleans()):
        return x, None
    r = np.ndim(x)
    axis = draw(st.integers(-(r + 1), r))
    rows = [x] + [values(draw, np.shape(x), dtype=np.asarray(x).dtype) if x.dtype.kind == "f"
                  else x for _ in range(n - 1)]
    return np.stack(rows, axis=axis), axis


@pytest.mark.parametrize("name", WITH_RULES)
@SETTINGS
@given(data=st.data())
def test_batching_rule_equals_the_loop(name, data):
    draw = data.draw
    prim = R.table[name]
    make = CASES.get(name, case_elementwise)
    operands, params = make(draw, name)
    n = draw(st.integers(1, 3))
    batched, axes = zip(*[batch_up(draw, x, n) for x in operands])
    if all(a is None for a in axes):  # at least one operand batched
        batched, axes = list(batched), list(axes)
        batched[0], axes[0] = np.stack([operands[0]] * n, axis=0), 0
    axes = tuple(axes)
    out_ndim = np.ndim(prim.forward(*operands, **params))
    out_axis = draw(st.integers(-(out_ndim + 1), out_ndim))

    def example(*xs):
        return apply(prim, *xs, **params)

    with warnings.catch_warnings():
        warnings.simplefilter("error", VmapFallbackWarning)  # a rule must not fall back
        got = vmap(example, in_axes=axes, out_axes=out_axis)(*batched)

    def slice_of(x, a, b):
        return x if a is None else np.take(x, b, axis=a)

    want = np.stack([np.asarray(prim.forward(*[slice_of(x, a, b) for x, a in zip(batched, axes)], **params))
                     for b in range(n)], axis=out_axis)
    got = np.asarray(got)
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0, equal_nan=True)


# ---------------------------------------------------------------------------
# Composition with the other transforms, and the fallbacks
# ---------------------------------------------------------------------------
RNG = np.random.default_rng(1)


def mlp_loss(params, x, y):
    w1, b1, w2 = params
    h = mgx.tanh(x @ w1 + b1)
    return mgx.sum((h @ w2 - y) ** 2) + 0.1 * mgx.logsumexp(h)


def mlp_params():
    return [RNG.standard_normal((4, 5)), RNG.standard_normal(5), RNG.standard_normal((5, 2))]


def test_per_example_gradients_equal_a_loop_with_one_call():
    params, xs, ys = mlp_params(), RNG.standard_normal((6, 4)), RNG.standard_normal((6, 2))
    calls = []

    def counted(p, x, y):
        calls.append(x.shape)
        return mlp_loss(p, x, y)

    with warnings.catch_warnings():
        warnings.simplefilter("error", VmapFallbackWarning)
        batched = vmap(mgx.grad(counted), in_axes=(None, 0, 0))(params, xs, ys)
    assert calls == [(4,)]  # one call, seeing one example
    loop = [mgx.grad(mlp_loss)(params, xs[i], ys[i]) for i in range(6)]
    for k in range(3):
        np.testing.assert_allclose(np.asarray(batched[k]), np.stack([np.asarray(g[k]) for g in loop]), rtol=1e-12)


def test_value_and_grad_under_vmap_and_vmap_under_grad():
    params, xs, ys = mlp_params(), RNG.standard_normal((5, 4)), RNG.standard_normal((5, 2))
    values_, grads = vmap(mgx.value_and_grad(mlp_loss), in_axes=(None, 0, 0))(params, xs, ys)
    np.testing.assert_allclose(np.asarray(values_), [float(mlp_loss(params, xs[i], ys[i])) for i in range(5)],
                               rtol=1e-12)
    total = lambda p: mgx.sum(vmap(mlp_loss, in_axes=(None, 0, 0))(p, xs, ys))  # noqa: E731
    direct = lambda p: sum(mlp_loss(p, xs[i], ys[i]) for i in range(5))  # noqa: E731
    for a, b in zip(mgx.grad(total)(params), mgx.grad(direct)(params)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12)


def test_jvp_of_vmap_and_vmap_of_jvp_and_vjp():
    xs, ts = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    f = lambda x: mgx.sum(mgx.sin(x) * x) * x  # noqa: E731
    ref = [mgx.jvp(f, [xs[i]], [ts[i]])[1][0] for i in range(4)]
    out = mgx.jvp(vmap(f), [xs], [ts])[1][0]
    np.testing.assert_allclose(np.asarray(out), np.stack([np.asarray(r) for r in ref]), rtol=1e-12)
    out = vmap(lambda x, t: mgx.jvp(f, [x], [t])[1][0])(xs, ts)
    np.testing.assert_allclose(np.asarray(out), np.stack([np.asarray(r) for r in ref]), rtol=1e-12)
    ref = [mgx.vjp(f, [xs[i]], [ts[i]])[1][0] for i in range(4)]
    out = vmap(lambda x, c: mgx.vjp(f, [x], [c])[1][0])(xs, ts)
    np.testing.assert_allclose(np.asarray(out), np.stack([np.asarray(r) for r in ref]), rtol=1e-12)


def test_nested_vmap_and_grad_of_nested_vmap():
    a = RNG.standard_normal((2, 3, 4))
    f = lambda x, y: mgx.sum(x * y) / (1.0 + mgx.max(x))  # noqa: E731
    w = RNG.standard_normal(4)
    out = vmap(vmap(f, in_axes=(0, None)), in_axes=(1, None))(a, w)
    want = np.array([[float(f(a[i, j], w)) for i in range(2)] for j in range(3)])
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-12)
    g = mgx.grad(lambda w: mgx.sum(vmap(vmap(f, in_axes=(0, None)), in_axes=(1, None))(a, w)))(w)
    g_loop = mgx.grad(lambda w: sum(f(a[i, j], w) for i in range(2) for j in range(3)))(w)
    np.testing.assert_allclose(np.asarray(g), np.asarray(g_loop), rtol=1e-12)


def test_per_example_hessian_diagonals_vmap_of_grad_of_grad():
    xs = RNG.standard_normal(5)
    out = vmap(mgx.grad(mgx.grad(lambda x: x ** 3 + mgx.sin(x))))(xs)
    np.testing.assert_allclose(np.asarray(out), 6 * xs - np.sin(xs), rtol=1e-12)


def test_a_primitive_without_a_rule_loops_with_a_warning():
    twice = R.register(R.Primitive("twice_vmap_test", lambda x: 2.0 * x))
    try:
        with pytest.warns(VmapFallbackWarning, match="'twice_vmap_test' has no batching rule"):
            out = vmap(lambda x: mgx.sum(apply(twice, x) * x), in_axes=1)(np.arange(6.0).reshape(2, 3))
        np.testing.assert_allclose(np.asarray(out), 2 * (np.arange(6.0).reshape(2, 3) ** 2).sum(0))
    finally:
        del R.table["twice_vmap_test"]


def test_code_that_reads_values_falls_back_to_a_loop_with_a_warning():
    def branchy_in_the_fallback_test(x):
        return x * 2.0 if float(mgx.sum(x)) > 0 else x * -1.0

    xs = np.array([[1.0, 2.0], [-3.0, 1.0]])
    with pytest.warns(VmapFallbackWarning, match="needs the values of a batched array"):
        out = vmap(branchy_in_the_fallback_test)(xs)
    np.testing.assert_allclose(np.asarray(out), [[2.0, 4.0], [3.0, -1.0]])
    out = vmap(lambda x: mgx.argmax(x))(np.array([[1.0, 3.0, 2.0], [5.0, 0.0, 1.0]]))
    np.testing.assert_array_equal(np.asarray(out), [1, 0])


def test_outputs_trees_and_unbatched_outputs():
    x = RNG.standard_normal((3, 2))
    out = vmap(lambda x: {"a": x, "b": [x * 2.0, 1.0 + 0.0 * mgx.sum(x)]}, out_axes={"a": 0, "b": [1, 0]})(x)
    np.testing.assert_allclose(np.asarray(out["a"]), x)
    np.testing.assert_allclose(np.asarray(out["b"][0]), 2 * x.T)
    out = vmap(lambda x: mgx.array(1.0))(x)  # does not depend on the batch: repeated, as MLX does
    np.testing.assert_array_equal(np.asarray(out), [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="not a valid prefix"):
        vmap(lambda x: (x, x), out_axes=(0,))(x)
    with pytest.raises(IndexError, match=r"Invalid output vectorization axis 2 for array with shape \(2\)"):
        vmap(lambda x: x, out_axes=2)(x)
