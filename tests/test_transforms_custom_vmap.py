"""custom_function, checkpoint and vmap: against loops, finite differences and real MLX where it has them."""

import numpy as np
import pytest

import microgradx as mgx
from microgradx.transforms.custom import checkpoint, custom_function
from microgradx.transforms.vmap import vmap

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------------------
# custom_function
# ---------------------------------------------------------------------------
def make_log1pexp():
    @custom_function
    def log1pexp(x):
        return mgx.log(1.0 + mgx.exp(x))

    @log1pexp.vjp
    def _(primals, cotangent, output):
        return cotangent * mgx.sigmoid(primals)

    @log1pexp.jvp
    def _(primals, tangents):
        return tangents * mgx.sigmoid(primals)

    return log1pexp


def test_custom_vjp_and_jvp_are_used_and_stable():
    f = make_log1pexp()
    x = np.array([-3.0, 0.0, 2.0, 800.0])
    g = mgx.grad(lambda v: mgx.sum(f(v)))(x)
    np.testing.assert_allclose(np.asarray(g), 1 / (1 + np.exp(-x)))
    with np.errstate(over="ignore", invalid="ignore"):
        naive = mgx.grad(lambda v: mgx.sum(mgx.log(1.0 + mgx.exp(v))))(x)
    assert np.isnan(np.asarray(naive)[-1])                    # the reason for the custom rule
    _, (t,) = mgx.jvp(f, [x], [np.ones(4)])
    np.testing.assert_allclose(np.asarray(t), 1 / (1 + np.exp(-x)))


def test_custom_function_without_transform_is_a_plain_call():
    f = make_log1pexp()
    np.testing.assert_allclose(np.asarray(f(np.array([0.0]))), [np.log(2.0)])


def test_gradient_clipping_in_the_backward_pass():
    @custom_function
    def clip_grad(x):
        return x

    @clip_grad.vjp
    def _(primals, cotangent, output):
        return mgx.clip(cotangent, -1.0, 1.0)

    g = mgx.grad(lambda x: mgx.sum(clip_grad(x) * np.array([0.5, 3.0, -7.0])))(np.ones(3))
    np.testing.assert_array_equal(np.asarray(g), [0.5, 1.0, -1.0])


def test_two_inputs_two_outputs_and_kwargs_as_mlx():
    mx = pytest.importorskip("mlx.core")

    def build(lib):
        @lib.custom_function
        def f(x, y, scale=1.0):
            return lib.sin(x) * y * scale, x * y

        @f.vjp
        def _(primals, cotangents, outputs, scale=1.0):
            x, y = primals
            c1, c2 = cotangents
            return (c1 * lib.cos(x) * y * scale * 10 + c2 * y, c1 * lib.sin(x) * scale + c2 * x)

        return f

    ours, theirs = build(mgx_face()), build(mx)
    x, y = np.array([0.3, 1.2], np.float32), np.array([2.0, -1.0], np.float32)

    def loss(lib, f):
        return lambda a, b: lib.sum(f(a, b, scale=2.0)[0]) + lib.sum(f(a, b, scale=2.0)[1] * 3.0)

    g_ours = mgx.grad(loss(mgx, ours), argnums=(0, 1))(x, y)
    g_theirs = mx.grad(loss(mx, theirs), argnums=(0, 1))(mx.array(x), mx.array(y))
    for a, b in zip(g_ours, g_theirs):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5)


def mgx_face():
    """mgx with MLX's custom_function spelling, for writing one rule for both libraries."""
    class Face:
        custom_function = custom_function
        sin, cos, sum = mgx.sin, mgx.cos, mgx.sum
    return Face


def test_missing_rule_falls_back_to_the_function():
    @custom_function
    def f(x):
        return mgx.sin(x) * x

    @f.vjp
    def _(primals, cotangent, output):
        return cotangent * 0.0 + 42.0

    x = np.array([0.7])
    assert float(mgx.grad(lambda v: mgx.sum(f(v)))(x)[0]) == 42.0
    _, (t,) = mgx.jvp(f, [x], [np.ones(1)])                # no jvp rule: jvp of f itself
    np.testing.assert_allclose(np.asarray(t), np.sin(x) + x * np.cos(x))


def test_custom_jvp_with_kwargs_is_mlxs_error():
    f = custom_function(lambda x, k=1.0: x * k).jvp(lambda p, t: t)
    with pytest.raises(ValueError, match=r"\[custom jvp\] Function should only accept positional arguments"):
        mgx.jvp(lambda x: f(x, k=2.0), [1.0], [1.0])


