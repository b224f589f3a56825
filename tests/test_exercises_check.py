"""The checkers: a right answer passes, each classic wrong answer fails with its reason, nothing raises."""

import json

import numpy as np
import pytest

import microgradx as mgx
from microgradx.core.rules import unbroadcast
from microgradx.exercises import check
from microgradx.exercises.results import LOG_VARIABLE, Result


def make_sweep(*, overwrite=False, reverse=True, seed=1.0, recursive=False, walk_from_root=False):
    """A tutorial-style backward sweep with some classic mistakes."""

    def order_of(root):
        if recursive:
            order, seen = [], set()

            def visit(n):
                if id(n) not in seen:
                    seen.add(id(n))
                    for p in n._parents:
                        if p is not None:
                            visit(p)
                    order.append(n)

            visit(root)
            return order
        return mgx.viz.topological_order(root)

    def sweep(root):
        grads = {id(root): seed} if seed is not None else {}
        if walk_from_root:  # breadth first from the root: a node may be visited before all its consumers
            nodes, queue, seen = [], [root], {id(root)}
            while queue:
                n = queue.pop(0)
                nodes.append(n)
                for p in n._parents:
                    if p is not None and id(p) not in seen:
                        seen.add(id(p))
                        queue.append(p)
        else:
            order = order_of(root)
            nodes = reversed(order) if reverse else order
        for node in nodes:
            g = grads.get(id(node))
            if g is None or not node._parents:
                continue
            needs = tuple(p is not None for p in node._parents)
            for p, c in zip(node._parents, node._prim.vjp(g, node.data, node._saved, {}, needs)):
                if p is not None:
                    grads[id(p)] = c if overwrite else grads.get(id(p), 0.0) + c
        return grads

    return sweep


def test_sweep_right():
    r = check.sweep(make_sweep())
    assert r.passed and "6 graphs" in r.reason


def test_sweep_writing_grad_attributes_is_accepted():
    def into_grad(root):
        root.backward()

    assert check.sweep(into_grad, quiet=True).passed


@pytest.mark.parametrize("kwargs, words", [
    ({"overwrite": True}, "add up (+=), not overwrite"),
    ({"reverse": False}, "never received a gradient"),
    ({"seed": None}, "seed"),
    ({"seed": 2.0}, "seed"),
    ({"recursive": True}, "explicit stack"),
    ({"walk_from_root": True}, "before"),
])
def test_sweep_classic_mistakes(kwargs, words, capsys):
    r = check.sweep(make_sweep(**kwargs))
    assert r.status == "failed"
    assert words in r.hint, r
    printed = capsys.readouterr().out
    assert printed.startswith("✗") and "expected" in printed or "RecursionError" in printed


def test_sweep_names_the_node():
    r = check.sweep(make_sweep(overwrite=True), quiet=True)
    assert r.details["graph"] == "b = a + a" and r.details["node"] == "a"
    assert (r.details["expected"], r.details["received"]) == (2.0, 1.0)


def test_not_attempted_and_student_exceptions(capsys):
    assert check.sweep(...).status == "not attempted"

    def todo(root):
        raise NotImplementedError

    assert check.sweep(todo, quiet=True).status == "not attempted"

    def broken(root):
        return 1 / 0

    r = check.sweep(broken, quiet=True)
    assert r.status == "failed" and "ZeroDivisionError" in r.reason
    r = check.sweep(lambda root: [1, 2], quiet=True)
    assert r.status == "failed" and "return a dict" in r.reason


def right_mul(g, out, x, y):
    return unbroadcast(g * y, x), unbroadcast(g * x, y)


