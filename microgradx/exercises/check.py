"""Checkers with feedback: ``check.sweep``, ``check.vjp``, ``check.dual`` and friends.

Each checker runs the student's code on cases chosen to expose the classic
mistakes, compares with the engine (or with finite differences), prints one
verdict line and returns a :class:`~microgradx.exercises.results.Result`.
Answers that vary from run to run (timings, memory, a profile) are compared
with the checker's own measurement of the same work, made in the same
process (``check.measured``, ``check.profile``); pictures with what they
must show (``check.drawing``, ``check.weight_images``).  Verdicts look like:

* ``✓ exercise sweep: 6 graphs agree with the engine (fan-in, reuse, ...)``
* ``✗ exercise sweep: graph 'b = a + a', node a: expected 2.0, received 1.0 (hint: ...)``
* ``· exercise 02.3: not attempted (backward_sweep is still ...)``

An answer that is still ``...`` (the student edition's placeholder), or a
function that raises ``NotImplementedError``, is *not attempted*.  Whatever
the student's code raises is reported as a failure with its message; nothing
escapes as a traceback.

Examples
--------
>>> from microgradx.exercises import check
>>> from microgradx.core.rules import unbroadcast
>>> def mul_vjp(g, out, x, y):
...     return unbroadcast(g * y, x), unbroadcast(g * x, y)
>>> r = check.vjp("mul", mul_vjp)  # doctest: +ELLIPSIS
✓ exercise vjp mul: the cotangents of x and y agree with finite differences in 5 cases ...
>>> r.passed
True
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Callable

import numpy as np

from ..core import rules as _rules
from ..nodes import scalar_class
from ..teaching import viz as _viz
from .results import FAILED, NOT_ATTEMPTED, PASSED, Result, report

__all__ = ["sweep", "vjp", "dual", "value", "between", "derivative", "gradient", "measured", "profile", "drawing",
           "weight_images", "CheckFailed"]


class CheckFailed(Exception):
    """Raised inside a checker to stop at the first failure; turned into a ✗ verdict, never seen by the student."""

    def __init__(self, reason: str, hint: str = "", **details):
        super().__init__(reason)
        self.reason, self.hint, self.details = reason, hint, details


class _NotAttempted(Exception):
    pass


def _run(exercise: str, body: Callable[[], tuple[str, dict]], quiet: bool) -> Result:
    """Run one checker body; every outcome becomes a Result (printed and logged)."""
    try:
        reason, details = body()
        result = Result(exercise, PASSED, reason, details=details)
    except _NotAttempted as e:
        result = Result(exercise, NOT_ATTEMPTED, f"not attempted ({e})")
    except CheckFailed as e:
        result = Result(exercise, FAILED, e.reason, e.hint, _plain(e.details))
    except Exception as e:  # a mistake in the checker's own set-up: still a verdict, not a traceback
        result = Result(exercise, FAILED, f"the check could not run: {type(e).__name__}: {e}")
    return report(result, quiet=quiet)


def _plain(details: dict) -> dict:
    out = {}
    for k, v in details.items():
        if isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out


def _attempted(answer, what: str) -> None:
    if answer is ... or answer is None:
        raise _NotAttempted(f"{what} is still {answer!r}")


def _student(fn: Callable, *args, what: str, **kwargs):
    """Call the student's code; an exception becomes a failure that names it (RecursionError gets its hint)."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise _NotAttempted(f"{what} raises NotImplementedError") from None
    except RecursionError:
        raise CheckFailed(f"{what} raised RecursionError", "a recursive walk cannot go deeper than Python's "
                          f"recursion limit ({sys.getrecursionlimit()}); walk the graph with an explicit stack "
                          "(a list you push to and pop from)") from None
    except Exception as e:
        raise CheckFailed(f"{what} raised {type(e).__name__}: {e}") from None


def _close(a, b, rtol=1e-6, atol=1e-8) -> bool:
    try:
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
    except (TypeError, ValueError):
        return False


def _fmt(v) -> str:
    a = np.asarray(v, dtype=float) if not isinstance(v, (str, type(None))) else v
    if isinstance(a, np.ndarray) and a.ndim == 0:
        return f"{float(a):.6g}"
    if isinstance(a, np.ndarray):
        return np.array2string(a, precision=4, separator=", ", threshold=8)
    return repr(v)


def _number(got, what: str) -> float:
    """``got`` as a float, or the ✗ verdict that it is not a number."""
    try:
        return float(np.asarray(_to_array(got)))
    except (TypeError, ValueError):
        raise CheckFailed(f"{what}: expected a number, received a {type(got).__name__}") from None


def _differ(what: str, got: np.ndarray, want: np.ndarray, rtol: float, atol: float, hint: str = "", **details):
    """The one ✗ verdict for an array that is not the expected one: the shape, else the first wrong entry."""
    if got.shape != want.shape:
        raise CheckFailed(f"{what}: expected shape {want.shape}, received shape {got.shape}", hint,
                          expected_shape=list(want.shape), received_shape=list(got.shape), **details)
    bad = np.argwhere(~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)) if got.ndim else [()]
    idx = tuple(int(k) for k in bad[0]) if len(bad) else ()
    raise CheckFailed(f"{what}{f' at index {idx}' if idx else ''}: expected {_fmt(want[idx])}, received "
                      f"{_fmt(got[idx])}", hint, index=list(idx), expected=float(want[idx]),
                      received=float(got[idx]), **details)


# ---------------------------------------------------------------------------
# check.sweep: a student's backward sweep on graphs that catch the classic mistakes
# ---------------------------------------------------------------------------
def _graph_cases():
    """(title, builder) pairs; a builder makes a fresh graph on Scalar class S and returns its root."""

    def fan_in(S):
        x1, w1, x2, w2, b = S(2.0, "x1"), S(-3.0, "w1"), S(0.0, "x2"), S(1.0, "w2"), S(6.88, "b")
        return (x1 * w1 + x2 * w2 + b).tanh()

    def twice(S):
        a = S(3.0, "a")
        return a + a

    def reuse(S):
        p, q, r = S(2.0, "p"), S(-1.0, "q"), S(4.0, "r")
        return (p * q + r) * p

    def diamond(S):
        a = S(0.5, "a")
        b = a * 2.0
        c = a.exp()
        return (b * c + b).tanh()

    def random_graph(S):
        rng = np.random.default_rng(7)
        nodes = [S(float(v), f"x{i}") for i, v in enumerate(rng.uniform(0.2, 1.0, 4))]
        for _ in range(20):
            i, j = rng.integers(len(nodes), size=2)
            k = rng.integers(3)
            a, b = nodes[i], nodes[j]
            nodes.append(a * b if k == 0 else a + b if k == 1 else (a - b).tanh())
        return sum(nodes[-6:], S(0.0, "zero"))

    def deep(S):
        y = S(1.0, "x")
        for _ in range(3000):
            y = y * 1.0001
        return y

    return [("tanh(x1*w1 + x2*w2 + b)", fan_in), ("b = a + a", twice), ("(p*q + r)*p", reuse),
            ("a used by b = 2a and c = eᵃ, b used twice", diamond), ("a random graph of 24 operations", random_graph),
            ("a chain of 3,000 multiplications", deep)]


