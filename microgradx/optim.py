"""Optimizers: SGD (with momentum) and Adam, for Scalar and Tensor parameters.

An optimizer holds a list of parameters and updates their ``.data`` in
place, without recording a graph:

* a Scalar parameter as micrograd does by hand: ``p.data -= lr * p.grad``;
* a Tensor parameter in place on its array (float32 stays float32).

``step()`` reads the gradients that ``loss.backward()`` accumulated in
``.grad``; ``step(grads)`` takes them from a tree instead (the gradients that
``mgx.value_and_grad`` returns for ``model.parameter_tree()``).  ``lr`` is a
plain attribute you may reassign between steps (a learning-rate schedule is
one line of your own loop, as in micrograd's ``lr = 1.0 - 0.9 * k / 100``).

The update rules are PyTorch's (``torch.optim.SGD`` and ``torch.optim.Adam``),
and the tests check them against it.

Examples
--------
>>> import microgradx as mgx
>>> from microgradx import optim
>>> w = mgx.Scalar(3.0)
>>> opt = optim.SGD([w], lr=0.1)
>>> for _ in range(50):
...     opt.zero_grad()
...     loss = (w - 1.0) ** 2
...     loss.backward()
...     opt.step()
>>> round(w.data, 6)
1.0
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .core.dispatch import raw_value
from .nn.module import Module, is_parameter
from .nodes.tensor import Tensor
from .tree import tree_flatten

__all__ = ["Optimizer", "SGD", "Adam"]


def _real(value, name: str, low: float = 0.0, high: float | None = None, high_open: bool = False) -> float:
    """Validate a hyper-parameter: a real number in ``[low, high]`` (or ``[low, high)``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < low or (high is not None and (value >= high if high_open else value > high)):
        bound = "" if high is None else (f" and below {high}" if high_open else f" and at most {high}")
        raise ValueError(f"{name} must be a finite number of at least {low}{bound}; got {value}")
    return value


def _check_params(params) -> list:
    if isinstance(params, Module):
        params = params.parameters()
    if isinstance(params, (Tensor, str, bytes, dict)) or is_parameter(params):
        raise TypeError(
            f"params must be a list of Scalars/Tensors (e.g. model.parameters()); got {type(params).__name__}"
        )
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"params must be an iterable of Scalars/Tensors; got {type(params).__name__}") from None
    if not params:
        raise ValueError("params is empty: the optimizer has nothing to update")
    seen = set()
    for i, p in enumerate(params):
        if not is_parameter(p):
            raise TypeError(f"params[{i}] must be a Scalar or a Tensor; got {type(p).__name__}")
        if id(p) in seen:
            raise ValueError(f"params[{i}] appears more than once in params")
        seen.add(id(p))
        if isinstance(p, Tensor):
            if p._level > 0 or not p.is_leaf:
                raise ValueError(f"params[{i}] is not a leaf Tensor (it was computed from others); "
                                 "optimizers update leaves only")
            if np.asarray(p.data).dtype.kind != "f":
                raise TypeError(f"params[{i}] must hold floats to be trained; got dtype {p.data.dtype}")
        elif p._prev:
            raise ValueError(f"params[{i}] is not a leaf Scalar (it was computed from others); "
                             "optimizers update leaves only")
    return params


def _plain(g):
    """A gradient as a float (Scalar parameters) or an ndarray (Tensor parameters); None stays None."""
    if g is None:
        return None
    if is_parameter(g):
        g = g.data if not isinstance(g, Tensor) else raw_value(g)
    return g


