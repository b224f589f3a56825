"""MLX's loss functions (``mlx.nn.losses``) on microgradx arrays, with MLX's defaults and checks.

Note the defaults, which are MLX's and differ between losses: ``cross_entropy``, ``nll_loss`` and
``kl_div_loss`` default to ``reduction="none"`` (one loss per example), the regression losses and
``binary_cross_entropy`` to ``"mean"``.  ``reduction`` is one of ``"none"``, ``"mean"``, ``"sum"``.

Examples
--------
>>> import numpy as np
>>> from microgradx.mlx.nn import losses
>>> logits = np.array([[2.0, 0.0], [0.0, 2.0]], np.float32)
>>> losses.cross_entropy(logits, np.array([0, 1]))
Tensor([0.126928, 0.126928], dtype=float32)
>>> losses.cross_entropy(logits, np.array([0, 1]), reduction="mean")
Tensor(0.126928, dtype=float32)
"""

from __future__ import annotations

import math

import numpy as np

from ... import ops
from ._array import value

__all__ = ["cross_entropy", "binary_cross_entropy", "mse_loss", "l1_loss", "nll_loss", "smooth_l1_loss",
           "kl_div_loss", "huber_loss", "hinge_loss", "log_cosh_loss"]

_REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss, reduction: str):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Invalid reduction. Must be one of {_REDUCTIONS}.")
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    return loss


def _shape(x) -> tuple:
    return tuple(np.shape(value(x)))


def _same_shape(a, b, what_a: str, what_b: str) -> None:
    if _shape(a) != _shape(b):
        raise ValueError(f"{what_a} shape {_shape(a)} does not match {what_b} shape {_shape(b)}.")


def _weighted(loss, weights):
    if weights is None:
        return loss
    if _shape(weights) != _shape(loss):
        raise ValueError(f"Weights with shape {_shape(weights)} is not the same as output loss with shape "
                         f"{_shape(loss)}.")
    return ops.multiply(loss, weights)


def _pick(x, index, axis: int):
    """``x`` at the class ``index`` along ``axis`` (that axis removed), via a one-hot mask.

    Multiplying by an exact 0/1 mask and summing gives the picked value exactly, and its
    gradient is the mask: no scatter needed.
    """
    shape = _shape(x)
    axis = axis % len(shape)
    idx = value(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"class indices must be integers; got dtype {idx.dtype}")
    classes = shape[axis]
    if idx.size and (idx.min() < 0 or idx.max() >= classes):
        raise ValueError(f"class indices must lie in [0, {classes}); got values from {idx.min()} to {idx.max()}")
    classes_along_axis = np.arange(classes).reshape([-1 if a == axis else 1 for a in range(len(shape))])
    onehot = np.expand_dims(idx, axis) == classes_along_axis
    return ops.sum(ops.multiply(x, onehot.astype(value(x).dtype)), axis=axis)


def cross_entropy(logits, targets, weights=None, axis: int = -1, label_smoothing: float = 0.0,
                  reduction: str = "none"):
    """Softmax cross-entropy of ``logits`` against class indices or class probabilities.

    Parameters
    ----------
    logits : array
        Unnormalised scores; ``axis`` is the class axis.
    targets : array
        Integer class indices (the shape of ``logits`` without ``axis``) or probabilities (the
        shape of ``logits``).
    weights : array, optional
        One weight per loss (the shape of the unreduced loss).
    axis : int, default -1
        The class axis.
    label_smoothing : float in [0, 1), default 0
        Mixes the target with the uniform distribution: the loss becomes
        ``logsumexp - (1 - s) * score - s * mean(logits)``.
    reduction : {"none", "mean", "sum"}, default "none"

    Examples
    --------
    >>> import numpy as np
    >>> logits = np.array([[0.0, 0.0]], np.float32)
    >>> cross_entropy(logits, np.array([[0.5, 0.5]], np.float32))   # probabilities
    Tensor([0.693147], dtype=float32)
    >>> cross_entropy(logits, np.array([0]), label_smoothing=0.1)
    Tensor([0.693147], dtype=float32)
    """
    if label_smoothing < 0 or label_smoothing >= 1:
        raise ValueError(f"Label smoothing must be in [0, 1), got {label_smoothing}.")
    logits, targets = ops.operand(logits, "logits"), ops.operand(targets, "targets")
    lshape, tshape = _shape(logits), _shape(targets)
    as_probs = len(tshape) == len(lshape)
    if not lshape:
        raise ValueError("cross_entropy: logits must have a class axis; got a 0-d array")
    dropped = tuple(d for i, d in enumerate(lshape) if i != axis % len(lshape))
    if (as_probs and tshape != lshape) or (not as_probs and tshape != dropped):
        raise ValueError(f"Targets shape {tshape} does not match logits shape {lshape}.")
    shifted = ops.subtract(logits, ops.stop_gradient(ops.max(logits, axis=axis, keepdims=True)))
    score = ops.sum(ops.multiply(shifted, targets), axis=axis) if as_probs else _pick(shifted, targets, axis)
    lse = ops.logsumexp(shifted, axis=axis)
    if label_smoothing > 0:
        loss = lse - (1 - label_smoothing) * score - label_smoothing * ops.mean(shifted, axis=axis)
    else:
        loss = lse - score
    return _reduce(_weighted(loss, weights), reduction)


