"""Check derivatives against finite differences: ``mgx.check_grad``.

Automatic differentiation is only as right as its rules.  ``check_grad``
compares what the transforms compute with what a finite difference
measures, along a random direction ``v``, for each argument, each mode and
each order:

* **order 1**: the directional derivative ``D1(x) = ∇f(x)·v`` (reverse mode:
  ``grad``; forward mode: ``jvp``) against the central difference
  ``(f(x + hv) - f(x - hv)) / 2h``;
* **order k**: ``Dk(x)``, the derivative of ``D(k-1)`` along ``v`` computed by
  differentiating ``D(k-1)`` again (``grad`` of ``grad``, ``jvp`` of ``jvp``),
  against the central difference of ``D(k-1)`` itself.

Each order is checked against the order below it, so the first order that
disagrees points at the rule to fix: order 1 wrong means a derivative rule
is wrong; order 1 right and order 2 wrong means the rule's own derivative is
(a rule written with a shortcut that is not differentiable, for example).

Functions with array outputs are checked through ``sum(w * f(x))`` with
fixed random weights ``w``.  Everything is done in float64.  Where ``f`` has
a kink (``relu``, ``abs``, ``max``) at the point, finite differences are
meaningless: choose another point.

Examples
--------
>>> import microgradx as mgx
>>> report = mgx.check_grad(lambda x, y: mgx.sum(mgx.sin(x) * y), mgx.array([0.5, 1.0]), 2.0)
>>> report.ok
True
>>> print(report)  # doctest: +ELLIPSIS
check_grad: 8 checks, all agree with finite differences
 argument  mode  order ...
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from . import ops
from .core.dispatch import node_types, raw_value
from .nodes.tensor import Tensor
from .transforms import grad, jvp

__all__ = ["check_grad", "GradCheckReport", "GradCheckError", "Check"]

_MODE_NAMES = {"fwd": "forward", "rev": "reverse"}


@dataclass
class Check:
    """One comparison: argument, mode and order, the two numbers, and whether they agree."""

    argument: str
    mode: str
    order: int
    autodiff: float
    finite_difference: float
    ok: bool

    @property
    def difference(self) -> float:
        """``|autodiff - finite_difference|``."""
        return abs(self.autodiff - self.finite_difference)


@dataclass
class GradCheckReport:
    """All comparisons made by :func:`check_grad`; ``str(report)`` prints them as a table.

    Examples
    --------
    >>> import microgradx as mgx
    >>> r = mgx.check_grad(lambda x: x ** 3, 2.0, order=1, modes=("rev",))
    >>> r.ok, len(r.checks), r.failures
    (True, 1, [])
    """

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check agreed."""
        return all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        """The checks that disagreed."""
        return [c for c in self.checks if not c.ok]

    def __str__(self) -> str:
        bad = self.failures
        head = (f"check_grad: {len(self.checks)} checks, all agree with finite differences" if not bad else
                f"check_grad: {len(bad)} of {len(self.checks)} checks DISAGREE with finite differences")
        lines = [head, f" {'argument':<16}{'mode':<9}{'order':>5}  {'autodiff':>14}  {'finite diff':>14}  result"]
        for c in self.checks:
            lines.append(f" {c.argument:<16}{_MODE_NAMES[c.mode]:<9}{c.order:>5}  {c.autodiff:>14.8g}  "
                         f"{c.finite_difference:>14.8g}  {'ok' if c.ok else 'WRONG'}")
        if bad:
            first = min(bad, key=lambda c: c.order)
            lines.append(_advice(first, self.checks))
        return "\n".join(lines)

    __repr__ = __str__


class GradCheckError(AssertionError):
    """Raised by :func:`check_grad` when a derivative disagrees; ``.report`` has every comparison."""

    def __init__(self, report: GradCheckReport):
        super().__init__(str(report))
        self.report = report


def _advice(first: Check, checks: list[Check]) -> str:
    if first.order == 1:
        return (f"First disagreement: {first.argument}, {_MODE_NAMES[first.mode]} mode, order 1 -- a first "
                "derivative rule used by this function is wrong.")
    lower_ok = all(c.ok for c in checks if c.mode == first.mode and c.order < first.order)
    why = (f"orders below {first.order} agree, so " if lower_ok else "")
    return (f"First disagreement: {first.argument}, {_MODE_NAMES[first.mode]} mode, order {first.order} -- {why}"
            f"the derivative of a derivative rule is wrong (a rule's formula is differentiated at order "
            f"{first.order}).")


def _argument_names(fun, n: int) -> list[str]:
    names = [f"argument {i}" for i in range(n)]
    try:
        params = list(inspect.signature(fun).parameters.values())
    except (TypeError, ValueError):
        return names
    for i, p in enumerate(params[:n]):
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names[i] = f"argument {i} ({p.name})"
    return names


