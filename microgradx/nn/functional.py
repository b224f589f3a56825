"""Training the MLX way: :func:`functional_call` and :func:`value_and_grad` (a model's parameters as a tree).

Examples
--------
>>> import microgradx as mgx
>>> from microgradx.nn.layers import Linear
>>> layer = Linear(1, 1, seed=0)
>>> functional_call(layer, {"weight": mgx.array([[3.0]]), "bias": mgx.array([1.0])}, mgx.array([2.0]))
Tensor([7.])
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable

from ..transforms import value_and_grad as _value_and_grad
from .module import Module, _matched, _places, _put

__all__ = ["functional_call", "value_and_grad"]


# ---------------------------------------------------------------------------
# Functional use (MLX style)
# ---------------------------------------------------------------------------
@contextlib.contextmanager
def _swapped(module: Module, params, what: str):
    """Temporarily put the leaves of ``params`` where the module keeps its parameters."""
    replacement = {id(param): new for _, param, new in _matched(module, params, what)}
    places = [(c, k, p) for c, k, p in _places(module, set()) if id(p) in replacement]
    done = []
    try:
        for container, key, param in places:
            _put(container, key, replacement[id(param)])
            done.append((container, key, param))
        yield
    finally:
        for container, key, param in reversed(done):
            _put(container, key, param)


def functional_call(module: Module, params, *args, **kwargs):
    """Call ``module(*args, **kwargs)`` with the parameters in ``params`` instead of its own.

    The module's own parameters are put back afterwards (also on error), so
    the same model object serves both training styles.  This is how a loss
    written for ``mgx.value_and_grad`` sees the parameters it differentiates.

    Parameters
    ----------
    module : Module
    params : dict or list
        A tree shaped like ``module.parameter_tree()`` (or a flat
        ``{dotted name: value}`` dict); leaves of the same shapes.

    Examples
    --------
    >>> import numpy as np
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> layer = nn.Linear(2, 1, seed=0)
    >>> params = {"weight": mgx.array([[1.0, 1.0]]), "bias": mgx.array([0.0])}
    >>> nn.functional_call(layer, params, mgx.array([2.0, 3.0]))
    Tensor([5.])
    >>> layer.weight is layer.parameters()[0]     # its own weight is back
    True
    """
    if not isinstance(module, Module):
        raise TypeError(f"functional_call: module must be an nn.Module; got {type(module).__name__}")
    with _swapped(module, params, "functional_call"):
        return module(*args, **kwargs)


def value_and_grad(model: Module, fn: Callable) -> Callable:
    """MLX's ``nn.value_and_grad``: differentiate ``fn`` with respect to ``model``'s parameters.

    Returns a function taking ``fn``'s arguments and returning
    ``(fn(*args), grads)``; ``grads`` has the shape of
    ``model.parameter_tree()`` and can go straight to ``optimizer.step(grads)``.
    Inside ``fn``, call the model as usual: its parameters are swapped for
    the differentiated ones during the call.  Built on ``mgx.value_and_grad``.

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> model = nn.Linear(1, 1, seed=0)
    >>> x, y = mgx.array([[1.0], [2.0]]), mgx.array([[2.0], [4.0]])
    >>> loss_and_grad = nn.value_and_grad(model, lambda x, y: nn.mse_loss(model(x), y))
    >>> loss, grads = loss_and_grad(x, y)
    >>> sorted(grads), grads["weight"].shape
    (['bias', 'weight'], (1, 1))
    """
    if not isinstance(model, Module):
        raise TypeError(f"value_and_grad: model must be an nn.Module; got {type(model).__name__}")
    if not callable(fn):
        raise TypeError(f"value_and_grad: fn must be callable; got {type(fn).__name__}")
    def with_params(params, *args, **kwargs):
        with _swapped(model, params, "value_and_grad"):
            return fn(*args, **kwargs)

    differentiated = _value_and_grad(with_params)

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        return differentiated(model.parameter_tree(), *args, **kwargs)

    return wrapped
