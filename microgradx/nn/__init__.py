"""Neural networks: micrograd-style Scalar nets, Tensor layers, losses.

The package's modules: :mod:`~microgradx.nn.module` (the :class:`Module` base class),
:mod:`~microgradx.nn.scalar_nets` (micrograd's nets), :mod:`~microgradx.nn.layers` (Tensor
layers), :mod:`~microgradx.nn.losses` and :mod:`~microgradx.nn.functional` (MLX-style training).

Two families share one :class:`Module` base class:

* **Scalar nets** with micrograd's signatures: :class:`Neuron`, :class:`Layer`,
  :class:`MLP`.  Every weight is a :class:`~microgradx.Scalar`; code written
  for ``micrograd.nn`` runs unchanged.
* **Tensor layers**: :class:`Linear`, :class:`Sequential`, the activations
  :class:`ReLU`, :class:`Tanh`, :class:`Sigmoid`, and :class:`TensorMLP` (the
  Tensor twin of ``MLP``; a different name so that ``MLP`` keeps micrograd's
  meaning).  Losses: :func:`mse_loss`, :func:`cross_entropy`.

How a module finds its parameters
---------------------------------
Every :class:`~microgradx.Tensor` or Scalar stored in a public attribute
(a name not starting with ``_``) is a parameter, and so is every one inside
sub-modules, lists, tuples and dicts held in public attributes, in the order
the attributes were assigned.  ``parameters()`` lists them (each object once),
``named_parameters()`` names them with dotted paths (``"layers.0.weight"``)
and ``parameter_tree()`` gives them as nested dicts and lists, the tree shape
``mgx.value_and_grad`` and MLX use.  There is no ``__getattr__`` magic: a
typo in an attribute name is an ``AttributeError``.

Two ways to train
-----------------
Eager, as in micrograd and PyTorch::

    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()             # opt = mgx.optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()

Functional, as in MLX::

    def loss_of(params, x, y):
        return loss_fn(nn.functional_call(model, params, x), y)

    loss, grads = mgx.value_and_grad(loss_of)(model.parameter_tree(), x, y)
    opt.step(grads)        # grads has the shape of parameter_tree()

:func:`functional_call` runs the model with the parameters of a tree swapped
in for one call; :func:`value_and_grad` wraps that pattern the way
``mlx.nn.value_and_grad`` does; :meth:`Module.load_parameters` copies the
values of a tree (or a ``{dotted name: array}`` dict) into the model.

Examples
--------
>>> import microgradx as mgx
>>> from microgradx import nn
>>> model = nn.MLP(2, [16, 16, 1], seed=0)
>>> len(model.parameters())        # the same count as micrograd's
337
>>> out = model([2.0, 3.0])
>>> type(out).__name__
'Scalar'
"""

from __future__ import annotations

from .. import ops
from .functional import functional_call, value_and_grad
from .layers import Linear, ReLU, Sequential, Sigmoid, Tanh, TensorMLP
from .losses import cross_entropy, mse_loss
from .module import Module
from .scalar_nets import MLP, Layer, Neuron

__all__ = [
    "Module", "Neuron", "Layer", "MLP",
    "Linear", "Sequential", "ReLU", "Tanh", "Sigmoid", "TensorMLP",
    "mse_loss", "cross_entropy",
    "functional_call", "value_and_grad",
]

# MLX's nn has the activations as functions too; they are mgx.relu, mgx.tanh and mgx.sigmoid.
relu = ops.relu
tanh = ops.tanh
sigmoid = ops.sigmoid
