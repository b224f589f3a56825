"""Which implementation of the hot paths is in use: compiled (Cython) or Python reference.

Each compiled module in ``ext/`` (built as ``microgradx._ext.<name>``) has a
pure-Python twin with the same functions:

=====================  ==================================  ==================================
compiled               reference                           what
=====================  ==================================  ==================================
``_ext.scalar``        :mod:`microgradx.nodes.scalar`      the Scalar node and its sweep
``_ext.engine``        :mod:`microgradx.core.engine`       topological order + backward sweep
``_ext.kernels``       :mod:`microgradx.core.kernels`      fused elementwise kernels
=====================  ==================================  ==================================

``MICROGRADX_BACKEND=python`` selects the references; the default,
``compiled``, uses the extension and falls back to the references with one
warning if the extension was not built.  The compiled backend is used only
when all three modules import.

When it is selected, the compiled Scalar is wired in here (its module has
already registered it as a node type for :func:`microgradx.core.dispatch.apply`,
so ``mgx.exp(s)`` and Duals over Scalars work): its C "is eager recording on?" flag is handed to
:mod:`microgradx.core.state`, which keeps it in step with ``no_grad()`` and the
transforms.

Examples
--------
>>> from microgradx.core import backend
>>> backend.NAME in ("compiled", "python")
True
"""

from __future__ import annotations

import os
import warnings

from . import engine as _engine_reference
from . import kernels as _kernels_reference
from . import state as _state

#: The backend asked for by MICROGRADX_BACKEND (read once, here); NAME is the one in use.
REQUESTED = os.environ.get("MICROGRADX_BACKEND", "compiled").strip().lower() or "compiled"
if REQUESTED not in ("compiled", "python"):
    raise ValueError(
        f"MICROGRADX_BACKEND must be 'compiled' or 'python'; got {os.environ.get('MICROGRADX_BACKEND')!r}"
    )

NAME = "python"
engine = _engine_reference
kernels = _kernels_reference
compiled_scalar = None  # the compiled Scalar's module, when it is in use

if REQUESTED == "compiled":
    try:
        from .._ext import engine as _engine_compiled
        from .._ext import kernels as _kernels_compiled
        from .._ext import scalar as _scalar_compiled
    except ImportError as exc:  # extension not built: say so once, run on the references
        warnings.warn(
            f"microgradx: compiled extension not available ({exc}); using the pure-Python reference "
            "backend, which is much slower. Build it with `pip install -e .`, or set "
            "MICROGRADX_BACKEND=python to silence this warning.",
            RuntimeWarning,
            stacklevel=3,
        )
    else:
        NAME = "compiled"
        engine = _engine_compiled
        kernels = _kernels_compiled
        compiled_scalar = _scalar_compiled
        _state._register_compiled_eager_flag(_scalar_compiled.set_eager_enabled)

