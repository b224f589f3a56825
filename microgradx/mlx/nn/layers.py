"""MLX's layers over microgradx's array functions: Linear, Sequential, activations, Dropout, norms, Embedding, convs.

Every layer is a :class:`~microgradx.mlx.nn.Module` whose parameters are float32 arrays with MLX's names,
shapes and initialisation (weights uniform in ``[-k, k]``, ``k = 1/sqrt(fan_in)``; norms start at ones and
zeros).  The forward passes are written with the engine's differentiable functions, so ``grad``, ``jvp``
and ``nn.value_and_grad`` work through them with no extra rules.  Two things needed more than a formula:

* ``gelu`` uses the error function, added here as one elementwise primitive ``erf`` with its local
  derivative ``2/sqrt(pi) * exp(-x**2)`` (the rule table's usual form, so both modes and higher orders work);
* the convolutions gather their input windows with one fancy-indexing ``getitem`` (im2col) and multiply by
  the weight with ``matmul``; the backward pass of the gather is the rule table's scatter-add.  Inputs are
  channels-last as in MLX: ``(N, L, C)`` for ``Conv1d`` and ``(N, H, W, C)`` for ``Conv2d``.

Examples
--------
>>> import numpy as np
>>> import microgradx.mlx.nn as nn
>>> conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)
>>> conv(np.zeros((2, 5, 5, 3), np.float32)).shape
(2, 5, 5, 8)
"""

from __future__ import annotations

import math

import numpy as np

from ... import ops
from ...core import rules as R
from ._array import new, rng, value
from .module import Module

__all__ = [
    "relu", "gelu", "gelu_approx", "gelu_fast_approx", "silu", "sigmoid", "tanh", "softmax", "log_softmax", "erf",
    "Identity", "Linear", "Sequential", "ReLU", "GELU", "SiLU", "Tanh", "Sigmoid", "Softmax", "Dropout",
    "LayerNorm", "RMSNorm", "Embedding", "Conv1d", "Conv2d",
]


# ---------------------------------------------------------------------------
# The error function: one elementwise primitive
# ---------------------------------------------------------------------------
_erf_array = np.vectorize(math.erf, otypes=[np.float64])
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf_forward(x):
    if isinstance(x, (float, int)):
        return math.erf(x)
    x = np.asarray(x)
    return _erf_array(x).astype(x.dtype if x.dtype.kind == "f" else np.float64)


ERF = R.table.get("erf") or R.elementwise(
    "erf", _erf_forward, [lambda x, out: _TWO_OVER_SQRT_PI * R.exp(-(x * x))], ["d erf(x)/dx = 2/√π · e^(-x²)"])


def erf(x):
    """The error function ``2/sqrt(pi) * integral of exp(-t**2) from 0 to x``, differentiable.

    >>> float(erf(0.5))
    0.5204998778130465
    """
    return ops._call(ERF, x)


# ---------------------------------------------------------------------------
# Activations as functions (MLX's names)
# ---------------------------------------------------------------------------
def relu(x):
    """``max(x, 0)``.

    >>> relu(np.array([-1.0, 2.0]))
    Tensor([0., 2.])
    """
    return ops.relu(x)


def sigmoid(x):
    """``1 / (1 + exp(-x))``.

    >>> sigmoid(0.0)
    Tensor(0.5)
    """
    return ops.sigmoid(x)


def tanh(x):
    """``tanh(x)``.

    >>> tanh(0.0)
    Tensor(0.)
    """
    return ops.tanh(x)


def silu(x):
    """The sigmoid-weighted linear unit ``x * sigmoid(x)`` (also called swish).

    >>> silu(np.array([0.0, 1.0]))
    Tensor([0.        , 0.73105858])
    """
    return ops.multiply(x, ops.sigmoid(x))


def gelu(x):
    """The Gaussian error linear unit ``x * (1 + erf(x / sqrt(2))) / 2`` (exact, as MLX's ``gelu``).

    >>> gelu(np.array([0.0, 1.0]))
    Tensor([0.        , 0.84134475])
    """
    return ops.multiply(x, 1.0 + erf(ops.divide(x, math.sqrt(2.0)))) / 2.0


def gelu_approx(x):
    """The tanh approximation ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))`` of :func:`gelu`.

    >>> float(gelu_approx(1.0))
    0.8411919906082768
    """
    inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * ops.power(x, 3))
    return 0.5 * ops.multiply(x, 1.0 + ops.tanh(inner))