def _names(order) -> list[str]:
    names = []
    for i, n in enumerate(order):
        label = getattr(n, "label", "")
        names.append(label or f"#{i} ({n._op})")
    return names


def _student_grads(result, order, root) -> list:
    """The student's gradient for each node of ``order`` (None where they gave none)."""
    if result is None:  # written into .grad
        return [n.grad for n in order]
    if isinstance(result, dict):
        out = []
        for n in order:
            for key in (id(n), n, getattr(n, "label", None)):
                try:
                    if key is not None and key in result:
                        out.append(result[key])
                        break
                except TypeError:
                    continue
            else:
                out.append(None)
        return out
    raise CheckFailed(f"the sweep returned a {type(result).__name__}; return a dict (node id -> gradient) or None "
                      "(gradients written into .grad)")


def _contributions(order, grads) -> dict:
    """For every node, the list of (consumer index, contribution) it receives in the right sweep."""
    index = {id(n): i for i, n in enumerate(order)}
    contrib = {i: [] for i in range(len(order))}
    for ci, c in enumerate(order):
        parents = c._parents
        if not parents:
            continue
        needs = tuple(p is not None for p in parents)
        cts = c._prim.vjp(grads[ci], c.data, c._saved, {}, needs)
        for p, ct in zip(parents, cts):
            if p is not None:
                contrib[index[id(p)]].append((ci, float(ct)))
    return contrib


def _sweep_hint(i, got, order, expected, contrib, received) -> str:
    parts = [v for _, v in contrib[i]]
    if i == len(order) - 1:
        return "the sweep starts with the root's own gradient, the seed: grads[root] = 1.0"
    if got is None:
        return ("this node never received a gradient: visit the nodes in reverse topological order (root first) "
                "and send each node's gradient to all of its parents")
    if len(parts) >= 2:
        if any(math.isclose(got, v, rel_tol=1e-9, abs_tol=1e-12) for v in parts):
            return (f"it is used {len(parts)} times and its gradient is one contribution, {_fmt(got)}: the "
                    "contributions must add up (+=), not overwrite each other")
        for k in range(1, len(parts)):
            for sub in itertools.combinations(parts, k):
                if math.isclose(got, sum(sub), rel_tol=1e-9, abs_tol=1e-12):
                    return (f"it is used {len(parts)} times and got only {k} of the contributions: its gradient "
                            "was read before every consumer had added its share (wrong order, or "
                            "an overwrite); visit the nodes in reverse topological order")
    consumers = [ci for ci, _ in contrib[i]]
    for ci in consumers:
        if len(contrib[ci]) >= 2 and received[ci] is not None and math.isclose(received[ci], expected[ci],
                                                                                rel_tol=1e-7, abs_tol=1e-10):
            return (f"its consumer {_names(order)[ci]} has the right gradient in the end but passed it on "
                    "before it was complete: a node may pass its gradient on only after all of its consumers "
                    "have added theirs (reverse topological order)")
    ratios = [r / e for r, e in zip(received, expected) if r is not None and e]
    if ratios and all(math.isclose(x, ratios[0], rel_tol=1e-9) for x in ratios) and ratios[0] != 1:
        return f"every gradient is {ratios[0]:.4g} times too large: the seed must be 1.0"
    return "apply the node's rule (node._prim.vjp) to its complete gradient and add the result to each parent"


def sweep(fn: Callable, *, exercise: str = "sweep", quiet: bool = False) -> Result:
    """Check a backward sweep ``fn(root)`` against the engine's on graphs that catch the classic mistakes.

    The graphs: fan-in (a neuron), a node used twice by one operation
    (``b = a + a``), a node reused at two depths, a diamond, a random graph
    and a deep chain (3,000 nodes: a recursive walk fails there).  For the
    first graph where a gradient differs, the verdict names the node (the
    first wrong one counting from the root), the expected and received
    gradient, and the classic mistake it looks like: overwriting instead of
    accumulating, the wrong order, a missing seed, a recursive sort.

    Parameters
    ----------
    fn : function
        ``fn(root)`` returns a dict from ``id(node)`` (or the node, or its
        label) to the gradient, or writes the gradients into ``node.grad``
        and returns None.
    exercise : str
        The name the verdict and the grader use.
    quiet : bool
        Do not print the verdict.

    Returns
    -------
    Result

    Examples
    --------
    >>> def overwriting_sweep(root):
    ...     grads = {id(root): 1.0}
    ...     for node in reversed(mgx.viz.topological_order(root)):
    ...         needs = tuple(p is not None for p in node._parents)
    ...         cts = node._prim.vjp(grads[id(node)], node.data, node._saved, {}, needs) if node._parents else ()
    ...         for p, c in zip(node._parents, cts):
    ...             grads[id(p)] = c          # should be +=
    ...     return grads
    >>> import microgradx as mgx
    >>> sweep(overwriting_sweep).hint[:34]  # doctest: +ELLIPSIS
    ✗ exercise sweep: graph 'b = a + a', node a: expected 2, received 1 (hint: it is used 2 times ...)
    'it is used 2 times and its gradien'
    """

    def body():
        _attempted(fn, "the sweep")
        if not callable(fn):
            raise CheckFailed(f"the sweep must be a function of the root; got {type(fn).__name__}")
        S = scalar_class()
        titles = []
        for title, build in _graph_cases():
            root = build(S)
            order = _viz.topological_order(root)
            result = _student(fn, root, what="your sweep")
            received = _student_grads(result, order, root)
            ref = build(S)
            ref_order = _viz.topological_order(ref)
            ref.backward()
            expected = [n.grad for n in ref_order]
            names = _names(ref_order)
            contrib = _contributions(ref_order, expected)
            for i in reversed(range(len(ref_order))):
                got = received[i]
                try:
                    ok = got is not None and math.isclose(float(got), expected[i], rel_tol=1e-7, abs_tol=1e-10)
                except (TypeError, ValueError):
                    raise CheckFailed(f"graph {title!r}, node {names[i]}: the gradient is a "
                                      f"{type(got).__name__}, not a number") from None
                if not ok:
                    got = None if got is None else float(got)
                    received_f = [None if r is None else float(r) for r in received]
                    raise CheckFailed(
                        f"graph {title!r}, node {names[i]}: expected {_fmt(expected[i])}, received "
                        f"{'nothing' if got is None else _fmt(got)}",
                        _sweep_hint(i, got, ref_order, expected, contrib, received_f),
                        graph=title, node=names[i], expected=expected[i], received=got)
            titles.append(title)
        return f"{len(titles)} graphs agree with the engine ({'; '.join(titles)})", {"graphs": titles}

    return _run(exercise, body, quiet)


# ---------------------------------------------------------------------------
# check.vjp: a student's reverse rule against finite differences
# ---------------------------------------------------------------------------
_POSITIVE = {"log", "sqrt", "pow"}


