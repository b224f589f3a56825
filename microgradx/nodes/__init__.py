"""The nodes: :class:`~microgradx.nodes.scalar.Scalar`, :class:`~microgradx.nodes.tensor.Tensor` and
:class:`~microgradx.nodes.dual.Dual` record operations and send them through
:func:`microgradx.core.dispatch.apply` to the rule table.

This layer sits on :mod:`microgradx.core`; the array functions (:mod:`microgradx.ops`), the
transforms and the user-level modules are built on it.

Examples
--------
>>> scalar_class()(2.0).data
2.0
"""

from __future__ import annotations

from ..core import backend
from .scalar import Scalar as ReferenceScalar

__all__ = ["scalar_class", "ReferenceScalar"]


def scalar_class() -> type:
    """The Scalar class of the active backend: the compiled one, or the reference :class:`ReferenceScalar`.

    Examples
    --------
    >>> scalar_class().__name__
    'Scalar'
    """
    if backend.compiled_scalar is not None:
        return backend.compiled_scalar.Scalar
    return ReferenceScalar
