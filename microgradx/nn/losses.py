"""Losses: :func:`mse_loss` and :func:`cross_entropy`.

Examples
--------
>>> import microgradx as mgx
>>> mse_loss(mgx.array([0.0]), mgx.array([2.0]))
Tensor(4.)
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..core.dispatch import raw_value, value_shape

__all__ = ["mse_loss", "cross_entropy"]


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------
def _reduce(losses, reduction: str, fn: str):
    if reduction == "mean":
        return ops.mean(losses)
    if reduction == "sum":
        return ops.sum(losses)
    if reduction == "none":
        return losses
    raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none'; got {reduction!r}")


def mse_loss(predictions, targets, reduction: str = "mean"):
    """Mean squared error ``mean((predictions - targets) ** 2)``.

    Parameters
    ----------
    predictions, targets : Tensor or array_like
        The same shape (no broadcasting: a ``(n, 1)`` vs ``(n,)`` mix-up is a
        ``ValueError``, not a silent ``(n, n)`` loss).
    reduction : {"mean", "sum", "none"}

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> nn.mse_loss(mgx.array([1.0, 2.0]), mgx.array([1.0, 4.0]))
    Tensor(2.)
    """
    predictions = ops.operand(predictions, "predictions")
    targets = ops.operand(targets, "targets")
    ps, ts = value_shape(predictions), value_shape(targets)
    if ps != ts:
        raise ValueError(f"mse_loss: predictions have shape {ps} but targets have shape {ts}; they must match")
    diff = predictions - targets
    return _reduce(diff * diff, reduction, "mse_loss")


def cross_entropy(logits, labels, reduction: str = "mean"):
    """Softmax cross-entropy of ``logits`` against integer class ``labels``.

    ``loss_i = logsumexp(logits_i) - logits_i[labels_i]``, which never
    overflows (no ``exp`` of a large logit is ever formed); its gradient with
    respect to the logits is ``softmax(logits) - onehot(labels)``.

    Parameters
    ----------
    logits : Tensor or array_like, shape (..., classes)
        Unnormalised scores; the last axis is the class axis.
    labels : array_like of int, shape (...)
        Class indices in ``[0, classes)`` (a Tensor, ndarray or list).
    reduction : {"mean", "sum", "none"}, default "mean"

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> logits = mgx.array([[2.0, 0.0], [0.0, 1000.0]])
    >>> nn.cross_entropy(logits, [0, 1])      # mean of log(1 + e^-2) and ~0
    Tensor(0.06346401)
    """
    logits = ops.operand(logits, "logits")
    shape = value_shape(logits)
    if len(shape) == 0:
        raise ValueError("cross_entropy: logits must have a class axis (shape (..., classes)); got a 0-d array")
    labels_value = np.asarray(raw_value(ops.operand(labels, "labels")))
    if labels_value.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: labels must be integer class indices; got dtype {labels_value.dtype}")
    if labels_value.shape != shape[:-1]:
        raise ValueError(f"cross_entropy: logits have shape {shape}, so labels need shape {shape[:-1]}; "
                         f"got {labels_value.shape}")
    classes = shape[-1]
    if labels_value.size and (labels_value.min() < 0 or labels_value.max() >= classes):
        raise ValueError(f"cross_entropy: labels must lie in [0, {classes}); got values from "
                         f"{labels_value.min()} to {labels_value.max()}")
    flat = ops.reshape(logits, (-1, classes))
    picked = flat[np.arange(flat.shape[0]), labels_value.reshape(-1)]
    losses = ops.reshape(ops.logsumexp(flat, axis=1) - picked, shape[:-1])
    return _reduce(losses, reduction, "cross_entropy")