def _vjp_cases(name: str, prim):
    """(input shapes, params) for primitive ``name``, broadcasting included."""
    if prim.partials is not None:
        if len(prim.partials) == 1:
            return [((),), ((3,),), ((2, 3),)], {}
        return [((), ()), ((3,), (3,)), ((2, 3), (3,)), ((2, 3), (2, 1)), ((4,), ())], {}
    if name in ("sum", "max", "min", "logsumexp"):
        return [((2, 3),)] * 4, [{"axis": None}, {"axis": 0}, {"axis": 1, "keepdims": True}, {"axis": (0, 1)}]
    if name == "matmul":
        return [((2, 3), (3, 4)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 2, 3), (3, 4))], {}
    if name == "reshape":
        return [((2, 3),), ((6,),)], [{"shape": (3, 2)}, {"shape": (2, 3)}]
    if name == "transpose":
        return [((2, 3),), ((2, 3, 4),)], [{"axes": (1, 0)}, {"axes": (2, 0, 1)}]
    if name == "broadcast_to":
        return [((3,),), ((2, 1),)], [{"shape": (2, 3)}, {"shape": (2, 4)}]
    raise ValueError(f"name: check.vjp has no test cases for {name!r}; it checks the elementwise primitives, "
                     "sum, max, min, logsumexp, matmul, reshape, transpose and broadcast_to")


def _input_names(n: int, name: str) -> list[str]:
    if name == "matmul":
        return ["A", "B"]
    return ["x", "y", "z"][:n]


def _finite_difference(forward, inputs, params, g, i, h=1e-6):
    x = np.array(inputs[i], dtype=float)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        plus, minus = [np.array(v, dtype=float) for v in inputs], [np.array(v, dtype=float) for v in inputs]
        plus[i][idx] += h
        minus[i][idx] -= h
        fp = np.sum(g * np.asarray(forward(*plus, **params)))
        fm = np.sum(g * np.asarray(forward(*minus, **params)))
        grad[idx] = (fp - fm) / (2 * h)
    return grad


def _to_array(c):
    if c is None:
        return None
    if hasattr(c, "numpy") and callable(c.numpy):
        c = c.numpy()
    return np.asarray(c, dtype=float)


def _vjp_hint(label, shape, got, want, g, others, name) -> str:
    if got.shape != want.shape:
        gs = np.shape(g)
        if got.shape == gs and len(gs) >= len(shape):
            lead = len(gs) - len(shape)
            axes = list(range(lead)) + [k + lead for k, n in enumerate(shape) if n == 1 and gs[k + lead] != 1]
            return (f"{label} has shape {shape} and was broadcast to {gs}: sum the cotangent over axis "
                    f"{tuple(axes) if len(axes) != 1 else axes[0]} (the axes broadcasting added or stretched) "
                    "so it gets back the input's shape (unbroadcast)")
        if name == "matmul":
            return (f"dimension analysis: {label}'s cotangent must have {label}'s shape {shape}; "
                    "for C = A @ B that is g @ Bᵀ for A and Aᵀ @ g for B")
        return f"a cotangent has the shape of its input: {label} has shape {shape}"
    if _close(got * g, want) and not _close(g, 1.0):
        return "multiply by the incoming cotangent g (the chain rule)"
    if _close(got, -want):
        return "the sign is wrong"
    for other_label, other in others:
        if other is not None and other.shape == got.shape and _close(got, other):
            return f"this is {other_label}'s cotangent: the two inputs' rules are swapped round"
    return ""


def vjp(name: str, fn: Callable, *, exercise: str | None = None, quiet: bool = False, seed: int = 0,
        shapes: list | None = None) -> Result:
    """Check a student's reverse rule for primitive ``name`` against finite differences.

    The rule is called as ``fn(g, out, *inputs, **params)`` (the form
    :func:`~microgradx.exercises.swap_rule` takes) and must return one
    cotangent per input (a bare value for one input).  It runs on cases
    with broadcasting (a ``(3,)`` input against a ``(2, 3)`` one, a
    ``(2, 1)`` one, a number) or, for reductions, several axes.  The verdict
    names the input, the case, the first wrong entry, expected against
    received, and the classic mistake it looks like (no unbroadcast, the
    rules of two inputs swapped, no factor g, the sign).

    Parameters
    ----------
    name : str
        The rule-table primitive: ``"mul"``, ``"div"``, ``"tanh"``, ``"sum"``, ``"matmul"``, ...
    fn : function
        The student's rule.
    exercise : str, optional
        The name the verdict and the grader use (default ``"vjp <name>"``).
    quiet : bool
        Do not print the verdict.
    seed : int
        Seed of the random inputs.
    shapes : list of tuples of shapes, optional
        The cases to run instead of the built-in ones (e.g. only 2-D
        matrices for ``matmul``: ``[((2, 3), (3, 4))]``), for a primitive without parameters.

    Returns
    -------
    Result

    Examples
    --------
    >>> def no_unbroadcast(g, out, x, y):
    ...     return g * y, g * x
    >>> r = vjp("add", no_unbroadcast)  # doctest: +ELLIPSIS
    ✗ exercise vjp add: ...
    >>> r = vjp("add", lambda g, out, x, y: (g, g))  # doctest: +ELLIPSIS
    ✗ exercise vjp add: case x (2, 3), y (3,): input y: expected shape (3,), received shape (2, 3) ...
    """
    if not isinstance(name, str) or name not in _rules.table:
        raise ValueError(f"name: no rule-table primitive called {name!r}")
    prim = _rules.table[name]
    if shapes is not None:
        try:
            shapes = [tuple(tuple(int(n) for n in s) for s in case) for case in shapes]
        except TypeError:
            raise TypeError("shapes must be a list of tuples of shapes, one shape per input") from None
        params = {}
    else:
        shapes, params = _vjp_cases(name, prim)
    if isinstance(params, dict):
        params = [params] * len(shapes)

    def body():
        _attempted(fn, f"the {name} rule")
        if not callable(fn):
            raise CheckFailed(f"the rule must be a function fn(g, out, *inputs); got {type(fn).__name__}")
        rng = np.random.default_rng(seed)
        for case_shapes, ps in zip(shapes, params):
            inputs = []
            for s in case_shapes:
                v = rng.uniform(0.5, 1.5, s) * (1 if name in _POSITIVE else rng.choice([-1.0, 1.0], s))
                inputs.append(float(v) if s == () else v)
            labels = _input_names(len(inputs), name)
            out = prim.forward(*inputs, **ps)
            g = rng.normal(size=np.shape(out))
            g = float(g) if np.shape(out) == () else g
            case = ", ".join(f"{lb} {s}" for lb, s in zip(labels, case_shapes)) + (
                "".join(f", {k}={v}" for k, v in ps.items()))
            try:
                cts = _student(fn, g, out, *inputs, **ps, what=f"your {name} rule")
            except CheckFailed as e:
                if name == "matmul" and not e.hint:
                    e.hint = ("dimension analysis: A's cotangent has A's shape, so for C = A @ B it is g @ Bᵀ; "
                              "B's is Aᵀ @ g")
                raise
            if not isinstance(cts, (tuple, list)):
                cts = (cts,)
            if len(cts) != len(inputs):
                raise CheckFailed(f"case {case}: your rule returned {len(cts)} cotangent(s); {name} has "
                                  f"{len(inputs)} input(s), so return one for each (a tuple)")
            got_all = [_to_array(c) for c in cts]
            want_all = [_finite_difference(prim.forward, inputs, ps, g, i) for i in range(len(inputs))]
            for i, (label, got, want) in enumerate(zip(labels, got_all, want_all)):
                shape = np.shape(inputs[i])
                others = [(lb, w) for j, (lb, w) in enumerate(zip(labels, want_all)) if j != i]
                if got is None:
                    raise CheckFailed(f"case {case}: no cotangent for input {label}")
                if got.shape != want.shape or not _close(got, want, rtol=1e-5, atol=1e-6):
                    _differ(f"case {case}: input {label}", got, want, 1e-5, 1e-6,
                            _vjp_hint(label, shape, got, want, g, others, name), case=case, input=label)
        what = " and ".join(_input_names(len(shapes[0]), name))
        kinds = sorted({s for case in shapes for s in case}, key=len)
        return (f"the cotangents of {what} agree with finite differences in {len(shapes)} cases "
                f"(shapes {', '.join(map(str, kinds))}{' with broadcasting' if len(shapes[0]) > 1 else ''})",
                {"cases": len(shapes)})

    return _run(exercise or f"vjp {name}", body, quiet)