def test_custom_function_second_order_through_its_rule():
    f = make_log1pexp()
    d2 = mgx.grad(mgx.grad(lambda v: mgx.sum(f(v))))(0.3)
    s = 1 / (1 + np.exp(-0.3))
    np.testing.assert_allclose(float(d2), s * (1 - s))


def test_custom_function_bad_rule_type():
    with pytest.raises(TypeError, match="the rule must be callable"):
        custom_function(lambda x: x).vjp(3)
    with pytest.raises(TypeError, match="fun must be callable"):
        custom_function(5)


# ---------------------------------------------------------------------------
# checkpoint
# ---------------------------------------------------------------------------
def mlp_params(depth=6, width=16):
    return [(RNG.standard_normal((width, width)) / 4, RNG.standard_normal(width) / 4) for _ in range(depth)]


def block(h, w, b):
    return mgx.tanh(h @ w + b)


def mlp_loss(params, x, ckpt):
    step = checkpoint(block) if ckpt else block
    for w, b in params:
        x = step(x, w, b)                # as in MLX, what the block differentiates must be an argument
    return mgx.sum(x * x)


def test_checkpoint_gives_the_same_gradients():
    params, x = mlp_params(), RNG.standard_normal((4, 16))
    g1 = mgx.grad(lambda p: mlp_loss(p, x, False))(params)
    g2 = mgx.grad(lambda p: mlp_loss(p, x, True))(params)
    for (a, b), (c, d) in zip(g1, g2):
        np.testing.assert_allclose(np.asarray(a), np.asarray(c), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(np.asarray(b), np.asarray(d), rtol=1e-12, atol=1e-14)


def test_checkpoint_recomputes_in_the_backward_sweep():
    calls = []

    def block(h):
        calls.append(1)
        return mgx.tanh(h) * 2.0

    f = checkpoint(block)
    mgx.grad(lambda h: mgx.sum(f(h)))(np.ones(3))
    assert len(calls) == 2                          # once forward, once again in the backward sweep


def test_checkpoint_under_jvp_and_second_order():
    f = checkpoint(lambda h: mgx.sin(h) * h)
    np.testing.assert_allclose(float(mgx.grad(mgx.grad(f))(0.4)), 2 * np.cos(0.4) - 0.4 * np.sin(0.4))
    _, (t,) = mgx.jvp(f, [0.4], [1.0])
    np.testing.assert_allclose(float(t), np.sin(0.4) + 0.4 * np.cos(0.4))


def test_checkpoint_matches_mlx():
    mx = pytest.importorskip("mlx.core")
    x = np.array([0.2, -0.5, 1.5], np.float32)
    ours = mgx.grad(lambda v: mgx.sum(checkpoint(lambda h: mgx.exp(mgx.sin(h)) * h)(v)))(x)
    theirs = mx.grad(lambda v: mx.sum(mx.checkpoint(lambda h: mx.exp(mx.sin(h)) * h)(v)))(mx.array(x))
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-6)


# ---------------------------------------------------------------------------
# vmap
# ---------------------------------------------------------------------------
def per_example_loss(w, x, y):
    return mgx.sum((mgx.tanh(x @ w) - y) ** 2)


def test_vmap_grad_equals_a_loop_of_per_example_grads():
    w, xs, ys = RNG.standard_normal((5, 3)), RNG.standard_normal((8, 5)), RNG.standard_normal((8, 3))
    batched = vmap(mgx.grad(per_example_loss), in_axes=(None, 0, 0))(w, xs, ys)
    loop = np.stack([np.asarray(mgx.grad(per_example_loss)(w, xs[i], ys[i])) for i in range(8)])
    np.testing.assert_allclose(np.asarray(batched), loop, rtol=1e-13)


def test_vmap_in_axes_tree_prefix():
    # MLX 0.32.4 rejects tree-shaped in_axes ("not a valid prefix"); microgradx reads them as JAX does
    p, q = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    out = vmap(lambda d: d["p"] * d["q"], in_axes=({"p": 1, "q": 0},))({"p": p, "q": q})
    np.testing.assert_allclose(np.asarray(out), p.T * q[:, None])