@pytest.mark.parametrize("fn, words", [
    (lambda g, out, x, y: (g * y, g * x), "unbroadcast"),
    (lambda g, out, x, y: (unbroadcast(g * x, x), unbroadcast(g * y, y)), "swapped"),
    (lambda g, out, x, y: (unbroadcast(y + 0 * g, x), unbroadcast(x + 0 * g, y)), "multiply by the incoming"),
    (lambda g, out, x, y: (unbroadcast(-g * y, x), unbroadcast(-g * x, y)), "sign"),
])
def test_vjp_mul_mistakes(fn, words):
    assert check.vjp("mul", right_mul, quiet=True).passed
    r = check.vjp("mul", fn, quiet=True)
    assert r.status == "failed" and words in r.hint, r
    assert r.details["input"] in ("x", "y")


def test_vjp_reductions_matmul_and_unary():
    def sum_vjp(g, out, x, axis=None, keepdims=False):
        if axis is not None and not keepdims:
            g = np.expand_dims(g, axis)
        return np.broadcast_to(g, np.shape(x)) * 1.0

    assert check.vjp("sum", sum_vjp, quiet=True).passed
    r = check.vjp("sum", lambda g, out, x, axis=None, keepdims=False: g, quiet=True)
    assert r.status == "failed" and "shape" in r.reason

    def matmul_vjp(g, out, A, B):
        A2, B2 = np.atleast_2d(A), np.atleast_2d(B.T).T if B.ndim == 1 else B
        g2 = g.reshape(A2.shape[:-1] + (B2.shape[-1],)) if np.ndim(g) else g
        gA = g2 @ np.swapaxes(B2, -1, -2)
        gB = np.swapaxes(A2, -1, -2) @ g2
        return unbroadcast(gA.reshape(np.shape(gA)), A2).reshape(A.shape), unbroadcast(gB, B2).reshape(B.shape)

    r = check.vjp("matmul", lambda g, out, A, B: (g @ B, A @ g), quiet=True)
    assert r.status == "failed"
    r = check.vjp("tanh", lambda g, out, x: g * (1 - out**2), quiet=True)
    assert r.passed
    r = check.vjp("tanh", lambda g, out, x: g * (1 - x**2), quiet=True)
    assert r.status == "failed" and "input x" in r.reason


def test_vjp_bad_name_is_a_value_error():
    with pytest.raises(ValueError, match="name"):
        check.vjp("nosuch", right_mul)
    with pytest.raises(ValueError, match="name"):
        check.vjp("getitem", right_mul)


class GoodDual:
    def __init__(self, a, b=0.0):
        self.a, self.b = a, b

    def _lift(self, o):
        return o if isinstance(o, GoodDual) else GoodDual(o)

    def __add__(self, o):
        o = self._lift(o)
        return GoodDual(self.a + o.a, self.b + o.b)

    __radd__ = __add__

    def __mul__(self, o):
        o = self._lift(o)
        return GoodDual(self.a * o.a, self.a * o.b + self.b * o.a)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = self._lift(o)
        return GoodDual(self.a / o.a, (self.b * o.a - self.a * o.b) / o.a**2)

    def __rtruediv__(self, o):
        return GoodDual(o) / self


def test_dual_right_wrong_and_not_attempted():
    assert check.dual(GoodDual, require=["truediv"], quiet=True).passed

    class PlusSign(GoodDual):
        def __truediv__(self, o):
            o = self._lift(o)
            return PlusSign(self.a / o.a, (self.b * o.a + self.a * o.b) / o.a**2)

    r = check.dual(PlusSign, quiet=True)
    assert r.status == "failed" and "minus" in r.hint and "x / y" in r.reason

    class NoDiv:
        def __init__(self, a, b=0.0):
            self.a, self.b = a, b

        def __add__(self, o):
            return NoDiv(self.a + o.a, self.b + o.b)

    assert check.dual(NoDiv, require=["truediv"], quiet=True).status == "not attempted"
    assert check.dual(NoDiv, quiet=True).passed


