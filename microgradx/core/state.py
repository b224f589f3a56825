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
* a hand-made :class:`~microgradx.Dual` sits on a fractional level just inside
  whatever its primal contains (see :func:`user_dual_level`); those are always
  active.

A node's value may itself be a node of an outer (smaller) level.  An operation
works on the innermost active level first, which is how nested transforms keep
their perturbations apart.

The levels are thread-local.  The other mutable state of the package is
process-wide and safe under threads: the epoch counter below (``next`` on an
``itertools.count`` is atomic under the GIL), the compiled Scalar's flag setter
(set once, at import), and the rule table with its registration hooks (filled at
import).

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
    "eager_enabled",
    "is_active",
    "no_grad",
    "transform_level",
    "new_epoch",
    "user_dual_level",
    "active_levels",
]


class _State(threading.local):
    def __init__(self) -> None:
        self.no_grad_depth = 0  # > 0 inside ``no_grad()``
        self.active: list[int] = []  # levels of the transforms now running, outer first
        self.counter = 0  # last transform level handed out


_state = _State()


def eager_enabled() -> bool:
    """Return True when eager Scalars/Tensors record a graph right now.

    Examples
    --------
    >>> eager_enabled()
    True
    """
    return _state.no_grad_depth == 0 and not _state.active


def is_active(level: float) -> bool:
    """Return True when nodes of ``level`` take part in differentiation now.

    Examples
    --------
    >>> is_active(0)
    True
    >>> is_active(12345)  # a transform level that is not running
    False
    """
    if level == 0:
        return _state.no_grad_depth == 0 and not _state.active
    if level != int(level):  # hand-made Duals
        return True
    return level in _state.active


def active_levels() -> tuple[int, ...]:
    """The transform levels now running, outermost first.

    Examples
    --------
    >>> active_levels()
    ()
    """
    return tuple(_state.active)


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
    _state.no_grad_depth += 1
    _set_compiled_eager()
    try:
        yield
    finally:
        _state.no_grad_depth -= 1
        _set_compiled_eager()


@contextlib.contextmanager
def transform_level() -> Iterator[int]:
    """Open a new (innermost) transform level; yields its number.

    Examples
    --------
    >>> with transform_level() as k:
    ...     is_active(k), eager_enabled()
    (True, False)
    """
    _state.counter += 1
    level = _state.counter
    _state.active.append(level)
    _set_compiled_eager()
    try:
        yield level
    finally:
        _state.active.remove(level)
        _set_compiled_eager()


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


# The compiled Scalar keeps its own C copy of "is eager recording on?" so that
# its hot path never calls back into Python; we keep that copy in step here.
_compiled_setter = None


def _register_compiled_eager_flag(setter) -> None:  # called by microgradx.core.backend
    global _compiled_setter
    _compiled_setter = setter
    _set_compiled_eager()


def _set_compiled_eager() -> None:
    if _compiled_setter is not None:
        _compiled_setter(eager_enabled())