# ---------------------------------------------------------------------------
# check.dual: a toy dual-number class, op by op
# ---------------------------------------------------------------------------
_PARTS = (("a", "b"), ("primal", "tangent"), ("real", "dual"), ("value", "deriv"), ("val", "der"))

# (label, function of (x, y), derivative along x' = 1, y' = 0.5; what the operator is)
_DUAL_OPS = {
    "add": (lambda x, y: x + y, lambda x, y: 1.0 + 0.5, "x + y"),
    "radd": (lambda x, y: 2.0 + x, lambda x, y: 1.0, "2 + x"),
    "sub": (lambda x, y: x - y, lambda x, y: 1.0 - 0.5, "x - y"),
    "rsub": (lambda x, y: 2.0 - x, lambda x, y: -1.0, "2 - x"),
    "mul": (lambda x, y: x * y, lambda x, y: y + 0.5 * x, "x * y"),
    "rmul": (lambda x, y: 3.0 * x, lambda x, y: 3.0, "3 * x"),
    "truediv": (lambda x, y: x / y, lambda x, y: (y - 0.5 * x) / y**2, "x / y"),
    "rtruediv": (lambda x, y: 1.0 / x, lambda x, y: -1.0 / x**2, "1 / x"),
    "pow": (lambda x, y: x**3, lambda x, y: 3 * x**2, "x ** 3"),
    "neg": (lambda x, y: -x, lambda x, y: -1.0, "-x"),
}
_DUAL_HINTS = {
    "truediv": [(lambda x, y: (y + 0.5 * x) / y**2, "the quotient rule has a minus: (x'y - xy')/y²"),
                (lambda x, y: 1.0 / 0.5, "dividing the tangents is not the rule: (x'y - xy')/y²"),
                (lambda x, y: (0.5 * x - y) / y**2, "the sign is flipped: (x'y - xy')/y²")],
    "rtruediv": [(lambda x, y: 1.0 / x**2, "d(1/x) = -x'/x²: the minus is missing")],
    "mul": [(lambda x, y: 0.5 * 1.0, "the product rule is x'y + xy', not x'y'")],
}


def _parts_of(d):
    for a, b in _PARTS:
        if hasattr(d, a) and hasattr(d, b):
            return getattr(d, a), getattr(d, b)
    raise CheckFailed(f"a {type(d).__name__} must keep its value and derivative in attributes a and b "
                      "(or primal and tangent)")


def dual(cls: type, *, ops=None, require=(), exercise: str = "dual", quiet: bool = False) -> Result:
    """Check a toy dual-number class op by op: value and derivative of each operator it defines.

    ``cls(value, derivative)`` must build a dual number whose two parts are
    attributes ``a`` and ``b`` (or ``primal`` and ``tangent``).  Each
    operator (``+ - * / **``, unary ``-``, and the reflected ones with a
    plain number on the left) is run on ``x = cls(1.7, 1.0)``, ``y = cls(0.6,
    0.5)`` and compared with the exact value and derivative; the verdict
    names the first wrong operator, with a hint for the usual slips of the
    quotient and product rules.

    Parameters
    ----------
    cls : type
        The student's class.
    ops : sequence of str, optional
        Which operators to check (``"add"``, ``"rsub"``, ``"truediv"``, ...);
        default: every one the class defines.
    require : sequence of str
        Operators the exercise asks for: if one is missing the exercise is
        *not attempted*.
    exercise : str
        The name the verdict and the grader use.
    quiet : bool
        Do not print the verdict.

    Returns
    -------
    Result

    Examples
    --------
    >>> class D:
    ...     def __init__(self, a, b=0.0):
    ...         self.a, self.b = a, b
    ...     def __mul__(self, o):
    ...         o = o if isinstance(o, D) else D(o)
    ...         return D(self.a * o.a, self.b * o.b)     # wrong: should be a*o.b + b*o.a
    >>> r = dual(D)  # doctest: +ELLIPSIS
    ✗ exercise dual: x * y at x = 1.7 + 1ε, y = 0.6 + 0.5ε: derivative expected 1.45, received 0.5 ...
    >>> r.hint
    "the product rule is x'y + xy', not x'y'"
    """

    def body():
        _attempted(cls, "the dual-number class")
        if not isinstance(cls, type):
            raise CheckFailed(f"give the class itself; got {type(cls).__name__}")
        dunder = {"add": "__add__", "radd": "__radd__", "sub": "__sub__", "rsub": "__rsub__",
                  "mul": "__mul__", "rmul": "__rmul__", "truediv": "__truediv__", "rtruediv": "__rtruediv__",
                  "pow": "__pow__", "neg": "__neg__"}
        for op in require:
            if op not in dunder:
                raise ValueError(f"require: unknown operator {op!r}; choose from {sorted(dunder)}")
            if not callable(getattr(cls, dunder[op], None)):
                raise _NotAttempted(f"{cls.__name__} has no {dunder[op]} yet")
        names = list(ops) if ops is not None else [op for op in _DUAL_OPS if callable(getattr(cls, dunder[op], None))]
        if not names:
            raise CheckFailed(f"{cls.__name__} defines none of the operators + - * / ** ")
        x0, y0 = 1.7, 0.6
        checked = []
        for op in names:
            f, df, text = _DUAL_OPS[op]
            x = _student(cls, x0, 1.0, what=f"{cls.__name__}({x0}, 1.0)")
            y = _student(cls, y0, 0.5, what=f"{cls.__name__}({y0}, 0.5)")
            out = _student(f, x, y, what=f"{text} on your dual numbers")
            if not any(hasattr(out, a) and hasattr(out, b) for a, b in _PARTS):
                raise CheckFailed(f"{text} returned a {type(out).__name__}, not a dual number",
                                  "return a new dual number from the operator")
            val, der = (float(v) for v in _parts_of(out))
            where = f"{text} at x = {x0} + 1ε, y = {y0} + 0.5ε"
            want_v, want_d = f(x0, y0), df(x0, y0)
            if not math.isclose(val, want_v, rel_tol=1e-9, abs_tol=1e-12):
                raise CheckFailed(f"{where}: value expected {want_v:.6g}, received {val:.6g}",
                                  "the value part is the ordinary result, computed from the values alone",
                                  op=op, expected=want_v, received=val)
            if not math.isclose(der, want_d, rel_tol=1e-9, abs_tol=1e-12):
                hint = next((h for wrong, h in _DUAL_HINTS.get(op, []) if math.isclose(der, wrong(x0, y0),
                                                                                       rel_tol=1e-9)), "")
                raise CheckFailed(f"{where}: derivative expected {want_d:.6g}, received {der:.6g}", hint,
                                  op=op, expected=want_d, received=der)
            checked.append(text)
        return f"value and derivative right for {', '.join(checked)}", {"ops": names}

    return _run(exercise, body, quiet)


