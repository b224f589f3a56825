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

import sys as _sys

from .core import backend as _backend
from .core import fast_rules as _fast_rules  # noqa: F401 - puts the rule table's fast paths in place
from .core.state import no_grad
from .nodes import scalar_class as _scalar_class
from .nodes.dual import Dual
from .nodes.tensor import Tensor
from .ops import *  # noqa: F401,F403 - the MLX-named functions
from .ops import __all__ as _ops_all

Scalar = _scalar_class()

from . import datasets, nn, optim, tree  # noqa: E402
from .check import check_grad  # noqa: E402
from .teaching import expression, viz  # noqa: E402,F401 - expression: for the old-name table below
from .teaching.explain import explain  # noqa: E402
from .transforms import (  # noqa: E402
    checkpoint,
    custom_function,
    grad,
    hessian,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    value_and_grad,
    vjp,
    vmap,
)

# Module paths of 0.1.0, before the package was laid out in layers: pickles name them
# (``microgradx.scalar``, ``microgradx.tensor``, ...), and so may old code.  Each old name
# is the module's new home (see docs/architecture.rst for the layout).
_MOVED = {
    "_backend": "core.backend", "state": "core.state", "floatmath": "core.floatmath", "kernels": "core.kernels",
    "dispatch": "core.dispatch", "rules": "core.rules", "engine": "core.engine",
    "scalar": "nodes.scalar", "tensor": "nodes.tensor", "dual": "nodes.dual",
    "viz": "teaching.viz", "explain": "teaching.explain", "expression": "teaching.expression",
}
for _old, _new in _MOVED.items():
    _module = _sys.modules[f"{__name__}.{_new}"]
    _sys.modules[f"{__name__}.{_old}"] = _module
    if _old not in globals():  # ``explain`` stays the function
        globals()[_old] = _module
del _old, _new, _module

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
    "vmap", "custom_function", "checkpoint", "jacobian",
    "tree", "nn", "optim", "datasets", "viz",
    *_ops_all,
]
