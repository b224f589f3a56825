"""``microgradx.mlx.nn``: MLX's ``mlx.nn`` over the microgradx engine.

``Module`` is a dict of arrays and sub-modules with MLX's tree methods (``parameters``,
``trainable_parameters``, ``update``, ``freeze``, ``children``, ``leaf_modules``, ``named_modules``,
``apply_to_modules``, ``save_weights``/``load_weights``); the layers, losses (``nn.losses``) and
initialisers (``nn.init``) have MLX's names, defaults and float32 parameters; ``nn.value_and_grad``
differentiates a loss with respect to a model's trainable parameters.

Examples
--------
>>> import numpy as np
>>> import microgradx.mlx.nn as nn
>>> class MLP(nn.Module):
...     def __init__(self):
...         super().__init__()
...         self.layers = [nn.Linear(4, 8), nn.Linear(8, 3)]
...     def __call__(self, x):
...         return self.layers[1](nn.relu(self.layers[0](x)))
>>> model = MLP()
>>> x, y = np.ones((5, 4), np.float32), np.array([0, 1, 2, 0, 1])
>>> loss_fn = lambda x, y: nn.losses.cross_entropy(model(x), y, reduction="mean")
>>> loss, grads = nn.value_and_grad(model, loss_fn)(x, y)
>>> grads["layers"][0]["weight"].shape
(8, 4)
"""

from . import init, losses
from .layers import (
    GELU,
    Conv1d,
    Conv2d,
    Dropout,
    Embedding,
    Identity,
    LayerNorm,
    Linear,
    ReLU,
    RMSNorm,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Tanh,
    erf,
    gelu,
    gelu_approx,
    gelu_fast_approx,
    log_softmax,
    relu,
    sigmoid,
    silu,
    softmax,
    tanh,
)
from .module import Module
from .utils import value_and_grad

__all__ = [
    "Module", "value_and_grad", "init", "losses",
    "Identity", "Linear", "Sequential", "ReLU", "GELU", "SiLU", "Tanh", "Sigmoid", "Softmax", "Dropout",
    "LayerNorm", "RMSNorm", "Embedding", "Conv1d", "Conv2d",
    "relu", "gelu", "gelu_approx", "gelu_fast_approx", "silu", "sigmoid", "tanh", "softmax", "log_softmax", "erf",
]
