"""``nn.value_and_grad``: differentiate a loss with respect to a model's trainable parameters.

>>> import numpy as np
>>> import microgradx.mlx.nn as nn
>>> model = nn.Linear(2, 1)
>>> x, y = np.ones((4, 2), np.float32), np.zeros((4, 1), np.float32)
>>> loss, grads = nn.value_and_grad(model, lambda x, y: nn.losses.mse_loss(model(x), y))(x, y)
>>> sorted(grads), grads["weight"].shape
(['bias', 'weight'], (1, 2))
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from ...transforms import value_and_grad as _value_and_grad
from .module import Module

__all__ = ["value_and_grad"]


def value_and_grad(model: Module, fn: Callable) -> Callable:
    """Return ``g(*args) -> (fn(*args), grads)``, ``grads`` shaped like ``model.trainable_parameters()``.

    As in MLX, the model's trainable parameters are swapped for the transform's inputs
    (``model.update``) while ``fn`` runs, so ``fn`` simply calls ``model``.  One difference, on
    purpose: afterwards microgradx puts the original arrays back, so no tracer of a finished
    transform stays inside the model (MLX leaves its tracers there; their values are the same).

    Examples
    --------
    >>> import numpy as np
    >>> import microgradx.mlx.nn as nn
    >>> model = nn.Linear(1, 1)
    >>> model.update({"weight": nn.init.constant(2.0)(model.weight), "bias": nn.init.constant(0.0)(model.bias)})
    Linear(input_dims=1, output_dims=1, bias=True)
    >>> vg = nn.value_and_grad(model, lambda x: model(x).sum())
    >>> vg(np.array([[3.0]], np.float32))
    (Tensor(6., dtype=float32), {'weight': Tensor([[3.]], dtype=float32), 'bias': Tensor([1.], dtype=float32)})
    """
    if not isinstance(model, Module):
        raise TypeError(f"value_and_grad: model must be an nn.Module; got {type(model).__name__}")
    if not callable(fn):
        raise TypeError(f"value_and_grad: fn must be callable; got {type(fn).__name__}")

    def inner(params, *args, **kwargs):
        model.update(params)
        return fn(*args, **kwargs)

    differentiated = _value_and_grad(inner)

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        params = model.trainable_parameters()
        try:
            return differentiated(params, *args, **kwargs)
        finally:
            model.update(params)

    return wrapped
