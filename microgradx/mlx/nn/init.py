"""MLX's initialisers (``mlx.nn.init``): each call returns a function that maps an array to a new one of its shape.

>>> import numpy as np
>>> import microgradx.mlx.nn as nn
>>> init_fn = nn.init.constant(0.5)
>>> init_fn(np.zeros((2, 2)))
Tensor([[0.5, 0.5],
        [0.5, 0.5]], dtype=float32)
>>> layer = nn.Linear(4, 3)
>>> layer.weight = nn.init.glorot_uniform()(layer.weight)    # re-initialise a layer
>>> layer.weight.shape
(3, 4)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ._array import new, rng, value

__all__ = ["constant", "normal", "uniform", "identity", "glorot_normal", "glorot_uniform", "he_normal",
           "he_uniform"]


def _shape(a) -> tuple:
    return tuple(np.shape(value(a)))


def constant(value: float, dtype=np.float32) -> Callable:
    """Fill with ``value``.

    >>> constant(2.0)(np.zeros(2))
    Tensor([2., 2.], dtype=float32)
    """
    return lambda a: new(np.full(_shape(a), value), dtype)


def normal(mean: float = 0.0, std: float = 1.0, dtype=np.float32) -> Callable:
    """Draw from a normal distribution with ``mean`` and ``std``.

    >>> normal(std=0.0)(np.zeros(2))
    Tensor([0., 0.], dtype=float32)
    """
    return lambda a: new(rng().normal(mean, std, _shape(a)), dtype)


def uniform(low: float = 0.0, high: float = 1.0, dtype=np.float32) -> Callable:
    """Draw uniformly from ``[low, high)``.

    >>> bool((np.asarray(uniform(1.0, 2.0)(np.zeros(100))) >= 1.0).all())
    True
    """
    return lambda a: new(rng().uniform(low, high, _shape(a)), dtype)


def identity(dtype=np.float32) -> Callable:
    """The identity matrix (square 2-D arrays only).

    >>> identity()(np.zeros((2, 2)))
    Tensor([[1., 0.],
            [0., 1.]], dtype=float32)
    """
    def initializer(a):
        shape = _shape(a)
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"The input array must be a square matrix but got shape {shape}.")
        return new(np.eye(shape[0]), dtype)

    return initializer


def _fans(a) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight ``(out, ..., in)``: the last and first axis times the taps between."""
    shape = _shape(a)
    if len(shape) < 2:
        raise ValueError(f"Glorot / He initialization requires at least 2 dimensional input but input with "
                         f"{len(shape)} dimensions.")
    taps = int(np.prod(shape[1:-1])) if len(shape) > 2 else 1
    return shape[-1] * taps, shape[0] * taps


def _fan(a, mode: str) -> int:
    fan_in, fan_out = _fans(a)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Invalid mode: {mode}. Valid modes are: fan_in, fan_out")
    return fan_in if mode == "fan_in" else fan_out


def glorot_normal(dtype=np.float32) -> Callable:
    """Normal with ``std = gain * sqrt(2 / (fan_in + fan_out))``; the returned function takes ``(a, gain=1.0)``.

    >>> glorot_normal()(np.zeros((3, 2))).shape
    (3, 2)
    """
    def initializer(a, gain: float = 1.0):
        fan_in, fan_out = _fans(a)
        return new(rng().normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), _shape(a)), dtype)

    return initializer


def glorot_uniform(dtype=np.float32) -> Callable:
    """Uniform in ``±gain * sqrt(6 / (fan_in + fan_out))``; the returned function takes ``(a, gain=1.0)``.

    >>> bool(np.abs(np.asarray(glorot_uniform()(np.zeros((3, 3))))).max() <= 1.0)
    True
    """
    def initializer(a, gain: float = 1.0):
        fan_in, fan_out = _fans(a)
        limit = gain * math.sqrt(6.0 / (fan_in + fan_out))
        return new(rng().uniform(-limit, limit, _shape(a)), dtype)

    return initializer


def he_normal(dtype=np.float32) -> Callable:
    """Normal with ``std = gain / sqrt(fan)``; the returned function takes ``(a, mode="fan_in", gain=1.0)``.

    >>> he_normal()(np.zeros((3, 2)), mode="fan_out").shape
    (3, 2)
    """
    def initializer(a, mode: str = "fan_in", gain: float = 1.0):
        return new(rng().normal(0.0, gain / math.sqrt(_fan(a, mode)), _shape(a)), dtype)

    return initializer


def he_uniform(dtype=np.float32) -> Callable:
    """Uniform in ``±gain * sqrt(3 / fan)``; the returned function takes ``(a, mode="fan_in", gain=1.0)``.

    >>> he_uniform()(np.zeros((3, 2))).dtype
    dtype('float32')
    """
    def initializer(a, mode: str = "fan_in", gain: float = 1.0):
        limit = gain * math.sqrt(3.0 / _fan(a, mode))
        return new(rng().uniform(-limit, limit, _shape(a)), dtype)

    return initializer
