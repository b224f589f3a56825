"""Function transforms: :mod:`~microgradx.transforms.basic` (``grad``, ``value_and_grad``, ``vjp``, ``jvp``
with MLX's rules, array ``jacfwd``/``jacrev``), :mod:`~microgradx.transforms.custom` (``custom_function``,
``checkpoint``), :mod:`~microgradx.transforms.vmap` and :mod:`~microgradx.transforms.jacobian` (Jacobians
and Hessians of trees).

Examples
--------
>>> import microgradx as mgx
>>> mgx.grad(lambda x: x ** 3)(2.0)
12.0
"""

from .basic import grad, jvp, value_and_grad, vjp
from .custom import checkpoint, custom_function
from .jacobian import hessian, jacfwd, jacobian, jacrev
from .vmap import vmap

__all__ = [
    "grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian",
    "custom_function", "checkpoint", "vmap", "jacobian",
]
