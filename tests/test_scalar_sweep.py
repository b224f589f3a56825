"""The consumer-count sweep when a node's consumers are not all in the output's graph -- both Scalar classes.

The compiled Scalar's sweep (``microgradx._ext.scalar._backward``) and its
Python twin ``microgradx.core.engine.backward_by_counts`` release a node once
as many consumers have sent their cotangent as were ever recorded with it as
an operand.  Here the reference Scalar's ``backward()`` runs the twin (its own
``backward()`` is the textbook two-pass sweep).  Consumers that will never send --
other live expressions, freed nodes, or everything above an intermediate node
that ``backward()`` starts from -- make it stall and recount what is left.
These tests build such graphs and check the gradients against closed forms
and between the two classes, and that the recount happened exactly when it had to (so the fast path and the
recount are each really exercised).
"""

import contextlib
import copy
import math
import pickle
import threading

import pytest

import microgradx as mgx
from microgradx.core import engine, state
from microgradx.core.rules import Primitive
from microgradx.nodes.scalar import Scalar as RefScalar

try:
    from microgradx._ext import scalar as compiled
except ImportError:  # extension not built: the compiled cases skip
    compiled = None

DEPTH = 100_000


@pytest.fixture(autouse=True)
def _reference_scalar_sweeps_by_counts(monkeypatch):
    """In this file the reference Scalar's backward() runs the counting sweep, the compiled sweep's twin."""
    monkeypatch.setattr(RefScalar, "backward", lambda self: engine.backward_by_counts(self, 1.0))


def _recounts(S):
    return engine._Sweep.recounts if S is RefScalar else compiled._recounts()


@contextlib.contextmanager
def recounts(S, expected):
    """The block makes exactly ``expected`` recounts (with either class: they run the same algorithm)."""
    before = _recounts(S)
    yield
    assert _recounts(S) - before == expected


def test_training_step_shape_takes_the_fast_path(S):
    w = [S(0.5), S(-1.5)]
    xs = [(1.0, 2.0), (0.5, -1.0), (-2.0, 0.25)]
    loss = sum(((w[0] * a + w[1] * b).tanh() - 1.0) ** 2 for a, b in xs)
    with recounts(S, 0):
        loss.backward()
    expected = [0.0, 0.0]
    for a, b in xs:
        t = math.tanh(0.5 * a - 1.5 * b)
        g = 2 * (t - 1.0) * (1 - t * t)
        expected[0] += g * a
        expected[1] += g * b
    assert w[0].grad == pytest.approx(expected[0], rel=1e-12)
    assert w[1].grad == pytest.approx(expected[1], rel=1e-12)


def test_a_consumer_outside_the_graph(S):
    x = S(1.5)
    h = x * x
    other = h.exp()  # alive, consumes h, not part of y's graph
    y = h * 3.0
    with recounts(S, 1):
        y.backward()
    assert (x.grad, h.grad, y.grad, other.grad) == (9.0, 3.0, 1.0, 0.0)
    assert all(n._cot is None for n in (x, h, y, other))


def test_a_freed_consumer(S):
    x = S(1.5)
    h = x * x
    assert (h + 1.0).data == 3.25  # a consumer of h, freed at once (its count stays)
    y = h * 3.0
    with recounts(S, 1):
        y.backward()
    assert (x.grad, h.grad) == (9.0, 3.0)


def test_backward_on_an_intermediate_node(S):
    a = S(2.0)
    b = a * a
    c = b.tanh()
    d = c * b  # consumes b and c; not reached from c
    with recounts(S, 1):  # b waits for d
        c.backward()
    t = math.tanh(4.0)
    assert c.grad == 1.0 and d.grad == 0.0
    assert b.grad == pytest.approx(1 - t * t, rel=1e-12)
    assert a.grad == pytest.approx((1 - t * t) * 4.0, rel=1e-12)
    e = b * 1.0  # backward from b's consumer e: b waits for c and d too
    with recounts(S, 1):
        e.backward()
    assert b.grad == pytest.approx(1 - t * t + 1.0, rel=1e-12)
    assert a.grad == pytest.approx((1 - t * t + 1.0) * 4.0, rel=1e-12)
    assert (c.grad, d.grad, e.grad) == (1.0, 0.0, 1.0)


def test_two_losses_share_a_subgraph(S):
    x, w = S(0.7), S(-0.4)
    h = (x * w).tanh()
    l1 = h * 2.0
    l2 = h.exp() + w
    with recounts(S, 2):  # h waits for the other loss, each time
        l1.backward()
        l2.backward()
    t = math.tanh(0.7 * -0.4)
    dh = 2.0 + math.exp(t)
    assert h.grad == pytest.approx(dh, rel=1e-12)
    assert x.grad == pytest.approx(dh * (1 - t * t) * -0.4, rel=1e-12)
    assert w.grad == pytest.approx(dh * (1 - t * t) * 0.7 + 1.0, rel=1e-12)
    del l1
    with recounts(S, 1):  # l1 is gone, but h's count does not go down: still a recount
        l2.backward()
    assert w.grad == pytest.approx(dh * (1 - t * t) * 0.7 + 1.0 + math.exp(t) * (1 - t * t) * 0.7 + 1.0, rel=1e-12)