# ---------------------------------------------------------------------------
# Small checkers the tutorials' other exercises use
# ---------------------------------------------------------------------------
def value(got, expected, *, what: str = "your answer", exercise: str = "value", rtol: float = 1e-6,
          atol: float = 1e-9, hints: dict | None = None, quiet: bool = False) -> Result:
    """Compare a number or array the student computed with the right one: shape first, then the entries.

    Parameters
    ----------
    got
        The student's answer (``...`` means not attempted); a Tensor, array or number.
    expected
        The right answer.
    what : str
        How the verdict names the answer.
    exercise : str
        The name the verdict and the grader use.
    rtol, atol : float
        Tolerances.
    hints : dict, optional
        ``{hint text: wrong answer}``: a known wrong answer and what to say when it is received.
    quiet : bool
        Do not print the verdict.

    Returns
    -------
    Result

    Examples
    --------
    >>> r = value(np.ones((3, 1)), np.full((3, 1), 20.0), what="a.grad",
    ...           hints={"each entry of a is used 4 * 5 = 20 times": np.ones((3, 1))})
    ✗ exercise value: a.grad at index (0, 0): expected 20, received 1 (hint: each entry of a is used 4 * 5 = 20 times)
    """

    def body():
        _attempted(got, what)
        if not _numeric(expected):  # names, strings, structures: equality
            if got != expected:
                hint = next((text for text, wrong in (hints or {}).items() if got == wrong), "")
                raise CheckFailed(f"{what}: expected {expected!r}, received {got!r}", hint,
                                  expected=repr(expected), received=repr(got))
            return f"{what} is right ({expected!r})", {}
        try:
            g = _to_array(got)
        except (TypeError, ValueError):
            raise CheckFailed(f"{what}: expected a number or an array, received a {type(got).__name__}") from None
        e = _to_array(expected)
        for text, wrong in (hints or {}).items():
            w = _to_array(wrong)
            if g.shape == w.shape and _close(g, w, rtol, atol) and not _close(w, e, rtol, atol):
                hint = text
                break
        else:
            hint = ""
        if g.shape != e.shape or not _close(g, e, rtol, atol):
            _differ(what, g, e, rtol, atol, hint)
        return f"{what} is right ({_fmt(e)})", {}

    return _run(exercise, body, quiet)


def _numeric(x) -> bool:
    if isinstance(x, (str, bytes, bool, dict, np.dtype)) or x is None:
        return False
    try:
        return np.asarray(_to_array(x)).dtype.kind in "fiu"
    except (TypeError, ValueError):
        return False


def between(got, low: float, high: float, *, what: str = "your answer", exercise: str = "between",
            hint: str = "", quiet: bool = False) -> Result:
    """Check that a number the student measured lies in ``[low, high]`` (for answers that vary, like timings).

    Examples
    --------
    >>> r = between(0.97, 0.9, 1.0, what="training accuracy")
    ✓ exercise between: training accuracy = 0.97 lies in [0.9, 1]
    """

    def body():
        _attempted(got, what)
        v = _number(got, what)
        if not low <= v <= high:
            raise CheckFailed(f"{what} = {v:.4g} is outside [{low:g}, {high:g}]", hint, received=v, low=low,
                              high=high)
        return f"{what} = {v:.4g} lies in [{low:g}, {high:g}]", {"received": v}

    return _run(exercise, body, quiet)


def derivative(fn: Callable, f: Callable, at, *, what: str = "your derivative", exercise: str = "derivative",
               rtol: float = 1e-7, quiet: bool = False) -> Result:
    """Check a hand-written derivative ``fn`` of a one-variable function ``f`` at the points ``at``.

    The reference is forward mode (``mgx.jvp``) on ``f``.

    Examples
    --------
    >>> import microgradx as mgx
    >>> r = derivative(lambda x: mgx.cos(x), mgx.sin, at=[0.0, 1.0])
    ✓ exercise derivative: your derivative agrees with forward mode at 2 points
    """
    from ..transforms import jvp

    def body():
        _attempted(fn, what)
        points = [float(p) for p in np.atleast_1d(at)]
        for p in points:
            want = float(np.asarray(jvp(f, [p], [1.0])[1][0]))
            got = _student(fn, p, what=what)
            got = _number(got, f"{what} at {p}")
            if not math.isclose(got, want, rel_tol=rtol, abs_tol=1e-12):
                raise CheckFailed(f"{what} at x = {p}: expected {want:.10g}, received {got:.10g}",
                                  "check the chain rule for the inner function" if abs(got) > 0 else "",
                                  at=p, expected=want, received=got)
        return f"{what} agrees with forward mode at {len(points)} point{'s' * (len(points) > 1)}", {}

    return _run(exercise, body, quiet)


def gradient(got, f: Callable, *args, argnums=0, what: str = "your gradient", exercise: str = "gradient",
             rtol: float = 1e-6, hints: dict | None = None, quiet: bool = False) -> Result:
    """Check a gradient the student computed (by hand, or with their own code) against ``mgx.grad(f)(*args)``.

    Examples
    --------
    >>> import microgradx as mgx
    >>> r = gradient(np.full(3, 1 / 3), lambda x: mgx.mean(x), mgx.array(np.ones(3)))
    ✓ exercise gradient: your gradient is right ([0.3333, 0.3333, 0.3333])
    """
    from ..transforms import grad

    expected = grad(f, argnums=argnums)(*args)
    return value(got, expected, what=what, exercise=exercise, rtol=rtol, hints=hints, quiet=quiet)


# ---------------------------------------------------------------------------
# Measurements, profiles and pictures: answers that vary from run to run, checked against the checker's
# own measurement of the same thing, made a moment later in the same process
# ---------------------------------------------------------------------------
def _runs(values, name: str, unit: str) -> np.ndarray:
    try:
        runs = np.atleast_1d(np.asarray(_to_array(values), dtype=float)).ravel()
    except (TypeError, ValueError):
        raise CheckFailed(f"{name}: expected a number or a list of runs in {unit}, received a "
                          f"{type(values).__name__}") from None
    if runs.size == 0 or not np.all(np.isfinite(runs)) or np.any(runs < 0):
        raise CheckFailed(f"{name}: the measurements must be finite and not negative; received {_fmt(runs)}")
    return runs