def gelu_fast_approx(x):
    """The sigmoid approximation ``x * sigmoid(1.702 x)`` of :func:`gelu`.

    >>> round(float(gelu_fast_approx(1.0)), 6)
    0.845796
    """
    return ops.multiply(x, ops.sigmoid(ops.multiply(1.702, x)))


def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis`` (the last by default).

    >>> softmax(np.array([0.0, 0.0]))
    Tensor([0.5, 0.5])
    """
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    """``x - logsumexp(x)`` along ``axis``.

    >>> log_softmax(np.array([0.0, 0.0]))
    Tensor([-0.69314718, -0.69314718])
    """
    return ops.log_softmax(x, axis=axis)


def _positive(n, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int; got {type(n).__name__}")
    if n <= 0:
        raise ValueError(f"{name} must be a positive int; got {n}")
    return int(n)


def _uniform(scale: float, shape) -> np.ndarray:
    return new(rng().uniform(-scale, scale, shape))


# ---------------------------------------------------------------------------
# Activation modules
# ---------------------------------------------------------------------------
class _Activation(Module):
    _fn = staticmethod(relu)

    def __call__(self, x):
        return type(self)._fn(x)


class ReLU(_Activation):
    """:func:`relu` as a layer.

    >>> ReLU()(np.array([-1.0, 3.0]))
    Tensor([0., 3.])
    """

    _fn = staticmethod(relu)


class SiLU(_Activation):
    """:func:`silu` as a layer.

    >>> SiLU()(np.array([0.0]))
    Tensor([0.])
    """

    _fn = staticmethod(silu)


class Tanh(_Activation):
    """:func:`tanh` as a layer.

    >>> Tanh()(np.array([0.0]))
    Tensor([0.])
    """

    _fn = staticmethod(tanh)


class Sigmoid(_Activation):
    """:func:`sigmoid` as a layer.

    >>> Sigmoid()(np.array([0.0]))
    Tensor([0.5])
    """

    _fn = staticmethod(sigmoid)


class Softmax(_Activation):
    """:func:`softmax` over the last axis, as a layer.

    >>> Softmax()(np.array([1.0, 1.0]))
    Tensor([0.5, 0.5])
    """

    _fn = staticmethod(softmax)


class GELU(Module):
    """:func:`gelu` as a layer; ``approx`` picks ``"none"`` (exact), ``"precise"``/``"tanh"`` or ``"fast"``.

    >>> GELU(approx="tanh")(np.array([0.0]))
    Tensor([0.])
    >>> GELU(approx="rough")
    Traceback (most recent call last):
    ...
    ValueError: The approximation should be in ['none', 'precise', 'tanh', 'fast'] but 'rough' was given
    """

    def __init__(self, approx: str = "none"):
        super().__init__()
        allowed = ["none", "precise", "tanh", "fast"]
        if approx not in allowed:
            raise ValueError(f"The approximation should be in {allowed} but '{approx}' was given")
        self._approx = approx

    def __call__(self, x):
        if self._approx == "none":
            return gelu(x)
        return gelu_approx(x) if self._approx in ("precise", "tanh") else gelu_fast_approx(x)


class Identity(Module):
    """Returns its input (a placeholder layer).

    >>> Identity()(3.0)
    3.0
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def __call__(self, x):
        return x


# ---------------------------------------------------------------------------
# Linear, Sequential
# ---------------------------------------------------------------------------
class Linear(Module):
    """``x @ weight.T + bias``, ``weight`` of shape ``(output_dims, input_dims)``, uniform in ``±sqrt(1/input_dims)``.

    >>> layer = Linear(3, 2)
    >>> layer.weight.shape, layer.bias.shape, layer.weight.dtype
    ((2, 3), (2,), dtype('float32'))
    >>> layer(np.zeros((4, 3), np.float32)).shape
    (4, 2)
    """

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True):
        super().__init__()
        input_dims, output_dims = _positive(input_dims, "input_dims"), _positive(output_dims, "output_dims")
        scale = math.sqrt(1.0 / input_dims)
        self.weight = _uniform(scale, (output_dims, input_dims))
        if bias:
            self.bias = _uniform(scale, (output_dims,))

    def _extra_repr(self) -> str:
        return f"input_dims={self.weight.shape[1]}, output_dims={self.weight.shape[0]}, bias={'bias' in self}"

    def __call__(self, x):
        y = ops.matmul(x, ops.transpose(self["weight"]))
        return ops.add(y, self["bias"]) if "bias" in self else y