def _checkable(x) -> bool:
    if isinstance(x, node_types()) or isinstance(x, np.ndarray):
        return np.asarray(raw_value(x)).dtype.kind in "iuf"
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def check_grad(fun: Callable, *args, modes: Sequence[str] = ("fwd", "rev"), order: int = 2,
               argnums: Sequence[int] | None = None, eps: float = 1e-5, rtol: float = 1e-5,
               atol: float = 1e-6, seed: int = 0, raise_on_failure: bool = True) -> GradCheckReport:
    """Compare ``fun``'s derivatives (forward and reverse mode, orders 1 to ``order``) with finite differences.

    Parameters
    ----------
    fun : callable
        ``fun(*args)`` returns a Tensor (any shape).
    *args
        Where to check.  Tensors, numpy arrays and numbers are checked
        (in float64); other arguments are passed through unchanged.
    modes : sequence of {"fwd", "rev"}
        ``"fwd"``: derivatives by ``jvp`` (dual numbers); ``"rev"``: by ``grad``.
    order : int
        Highest order to check (1 = first derivatives).
    argnums : sequence of int, optional
        Only check these arguments (default: every array or number argument).
    eps : float
        Finite-difference step along the unit direction.
    rtol, atol : float
        Agreement means ``|ad - fd| <= atol + rtol * max(|ad|, |fd|)``.
    seed : int
        Seed for the random directions and output weights.
    raise_on_failure : bool
        Raise :class:`GradCheckError` (an ``AssertionError``) if anything
        disagrees (default); otherwise just return the report.

    Returns
    -------
    GradCheckReport
        Every comparison, printable as a table.

    Examples
    --------
    >>> import microgradx as mgx
    >>> mgx.check_grad(lambda x: mgx.tanh(x) * x, mgx.array([0.3, -1.2]), order=3).ok
    True
    >>> wrong = lambda x: mgx.stop_gradient(x) * x     # derivative x, but x·x's is 2x
    >>> mgx.check_grad(wrong, 1.5, modes=("rev",), order=1)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    microgradx.check.GradCheckError: check_grad: 1 of 1 checks DISAGREE with finite differences
    ...
    """
    if not callable(fun):
        raise TypeError(f"check_grad: fun must be callable; got {type(fun).__name__}")
    modes = tuple(modes)
    if not modes or any(m not in _MODE_NAMES for m in modes):
        raise ValueError(f"check_grad: modes must be a non-empty sequence of 'fwd' and 'rev'; got {modes!r}")
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grad: order must be an int >= 1; got {order!r}")
    if argnums is None:
        argnums = [i for i, a in enumerate(args) if _checkable(a)]
    else:
        argnums = list(argnums)
        for i in argnums:
            if not 0 <= i < len(args) or not _checkable(args[i]):
                raise ValueError(f"check_grad: argnums has {i}, which is not an array or number argument of the "
                                 f"{len(args)} given")
    if not argnums:
        raise ValueError("check_grad: no argument to check; pass at least one Tensor, numpy array or number")

    rng = np.random.default_rng(seed)
    point = [Tensor(np.asarray(raw_value(a), dtype=np.float64)) if i in argnums else a for i, a in enumerate(args)]
    out = fun(*point)
    weights = rng.standard_normal(np.shape(raw_value(out)))
    names = _argument_names(fun, len(args))
    report = GradCheckReport()

    for i in argnums:
        x = np.asarray(raw_value(point[i]), dtype=np.float64)
        v = rng.standard_normal(x.shape)
        v = v / max(np.linalg.norm(v), 1e-300)

        def scalar(xi, i=i):  # the weighted output as a function of argument i alone
            call = list(point)
            call[i] = xi
            return ops.sum(fun(*call) * weights)

        for mode in modes:
            derivatives = [scalar]  # derivatives[k](x) = k-th derivative of scalar along v
            for k in range(1, order + 1):
                derivatives.append(_along(derivatives[-1], v, mode))
                ad = float(raw_value(derivatives[k](Tensor(x))))
                plus = float(raw_value(derivatives[k - 1](Tensor(x + eps * v))))
                minus = float(raw_value(derivatives[k - 1](Tensor(x - eps * v))))
                fd = (plus - minus) / (2 * eps)
                agree = abs(ad - fd) <= atol + rtol * max(abs(ad), abs(fd))
                report.checks.append(Check(names[i], mode, k, ad, fd, bool(agree)))

    if raise_on_failure and not report.ok:
        raise GradCheckError(report)
    return report


def _along(f: Callable, v: np.ndarray, mode: str) -> Callable:
    """The derivative of scalar ``f`` along ``v``, by reverse (grad) or forward (jvp) mode."""
    if mode == "rev":
        df = grad(f)
        return lambda x: ops.sum(df(x) * v)
    return lambda x: jvp(f, [x], [v])[1][0]