def _scale_hint(factor: float, unit: str, per: int | None) -> str:
    """What a measurement ``factor`` times the checker's looks like: another unit, or a total instead of a mean."""
    guesses = [(10.0**k, f"a factor 10^{k}, which is a change of unit (the answer is in {unit})") for k in
               (-9, -6, -3, 3, 6, 9)]
    if per:
        guesses += [(per, f"the total for all {per:,} instead of the amount per one: divide by {per:,}")]
        guesses += [(per * 10.0**k, f"a total for all {per:,} in another unit: divide by {per:,} and give {unit}")
                    for k in (-9, -6, -3, 3, 6, 9)]
    if abs(math.log10(factor)) < 2.5:  # within a few hundred times: a busy machine, or the wrong work
        return ""
    best, text = min(guesses, key=lambda g: abs(math.log10(factor / g[0])))
    return text if abs(math.log10(factor / best)) < 0.7 else ""


def measured(got, reference: Callable[[], dict], *, unit: str, what: str = "your measurements",
             exercise: str = "measured", runs: int = 1, repeats: int = 3, tolerance: float = 30.0,
             compare=(), decisive: float = 2.0, per: int | None = None, low_hint: str = "",
             quiet: bool = False) -> Result:
    """Check measurements (times, bytes) against the checker's own measurement of the same work.

    A timing differs from one run to the next, so it cannot be compared with
    a fixed number.  The checker measures the same work itself, right after
    the student's cell, in the same process (``reference()``, ``repeats``
    times, the median), and checks what a right measurement must have
    whatever the machine: every quantity asked for, at least ``runs`` runs of
    each (when the exercise asks to repeat), the right order of magnitude
    (the median within a factor ``tolerance`` of the checker's: a wrong unit
    or a total instead of a mean is off by a factor of a thousand or more,
    while other programs running on the machine can slow one of the two
    measurements by ten times or more), and the right order between two
    quantities where the checker's own ratio is clear (``compare``).

    Parameters
    ----------
    got : dict
        ``{name: runs}``: one number or a list of runs per quantity, in ``unit``.
    reference : function
        ``reference()`` measures the same work once and returns ``{name: number}`` in ``unit``.
    unit : str
        The unit the exercise asks for (``"ms"``, ``"ns per multiplication"``, ``"bytes per node"``).
    what : str
        How the verdict names the answer.
    exercise : str
        The name the verdict and the grader use.
    runs : int
        How many runs of each quantity the exercise asks for.
    repeats : int
        How many times the checker runs ``reference``.
    tolerance : float
        How far (a factor) the student's median may be from the checker's.
    compare : sequence of (str, str)
        Pairs ``(a, b)`` whose ratio ``a / b`` is compared: where the checker's
        ratio is above ``decisive`` (or below ``1 / decisive``), the student's
        must lie on the same side of 1.
    decisive : float
        See ``compare``.
    per : int, optional
        For an amount per item (per node, per multiplication): the number of
        items, so that a total given instead of a mean is recognised.
    low_hint : str
        The hint for a measurement far smaller than the checker's (the exercise's classic mistake);
        without it, a factor that a change of unit or a total explains is named.
    quiet : bool
        Do not print the verdict.

    Returns
    -------
    Result

    Examples
    --------
    >>> import time
    >>> def sleep_ms():
    ...     t0 = time.perf_counter(); time.sleep(0.002); return {"sleep": (time.perf_counter() - t0) * 1e3}
    >>> r = measured({"sleep": [0.0021, 0.0022, 0.0021]}, sleep_ms, unit="ms", runs=3)  # doctest: +ELLIPSIS
    ✗ exercise measured: sleep: median 0.0021 ms, the checker measured ... (hint: a factor 10^-3, ...)
    >>> measured({"sleep": [2.1, 2.2, 2.1]}, sleep_ms, unit="ms", runs=3, quiet=True).passed
    True
    """
    if not callable(reference):
        raise TypeError(f"reference must be a function that measures the work once; got {type(reference).__name__}")
    pairs = [tuple(p) for p in compare]

    def body():
        _attempted(got, what)
        if not isinstance(got, dict):
            raise CheckFailed(f"{what}: expected a dict {{name: runs}}, received a {type(got).__name__}")
        measurements = [reference() for _ in range(max(1, repeats))]
        names = list(measurements[0])
        ref = {n: float(np.median([m[n] for m in measurements])) for n in names}
        missing = [n for n in names if n not in got]
        if missing:
            raise CheckFailed(f"{what}: no measurement of {', '.join(map(repr, missing))} (the names measured: "
                              f"{', '.join(map(repr, names))})", "measure every case the exercise names")
        medians, parts = {}, []
        for n in names:
            r = _runs(got[n], repr(n), unit)
            if r.size < runs:
                raise CheckFailed(f"{n}: {r.size} run{'s' * (r.size != 1)}; the exercise asks for {runs}",
                                  "repeat the measurement and keep every run: one run cannot show how much "
                                  "the runs vary", name=n, runs=int(r.size))
            medians[n] = float(np.median(r))
            factor = medians[n] / ref[n] if ref[n] > 0 else (math.inf if medians[n] > 0 else 1.0)
            if not 1 / tolerance <= factor <= tolerance:
                hint = low_hint if factor < 1 and low_hint else (
                    _scale_hint(factor, unit, per) if 0 < factor < math.inf else "")
                raise CheckFailed(f"{n}: median {_fmt(medians[n])} {unit}, the checker measured "
                                  f"{_fmt(ref[n])} {unit} just now (a factor {factor:.3g})", hint,
                                  name=n, received=medians[n], measured=ref[n])
            parts.append(f"{n} {_fmt(medians[n])} {unit} (checker {_fmt(ref[n])})")
        for a, b in pairs:
            want, mine = ref[a] / ref[b], medians[a] / medians[b] if medians[b] > 0 else math.inf
            if (want > decisive and mine <= 1) or (want < 1 / decisive and mine >= 1):
                raise CheckFailed(f"{a} / {b} = {mine:.3g} in your measurements, {want:.3g} in the checker's: "
                                  f"{a if want > 1 else b} is clearly the larger", "are the two swapped, or is "
                                  "one of them measuring more (or less) work than it names?",
                                  pair=[a, b], received=mine, measured=want)
            parts.append(f"{a} / {b} = {mine:.3g} (checker {want:.3g})")
        return (f"{what}: " + "; ".join(parts), {"medians": medians, "measured": ref})

    return _run(exercise, body, quiet)