class Sequential(Module):
    """Calls its layers (modules or any callables) one after the other.

    >>> net = Sequential(Linear(2, 4), ReLU(), Linear(4, 1))
    >>> net(np.ones((3, 2), np.float32)).shape
    (3, 1)
    """

    def __init__(self, *modules):
        super().__init__()
        for i, m in enumerate(modules):
            if not callable(m):
                raise TypeError(f"Sequential: module {i} must be callable; got {type(m).__name__}")
        self.layers = list(modules)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


# ---------------------------------------------------------------------------
# Dropout, normalisation, embedding
# ---------------------------------------------------------------------------
class Dropout(Module):
    """Zero each element with probability ``p`` in training mode and scale the rest by ``1/(1-p)``.

    In evaluation mode (``model.eval()``) it is the identity.  The mask comes from the face's
    random source (``microgradx.mlx.nn._array.seed``).

    >>> d = Dropout(0.5)
    >>> d.eval()(np.ones(3))
    array([1., 1., 1.])
    >>> Dropout(1.0)
    Traceback (most recent call last):
    ...
    ValueError: The dropout probability 1.0 is not in [0, 1)
    """

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not isinstance(p, (int, float)) or isinstance(p, bool):
            raise TypeError(f"Dropout: p must be a float in [0, 1); got {type(p).__name__}")
        if p < 0 or p >= 1:
            raise ValueError(f"The dropout probability {p} is not in [0, 1)")
        self._p_1 = 1.0 - p

    def _extra_repr(self) -> str:
        return f"p={1 - self._p_1}"

    def __call__(self, x):
        if self._p_1 == 1.0 or not self.training:
            return x
        shape = np.shape(value(x))
        keep = (rng().random(shape) < self._p_1).astype(value(x).dtype if value(x).dtype.kind == "f" else np.float32)
        return ops.multiply(x, keep) * (1.0 / self._p_1)


def _check_eps(eps, name: str) -> float:
    if not isinstance(eps, (int, float)) or isinstance(eps, bool):
        raise TypeError(f"[{name}] 'eps' must be a float; got {type(eps).__name__}")
    if eps <= 0:
        raise ValueError(f"[{name}] 'eps' must be positive but got {eps}.")
    return float(eps)


class LayerNorm(Module):
    """Normalise over the last axis: ``(x - mean) / sqrt(var + eps) * weight + bias``.

    >>> ln = LayerNorm(4)
    >>> np.round(np.asarray(ln(np.array([[1.0, 2.0, 3.0, 4.0]], np.float32))), 4)
    array([[-1.3416, -0.4472,  0.4472,  1.3416]], dtype=float32)
    """

    def __init__(self, dims: int, eps: float = 1e-5, affine: bool = True, bias: bool = True):
        super().__init__()
        self.dims = _positive(dims, "dims")
        self.eps = _check_eps(eps, "LayerNorm")
        if affine:
            self.weight = new(np.ones(self.dims))
            if bias:
                self.bias = new(np.zeros(self.dims))

    def _extra_repr(self) -> str:
        return f"{self.dims}, eps={self.eps}, affine={'weight' in self}"

    def __call__(self, x):
        centred = ops.subtract(x, ops.mean(x, axis=-1, keepdims=True))
        var = ops.mean(ops.square(centred), axis=-1, keepdims=True)
        y = ops.divide(centred, ops.sqrt(var + self.eps))
        if "weight" in self:
            y = ops.multiply(y, self["weight"])
        if "bias" in self:
            y = ops.add(y, self["bias"])
        return y


class RMSNorm(Module):
    """Root-mean-square normalisation over the last axis: ``x / sqrt(mean(x**2) + eps) * weight``.

    >>> rn = RMSNorm(2)
    >>> np.round(np.asarray(rn(np.array([3.0, 4.0], np.float32))), 4)
    array([0.8485, 1.1314], dtype=float32)
    """

    def __init__(self, dims: int, eps: float = 1e-5):
        super().__init__()
        self.weight = new(np.ones(_positive(dims, "dims")))
        self.eps = _check_eps(eps, "RMSNorm")

    def _extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, eps={self.eps}"

    def __call__(self, x):
        scale = ops.sqrt(ops.mean(ops.square(x), axis=-1, keepdims=True) + self.eps)
        return ops.multiply(ops.divide(x, scale), self["weight"])


