"""The little the ``nn`` face needs to know about arrays: what counts as one, how to make one, a random source.

The random source is ``microgradx.mlx.random``'s global key, so ``mx.random.seed(0)`` makes layer
initialisation and dropout masks reproducible, as in MLX (the numbers themselves differ from MLX's).

Kept in one place so that the layers read like MLX's (``mx.zeros``, ``mx.random.uniform``) while the
array class itself belongs to :mod:`microgradx.mlx.core`.
"""

from __future__ import annotations

import numpy as np

from ...core.dispatch import raw_value
from ...nodes.dual import Dual
from ...nodes.tensor import Tensor
from .. import random as _random

__all__ = ["is_array", "new", "value", "rng", "seed"]

def is_array(x) -> bool:
    """True for what MLX calls an ``mx.array``: a Tensor (eager, or a transform's tracer) or a Dual.

    >>> import numpy as np
    >>> is_array(new(np.zeros(2))), is_array(np.zeros(2)), is_array(1.0)
    (True, False, False)
    """
    return isinstance(x, (Tensor, Dual))


def new(data, dtype=np.float32) -> Tensor:
    """An array holding ``data`` (float32 by default, as MLX's layers make their parameters).

    >>> new([1.0, 2.0]).dtype
    dtype('float32')
    """
    return Tensor._constant(np.asarray(data, dtype=dtype))


def value(x) -> np.ndarray:
    """The plain numpy value of an array (or of anything array-like).

    >>> value(new([3.0]))
    array([3.], dtype=float32)
    """
    return np.asarray(raw_value(x))


def rng() -> np.random.Generator:
    """A numpy generator for one draw, taken from ``mx.random``'s global key (so ``mx.random.seed`` applies).

    >>> import microgradx.mlx.core as mx
    >>> mx.random.seed(0); a = rng().uniform(); mx.random.seed(0); a == rng().uniform()
    True
    """
    return _random._rng(None)


def seed(s: int) -> None:
    """``mx.random.seed(s)``: reproducible layers and dropout masks.

    >>> seed(0); a = rng().uniform(); seed(0); a == rng().uniform()
    True
    """
    _random.seed(s)