def binary_cross_entropy(inputs, targets, weights=None, with_logits: bool = True, reduction: str = "mean"):
    """Binary cross-entropy of logits (default) or probabilities against targets in [0, 1].

    With logits the loss is ``log(1 + exp(x)) - x * t``, computed as
    ``max(x, 0) + log(1 + exp(-|x|)) - x * t`` so that it never overflows; with probabilities each
    log is clipped at -100 as in MLX.

    Examples
    --------
    >>> import numpy as np
    >>> binary_cross_entropy(np.array([0.0], np.float32), np.array([1.0], np.float32))
    Tensor(0.693147, dtype=float32)
    >>> binary_cross_entropy(np.array([0.5]), np.array([1.0]), with_logits=False)
    Tensor(0.69314718)
    """
    inputs, targets = ops.operand(inputs, "inputs"), ops.operand(targets, "targets")
    _same_shape(inputs, targets, "Inputs", "targets")
    if with_logits:
        softplus = ops.add(ops.relu(inputs), ops.log(1.0 + ops.exp(-ops.abs(inputs))))
        loss = ops.subtract(softplus, ops.multiply(inputs, targets))
    else:
        log_p = ops.maximum(ops.log(inputs), -100.0)
        log_q = ops.maximum(ops.log(1.0 - inputs), -100.0)
        loss = -(ops.multiply(targets, log_p) + ops.multiply(1.0 - targets, log_q))
    return _reduce(_weighted(loss, weights), reduction)


def mse_loss(predictions, targets, reduction: str = "mean"):
    """Mean squared error ``(predictions - targets) ** 2``, reduced.

    >>> import numpy as np
    >>> mse_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0]))
    Tensor(2.)
    """
    _same_shape(predictions, targets, "Predictions", "targets")
    return _reduce(ops.square(ops.subtract(predictions, targets)), reduction)


def l1_loss(predictions, targets, reduction: str = "mean"):
    """Mean absolute error ``|predictions - targets|``, reduced.

    >>> import numpy as np
    >>> l1_loss(np.array([1.0, 2.0]), np.array([1.0, 4.0]), reduction="sum")
    Tensor(2.)
    """
    _same_shape(predictions, targets, "Predictions", "targets")
    return _reduce(ops.abs(ops.subtract(predictions, targets)), reduction)


def nll_loss(inputs, targets, axis: int = -1, reduction: str = "none"):
    """Negative log-likelihood: ``-inputs[target]`` along ``axis`` (``inputs`` are log-probabilities).

    >>> import numpy as np
    >>> nll_loss(np.log(np.array([[0.25, 0.75]])), np.array([1]))
    Tensor([0.28768207])
    """
    return _reduce(-_pick(ops.operand(inputs, "inputs"), targets, axis), reduction)


def smooth_l1_loss(predictions, targets, beta: float = 1.0, reduction: str = "mean"):
    """``0.5 d**2 / beta`` where ``d = |predictions - targets| < beta``, else ``d - 0.5 beta``.

    >>> import numpy as np
    >>> smooth_l1_loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]), reduction="none")
    Tensor([0.125, 2.5  ])
    """
    _same_shape(predictions, targets, "Predictions", "targets")
    diff = ops.abs(ops.subtract(predictions, targets))
    loss = ops.where(value(diff) < beta, 0.5 * ops.square(diff) / beta, diff - 0.5 * beta)
    return _reduce(loss, reduction)


def kl_div_loss(inputs, targets, axis: int = -1, reduction: str = "none"):
    """Kullback-Leibler divergence ``sum(exp(t) * (t - x))`` along ``axis``; both are log-probabilities.

    >>> import numpy as np
    >>> p = np.log(np.array([[0.5, 0.5]]))
    >>> kl_div_loss(p, p)
    Tensor([0.])
    """
    targets = ops.operand(targets, "targets")
    return _reduce(ops.sum(ops.multiply(ops.exp(targets), ops.subtract(targets, inputs)), axis=axis), reduction)


def huber_loss(inputs, targets, delta: float = 1.0, reduction: str = "none"):
    """``0.5 q**2 + delta * (|e| - q)`` with ``e = inputs - targets`` and ``q = min(|e|, delta)``.

    >>> import numpy as np
    >>> huber_loss(np.array([0.5, 3.0]), np.array([0.0, 0.0]))
    Tensor([0.125, 2.5  ])
    """
    errors = ops.abs(ops.subtract(inputs, targets))
    quadratic = ops.minimum(errors, delta)
    return _reduce(0.5 * ops.square(quadratic) + delta * (errors - quadratic), reduction)


def hinge_loss(inputs, targets, reduction: str = "none"):
    """``max(1 - inputs * targets, 0)`` for targets in {-1, 1}.

    >>> import numpy as np
    >>> hinge_loss(np.array([0.5, 2.0]), np.array([1.0, 1.0]))
    Tensor([0.5, 0. ])
    """
    return _reduce(ops.maximum(1.0 - ops.multiply(inputs, targets), 0.0), reduction)


def log_cosh_loss(inputs, targets, reduction: str = "none"):
    """``log(cosh(inputs - targets))``, computed as ``|e| + log(1 + exp(-2|e|)) - log 2``.

    >>> import numpy as np
    >>> log_cosh_loss(np.array([0.0]), np.array([0.0]))
    Tensor([0.])
    """
    e = ops.abs(ops.subtract(inputs, targets))
    return _reduce(e + ops.log(1.0 + ops.exp(-2.0 * e)) - math.log(2.0), reduction)