def _function_name(entry) -> str:
    """A profile entry as a function name: from pstats' (file, line, name), 'file:line(name)' or a name.

    Built-ins are shortened as a student writes them: ``<built-in method builtins.len>`` is ``len``,
    ``<method 'append' of 'list' objects>`` is ``append``.
    """
    if isinstance(entry, tuple) and len(entry) == 3:
        text = str(entry[2])
    else:
        text = str(entry).strip()
        if text.endswith(")") and "(" in text and ":" in text.split("(", 1)[0]:
            text = text[text.index("(") + 1:-1]
    if text.startswith(("<built-in method ", "<built-in function ")):
        return text[:-1].split()[-1].rsplit(".", 1)[-1]
    if text.startswith("<method '"):
        return text.split("'")[1]
    return text


def profile(got, run: Callable, *, setup: Callable | None = None, top: int = 5,
            what: str = "your five functions", exercise: str = "profile", quiet: bool = False) -> Result:
    """Check the functions a student read off a profile, against the checker's own profile of the same work.

    The checker profiles ``run(setup())`` with cProfile (only ``run`` is
    profiled) and ranks the functions by their own time (``tottime``, the
    time in the function's code, not in the functions it calls).  The
    student's ``top`` names must include the checker's first three, and each
    must have at least 2 % of the first one's own time (below the first few
    the ranks of functions with similar times change from run to run, while
    a function that only calls others has almost none).  A list read off the
    cumulative column is recognised and named.

    Parameters
    ----------
    got : list
        Function names (``"backward_sweep"``), pstats keys ``(file, line, name)`` or ``"file:line(name)"``.
    run : function
        The work profiled: ``run(setup())``, or ``run()`` without ``setup``.
    setup : function, optional
        Builds what ``run`` takes (not profiled).
    top : int
        How many functions the exercise asks for.
    what, exercise : str
        How the verdict names the answer; the name the verdict and the grader use.
    quiet : bool
        Do not print the verdict.

    Returns
    -------
    Result

    Examples
    --------
    >>> def leaf(n):              # all its time is its own
    ...     total = 0
    ...     for i in range(n):
    ...         total += i * i
    ...     return total
    >>> def outer():              # almost no time of its own
    ...     return leaf(50_000) + leaf(50_000)
    >>> r = profile(["outer"], outer, top=1)  # doctest: +ELLIPSIS
    ✗ exercise profile: 'outer' ranks 2 of 3 by its own time ... (hint: this list is sorted by cumulative time, ...)
    >>> profile(["leaf"], outer, top=1, quiet=True).passed
    True
    """
    import cProfile
    import pstats

    def body():
        _attempted(got, what)
        if isinstance(got, (str, bytes)) or not hasattr(got, "__iter__"):
            raise CheckFailed(f"{what}: expected a list of {top} function names, received a {type(got).__name__}")
        names = [_function_name(e) for e in got]
        if len(names) != top:
            raise CheckFailed(f"{what}: {len(names)} function{'s' * (len(names) != 1)}; the exercise asks for "
                              f"the {top} with the most time", received=names)
        arg = setup() if setup is not None else None
        profiler = cProfile.Profile()
        profiler.enable()
        try:
            run(arg) if setup is not None else run()
        finally:
            profiler.disable()
        stats = pstats.Stats(profiler).stats  # {(file, line, name): (cc, nc, tottime, cumtime, callers)}
        own = sorted(stats, key=lambda f: stats[f][2], reverse=True)
        cumulative = sorted(stats, key=lambda f: stats[f][3], reverse=True)
        ranked = [_function_name(f) for f in own]
        own_time = {_function_name(f): stats[f][2] for f in reversed(own)}  # the largest entry of a name wins
        expected = [n for n in ranked if own_time[n] >= 0.02 * own_time[ranked[0]]]
        stray = [n for n in names if n not in expected]
        if stray:
            # a list read off the cumulative column: its strays rank high by cumulative time (or are the
            # notebook's own frames, which only the student's profile has)
            by_cumulative = [_function_name(f) for f in cumulative[: top + 2]]
            known = [n for n in stray if n in ranked]
            n = (known or stray)[0]
            rank = ranked.index(n) + 1 if n in ranked else None
            cumulative_list = any(k in by_cumulative for k in known) and all(
                k in by_cumulative or k not in ranked for k in stray)
            hint = ("this list is sorted by cumulative time, which counts the time of the functions a function "
                    "calls; the question asks for the time in each function's own code: sort_stats('tottime')"
                    if cumulative_list else "")
            where = f"ranks {rank} of {len(ranked)} by its own time in" if rank else "does not appear in"
            raise CheckFailed(f"{n!r} {where} the checker's profile of the same work (its first {top}: "
                              f"{', '.join(ranked[:top])})", hint, received=names, expected=ranked[:top])
        absent = [n for n in ranked[:min(3, top)] if n not in names]
        if absent:
            raise CheckFailed(f"{absent[0]!r} is missing: it is among the three with the most time of their own "
                              f"in the checker's profile ({', '.join(ranked[:3])})", received=names,
                              expected=ranked[:top])
        return f"{what} are the ones with the most time of their own ({', '.join(names)})", {"names": names}

    return _run(exercise, body, quiet)


