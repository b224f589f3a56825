"""Argument checks shared by the user-level modules (``nn``, ``datasets``): clear errors that name the argument.

Examples
--------
>>> positive_int(3, "n")
3
>>> positive_int(0, "n")
Traceback (most recent call last):
...
ValueError: n must be at least 1; got 0
"""

from __future__ import annotations

import numpy as np

__all__ = ["positive_int", "random_generator", "axis_index", "axis_indices"]


def positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as an int, checked to be an int (not a bool) of at least ``minimum``.

    Examples
    --------
    >>> positive_int(np.int64(2), "size")
    2
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}")
    return int(value)


def random_generator(seed) -> np.random.Generator:
    """A numpy Generator from ``seed``: None (fresh entropy), a non-negative int, or a Generator (used as is).

    Examples
    --------
    >>> float(random_generator(0).random()) == float(random_generator(0).random())
    True
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative int; got {seed}")
        return np.random.default_rng(int(seed))
    raise TypeError(f"seed must be None, an int or a numpy.random.Generator; got {type(seed).__name__}")


def _axis_int(a, name: str) -> int:
    if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
        got = f"{type(a).__name__} {a!r}" if isinstance(a, (float, complex, str, np.floating)) else type(a).__name__
        raise TypeError(f"{name} must be an int; got {got}")
    return int(a)


def axis_index(axis, ndim: int, name: str = "axis") -> int:
    """One axis of an array with ``ndim`` dimensions, as a non-negative int; numpy's AxisError if out of range.

    Every function of microgradx that takes an axis checks it here (or in
    :func:`axis_indices`): an int (not a bool, not a float) in
    ``[-ndim, ndim)``.  Negative axes count from the end.

    Parameters
    ----------
    axis : int
        The axis.
    ndim : int
        Number of dimensions of the array it indexes.
    name : str
        The argument's name, for the error message.

    Raises
    ------
    TypeError
        If ``axis`` is not an int.
    numpy.exceptions.AxisError
        (a ValueError and an IndexError) if it is out of range.

    Examples
    --------
    >>> axis_index(-1, 3)
    2
    >>> axis_index(2, 2)
    Traceback (most recent call last):
    ...
    numpy.exceptions.AxisError: axis 2 is out of bounds for an array of dimension 2
    >>> axis_index(1.7, 2)
    Traceback (most recent call last):
    ...
    TypeError: axis must be an int; got float 1.7
    """
    a = _axis_int(axis, name)
    if not -ndim <= a < ndim:
        raise np.exceptions.AxisError(f"{name} {a} is out of bounds for an array of dimension {ndim}")
    return a % ndim


def axis_indices(axis, ndim: int, name: str = "axis", *, scalar_axis_ok: bool = False) -> tuple[int, ...]:
    """``axis`` (None: all axes, an int, or a tuple/list of ints) as a sorted tuple of distinct non-negative ints.

    Parameters
    ----------
    axis : None, int or sequence of ints
        The axes; each is checked by :func:`axis_index`.
    ndim : int
        Number of dimensions of the array.
    name : str
        The argument's name, for the error message.
    scalar_axis_ok : bool
        Accept axis 0 or -1 on a 0-d array (meaning "all of it"), as numpy's
        reductions do.

    Raises
    ------
    TypeError
        If ``axis`` is not None, an int or a sequence of ints.
    numpy.exceptions.AxisError
        If an axis is out of range.
    ValueError
        If an axis is repeated.

    Examples
    --------
    >>> axis_indices(None, 3), axis_indices(-1, 3), axis_indices([2, 0], 3)
    ((0, 1, 2), (2,), (0, 2))
    >>> axis_indices((0, -2), 2)
    Traceback (most recent call last):
    ...
    ValueError: axis has a repeated axis: (0, -2) on an array of dimension 2
    """
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (list, tuple)):
        axes = tuple(_axis_int(a, name) for a in axis)
    elif isinstance(axis, np.ndarray) and axis.ndim == 1 and axis.dtype.kind in "iu":
        axes = tuple(int(a) for a in axis)
    else:
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
            got = f"{type(axis).__name__} {axis!r}" if isinstance(axis, (float, str, np.floating)) else \
                type(axis).__name__
            raise TypeError(f"{name} must be None, an int or a tuple of ints; got {got}")
        axes = (int(axis),)
    if ndim == 0 and scalar_axis_ok and all(a in (0, -1) for a in axes):
        return ()
    out = tuple(axis_index(a, ndim, name) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"{name} has a repeated axis: {tuple(axis)} on an array of dimension {ndim}")
    return tuple(sorted(out))