def test_value_gradient_and_derivative():
    assert check.value(np.full((3, 1), 20.0), np.full((3, 1), 20.0), quiet=True).passed
    r = check.value(np.ones(3), np.ones((3, 1)), quiet=True)
    assert r.status == "failed" and "shape" in r.reason
    assert check.value(..., 1.0, quiet=True).status == "not attempted"
    assert check.derivative(lambda x: 3 * x**2, lambda x: x**3, at=[0.5, 2.0], quiet=True).passed
    r = check.derivative(lambda x: x**2, lambda x: x**3, at=[2.0], quiet=True)
    assert r.status == "failed" and r.details["expected"] == 12.0
    f = lambda X: mgx.sum(mgx.mean(X, axis=0))  # noqa: E731
    assert check.gradient(np.full((4, 3), 0.25), f, mgx.array(np.ones((4, 3))), quiet=True).passed
    assert not check.gradient(np.full((4, 3), 1.0), f, mgx.array(np.ones((4, 3))), quiet=True)


def test_results_go_to_the_grade_log(tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv(LOG_VARIABLE, str(log))
    check.value(1.0, 1.0, exercise="01.1", quiet=True)
    check.value(2.0, 1.0, exercise="01.2", quiet=True)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(d["exercise"], d["status"]) for d in lines] == [("01.1", "passed"), ("01.2", "failed")]


def test_result_validates_status():
    with pytest.raises(ValueError, match="status"):
        Result("x", "maybe", "")


# ---------------------------------------------------------------------------
# measured / profile / drawing / weight_images: the checkers of the timing, profiling and drawing exercises.
# The "measurements" here are fixed numbers, so that no test depends on the machine's speed.
# ---------------------------------------------------------------------------
def fixed(**values):
    return lambda: dict(values)


def test_measured_right_and_each_classic_mistake():
    ref = fixed(build=20.0, sweep=2.0)
    opts = dict(unit="ms", runs=3, compare=[("build", "sweep")], quiet=True)
    assert check.measured({"build": [19, 21, 25], "sweep": [2.2, 1.9, 2.0]}, ref, **opts).passed
    r = check.measured({"build": [19], "sweep": [2.0]}, ref, **opts)
    assert r.status == "failed" and "1 run" in r.reason and "repeat" in r.hint
    r = check.measured({"build": [0.019, 0.021, 0.02], "sweep": [0.002] * 3}, ref, **opts)
    assert r.status == "failed" and "10^-3" in r.hint and r.details["name"] == "build"
    r = check.measured({"build": [2.0] * 3, "sweep": [20.0] * 3}, ref, **opts)
    assert r.status == "failed" and "swapped" in r.hint and r.details["pair"] == ["build", "sweep"]
    r = check.measured({"build": [20.0] * 3}, ref, **opts)
    assert r.status == "failed" and "'sweep'" in r.reason
    assert check.measured(..., ref, **opts).status == "not attempted"
    assert check.measured([1, 2, 3], ref, **opts).status == "failed"
    r = check.measured({"build": [-1.0] * 3, "sweep": [2.0] * 3}, ref, **opts)
    assert r.status == "failed" and "negative" in r.reason


def test_measured_recognises_a_total_and_uses_the_low_hint():
    ref = fixed(forward=300.0)  # ns per multiplication
    r = check.measured({"forward": 300.0 * 50_000 * 1e-9}, ref, unit="ns", per=50_000, quiet=True)
    assert r.status == "failed" and "50,000" in r.hint
    r = check.measured({"forward": 300.0 * 50_000}, ref, unit="ns", per=50_000, quiet=True)
    assert r.status == "failed" and "divide by 50,000" in r.hint
    r = check.measured({"forward": 0.01}, ref, unit="bytes", tolerance=2, low_hint="keep it alive", quiet=True)
    assert r.status == "failed" and r.hint == "keep it alive"
    with pytest.raises(TypeError, match="reference"):
        check.measured({}, 3.0, unit="ms")


def test_measured_student_code_that_raises_in_the_reference_is_a_verdict():
    def broken():
        raise RuntimeError("boom")

    r = check.measured({"a": 1.0}, broken, unit="ms", quiet=True)
    assert r.status == "failed" and "boom" in r.reason


def _leaf(n):  # all of its time is its own: no calls inside the loop
    total = 0
    for i in range(n):
        total += i * i
    return total