def test_backward_twice_adds_the_same_again_everywhere(S):
    x = S(0.3)
    y = S(-1.2)
    a = x * y
    b = (a + x).sigmoid()
    c = b * a + y.exp() - b / x
    nodes = [x, y, a, b, c]
    with recounts(S, 0):
        c.backward()
        first = [n.grad for n in nodes]
        c.backward()
    assert [n.grad for n in nodes] == [2 * g for g in first]  # doubling is exact in floating point


def test_both_classes_agree_on_a_graph_with_every_case():
    C = pytest.importorskip("microgradx._ext.scalar", reason="compiled extension not built").Scalar
    grads = []
    for S in (RefScalar, C):
        x, y = S(0.8), S(-0.3)
        h = x * y + x.sin()
        k = h.tanh() * y
        keep = [h * 2.0, k + x]  # live consumers outside the graphs swept below
        out = k * h + (x * x).log()
        out.backward()
        k.backward()  # an intermediate node
        (h + k).backward()  # another output sharing the subgraph
        grads.append([n.grad for n in (x, y, h, k, out)] + [n.grad for n in keep])
    for r, c in zip(*grads):
        assert c == pytest.approx(r, rel=1e-12, abs=1e-15)


def test_rule_node_with_several_parents_and_a_stall(S):
    x = S(0.5)
    h = x * 3.0
    w = mgx.where(x.data > 0, h, h * h)  # a rule-table node: parents (None, h, h * h)
    assert w._prim.name == "where" and w._parents[1] is h
    other = h + 1.0  # keeps h waiting
    out = w * 2.0
    with recounts(S, 1):
        out.backward()
    assert (h.grad, x.grad, other.grad) == (2.0, 6.0, 0.0)
    cond = x - 0.5  # a Scalar condition: reached, but where sends it no cotangent
    v = mgx.where(cond, h, x)
    x.zero_grad()
    v.backward()
    assert x.grad == 1.0 and cond.grad == 0.0


def _boom_vjp(g, out, inputs, params, needs):
    raise ArithmeticError("boom")


BOOM = Primitive("boom", lambda a: a, partials=(lambda a, out: 1.0,), vjp=_boom_vjp,
                 jvp=lambda t, out, inputs, params: t[0])


def assert_no_cotangents(root):
    assert all(n._cot is None for n in engine.topological_order(root))


def test_an_exception_mid_sweep_drops_every_cotangent(S):
    x = S(2.0)
    a = x * 3.0
    broken = x._apply(BOOM, (a,), {})
    out = broken * x + a * a
    for _ in range(2):  # a failed sweep leaves nothing behind: the same again fails the same way
        with pytest.raises(ArithmeticError, match="boom"):
            out.backward()
        assert_no_cotangents(out)
        assert x.grad == 0.0  # the leaf was not reached before the rule raised
    (a * a).backward()  # the same nodes sweep normally afterwards: d(9 x^2)/dx
    assert x.grad == 36.0


def test_an_exception_after_a_recount(S):
    x = S(2.0)
    broken = x._apply(BOOM, (x * 3.0,), {})
    s = broken * 2.0
    other = s + 1.0  # s waits for it: the sweep stalls and recounts before reaching `broken`
    out = s * s
    with recounts(S, 1), pytest.raises(ArithmeticError, match="boom"):
        out.backward()
    assert_no_cotangents(out)
    assert_no_cotangents(other)
    assert x.grad == 0.0
    (x * x).backward()
    assert x.grad == 4.0


def chain(S, depth, keep_at=None):
    """x and a chain of `depth` ops (alternately * 1.00001 and + 0.1); optionally the node after `keep_at` ops."""
    x = S(0.5)
    y = x
    kept = None
    for i in range(depth):
        y = y * 1.00001 if i % 2 == 0 else y + 0.1
        if i == keep_at:
            kept = y
    return x, y, kept