def drawing(got, root, *, max_nodes: int, names=None, what: str = "your drawing", exercise: str = "drawing",
            quiet: bool = False) -> Result:
    """Check a graph picture made with :func:`mgx.viz.draw <microgradx.teaching.viz.draw>` of ``root``.

    The checker draws ``root`` itself with the settings the exercise asks for
    and compares the student's :class:`~microgradx.teaching.viz.Graph` with
    it: the same graph (its size), the values kept (``max_nodes``), the
    parameters labelled by their names (``names=model``), the gradients
    there (``backward`` called first), and every arrow.

    Parameters
    ----------
    got : Graph
        What ``mgx.viz.draw`` returned.
    root : Scalar or Tensor
        The value the exercise asks to draw.
    max_nodes : int
        The ``max_nodes`` the exercise asks for.
    names : model, dict or list, optional
        The ``names`` the exercise asks for.
    what, exercise : str
        How the verdict names the answer; the name the verdict and the grader use.
    quiet : bool
        Do not print the verdict.

    Returns
    -------
    Result

    Examples
    --------
    >>> import microgradx as mgx
    >>> a = mgx.Scalar(2.0, label="a"); out = (a * a).tanh(); out.backward()
    >>> r = drawing(mgx.viz.draw(out, max_nodes=2), out, max_nodes=3)
    ✗ exercise drawing: your drawing shows 2 values; with max_nodes=3 it shows 3 of the 3
    """

    def body():
        _attempted(got, what)
        if not isinstance(got, _viz.Graph):
            raise CheckFailed(f"{what}: expected the Graph that mgx.viz.draw returns, received a "
                              f"{type(got).__name__}", "keep what mgx.viz.draw(...) returns in the variable")
        ref = _viz.draw(root, max_nodes=max_nodes, names=names, engine="builtin")
        if got.total_nodes != ref.total_nodes:
            raise CheckFailed(f"{what} is of a graph of {got.total_nodes:,} values; the one asked for has "
                              f"{ref.total_nodes:,}", "draw the value the exercise names (one point's score, "
                              "not the loss over all points)", received=got.total_nodes, expected=ref.total_nodes)
        if got.num_nodes != ref.num_nodes:
            raise CheckFailed(f"{what} shows {got.num_nodes:,} values; with max_nodes={max_nodes} it shows "
                              f"{ref.num_nodes:,} of the {ref.total_nodes:,}", received=got.num_nodes,
                              expected=ref.num_nodes)
        grad = getattr(root, "grad", None)
        if grad is None or not np.any(np.asarray(grad.numpy() if hasattr(grad, "numpy") else grad)):
            raise CheckFailed(f"{what}: the output's gradient is {_fmt(grad) if grad is not None else 'None'}",
                              "call backward() on it before drawing, so that every box shows its gradient")
        mine = [b.fields for b in got._boxes if b.kind == "value"]
        want = [b.fields for b in ref._boxes if b.kind == "value"]
        named = set(_viz._names_of(names).values()) if names is not None else set()
        want_named = sum(1 for f in want if f[0] in named)
        got_named = sum(1 for f in mine if f and f[0] in named)
        if got_named < want_named:
            example = next(f[0] for f in want if f[0] in named)
            raise CheckFailed(f"{what}: {want_named - got_named} of the {want_named} parameters drawn carry no "
                              f"name (such as {example!r})", "pass names=model so that the parameters are "
                              "labelled with their names", received=got_named, expected=want_named)
        if mine != want:
            k = next(i for i, (m, w) in enumerate(zip(mine, want)) if m != w)
            grads_only = [f for f in mine[k] if not f.startswith("grad ")] == [f for f in want[k]
                                                                                if not f.startswith("grad ")]
            hint = ("the gradients differ: draw after backward(), and call zero_grad() first (gradients add up)"
                    if grads_only else "draw the value the exercise names")
            raise CheckFailed(f"{what}: value box {k} shows {' | '.join(mine[k])}, expected "
                              f"{' | '.join(want[k])}", hint)
        if sorted(got._edges) != sorted(ref._edges):
            raise CheckFailed(f"{what}: {len(got._edges)} arrows, expected {len(ref._edges)} (the same values "
                              "connected differently)")
        return (f"{what} shows {got.num_nodes} of the {got.total_nodes:,} values and {got.num_ops} operations, "
                f"{got_named} parameters by name, with their gradients", {"values": got.num_nodes})

    return _run(exercise, body, quiet)


def weight_images(fig, weight, *, image_shape=(8, 8), min_images: int = 4, what: str = "your figure",
                  exercise: str = "weight_images", quiet: bool = False) -> Result:
    """Check a matplotlib figure that shows a layer's units' weights as images.

    Each image must be one unit's weights: for a layer that computes ``x @
    weight.T + bias`` (``weight`` of shape (out_features, in_features)) that
    is a **row** of ``weight``, reshaped to ``image_shape``; a column is the
    classic mistake, and for a square matrix its shape cannot show it.  A
    title with a number (``"unit 3"``) must name the row shown.  The colour
    map must be centred on zero (``vmin = -vmax``), so that the middle colour
    means 0, and a colorbar must give the scale.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure (``fig`` of ``fig, axes = plt.subplots(...)``).
    weight : array
        The layer's weight matrix.
    image_shape : tuple
        The shape of one image.
    min_images : int
        How many units the figure must show at least.
    what, exercise : str
        How the verdict names the answer; the name the verdict and the grader use.
    quiet : bool
        Do not print the verdict.

    Returns
    -------
    Result

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> W = np.arange(16.0).reshape(4, 4) - 7.5
    >>> fig, axes = plt.subplots(1, 4)
    >>> images = [ax.imshow(W[:, k].reshape(2, 2), vmin=-8, vmax=8) for k, ax in enumerate(axes)]
    >>> _ = fig.colorbar(images[0], ax=axes)
    >>> weight_images(fig, W, image_shape=(2, 2)).hint[:40]  # doctest: +ELLIPSIS
    ✗ exercise weight_images: image 0 shows column 0 of the weight matrix, not a row (hint: ...)
    'a unit reads the input through its row: '
    >>> plt.close(fig)
    """

    W = _to_array(weight)
    size = int(np.prod(image_shape))
    if W is None or W.ndim != 2 or size not in W.shape:
        raise ValueError(f"weight: expected a matrix with {size} = {tuple(image_shape)} entries per unit; got "
                         f"shape {None if W is None else W.shape}")

    def body():
        _attempted(fig, what)
        axes = getattr(fig, "axes", None)
        if axes is None or not hasattr(fig, "colorbar"):
            raise CheckFailed(f"{what}: expected a matplotlib Figure, received a {type(fig).__name__}",
                              "keep the figure: fig, axes = plt.subplots(...)")
        images = [(ax, im) for ax in axes for im in ax.get_images()]
        if len(images) < min_images:
            raise CheckFailed(f"{what} shows {len(images)} image{'s' * (len(images) != 1)}; the exercise asks "
                              f"for a few units (at least {min_images})")
        rows = [W[k].reshape(image_shape) for k in range(W.shape[0])] if W.shape[1] == size else []
        cols = [W[:, k].reshape(image_shape) for k in range(W.shape[1])] if W.shape[0] == size else []
        shown = []
        for i, (ax, im) in enumerate(images):
            data = np.asarray(im.get_array(), dtype=float)
            row = next((k for k, r in enumerate(rows) if r.shape == data.shape and np.allclose(r, data)), None)
            if row is None:
                col = next((k for k, c in enumerate(cols) if c.shape == data.shape and np.allclose(c, data)), None)
                if col is not None:
                    raise CheckFailed(f"image {i} shows column {col} of the weight matrix, not a row",
                                      "a unit reads the input through its row: the layer computes x @ weight.T "
                                      "+ bias, so unit k's weights are weight[k]", image=i, column=col)
                raise CheckFailed(f"image {i} (shape {data.shape}) is not a row of the weight matrix reshaped to "
                                  f"{tuple(image_shape)}", "show weight[k].reshape(8, 8) for unit k", image=i)
            title = ax.get_title()
            numbers = [int(t) for t in title.replace(":", " ").split() if t.isdigit()]
            if numbers and numbers[-1] != row:
                raise CheckFailed(f"image {i} is titled {title!r} but shows row {row}", image=i, row=row)
            vmin, vmax = im.norm.vmin, im.norm.vmax
            if vmin is None or vmax is None or not math.isclose(vmin, -vmax, rel_tol=1e-6, abs_tol=1e-12):
                raise CheckFailed(f"image {i}: the colour map is not centred on zero (vmin {vmin:.3g}, vmax "
                                  f"{vmax:.3g})", "give imshow vmin=-v and vmax=v with one v for every image, "
                                  "so that the middle colour means 0 and the images compare", image=i)
            shown.append(row)
        if not any(getattr(im, "colorbar", None) is not None for _, im in images):
            raise CheckFailed(f"{what} has no colorbar", "add fig.colorbar(image, ax=axes) so the colours have a "
                              "scale")
        return (f"{what} shows rows {', '.join(map(str, shown))} of the weight matrix (one unit each), centred on "
                "zero, with a colorbar", {"rows": shown})

    return _run(exercise, body, quiet)
