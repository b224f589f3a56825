"""microgradx: automatic differentiation you can read, fast enough to use.

``import microgradx as mgx`` gives

* nodes: :class:`Scalar` (micrograd-compatible), :class:`Tensor` (numpy
  arrays), :class:`Dual` (forward mode);
* array functions with MLX's names (``mgx.exp``, ``mgx.sum``, ``mgx.matmul``, ...);
* ``no_grad()`` and ``backend()`` (``"compiled"`` or ``"python"``).

Examples
--------
>>> import microgradx as mgx
>>> x = mgx.Scalar(2.0)
>>> y = x * x + 3 * x
>>> y.backward()
>>> x.grad
7.0
"""

from __future__ import annotations

from . import _backend
from .dual import Dual
from .ops import *  # noqa: F401,F403 - the MLX-named functions
from .ops import __all__ as _ops_all
from .state import no_grad
from .tensor import Tensor

Scalar = _backend.scalar_class()

# Layers above the nodes: transforms, trees, checks, then the user-level modules.
from . import datasets, nn, optim, tree, viz  # noqa: E402
from .check import check_grad  # noqa: E402
from .explain import explain  # noqa: E402
from .transforms import grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp  # noqa: E402

__version__ = "0.1.0"


def backend() -> str:
    """Name of the active backend: ``"compiled"`` (Cython) or ``"python"`` (reference).

    Select it with the environment variable ``MICROGRADX_BACKEND`` before import.

    Examples
    --------
    >>> backend() in ("compiled", "python")
    True
    """
    return _backend.NAME


__all__ = [
    "Scalar", "Tensor", "Dual", "no_grad", "backend",
    "grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian", "check_grad", "explain",
    "tree", "nn", "optim", "datasets", "viz",
    *_ops_all,
]
