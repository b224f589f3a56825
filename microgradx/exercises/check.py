"""Checkers with feedback: ``check.sweep``, ``check.vjp``, ``check.dual`` and friends.

Each checker runs the student's code on cases chosen to expose the classic
mistakes, compares with the engine (or with finite differences), prints one
verdict line and returns a :class:`~microgradx.exercises.results.Result`:

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

__all__ = ["sweep", "vjp", "dual", "value", "between", "derivative", "gradient", "CheckFailed"]


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
                if got.shape != want.shape:
                    raise CheckFailed(f"case {case}: input {label}: expected shape {want.shape}, received shape "
                                      f"{got.shape}", _vjp_hint(label, shape, got, want, g, others, name),
                                      case=case, input=label, expected_shape=list(want.shape),
                                      received_shape=list(got.shape))
                if not _close(got, want, rtol=1e-5, atol=1e-6):
                    bad = np.argwhere(~np.isclose(got, want, rtol=1e-5, atol=1e-6)) if got.ndim else [()]
                    idx = tuple(int(k) for k in bad[0]) if len(bad) else ()
                    at = f" at index {idx}" if idx else ""
                    raise CheckFailed(f"case {case}: input {label}{at}: expected {_fmt(want[idx])}, received "
                                      f"{_fmt(got[idx])}", _vjp_hint(label, shape, got, want, g, others, name),
                                      case=case, input=label, index=list(idx),
                                      expected=float(want[idx]), received=float(got[idx]))
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
        if g.shape != e.shape:
            raise CheckFailed(f"{what}: expected shape {e.shape}, received shape {g.shape}", hint,
                              expected_shape=list(e.shape), received_shape=list(g.shape))
        if not _close(g, e, rtol, atol):
            bad = np.argwhere(~np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)) if g.ndim else [()]
            idx = tuple(int(k) for k in bad[0]) if len(bad) else ()
            raise CheckFailed(f"{what}{f' at index {idx}' if idx else ''}: expected {_fmt(e[idx])}, "
                              f"received {_fmt(g[idx])}", hint, expected=e.tolist(), received=g.tolist())
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
        try:
            v = float(np.asarray(_to_array(got)))
        except (TypeError, ValueError):
            raise CheckFailed(f"{what}: expected a number, received a {type(got).__name__}") from None
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
            try:
                got = float(np.asarray(_to_array(got)))
            except (TypeError, ValueError):
                raise CheckFailed(f"{what} at {p} returned a {type(got).__name__}, not a number") from None
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
