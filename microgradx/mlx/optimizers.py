"""``microgradx.mlx.optimizers``: MLX's optimizers and learning-rate schedules.

An optimizer keeps a ``state`` tree shaped like the parameters (plus ``"step"`` and
``"learning_rate"``) and turns gradients into new parameters:

* ``optimizer.update(model, grads)`` -- one step on an ``nn.Module``;
* ``optimizer.apply_gradients(grads, params)`` -- the same on a plain tree, returning the new tree;
* ``optimizer.init(params)`` -- build the state ahead of the first step (optional).

Each step does MLX's arithmetic in MLX's order, in the parameters' dtype (float32 for MLX models),
on plain numpy values: an update records no graph, and the new parameters are fresh arrays.
``learning_rate`` may be a number or a schedule -- a function of the step count such as
:func:`cosine_decay` -- evaluated before each step, as in MLX.

Examples
--------
>>> import numpy as np
>>> import microgradx.mlx.core as mx
>>> import microgradx.mlx.nn as nn
>>> import microgradx.mlx.optimizers as optim
>>> model = nn.Linear(2, 1)
>>> opt = optim.SGD(learning_rate=0.1, momentum=0.5)
>>> x, y = mx.ones((8, 2)), mx.zeros((8, 1))
>>> loss_and_grad = nn.value_and_grad(model, lambda: nn.losses.mse_loss(model(x), y))
>>> for _ in range(50):
...     loss, grads = loss_and_grad()
...     opt.update(model, grads)
>>> float(loss) < 1e-3, int(opt.step)
(True, 50)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..tree import tree_map, tree_reduce
from .nn._array import is_array, new, value
from .nn.module import Module

__all__ = ["Optimizer", "SGD", "RMSprop", "Adagrad", "Adam", "AdamW", "Lion", "clip_grad_norm",
           "exponential_decay", "step_decay", "cosine_decay", "linear_schedule", "join_schedules"]


def _f32(x) -> np.ndarray:
    """A schedule's value in float32, as MLX keeps ``learning_rate`` (an ``mx.array`` of a Python float)."""
    return np.asarray(value(x) if is_array(x) else x, dtype=np.float32)


