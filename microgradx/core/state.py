"""Per-thread differentiation state: which levels are recording.

Every node (Scalar, Tensor, Dual) carries a *level*.  A level says which
differentiation it belongs to:

* level ``0`` is the **eager** level: ``Scalar``/``Tensor`` objects made by the
  user, recorded for a later ``.backward()``.  It records unless
  :func:`no_grad` is active or a function transform is running (inside a
  transform, eager values are constants, as in MLX).
* levels ``1, 2, 3, ...`` belong to running transforms (``grad``, ``jvp``, ...).
  Each call of a transform takes the next number, so a transform nested inside
  another always gets a *larger* level: larger means *inner*.
* level ``-1`` (:data:`PLAIN`) holds **plain values**: arrays made with
  ``mgx.array`` (or ``zeros``, ``ones``, ...), results of operations on
  plain values only, and what the transforms return.  It is never active,
  so a plain array is a constant everywhere and records nothing -- as an
  ``mx.array`` in MLX.  ``p = p - lr * g`` in a training loop therefore keeps
  no history from one step to the next.
* a hand-made :class:`~microgradx.Dual` sits on a fractional level just inside
  whatever its primal contains (see :func:`user_dual_level`); those are always
  active.  One made from plain values (a level below 1) *floats*: wherever it
  is used it counts as just inside the innermost running transform
  (:func:`effective_level`), so its ε is never confused with a transform's --
  ``(c * x).tangent`` inside ``mgx.jvp`` is ``c``'s part, not the transform's.

A node's value may itself be a node of an outer (smaller) level.  An operation
works on the innermost active level first, which is how nested transforms keep
their perturbations apart.

The levels are thread-local (:data:`this_thread`).  The other mutable state of
the package is process-wide and safe under threads: the epoch counter below
(``next`` on an ``itertools.count`` is atomic under the GIL), the compiled
Scalar's flag setter (set once, at import), the lock that lets one eager
``backward()`` sweep run at a time (:data:`sweep_lock`), and the rule table with
its registration hooks (filled at import).

Examples
--------
>>> from microgradx.core import state
>>> state.eager_enabled()
True
>>> with state.no_grad():
...     state.eager_enabled()
False
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator

__all__ = [
    "PLAIN",
    "eager_enabled",
    "is_active",
    "no_grad",
    "transform_level",
    "new_epoch",
    "user_dual_level",
    "active_levels",
    "sweep_lock",
    "NESTED_SWEEP",
    "eager_sweep",
    "effective_level",
    "this_thread",
]


PLAIN = -1  # the level of plain values (mgx.array): never active, never recorded


class _State(threading.local):
    """The calling thread's differentiation state (each thread sees its own attributes)."""

    def __init__(self) -> None:
        self.no_grad_depth = 0  # > 0 inside ``no_grad()``
        self.active: list[int] = []  # levels of the transforms now running, outer first
        self.counter = 0  # last transform level handed out
        self.eager = True  # eager recording on: no no_grad(), no transform running (kept by _eager_changed)


#: The calling thread's state: ``this_thread.eager`` is :func:`eager_enabled` as a flag (read
#: on hot paths), ``this_thread.active`` the running transform levels.
this_thread = _State()


def eager_enabled() -> bool:
    """Return True when eager Scalars/Tensors record a graph right now.

    Examples
    --------
    >>> eager_enabled()
    True
    """
    return this_thread.eager


def is_active(level: float) -> bool:
    """Return True when nodes of ``level`` take part in differentiation now.

    Examples
    --------
    >>> is_active(0)
    True
    >>> is_active(12345)  # a transform level that is not running
    False
    >>> is_active(PLAIN)  # plain values never record
    False
    """
    if level == 0:
        return this_thread.eager
    if level < 0:  # plain values
        return False
    if level != int(level):  # hand-made Duals
        return True
    return level in this_thread.active