class Optimizer:
    """Base class: holds the parameters, validates ``lr``, implements ``zero_grad`` and ``step``.

    A subclass implements ``_update(i, p, g)``: the new value of parameter
    ``i`` from its gradient ``g`` (a float for a Scalar, an ndarray for a
    Tensor).

    Parameters
    ----------
    params : iterable of Scalar or Tensor, or a Module
        The leaves to train (``model.parameters()``); a Module means its parameters.
    lr : float
        Learning rate (>= 0).

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import optim
    >>> opt = optim.SGD([mgx.Tensor([1.0])], lr=0.5)
    >>> opt.lr = 0.25          # a schedule: reassign between steps
    >>> opt.lr
    0.25
    >>> opt.lr = -1.0
    Traceback (most recent call last):
    ...
    ValueError: lr must be a finite number of at least 0.0; got -1.0
    """

    def __init__(self, params, lr: float):
        self.params = _check_params(params)
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate; assignable (validated) between steps."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = _real(value, "lr")

    def zero_grad(self) -> None:
        """Reset the gradients of all parameters (Scalars to 0.0, Tensors to None).

        >>> import microgradx as mgx
        >>> from microgradx import optim
        >>> x = mgx.Scalar(2.0); (x * x).backward()
        >>> optim.SGD([x], lr=0.1).zero_grad(); x.grad
        0.0
        """
        for p in self.params:
            p.zero_grad()

    def _gradients(self, grads) -> list:
        if grads is None:
            return [_plain(p.grad) for p in self.params]
        if not isinstance(grads, (list, tuple, dict)):
            raise TypeError(f"grads must be a list or tree of gradients (or None); got {type(grads).__name__}")
        leaves = [g for _, g in tree_flatten(grads)]
        if len(leaves) != len(self.params):
            raise ValueError(f"grads holds {len(leaves)} gradients but the optimizer has {len(self.params)} "
                             "parameters; pass the gradients of exactly the optimizer's parameters, in order")
        out = []
        for i, (p, g) in enumerate(zip(self.params, leaves)):
            g = _plain(g)
            if g is not None:
                want, got = np.shape(raw_value(p)), np.shape(g)
                if want != got:
                    raise ValueError(f"grads: gradient {i} has shape {got} but parameter {i} has shape {want}")
            out.append(g)
        return out

    def step(self, grads=None) -> None:
        """Update every parameter once.

        Parameters
        ----------
        grads : list or tree, optional
            Gradients in the order of ``params`` (any nesting of lists,
            tuples and dicts, e.g. the tree ``mgx.value_and_grad`` returns
            for ``model.parameter_tree()``).  Default: each parameter's
            ``.grad``.  A Tensor whose gradient is None is left alone.

        Examples
        --------
        >>> import numpy as np
        >>> import microgradx as mgx
        >>> from microgradx import optim
        >>> w = mgx.Tensor([1.0, 2.0])
        >>> optim.SGD([w], lr=0.5).step([np.array([2.0, 2.0])])
        >>> w
        Tensor([0., 1.])
        """
        for i, (p, g) in enumerate(zip(self.params, self._gradients(grads))):
            if g is None:
                continue
            if isinstance(p, Tensor):
                np.copyto(p.data, self._update(i, p.data, np.asarray(g)), casting="same_kind")
                p._bump_version()  # graphs recorded before this step saved the old values
            else:
                p.data = float(self._update(i, float(p.data), float(g)))

    def _update(self, i: int, value, g):
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and weight decay.

    For each parameter ``p`` with gradient ``g`` (PyTorch's rule)::

        g = g + weight_decay * p
        v = momentum * v + g          # v starts at 0 (skipped when momentum == 0)
        p = p - lr * v

    With the defaults this is micrograd's ``p.data -= lr * p.grad``.

    Parameters
    ----------
    params : iterable of Scalar or Tensor, or a Module
    lr : float
        Learning rate (>= 0).
    momentum : float, default 0.0
        In [0, 1].
    weight_decay : float, default 0.0
        L2 penalty coefficient (>= 0).

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import optim
    >>> w = mgx.Scalar(1.0)
    >>> opt = optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     w.grad = 1.0
    ...     opt.step()
    >>> round(w.data, 6)     # 1 - 0.1*1 - 0.1*(0.9 + 1)
    0.71
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, lr)
        self.momentum = _real(momentum, "momentum", 0.0, 1.0)
        self.weight_decay = _real(weight_decay, "weight_decay")
        self._velocity: list = [None] * len(self.params)

    def _update(self, i, value, g):
        if self.weight_decay:
            g = g + self.weight_decay * value
        if self.momentum:
            v = self._velocity[i]
            if v is None:  # a copy: g may be the parameter's own .grad array, which backward() updates in place
                v = g.copy() if isinstance(g, np.ndarray) else g
            else:
                v = self.momentum * v + g
            self._velocity[i] = v
            g = v
        return value - self.lr * g


class Adam(Optimizer):
    """Adam: per-parameter steps scaled by running averages of the gradient and its square.

    For each parameter with gradient ``g``, at its ``t``-th step (PyTorch's rule)::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p = p - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

    Parameters
    ----------
    params : iterable of Scalar or Tensor, or a Module
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        Each in [0, 1).
    eps : float, default 1e-8
    weight_decay : float, default 0.0

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import optim
    >>> w = mgx.Tensor([1.0, -1.0])
    >>> opt = optim.Adam([w], lr=0.1)
    >>> w.grad = mgx.Tensor([3.0, -0.5]).data
    >>> opt.step()
    >>> w                 # the first Adam step moves each entry by lr * sign(g)
    Tensor([ 0.9, -0.9])
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2); got {betas!r}")
        self.betas = (_real(betas[0], "betas[0]", 0.0, 1.0, high_open=True),
                      _real(betas[1], "betas[1]", 0.0, 1.0, high_open=True))
        self.eps = _real(eps, "eps")
        self.weight_decay = _real(weight_decay, "weight_decay")
        n = len(self.params)
        self._m: list = [0.0] * n
        self._v: list = [0.0] * n
        self._t = [0] * n

    def _update(self, i, value, g):
        beta1, beta2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * value
        self._t[i] += 1
        t = self._t[i]
        m = self._m[i] = beta1 * self._m[i] + (1.0 - beta1) * g
        v = self._v[i] = beta2 * self._v[i] + (1.0 - beta2) * (g * g)
        m_hat = m / (1.0 - beta1**t)
        v_hat = v / (1.0 - beta2**t)
        return value - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
