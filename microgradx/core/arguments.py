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

__all__ = ["positive_int", "random_generator"]


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