def active_levels() -> tuple[int, ...]:
    """The transform levels now running, outermost first.

    Examples
    --------
    >>> active_levels()
    ()
    """
    return tuple(this_thread.active)


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Context manager: eager Scalars and Tensors record no graph inside it.

    Function transforms still work inside ``no_grad`` (they have their own
    levels); only eager ``.backward()`` graphs are switched off.

    Examples
    --------
    >>> import microgradx as mgx
    >>> x = mgx.Scalar(2.0)
    >>> with mgx.no_grad():
    ...     y = x * x
    >>> y.data, len(y._prev)
    (4.0, 0)
    """
    this_thread.no_grad_depth += 1
    _eager_changed()
    try:
        yield
    finally:
        this_thread.no_grad_depth -= 1
        _eager_changed()


@contextlib.contextmanager
def transform_level() -> Iterator[int]:
    """Open a new (innermost) transform level; yields its number.

    Examples
    --------
    >>> with transform_level() as k:
    ...     is_active(k), eager_enabled()
    (True, False)
    """
    this_thread.counter += 1
    level = this_thread.counter
    this_thread.active.append(level)
    _eager_changed()
    try:
        yield level
    finally:
        this_thread.active.remove(level)
        _eager_changed()


def user_dual_level(inner: float) -> float:
    """Level for a hand-made Dual whose parts live at most at level ``inner``.

    All hand-made Duals over plain values share level ``0.5``: they use one
    and the same ε, as on paper.  A Dual built from values of a running
    transform sits halfway between that transform's level and the next one.

    Examples
    --------
    >>> user_dual_level(0)
    0.5
    >>> user_dual_level(3)
    3.5
    """
    return inner + (int(inner) + 1 - inner) / 2


def effective_level(level: float) -> float:
    """The level a node of ``level`` takes part in now: a floating hand-made Dual's (below 1) moves
    just inside the innermost running transform; every other level is what it says.

    Examples
    --------
    >>> effective_level(0.5), effective_level(3)
    (0.5, 3)
    >>> with transform_level() as k:
    ...     effective_level(0.5) == k + 0.5
    True
    """
    if 0 < level < 1 and this_thread.active:
        return this_thread.active[-1] + level
    return level


def new_epoch() -> int:
    """A fresh visit mark for one graph walk (see :mod:`microgradx.core.engine`).

    Examples
    --------
    >>> new_epoch() < new_epoch()
    True
    """
    return next(epochs)


# One counter for the whole process, not one per thread: a node reachable from
# two threads must never see this thread's mark equal a mark another thread
# left on it.  ``next`` on an itertools.count is atomic under the GIL.
epochs = itertools.count(1)


# "Is eager recording on?" is kept as a flag, recomputed wherever what it depends on changes
# (no_grad, transform_level): the hot paths read the flag.  The compiled Scalar keeps its own
# C copy, so that its hot path never calls back into Python; we keep that copy in step too.
_compiled_setter = None


def _register_compiled_eager_flag(setter) -> None:  # called by microgradx.core.backend
    global _compiled_setter
    _compiled_setter = setter
    _eager_changed()


def _eager_changed() -> None:
    this_thread.eager = this_thread.no_grad_depth == 0 and not this_thread.active
    if _compiled_setter is not None:
        _compiled_setter(this_thread.eager)


# ---------------------------------------------------------------------------
# One eager backward() sweep at a time
# ---------------------------------------------------------------------------
#: Every eager ``backward()`` (Tensor and both Scalars) holds this lock for its whole sweep.
#:
#: An eager sweep writes into objects that other threads may share: the ``.grad`` of leaves
#: (a Tensor's ``grad += g`` runs with the GIL released), and the cotangents, visit marks and
#: counters of every node it passes -- shared too when two losses were built from one
#: intermediate node.  Two sweeps interleaving there lose or double contributions.  So sweeps
#: take turns (recording graphs and the function transforms, which own their nodes, run in
#: parallel as before): concurrent ``backward()`` calls over shared leaves or shared
#: intermediate nodes give the result of running them one after the other.
#:
#: A ``backward()`` started *during* a sweep in the same thread (from a rule, an
#: ``_accumulate_grad`` override, a ``__del__``) would read cotangents the running sweep has
#: not finished, so it raises ``RuntimeError(NESTED_SWEEP)`` instead.  The lock is re-entrant
#: only so that this thread can ask whether it already holds it (``sweep_lock._is_owned()``,
#: the test :class:`threading.Condition` uses) rather than wait for itself forever.
#: Each ``backward()`` writes it out::
#:
#:     if sweep_lock._is_owned():
#:         raise RuntimeError(NESTED_SWEEP)
#:     with sweep_lock:
#:         ...the sweep...
sweep_lock = threading.RLock()

NESTED_SWEEP = (
    "backward() was called while a backward() sweep is running in the same thread (from a rule, "
    "a hook or a __del__); the running sweep's cotangents are incomplete. Call backward() again "
    "after it returns"
)


class _EagerSweep:
    """``with eager_sweep:`` -- the same as the nested-sweep check and ``with sweep_lock:``, in one object.

    The compiled Scalar's ``backward()`` (``ext/scalar.pyx``) enters it; the
    Python nodes write the two steps out.

    Examples
    --------
    >>> with eager_sweep:
    ...     with eager_sweep:  # doctest: +ELLIPSIS
    ...         pass
    Traceback (most recent call last):
    ...
    RuntimeError: backward() was called while a backward() sweep is running in the same thread ...
    """

    __slots__ = ()

    def __enter__(self) -> None:
        if sweep_lock._is_owned():
            raise RuntimeError(NESTED_SWEEP)
        sweep_lock.acquire()

    def __exit__(self, *exc) -> None:
        sweep_lock.release()


eager_sweep = _EagerSweep()