def _number(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number; got {type(x).__name__}")
    return float(x)


# ---------------------------------------------------------------------------
# The base class
# ---------------------------------------------------------------------------
class Optimizer:
    """Base class: the state tree, the step counter, schedules, and the walk over the parameter tree.

    A subclass defines ``init_single(parameter, state)`` (fill the per-parameter state dict) and
    ``apply_single(gradient, parameter, state)`` (return the new parameter); both receive and
    store numpy values.

    Examples
    --------
    >>> import numpy as np
    >>> class HalfStep(Optimizer):
    ...     def init_single(self, parameter, state):
    ...         pass
    ...     def apply_single(self, gradient, parameter, state):
    ...         return parameter - 0.5 * gradient
    >>> HalfStep().apply_gradients({"w": np.array([2.0])}, {"w": np.array([1.0])})
    {'w': Tensor([0.])}
    """

    def __init__(self, schedulers: dict | None = None):
        self._initialized = False
        self._state = {"step": new(0, np.uint64)}
        self._schedulers = dict(schedulers or {})

    # -- MLX's entry points ---------------------------------------------------------------------
    def update(self, model: Module, gradients: dict) -> None:
        """One step on ``model``: ``model.update(self.apply_gradients(gradients, model))``.

        >>> import microgradx.mlx.nn as nn
        >>> m = nn.Linear(1, 1)
        >>> w = float(m.weight[0, 0])
        >>> SGD(learning_rate=1.0).update(m, {"weight": np.ones((1, 1), np.float32)})
        >>> bool(float(m.weight[0, 0]) == np.float32(w) - 1)
        True
        """
        if not isinstance(model, Module):
            raise TypeError(f"update: model must be an nn.Module; got {type(model).__name__}")
        model.update(self.apply_gradients(gradients, model))

    def init(self, parameters: dict) -> None:
        """Build the per-parameter state for ``parameters`` (keeps any state already there).

        >>> opt = Adam(learning_rate=0.1)
        >>> opt.init({"w": np.zeros(3, np.float32)})
        >>> sorted(opt.state["w"])
        ['m', 'v']
        """
        self._state = _grow_state(parameters, self._state)

        def fill(p, s):
            if not s:
                self.init_single(value(p), s)
                _as_arrays(s)
            return s

        tree_map(fill, parameters, self._state)
        self._initialized = True

    def init_single(self, parameter: np.ndarray, state: dict) -> None:
        """Fill ``state`` (a dict) for one parameter; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} defines no init_single()")

    def apply_gradients(self, gradients: dict, parameters: dict) -> dict:
        """The new parameters after one step (a tree shaped like ``gradients``).

        >>> SGD(learning_rate=0.5).apply_gradients({"w": np.array([2.0])}, {"w": np.array([1.0])})
        {'w': Tensor([0.])}
        """
        if not isinstance(gradients, (dict, list, tuple)):
            raise TypeError(f"apply_gradients: gradients must be a tree (dict/list) of arrays; "
                            f"got {type(gradients).__name__}")
        if not self._initialized:
            self.init(gradients)
        for name, schedule in self._schedulers.items():
            self.state[name] = new(_f32(schedule(self.step)), np.float32)
        self.state["step"] = new(value(self.step) + np.uint64(1), np.uint64)

        def one(g, p, s):
            g, p = value(g), value(p)
            if g.shape != p.shape:
                raise ValueError(f"apply_gradients: a gradient of shape {g.shape} for a parameter of shape {p.shape}")
            out = new(self.apply_single(g, p, s), p.dtype)
            _as_arrays(s)
            return out

        return tree_map(one, gradients, parameters, self.state)

    def apply_single(self, gradient: np.ndarray, parameter: np.ndarray, state: dict) -> np.ndarray:
        """The new value of one parameter; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} defines no apply_single()")

    # -- state ------------------------------------------------------------------------------------
    @property
    def state(self) -> dict:
        """The optimizer's state: ``"step"``, ``"learning_rate"`` and one dict per parameter.

        Setting it (e.g. to a saved state) makes the next step re-check it against the gradients.

        >>> opt = SGD(learning_rate=0.1)
        >>> sorted(opt.state)
        ['learning_rate', 'step']
        """
        return self._state

    @state.setter
    def state(self, state: dict) -> None:
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict; got {type(state).__name__}")
        self._initialized = False
        self._state = state

    @property
    def step(self):
        """The number of steps taken (an unsigned integer array).

        >>> int(SGD(learning_rate=0.1).step)
        0
        """
        return self.state["step"]

    @property
    def learning_rate(self):
        """The learning rate used by the last step (a float32 array); settable to a number.

        >>> opt = SGD(learning_rate=0.1); opt.learning_rate = 0.01; float(opt.learning_rate)
        0.009999999776482582
        """
        return self.state["learning_rate"]

    @learning_rate.setter
    def learning_rate(self, learning_rate) -> None:
        self.state["learning_rate"] = new(_f32(learning_rate), np.float32)

    def _maybe_schedule(self, name: str, param) -> None:
        if callable(param):
            self._schedulers[name] = param
            current = param(self.step)
        else:
            current = _number(param, name)
        self.state[name] = new(_f32(current), np.float32)

    def _lr(self, dtype) -> np.ndarray:
        return value(self.learning_rate).astype(dtype)


def _as_arrays(state: dict) -> None:
    """Store the numpy values a rule left in ``state`` as arrays (MLX's state holds arrays)."""
    for k, v in state.items():
        if isinstance(v, np.ndarray):
            state[k] = new(v, v.dtype)


def _grow_state(params, state):
    """Add empty per-parameter state dicts for every parameter ``state`` does not have yet (MLX's rule)."""
    if isinstance(params, (list, tuple)):
        state = list(state)
        for i in range(min(len(state), len(params))):
            state[i] = _grow_state(params[i], state[i])
        state.extend(tree_map(lambda _: {}, list(params[len(state):])))
        return type(params)(state)
    if isinstance(params, dict):
        for k, v in params.items():
            state[k] = tree_map(lambda _: {}, v) if k not in state else _grow_state(v, state[k])
        return state
    return state