def _middle():
    return _leaf(30_000) + _leaf(30_000)


def _outer():
    return _middle()


def test_profile_by_own_time_and_the_cumulative_mistake(capsys):
    assert check.profile(["_leaf"], _outer, top=1, quiet=True).passed
    r = check.profile(["_outer"], _outer, top=1, quiet=True)
    assert r.status == "failed" and "cumulative" in r.hint
    r = check.profile(["_leaf", "_middle"], _outer, top=1, quiet=True)
    assert r.status == "failed" and "2 functions" in r.reason
    assert check.profile(..., _outer, quiet=True).status == "not attempted"
    assert check.profile("_leaf", _outer, top=1, quiet=True).status == "failed"
    # pstats keys and "file:line(name)" strings are read as their function names
    assert check.profile([("/x/y.py", 3, "_leaf")], _outer, top=1, quiet=True).passed
    assert check.profile(["/x/y.py:3(_leaf)"], _outer, top=1, quiet=True).passed


def _small_model_score():
    from microgradx import nn

    model = nn.MLP(2, [3, 1], seed=0)
    score = model([0.5, -1.0])
    return model, score


def test_drawing_right_and_each_classic_mistake():
    model, score = _small_model_score()
    before = mgx.viz.draw(score, max_nodes=20, names=model)
    score.backward()
    opts = dict(max_nodes=20, names=model, quiet=True)
    assert check.drawing(mgx.viz.draw(score, max_nodes=20, names=model), score, **opts).passed
    r = check.drawing(mgx.viz.draw(score, max_nodes=20), score, **opts)
    assert r.status == "failed" and "names=model" in r.hint
    r = check.drawing(before, score, **opts)
    assert r.status == "failed" and "backward" in r.hint
    r = check.drawing(mgx.viz.draw(score, names=model), score, **opts)
    assert r.status == "failed" and "max_nodes=20" in r.reason
    r = check.drawing(mgx.viz.draw(score + model([1.0, 2.0]), max_nodes=20, names=model), score, **opts)
    assert r.status == "failed" and "graph of" in r.reason
    assert check.drawing(score, score, **opts).status == "failed"
    assert check.drawing(..., score, **opts).status == "not attempted"


def _figure(W, pick, centred=True, colorbar=True, title=lambda k: f"unit {k}"):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 4)
    limit = np.abs(W).max()
    for k, ax in enumerate(axes):
        image = ax.imshow(pick(k).reshape(8, 8), **(dict(vmin=-limit, vmax=limit) if centred else {}))
        ax.set_title(title(k))
    if colorbar:
        fig.colorbar(image, ax=axes)
    plt.close(fig)
    return fig


def test_weight_images_rows_centred_colorbar():
    W = np.random.default_rng(0).normal(size=(64, 64))
    assert check.weight_images(_figure(W, lambda k: W[k]), W, quiet=True).passed
    r = check.weight_images(_figure(W, lambda k: W[:, k]), W, quiet=True)
    assert r.status == "failed" and "column 0" in r.reason and "weight.T" in r.hint
    r = check.weight_images(_figure(W, lambda k: W[k], centred=False), W, quiet=True)
    assert r.status == "failed" and "centred" in r.reason
    r = check.weight_images(_figure(W, lambda k: W[k], colorbar=False), W, quiet=True)
    assert r.status == "failed" and "colorbar" in r.reason
    r = check.weight_images(_figure(W, lambda k: W[k], title=lambda k: f"unit {k + 1}"), W, quiet=True)
    assert r.status == "failed" and "titled 'unit 1' but shows row 0" in r.reason
    r = check.weight_images(_figure(W, lambda k: W[k] * 2), W, quiet=True)
    assert r.status == "failed" and "not a row" in r.reason
    assert check.weight_images(W, W, quiet=True).status == "failed"
    assert check.weight_images(..., W, quiet=True).status == "not attempted"
    with pytest.raises(ValueError, match="weight"):
        check.weight_images(_figure(W, lambda k: W[k]), np.ones((3, 5)))