class Embedding(Module):
    """A lookup table: ``weight[x]`` for integer ``x``; ``weight`` starts normal with std ``sqrt(1/dims)``.

    >>> emb = Embedding(10, 3)
    >>> emb(np.array([[1, 2], [3, 4]])).shape
    (2, 2, 3)
    """

    def __init__(self, num_embeddings: int, dims: int):
        super().__init__()
        n, d = _positive(num_embeddings, "num_embeddings"), _positive(dims, "dims")
        self.weight = new(rng().normal(0.0, math.sqrt(1.0 / d), (n, d)))

    def _extra_repr(self) -> str:
        return f"{self.weight.shape[0]}, {self.weight.shape[1]}"

    def __call__(self, x):
        index = value(x)
        if index.dtype.kind not in "iu":
            raise TypeError(f"Embedding: x must hold integer indices; got dtype {index.dtype}")
        return self["weight"][index]

    def as_linear(self, x):
        """Use the table as a linear layer, ``x @ weight.T`` (for tied input/output embeddings).

        >>> Embedding(5, 3).as_linear(np.zeros((2, 3), np.float32)).shape
        (2, 5)
        """
        return ops.matmul(x, ops.transpose(self["weight"]))


# ---------------------------------------------------------------------------
# Convolutions: im2col with one gather, then matmul
# ---------------------------------------------------------------------------
def _pair(v, name: str) -> tuple[int, int]:
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v), int(v)
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(i, (int, np.integer)) for i in v):
        return int(v[0]), int(v[1])
    raise TypeError(f"{name} must be an int or a pair of ints; got {v!r}")


def _pad(x, axis: int, before: int, after: int):
    """Zeros added on both sides of ``axis`` (a concatenate, so the gradient flows through)."""
    if before == 0 and after == 0:
        return x
    shape = list(np.shape(value(x)))
    dtype = value(x).dtype
    parts = []
    if before:
        shape[axis] = before
        parts.append(np.zeros(shape, dtype))
    parts.append(x)
    if after:
        shape[axis] = after
        parts.append(np.zeros(shape, dtype))
    return ops.concatenate(parts, axis=axis)


def _window_index(size: int, kernel: int, stride: int, dilation: int, name: str) -> np.ndarray:
    """``index[o, k] = o * stride + k * dilation``: the input position read by output ``o`` and tap ``k``."""
    span = dilation * (kernel - 1) + 1
    count = (size - span) // stride + 1
    if count <= 0:
        raise ValueError(f"{name}: the (padded) input has size {size} along a spatial axis, smaller than the "
                         f"kernel's reach {span}")
    return np.arange(count)[:, None] * stride + np.arange(kernel)[None, :] * dilation


def _grouped_matmul(patches, weight, groups: int):
    """``patches (M, taps, C_in)`` times ``weight (C_out, taps, C_in/groups)`` -> ``(M, C_out)``."""
    m, taps, c_in = np.shape(value(patches))
    c_out = np.shape(value(weight))[0]
    if groups == 1:
        return ops.matmul(ops.reshape(patches, (m, taps * c_in)),
                          ops.transpose(ops.reshape(weight, (c_out, taps * c_in))))
    cg, og = c_in // groups, c_out // groups
    p = ops.transpose(ops.reshape(patches, (m, taps, groups, cg)), (2, 0, 1, 3))        # (G, M, taps, cg)
    w = ops.transpose(ops.reshape(weight, (groups, og, taps, cg)), (0, 2, 3, 1))        # (G, taps, cg, og)
    y = ops.matmul(ops.reshape(p, (groups, m, taps * cg)), ops.reshape(w, (groups, taps * cg, og)))  # (G, M, og)
    return ops.reshape(ops.transpose(y, (1, 0, 2)), (m, c_out))


def _check_channels(in_channels, out_channels, groups, name: str) -> tuple[int, int, int]:
    in_channels, out_channels = _positive(in_channels, "in_channels"), _positive(out_channels, "out_channels")
    groups = _positive(groups, "groups")
    if in_channels % groups or out_channels % groups:
        raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both be "
                         f"divisible by groups ({groups})")
    return in_channels, out_channels, groups


def _input(x, ndim: int, channels: int, name: str):
    x = ops.operand(x, "x")
    shape = np.shape(value(x))
    if len(shape) != ndim or shape[-1] != channels:
        layout = "(N, L, C)" if ndim == 3 else "(N, H, W, C)"
        raise ValueError(f"{name}: x must have shape {layout} with C = {channels} (channels last); got {shape}")
    return x