# ---------------------------------------------------------------------------
# Optimizers
# ---------------------------------------------------------------------------
class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, weight decay, dampening and Nesterov momentum.

    ``v = momentum * v + (1 - dampening) * g`` (``g`` includes ``weight_decay * p``), then
    ``p -= lr * v`` (or ``lr * (g + momentum * v)`` with Nesterov).

    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> opt.apply_gradients({"w": np.array([1.0], np.float32)}, {"w": np.array([0.0], np.float32)})
    {'w': Tensor([-0.1], dtype=float32)}
    >>> SGD(learning_rate=0.1, nesterov=True)
    Traceback (most recent call last):
    ...
    ValueError: Nesterov momentum requires a momentum and zero dampening.
    """

    def __init__(self, learning_rate, momentum: float = 0.0, weight_decay: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening.")
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.momentum = _number(momentum, "momentum")
        self.weight_decay = _number(weight_decay, "weight_decay")
        self.dampening = _number(dampening, "dampening")
        self.nesterov = bool(nesterov)

    def init_single(self, parameter, state):
        state["v"] = np.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self._lr(gradient.dtype)
        if self.weight_decay != 0:
            gradient = gradient + self.weight_decay * parameter
        if self.momentum <= 0:
            return parameter - lr * gradient
        v = self.momentum * value(state["v"])
        v = v + ((1 - self.dampening) * gradient if self.dampening > 0 else gradient)
        state["v"] = v
        return parameter - lr * (gradient + self.momentum * v if self.nesterov else v)


class RMSprop(Optimizer):
    """``v = alpha * v + (1 - alpha) * g**2``; ``p -= lr * g / (sqrt(v) + eps)``.

    >>> opt = RMSprop(learning_rate=0.01)
    >>> opt.apply_gradients({"w": np.array([1.0], np.float32)}, {"w": np.array([0.0], np.float32)})
    {'w': Tensor([-0.099999], dtype=float32)}
    """

    def __init__(self, learning_rate, alpha: float = 0.99, eps: float = 1e-8):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.alpha, self.eps = _number(alpha, "alpha"), _number(eps, "eps")
        if self.alpha < 0.0:
            raise ValueError(f"RMSprop alpha should be >=0, {self.alpha} was provided instead")
        if self.eps <= 0.0:
            raise ValueError(f"RMSprop epsilon should be >0, {self.eps} was provided instead")

    def init_single(self, parameter, state):
        state["v"] = np.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        v = self.alpha * value(state["v"]) + (1 - self.alpha) * np.square(gradient)
        state["v"] = v
        return parameter - self._lr(gradient.dtype) * gradient / (np.sqrt(v) + self.eps)


class Adagrad(Optimizer):
    """``v += g**2``; ``p -= lr * g / (sqrt(v) + eps)``.

    >>> opt = Adagrad(learning_rate=0.1)
    >>> opt.apply_gradients({"w": np.array([2.0], np.float32)}, {"w": np.array([0.0], np.float32)})
    {'w': Tensor([-0.1], dtype=float32)}
    """

    def __init__(self, learning_rate, eps: float = 1e-8):
        super().__init__()
        self._maybe_schedule("learning_rate", learning_rate)
        self.eps = _number(eps, "eps")
        if self.eps <= 0.0:
            raise ValueError(f"Adagrad epsilon should be >0, {self.eps} was provided instead")

    def init_single(self, parameter, state):
        state["v"] = np.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        v = value(state["v"]) + np.square(gradient)
        state["v"] = v
        return parameter - self._lr(gradient.dtype) * gradient / (np.sqrt(v) + self.eps)


class Adam(Optimizer):
    """Adam: ``m = b1 m + (1-b1) g``, ``v = b2 v + (1-b2) g**2``, ``p -= lr m / (sqrt(v) + eps)``.

    As in MLX, there is no bias correction unless ``bias_correction=True`` (then it is PyTorch's Adam:
    ``p -= lr / (1 - b1**t) * m / (sqrt(v) / sqrt(1 - b2**t) + eps)``).

    >>> opt = Adam(learning_rate=0.1, bias_correction=True)
    >>> opt.apply_gradients({"w": np.array([3.0], np.float32)}, {"w": np.array([0.0], np.float32)})
    {'w': Tensor([-0.1], dtype=float32)}
    """

    def __init__(self, learning_rate, betas=(0.9, 0.999), eps: float = 1e-8, bias_correction: bool = False):
        super().__init__()
        betas = [_number(b, "betas") for b in betas]
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Adam beta{i + 1} should be in [0, 1), {beta} was provided instead")
        if not 0.0 <= eps:
            raise ValueError(f"Adam epsilon should be >=0, {eps} was provided instead")
        self._maybe_schedule("learning_rate", learning_rate)
        self.betas, self.eps, self.bias_correction = betas, _number(eps, "eps"), bool(bias_correction)

    def init_single(self, parameter, state):
        state["m"] = np.zeros_like(parameter)
        state["v"] = np.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self._lr(gradient.dtype)
        b1, b2 = self.betas
        m = b1 * value(state["m"]) + (1 - b1) * gradient
        v = b2 * value(state["v"]) + (1 - b2) * np.square(gradient)
        state["m"], state["v"] = m, v
        if not self.bias_correction:
            return parameter - lr * m / (np.sqrt(v) + self.eps)
        step = value(self.step).astype(np.float32)
        c1 = (lr / (1 - np.float32(b1) ** step)).astype(gradient.dtype)
        c2 = (1 / np.sqrt(1 - np.float32(b2) ** step)).astype(gradient.dtype)
        return parameter - c1 * m / (np.sqrt(v) * c2 + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` before the Adam step.

    >>> opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    >>> opt.apply_gradients({"w": np.array([0.0], np.float32)}, {"w": np.array([1.0], np.float32)})
    {'w': Tensor([0.95], dtype=float32)}
    """

    def __init__(self, learning_rate, betas=(0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.01,
                 bias_correction: bool = False):
        super().__init__(learning_rate=learning_rate, betas=betas, eps=eps, bias_correction=bias_correction)
        self.weight_decay = _number(weight_decay, "weight_decay")

    def apply_single(self, gradient, parameter, state):
        decayed = parameter * (1 - self._lr(gradient.dtype) * self.weight_decay)
        return super().apply_single(gradient, decayed, state)


class Lion(Optimizer):
    """Lion: ``p -= lr * sign(b1 m + (1-b1) g)``, then ``m = b2 m + (1-b2) g`` (optional decoupled weight decay).

    >>> opt = Lion(learning_rate=0.1)
    >>> opt.apply_gradients({"w": np.array([-3.0], np.float32)}, {"w": np.array([0.0], np.float32)})
    {'w': Tensor([0.1], dtype=float32)}
    """

    def __init__(self, learning_rate, betas=(0.9, 0.99), weight_decay: float = 0.0):
        super().__init__()
        betas = [_number(b, "betas") for b in betas]
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Lion beta{i + 1} should be in [0, 1), {beta} was provided instead")
        self._maybe_schedule("learning_rate", learning_rate)
        self.betas, self.weight_decay = betas, _number(weight_decay, "weight_decay")

    def init_single(self, parameter, state):
        state["m"] = np.zeros_like(parameter)

    def apply_single(self, gradient, parameter, state):
        lr = self._lr(gradient.dtype)
        b1, b2 = self.betas
        m = value(state["m"])
        c = b1 * m + (1 - b1) * gradient
        state["m"] = b2 * m + (1 - b2) * gradient
        if self.weight_decay > 0:
            parameter = (1 - lr * self.weight_decay) * parameter
        return parameter - lr * np.sign(c)


def clip_grad_norm(grads, max_norm: float):
    """Scale ``grads`` so that their global L2 norm is at most ``max_norm``; returns ``(grads, norm)``.

    >>> import numpy as np
    >>> clipped, norm = clip_grad_norm({"w": np.array([3.0, 4.0], np.float32)}, max_norm=1.0)
    >>> float(norm), np.round(np.asarray(clipped["w"]), 4)
    (5.0, array([0.6, 0.8], dtype=float32))
    """
    if max_norm < 0:
        raise ValueError(f"max_norm should be >=0, {max_norm} was provided instead")
    total = math.sqrt(tree_reduce(lambda acc, g: acc + float(np.square(value(g).astype(np.float64)).sum()),
                                  grads, 0.0))
    scale = min(max_norm / (total + 1e-6), 1.0)
    return tree_map(lambda g: new(value(g) * np.asarray(scale, value(g).dtype), value(g).dtype), grads), \
        new(total, np.float32)


# ---------------------------------------------------------------------------
# Learning-rate schedules: functions of the step count
# ---------------------------------------------------------------------------
def _steps(step) -> np.ndarray:
    return np.asarray(value(step) if is_array(step) else step).astype(np.float32)


def exponential_decay(init: float, decay_rate: float) -> Callable:
    """``init * decay_rate ** step``.

    >>> float(exponential_decay(0.1, 0.5)(2))
    0.02500000037252903
    """
    init, decay_rate = _number(init, "init"), _number(decay_rate, "decay_rate")
    return lambda step: np.float32(init) * np.float32(decay_rate) ** _steps(step)


def step_decay(init: float, decay_rate: float, step_size: int) -> Callable:
    """``init * decay_rate ** (step // step_size)``.

    >>> [round(float(step_decay(1.0, 0.5, 10)(s)), 3) for s in (0, 9, 10, 25)]
    [1.0, 1.0, 0.5, 0.25]
    """
    if step_size < 1:
        raise ValueError(f"step_size must be greater than 0, but got {step_size}.")
    init, decay_rate = _number(init, "init"), _number(decay_rate, "decay_rate")
    return lambda step: np.float32(init) * np.float32(decay_rate) ** (_steps(step) // np.float32(step_size))


def cosine_decay(init: float, decay_steps: int, end: float = 0.0) -> Callable:
    """``end + (init - end) * (1 + cos(pi * min(step, decay_steps) / decay_steps)) / 2``.

    >>> [round(float(cosine_decay(1.0, 100)(s)), 4) for s in (0, 50, 100, 200)]
    [1.0, 0.5, 0.0, 0.0]
    """
    if decay_steps < 1:
        raise ValueError(f"decay_steps must be greater than 0, but got {decay_steps}.")
    init, end = _number(init, "init"), _number(end, "end")

    def schedule(step):
        s = np.minimum(_steps(step), np.float32(decay_steps))
        decay = np.float32(0.5) * (np.float32(1.0) + np.cos(np.float32(math.pi / decay_steps) * s))
        return np.float32(end) + decay * np.float32(init - end)

    return schedule


def linear_schedule(init: float, end: float, steps: int) -> Callable:
    """From ``init`` to ``end`` in a straight line over ``steps`` steps, then ``end`` (a warm-up).

    >>> [round(float(linear_schedule(0.0, 1.0, 10)(s)), 3) for s in (0, 5, 10, 20)]
    [0.0, 0.5, 1.0, 1.0]
    """
    if steps < 1:
        raise ValueError(f"steps must be greater than 0, but got {steps}.")
    init, end = _number(init, "init"), _number(end, "end")
    return lambda step: np.minimum(_steps(step), np.float32(steps)) * np.float32((end - init) / steps) \
        + np.float32(init)


def join_schedules(schedules: list, boundaries: list) -> Callable:
    """Use ``schedules[0]`` until ``boundaries[0]``, then ``schedules[1]`` counted from there, and so on.

    >>> warm_then_cos = join_schedules([linear_schedule(0.0, 1.0, 10), cosine_decay(1.0, 10)], [10])
    >>> [round(float(warm_then_cos(s)), 3) for s in (5, 10, 15, 20)]
    [0.5, 1.0, 0.5, 0.0]
    """
    if len(schedules) == 0:
        raise ValueError("Must provide at least 1 schedule to join.")
    if len(schedules) != len(boundaries) + 1:
        raise ValueError(f"Received {len(boundaries)} boundaries but expected {len(schedules) - 1}.")

    def schedule(step):
        s = _steps(step)
        out = _f32(schedules[0](step))
        for boundary, later in zip(boundaries, schedules[1:]):
            out = np.where(s < boundary, out, _f32(later(s - np.float32(boundary))))
        return out

    return schedule