@pytest.mark.parametrize("case", ["in1", "neg", "out1", "tuple_out", "none", "nested", "const"])
def test_vmap_axes_match_mlx(case):
    mx = pytest.importorskip("mlx.core")
    a = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    b = RNG.standard_normal((3,)).astype(np.float32)
    cases = {
        "in1": (lambda m: m.vmap(lambda x: m.sum(x, axis=0), in_axes=1), (a,)),
        "neg": (lambda m: m.vmap(lambda x: x * 2.0, in_axes=-1), (a,)),
        "out1": (lambda m: m.vmap(lambda x: m.sum(x, axis=1), out_axes=1), (a,)),
        "tuple_out": (lambda m: m.vmap(lambda x: (x, x * 2.0), out_axes=(0, 1)), (a[0],)),
        "none": (lambda m: m.vmap(lambda x, y: x * y, in_axes=(0, None)), (b, a[0])),
        "nested": (lambda m: m.vmap(m.vmap(lambda x: m.sum(x * x)), in_axes=2), (a,)),
        "const": (lambda m: m.vmap(lambda x: m.sum(x * 0.0) + 1.0), (b,)),
    }
    make, args = cases[case]

    class Ours:
        vmap = staticmethod(vmap)
        sum = staticmethod(mgx.sum)

    ours = make(Ours)(*args)
    to_mx = lambda v: {k: mx.array(x) for k, x in v.items()} if isinstance(v, dict) else mx.array(v)
    theirs = make(mx)(*[to_mx(v) for v in args])
    ours, theirs = (ours, theirs) if isinstance(ours, tuple) else ((ours,), (theirs,))
    for o, t in zip(ours, theirs):
        assert tuple(np.shape(np.asarray(o))) == tuple(t.shape)
        np.testing.assert_allclose(np.asarray(o), np.asarray(t), rtol=1e-5, atol=1e-6)


def test_vmap_errors_match_mlx():
    mx = pytest.importorskip("mlx.core")
    x = np.ones((2, 3), np.float32)

    def mlx_vmap(f, **kwargs):
        return lambda *args: mx.vmap(f, **kwargs)(*[mx.array(a) for a in args])

    for make in [lambda vm: vm(lambda a: a, in_axes=(0, 0))(x),
                 lambda vm: vm(lambda a, b: a + b)(x, np.ones((3, 3), np.float32)),
                 lambda vm: vm(lambda a: a, in_axes=2)(x)]:
        with pytest.raises((ValueError, IndexError)) as ours:
            make(vmap)
        with pytest.raises((ValueError, IndexError)) as theirs:
            make(mlx_vmap)
        assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


def test_grad_of_vmap_and_jvp_of_vmap():
    w, xs, ys = RNG.standard_normal((5, 3)), RNG.standard_normal((4, 5)), RNG.standard_normal((4, 3))
    total = lambda w: mgx.sum(vmap(per_example_loss, in_axes=(None, 0, 0))(w, xs, ys))
    direct = lambda w: sum(per_example_loss(w, xs[i], ys[i]) for i in range(4))
    np.testing.assert_allclose(np.asarray(mgx.grad(total)(w)), np.asarray(mgx.grad(direct)(w)), rtol=1e-12)
    t = RNG.standard_normal((5, 3))
    np.testing.assert_allclose(float(mgx.jvp(total, [w], [t])[1][0]), float(mgx.jvp(direct, [w], [t])[1][0]),
                               rtol=1e-12)


def test_vmap_of_vjp_and_of_jvp():
    xs = RNG.standard_normal((4, 3))
    f = lambda x: mgx.sin(x) * x
    out = vmap(lambda x: mgx.vjp(f, [x], [mgx.ones(3)])[1][0])(xs)
    np.testing.assert_allclose(np.asarray(out), np.sin(xs) + xs * np.cos(xs), rtol=1e-13)
    out = vmap(lambda x: mgx.jvp(f, [x], [mgx.ones(3)])[1][0])(xs)
    np.testing.assert_allclose(np.asarray(out), np.sin(xs) + xs * np.cos(xs), rtol=1e-13)