class Conv1d(Module):
    """1-D convolution of ``x (N, L, C_in)`` with ``weight (C_out, kernel_size, C_in/groups)``, channels last.

    >>> conv = Conv1d(2, 4, kernel_size=3, stride=2, padding=1)
    >>> conv.weight.shape
    (4, 3, 2)
    >>> conv(np.zeros((1, 7, 2), np.float32)).shape
    (1, 4, 4)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, padding: int = 0,
                 dilation: int = 1, groups: int = 1, bias: bool = True):
        super().__init__()
        in_channels, out_channels, groups = _check_channels(in_channels, out_channels, groups, "Conv1d")
        kernel_size = _positive(kernel_size, "kernel_size")
        scale = math.sqrt(1.0 / (in_channels // groups * kernel_size))
        self.weight = _uniform(scale, (out_channels, kernel_size, in_channels // groups))
        if bias:
            self.bias = new(np.zeros(out_channels))
        self.padding = int(padding)
        self.dilation = _positive(dilation, "dilation")
        self.stride = _positive(stride, "stride")
        self.groups = groups

    def _extra_repr(self) -> str:
        out_c, k, in_g = self.weight.shape
        return (f"{in_g * self.groups}, {out_c}, kernel_size={k}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, groups={self.groups}, bias={'bias' in self}")

    def __call__(self, x):
        out_c, k, in_g = self["weight"].shape
        x = _pad(_input(x, 3, in_g * self.groups, "Conv1d"), 1, self.padding, self.padding)
        n, length, c = np.shape(value(x))
        index = _window_index(length, k, self.stride, self.dilation, "Conv1d")         # (L_out, k)
        patches = x[:, index, :]                                                         # (N, L_out, k, C)
        y = _grouped_matmul(ops.reshape(patches, (n * index.shape[0], k, c)), self["weight"], self.groups)
        y = ops.reshape(y, (n, index.shape[0], out_c))
        return ops.add(y, self["bias"]) if "bias" in self else y


class Conv2d(Module):
    """2-D convolution of ``x (N, H, W, C_in)`` with ``weight (C_out, kh, kw, C_in/groups)``, channels last.

    ``kernel_size``, ``stride``, ``padding`` and ``dilation`` are ints or ``(h, w)`` pairs.

    >>> conv = Conv2d(1, 2, kernel_size=(3, 2))
    >>> conv(np.zeros((1, 5, 5, 1), np.float32)).shape
    (1, 3, 4, 2)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True):
        super().__init__()
        in_channels, out_channels, groups = _check_channels(in_channels, out_channels, groups, "Conv2d")
        kh, kw = _pair(kernel_size, "kernel_size")
        _positive(kh, "kernel_size"), _positive(kw, "kernel_size")
        scale = math.sqrt(1.0 / (in_channels // groups * kh * kw))
        self.weight = _uniform(scale, (out_channels, kh, kw, in_channels // groups))
        if bias:
            self.bias = new(np.zeros(out_channels))
        self.padding = _pair(padding, "padding")
        self.stride = _pair(stride, "stride")
        self.dilation = _pair(dilation, "dilation")
        self.groups = groups

    def _extra_repr(self) -> str:
        out_c, kh, kw, in_g = self.weight.shape
        return (f"{in_g * self.groups}, {out_c}, kernel_size={(kh, kw)}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, bias={'bias' in self}")

    def __call__(self, x):
        out_c, kh, kw, in_g = self["weight"].shape
        x = _input(x, 4, in_g * self.groups, "Conv2d")
        x = _pad(_pad(x, 1, self.padding[0], self.padding[0]), 2, self.padding[1], self.padding[1])
        n, h, w, c = np.shape(value(x))
        rows = _window_index(h, kh, self.stride[0], self.dilation[0], "Conv2d")       # (H_out, kh)
        cols = _window_index(w, kw, self.stride[1], self.dilation[1], "Conv2d")       # (W_out, kw)
        ho, wo = rows.shape[0], cols.shape[0]
        patches = x[:, rows[:, None, :, None], cols[None, :, None, :], :]              # (N, H_out, W_out, kh, kw, C)
        y = _grouped_matmul(ops.reshape(patches, (n * ho * wo, kh * kw, c)),
                            ops.reshape(self["weight"], (out_c, kh * kw, in_g)), self.groups)
        y = ops.reshape(y, (n, ho, wo, out_c))
        return ops.add(y, self["bias"]) if "bias" in self else y