@pytest.mark.parametrize("extra_consumer", [False, True], ids=["fast path", "recount"])
def test_deep_chain(S, extra_consumer):
    # with an extra consumer near the top, the recount walks the whole chain below it
    x, y, kept = chain(S, DEPTH, keep_at=DEPTH - 10)
    side = kept * 2.0 if extra_consumer else None
    with recounts(S, 1 if extra_consumer else 0):
        y.backward()
    assert x.grad == pytest.approx(1.00001 ** (DEPTH // 2), rel=1e-9)
    assert kept.grad == pytest.approx(1.00001**4, rel=1e-12)  # four of the nine ops after it multiply
    if side is not None:
        assert side.grad == 0.0


def test_counts_of_consumers(S):
    x = S(1.0)
    y = x * x  # two operand slots
    z = 2.0 + x
    assert x._consumers == 3 and y._consumers == 0
    with mgx.no_grad():
        _ = x * 5.0  # records nothing
    assert x._consumers == 3
    w = mgx.where(True, y, x)  # a rule-table node counts each of its parents
    assert (x._consumers, y._consumers, w._consumers) == (4, 1, 0)
    del y, z, w
    assert x._consumers == 4  # the count never goes down


def test_copies_count_as_consumers(S):
    x = S(2.0)
    h = x * 3.0
    y = h * h
    y2 = copy.copy(y)  # a new node with the same operands
    assert y2 is not y and y2._parents[0] is h and y2._op == "*"
    del y2
    z = y + h
    with recounts(S, 1):  # h's count includes the copy: it waits, then recounts
        z.backward()
    assert h.grad == 2 * 6.0 + 1.0 and x.grad == 3.0 * (2 * 6.0 + 1.0)
    d = copy.deepcopy(z)  # a whole new graph, grads included
    xd = d._parents[1]._parents[0]
    assert xd is not x and xd.grad == x.grad
    d.backward()
    assert xd.grad == 2 * 3.0 * (2 * 6.0 + 1.0) and x.grad == 3.0 * (2 * 6.0 + 1.0)


def test_pickle_round_trip(S):
    C = S
    x = C(2.0, label="x")
    x.grad = 0.5
    y = (x * 3.0).tanh() + mgx.where(True, x, 0.0)
    y.backward()  # marks and cotangents are not part of the state
    z = pickle.loads(pickle.dumps(y))
    assert z.data == y.data and z._op == "+" and z.grad == y.grad
    x2 = z._parents[1]._parents[1]
    assert x2.label == "x" and x2.data == 2.0 and x2.grad == x.grad and x2._consumers == 2
    assert z._parents[0]._prim is y._parents[0]._prim and z._parents[1]._prim is mgx.rules.WHERE
    x2.zero_grad()
    with recounts(C, 0):
        z.backward()
    assert x2.grad == pytest.approx(3.0 * (1 - math.tanh(6.0) ** 2) + 1.0, rel=1e-12)


def test_restore_refuses_bad_states():
    from microgradx.nodes import scalar as reference
    with pytest.raises(ValueError, match="no rule-table primitive named 'nope'"):
        reference._restore(1.0, 0.0, "", "nope", (), ())
    pytest.importorskip("microgradx._ext.scalar", reason="compiled extension not built")
    with pytest.raises(ValueError, match="no rule-table primitive named 'nope'"):
        compiled._restore(1.0, 0.0, "", "nope", (), ())
    with pytest.raises(TypeError, match="parents must hold compiled Scalars or None; got float"):
        compiled._restore(1.0, 0.0, "", "mul", (1.0, None), (1.0, 2.0))
    with pytest.raises(ValueError, match="one value per parent"):
        compiled._restore(1.0, 0.0, "", "mul", (compiled.Scalar(1.0), None), (1.0,))
    with pytest.raises(ValueError, match="a leaf"):
        compiled._restore(1.0, 0.0, "", None, (compiled.Scalar(1.0),), (1.0,))


@pytest.mark.parametrize("S", [
    pytest.param(RefScalar, id="reference"),
    pytest.param("compiled", id="compiled"),
])
def test_another_threads_sweeps_never_confuse_this_one(S):
    if S == "compiled":
        S = pytest.importorskip("microgradx._ext.scalar", reason="compiled extension not built").Scalar
    wrong = []
    for shift in range(3):  # line the other thread's visit marks up with this thread's next ones
        w = S(2.0)
        mine = state.new_epoch()

        def other_thread(w=w, n=mine + shift):
            for _ in range(n):
                (w * 3.0).backward()

        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        w.zero_grad()
        (w * 5.0 + 1.0).backward()
        if w.grad != 5.0:
            wrong.append((shift, w.grad))
    assert wrong == []


@pytest.mark.skipif(compiled is None, reason="compiled extension not built")
def test_wide_graph_past_every_array_size_and_the_same_order_as_the_reference():
    # 3000 leaves (the sweep's arrays start at 1024 entries and grow), rule-table nodes with three operands
    # (where), constants in operand slots, and a leaf used by many consumers
    n = 3000
    cs, rs = compiled.Scalar, RefScalar
    xs_c = [cs(0.001 * i - 1.0) for i in range(n)]
    xs_r = [rs(0.001 * i - 1.0) for i in range(n)]

    def build(S, xs):
        shared = S(0.5)
        terms = [mgx.where(x > 0.0, x * shared, (x - 1.0).tanh()) if i % 3 == 0 else x * xs[i - 1] + shared
                 for i, x in enumerate(xs)]
        return shared, sum(terms, S(0.0)).sigmoid()

    shared_c, out_c = build(cs, xs_c)
    shared_r, out_r = build(rs, xs_r)
    order = compiled.topological_order(out_c)
    assert [id(node) for node in order] == [id(node) for node in engine.topological_order(out_c)]
    assert len(order) > 2 * n
    with recounts(cs, 0):
        out_c.backward()
    out_r.backward()
    assert shared_c.grad == pytest.approx(shared_r.grad, rel=1e-12)
    assert [x.grad for x in xs_c] == pytest.approx([x.grad for x in xs_r], rel=1e-12)
