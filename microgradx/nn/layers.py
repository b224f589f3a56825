"""Layers on Tensors: :class:`Linear`, :class:`Sequential`, :class:`ReLU`, :class:`Tanh`,
:class:`Sigmoid` and :class:`TensorMLP`.

Examples
--------
>>> import microgradx as mgx
>>> Linear(3, 2, seed=0)(mgx.zeros((4, 3))).shape
(4, 2)
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..core.arguments import positive_int as _positive_int
from ..core.arguments import random_generator as _generator
from ..core.dispatch import raw_value, value_shape
from ..nodes.tensor import Tensor
from .module import Module, _sizes

__all__ = ["Linear", "Sequential", "ReLU", "Tanh", "Sigmoid", "TensorMLP"]


# ---------------------------------------------------------------------------
# Tensor layers
# ---------------------------------------------------------------------------
class Linear(Module):
    """Affine map on Tensors: ``y = x @ weight.T + bias``.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the last input and output dimension.
    bias : bool, default True
        Add a learned bias.
    dtype : numpy dtype, default float64
        dtype of the parameters (float32 or float64).  numpy's promotion
        rules apply: feed float32 inputs to a float32 layer to stay in float32.
    seed : None, int or numpy.random.Generator, keyword-only
        Weight and bias start uniform in ``[-k, k]`` with ``k = 1/sqrt(in_features)``
        (PyTorch's and MLX's default).

    Attributes
    ----------
    weight : Tensor
        Shape ``(out_features, in_features)``, as in PyTorch and MLX.
    bias : Tensor or None
        Shape ``(out_features,)``.

    Examples
    --------
    >>> import numpy as np
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> layer = nn.Linear(3, 2, seed=0)
    >>> layer(mgx.zeros((5, 3))).shape
    (5, 2)
    >>> layer.weight.shape, layer.bias.shape
    ((2, 3), (2,))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=np.float64, *, seed=None):
        self.in_features = _positive_int(in_features, "in_features")
        self.out_features = _positive_int(out_features, "out_features")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype must be a floating dtype (float32 or float64); got {dtype}")
        rng = _generator(seed)
        k = 1.0 / np.sqrt(self.in_features)
        self.weight = Tensor(rng.uniform(-k, k, (self.out_features, self.in_features)).astype(dtype))
        self.bias = Tensor(rng.uniform(-k, k, self.out_features).astype(dtype)) if bias else None

    def forward(self, x):
        """``x @ weight.T + bias`` for ``x`` of shape ``(..., in_features)``.

        >>> import microgradx as mgx
        >>> from microgradx import nn
        >>> nn.Linear(2, 4, seed=0)(mgx.ones(2)).shape
        (4,)
        """
        shape = value_shape(ops.operand(x, "x"))
        if len(shape) == 0 or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}) got an input of shape {shape}; "
                f"its last dimension must be {self.in_features}"
            )
        y = ops.matmul(x, self.weight.T)
        return y if self.bias is None else y + self.bias

    def __repr__(self) -> str:
        dtype = np.asarray(raw_value(self.weight)).dtype
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, dtype={dtype})")


class ReLU(Module):
    """The activation ``max(x, 0)`` as a module (for :class:`Sequential`).

    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> nn.ReLU()(mgx.array([-1.0, 2.0]))
    Tensor([0., 2.])
    """

    def forward(self, x):
        """``mgx.relu(x)``.

        >>> from microgradx import nn
        >>> nn.ReLU().forward(-1.0)
        Tensor(0.)
        """
        return ops.relu(x)


class Tanh(Module):
    """The activation ``tanh(x)`` as a module.

    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> nn.Tanh()(mgx.array([0.0]))
    Tensor([0.])
    """

    def forward(self, x):
        """``mgx.tanh(x)``.

        >>> from microgradx import nn
        >>> nn.Tanh().forward(0.0)
        Tensor(0.)
        """
        return ops.tanh(x)


class Sigmoid(Module):
    """The activation ``1 / (1 + exp(-x))`` as a module.

    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> nn.Sigmoid()(mgx.array([0.0]))
    Tensor([0.5])
    """

    def forward(self, x):
        """``mgx.sigmoid(x)``.

        >>> from microgradx import nn
        >>> nn.Sigmoid().forward(0.0)
        Tensor(0.5)
        """
        return ops.sigmoid(x)


class Sequential(Module):
    """Apply modules (or any callables) one after the other.

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> net = nn.Sequential(nn.Linear(2, 8, seed=0), nn.Tanh(), nn.Linear(8, 1, seed=1))
    >>> net(mgx.zeros((4, 2))).shape
    (4, 1)
    >>> [name for name, _ in net.named_parameters()]
    ['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']
    """

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(f"Sequential: layer {i} must be a Module or a callable; got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x):
        """Feed ``x`` through every layer in order.

        >>> from microgradx import nn
        >>> nn.Sequential(lambda v: v * 2, lambda v: v + 1)(3.0)
        7.0
        """
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) if isinstance(layer, Module) else getattr(layer, "__name__", repr(layer))
                          for layer in self.layers)
        return f"Sequential({inner})"


_ACTIVATIONS = {"relu": ops.relu, "tanh": ops.tanh, "sigmoid": ops.sigmoid}


class TensorMLP(Module):
    """A multi-layer perceptron on Tensors: :class:`Linear` layers with an activation between them.

    The Tensor twin of :class:`MLP` with the same ``(nin, nouts)`` signature:
    the last layer has no activation.  It works on a whole batch at once
    (inputs of shape ``(batch, nin)``).

    Parameters
    ----------
    nin : int
        Input features.
    nouts : list of int
        Layer sizes.
    activation : {"relu", "tanh", "sigmoid"} or callable, default "relu"
        Applied after every layer but the last.
    dtype : numpy dtype, default float64
        dtype of the parameters.
    seed : None, int or numpy.random.Generator, keyword-only
        Reproducible initialisation (see :class:`Linear`).

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> model = nn.TensorMLP(64, [64, 10], activation="tanh", seed=0)
    >>> model(mgx.zeros((32, 64))).shape
    (32, 10)
    >>> model.num_parameters()
    4810
    """

    def __init__(self, nin: int, nouts: list[int], activation="relu", dtype=np.float64, *, seed=None):
        sizes = [_positive_int(nin, "nin")] + _sizes(nouts)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)} or a callable; got {activation!r}")
        elif not callable(activation):
            raise TypeError(f"activation must be a name or a callable; got {type(activation).__name__}")
        rng = _generator(seed)
        self.activation = activation
        self.layers = [Linear(sizes[i], sizes[i + 1], dtype=dtype, seed=rng) for i in range(len(nouts))]

    def forward(self, x):
        """Linear, activation, ..., Linear.

        >>> import microgradx as mgx
        >>> from microgradx import nn
        >>> nn.TensorMLP(3, [5, 2], seed=0)(mgx.ones((4, 3))).shape
        (4, 2)
        """
        act = _ACTIVATIONS[self.activation] if isinstance(self.activation, str) else self.activation
        for layer in self.layers[:-1]:
            x = act(layer(x))
        return self.layers[-1](x)

    def __repr__(self) -> str:
        sizes = [self.layers[0].in_features] + [layer.out_features for layer in self.layers]
        name = self.activation if isinstance(self.activation, str) else getattr(self.activation, "__name__", "?")
        return f"TensorMLP({sizes[0]}, {sizes[1:]}, activation={name!r})"