def test_vmap_uses_a_custom_functions_batching_rule():
    calls = []

    @custom_function
    def f(x):
        calls.append("single")
        return x * 2.0

    @f.vmap
    def _(x, axis):  # MLX's convention: one input comes as itself, with an int axis
        calls.append(("batched", np.shape(x), axis))
        return x * 2.0, axis

    out = vmap(f, in_axes=1)(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(np.asarray(out), 2 * np.arange(6.0).reshape(2, 3).T)
    assert calls == [("batched", (2, 3), 1)]


def _times_ten_rule():
    """x * x whose batching rule computes x * 10 instead (so the rule, not the function, is seen)."""
    @custom_function
    def f(x):
        return x * x

    @f.vmap
    def _(x, axis):
        return x * 10.0, axis
    return f


def test_the_batching_rule_is_used_inside_a_vmapped_function(recwarn):
    f = _times_ten_rule()
    xs = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(np.asarray(vmap(lambda x: f(x) + 1.0)(xs)), xs * 10 + 1)
    np.testing.assert_array_equal(np.asarray(vmap(lambda x: mgx.sum(f(x * 2.0)))(xs[:, None])), xs * 20)
    assert not [w for w in recwarn if "loop" in str(w.message)]   # no fallback to a loop
    # under a derivative the rule's own operations are differentiated (as in MLX)
    np.testing.assert_array_equal(np.asarray(mgx.grad(lambda x: mgx.sum(vmap(f)(x)))(xs)), [10.0] * 3)
    _, tangent = mgx.jvp(lambda x: vmap(f)(x), [xs], [np.ones(3)])
    np.testing.assert_array_equal(np.asarray(tangent[0]), [10.0] * 3)


def test_a_batching_rule_with_two_inputs_and_two_outputs_is_called_once_per_call():
    calls = []

    @custom_function
    def f(x, y):
        return x + y, x * y

    @f.vmap
    def _(inputs, axes):
        calls.append(axes)
        x, y = inputs
        return (x + y + 100.0, x * y + 1000.0), (0, 0)

    xs, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([3.0, 5.0])
    a, b = vmap(f, in_axes=(0, None))(xs, y)
    np.testing.assert_array_equal(np.asarray(a), xs + y + 100)
    np.testing.assert_array_equal(np.asarray(b), xs * y + 1000)
    assert calls == [(0, None)]
    diff = vmap(lambda x, y: f(x, y)[1] - f(x, y)[0], in_axes=(0, None))(xs, y)
    np.testing.assert_array_equal(np.asarray(diff), (xs * y + 1000) - (xs + y + 100))
    assert len(calls) == 3   # once per call of f, whichever output is used


def test_a_vjp_rule_still_holds_under_vmap_of_grad():
    @custom_function
    def f(x):
        return x * x

    f.vjp(lambda x, cotangent, output: cotangent * 100.0)
    f.vmap(lambda x, axis: (x * 3.0, axis))
    per_example = vmap(mgx.grad(lambda x: f(x)))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(np.asarray(per_example), [100.0, 100.0])


@pytest.mark.parametrize("rule, message", [
    (lambda x, axis: x, "must return a pair"),
    (lambda x, axis: ((x, x), (0, 0, 0)), "3 axes for 2 outputs"),
    (lambda x, axis: (x, 2), "batch axis 2 for an output with 1 dimensions"),
    (lambda x, axis: (x, "0"), "out_axes must be ints or None"),
])
def test_a_bad_batching_rule_gets_a_clear_error(rule, message):
    f = custom_function(lambda x: x).vmap(rule)
    with pytest.raises(ValueError, match=message):
        vmap(lambda x: f(x) + 1.0)(np.array([1.0, 2.0]))


def test_vmap_bad_arguments():
    with pytest.raises(TypeError, match="in_axes must be"):
        vmap(lambda x: x, in_axes=None)
    with pytest.raises(TypeError, match="fun must be callable"):
        vmap(3)


def test_the_mlx_face_has_the_transforms():
    import microgradx.mlx.core as fmx
    x = fmx.array([1.0, 2.0])
    per_example_grad = fmx.vmap(fmx.grad(lambda w, xi: fmx.sum(w * xi * xi)), in_axes=(None, 0))
    per_example = per_example_grad(fmx.ones(2), fmx.stack([x, x]))
    np.testing.assert_allclose(np.asarray(per_example), [[1.0, 4.0], [1.0, 4.0]])
    assert per_example.dtype == np.float32
    g = fmx.grad(lambda v: fmx.sum(fmx.checkpoint(lambda h: fmx.sin(h) * h)(v)))(x)
    np.testing.assert_allclose(np.asarray(g), np.sin([1.0, 2.0]) + [1.0, 2.0] * np.cos([1.0, 2.0]), rtol=1e-6)
    assert fmx.custom_function is custom_function
