"""Neural networks: micrograd-style Scalar nets, Tensor layers, losses.

Two families share one :class:`Module` base class:

* **Scalar nets** with micrograd's signatures: :class:`Neuron`, :class:`Layer`,
  :class:`MLP`.  Every weight is a :class:`~microgradx.Scalar`; code written
  for ``micrograd.nn`` runs unchanged.
* **Tensor layers**: :class:`Linear`, :class:`Sequential`, the activations
  :class:`ReLU`, :class:`Tanh`, :class:`Sigmoid`, and :class:`TensorMLP` (the
  Tensor twin of ``MLP``; a different name so that ``MLP`` keeps micrograd's
  meaning).  Losses: :func:`mse_loss`, :func:`cross_entropy`.

How a module finds its parameters
---------------------------------
Every :class:`~microgradx.Tensor` or Scalar stored in a public attribute
(a name not starting with ``_``) is a parameter, and so is every one inside
sub-modules, lists, tuples and dicts held in public attributes, in the order
the attributes were assigned.  ``parameters()`` lists them (each object once),
``named_parameters()`` names them with dotted paths (``"layers.0.weight"``)
and ``parameter_tree()`` gives them as nested dicts and lists, the tree shape
``mgx.value_and_grad`` and MLX use.  There is no ``__getattr__`` magic: a
typo in an attribute name is an ``AttributeError``.

Two ways to train
-----------------
Eager, as in micrograd and PyTorch::

    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()             # opt = mgx.optim.SGD(model.parameters(), lr=0.1)
    opt.zero_grad()

Functional, as in MLX::

    def loss_of(params, x, y):
        return loss_fn(nn.functional_call(model, params, x), y)

    loss, grads = mgx.value_and_grad(loss_of)(model.parameter_tree(), x, y)
    opt.step(grads)        # grads has the shape of parameter_tree()

:func:`functional_call` runs the model with the parameters of a tree swapped
in for one call; :func:`value_and_grad` wraps that pattern the way
``mlx.nn.value_and_grad`` does; :meth:`Module.load_parameters` copies the
values of a tree (or a ``{dotted name: array}`` dict) into the model.

Examples
--------
>>> import microgradx as mgx
>>> from microgradx import nn
>>> model = nn.MLP(2, [16, 16, 1], seed=0)
>>> len(model.parameters())        # the same count as micrograd's
337
>>> out = model([2.0, 3.0])
>>> type(out).__name__
'Scalar'
"""

from __future__ import annotations

import contextlib
import functools
import operator
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from . import _backend, ops
from .datasets import _generator, _positive_int
from .dispatch import raw_value
from .scalar import Scalar as _ReferenceScalar
from .tensor import Tensor

__all__ = [
    "Module", "Neuron", "Layer", "MLP",
    "Linear", "Sequential", "ReLU", "Tanh", "Sigmoid", "TensorMLP",
    "mse_loss", "cross_entropy",
    "functional_call", "value_and_grad",
]

# MLX's nn has the activations as functions too; they are mgx.relu, mgx.tanh and mgx.sigmoid.
relu = ops.relu
tanh = ops.tanh
sigmoid = ops.sigmoid


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def _is_parameter(x) -> bool:
    """True for the objects a module treats as parameters: Tensors and Scalars (either backend)."""
    return isinstance(x, (Tensor, _ReferenceScalar, _backend.scalar_class()))


def _sizes(nouts, name: str = "nouts") -> list[int]:
    if isinstance(nouts, (int, np.integer)) or not isinstance(nouts, Sequence) or isinstance(nouts, str):
        raise TypeError(f"{name} must be a list of layer sizes, e.g. [16, 16, 1]; got {type(nouts).__name__}")
    if len(nouts) == 0:
        raise ValueError(f"{name} must name at least one layer size")
    return [_positive_int(n, f"{name}[{i}]") for i, n in enumerate(nouts)]


def _public_attributes(module) -> list:
    return [(k, v) for k, v in getattr(module, "__dict__", {}).items() if not k.startswith("_")]


def _subtree(obj, seen: set):
    """The parameter tree under ``obj``, or None when it holds no (new) parameter.

    ``seen`` holds the ids of parameters and modules already placed, so a
    shared parameter appears once (where it was met first) and a module that
    refers back to its parent does not loop.
    """
    if _is_parameter(obj):
        if id(obj) in seen:
            return None
        seen.add(id(obj))
        return obj
    if isinstance(obj, Module):
        if id(obj) in seen:
            return None
        seen.add(id(obj))
        tree = {}
        for key, value in _public_attributes(obj):
            sub = _subtree(value, seen)
            if sub is not None:
                tree[key] = sub
        return tree or None
    if isinstance(obj, (list, tuple)):
        subs = [_subtree(v, seen) for v in obj]
        if all(s is None for s in subs):
            return None
        return [{} if s is None else s for s in subs]  # {} keeps list positions for parameterless items
    if isinstance(obj, dict):
        tree = {}
        for key, value in obj.items():
            sub = _subtree(value, seen)
            if sub is not None:
                tree[key] = sub
        return tree or None
    return None


def _flatten_named(tree, prefix: str = "") -> Iterator[tuple[str, object]]:
    """Yield ``(dotted name, leaf)`` for the leaves of a tree of dicts, lists and tuples, in tree order.

    A dict key may itself contain dots, so ``{"layers.0.weight": w}`` and
    ``{"layers": [{"weight": w}]}`` flatten to the same name.
    """
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _flatten_named(value, f"{prefix}{key}.")
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from _flatten_named(value, f"{prefix}{i}.")
    else:
        yield prefix[:-1], tree


def _places(obj, seen: set) -> Iterator[tuple[object, object, object]]:
    """Yield ``(container, key, parameter)`` for every place a parameter is stored (all occurrences)."""
    if isinstance(obj, Module):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        for key, value in _public_attributes(obj):
            if _is_parameter(value):
                yield obj, key, value
            else:
                yield from _places(value, seen)
    elif isinstance(obj, (list, tuple, dict)):
        items = obj.items() if isinstance(obj, dict) else enumerate(obj)
        for key, value in items:
            if _is_parameter(value):
                yield obj, key, value
            else:
                yield from _places(value, seen)


def _put(container, key, value) -> None:
    if isinstance(container, Module):
        object.__setattr__(container, key, value)
    elif isinstance(container, tuple):
        raise TypeError(
            "cannot swap a parameter stored inside a tuple; keep parameters in module attributes, lists or dicts"
        )
    else:
        container[key] = value


def _matched(module: Module, tree, what: str) -> list[tuple[str, object, object]]:
    """Pair the module's named parameters with the leaves of ``tree``: ``[(name, parameter, new)]``."""
    if not isinstance(tree, (dict, list, tuple)):
        raise TypeError(f"{what}: params must be a dict/list tree of parameters; got {type(tree).__name__}")
    given = dict(_flatten_named(tree))
    own = module.named_parameters()
    names = {name for name, _ in own}
    missing = [name for name, _ in own if name not in given]
    unexpected = [name for name in given if name not in names]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {missing[:5]}{' ...' if len(missing) > 5 else ''}")
        if unexpected:
            parts.append(f"unexpected {unexpected[:5]}{' ...' if len(unexpected) > 5 else ''}")
        raise ValueError(f"{what}: params do not match the parameters of {type(module).__name__}: {'; '.join(parts)}")
    out = []
    for name, param in own:
        new = given[name]
        want, got = np.shape(raw_value(param)), np.shape(raw_value(new))
        if want != got:
            raise ValueError(f"{what}: parameter {name!r} has shape {want}; params gives shape {got}")
        out.append((name, param, new))
    return out


# ---------------------------------------------------------------------------
# Module
# ---------------------------------------------------------------------------
class Module:
    """Base class of every layer and network.

    A subclass stores its parameters (Tensors or Scalars) and sub-modules in
    public attributes and defines ``forward`` (or ``__call__``, as micrograd
    modules do).  See the module docstring for how parameters are found.

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> class Affine(nn.Module):
    ...     def __init__(self):
    ...         self.scale = mgx.Tensor([2.0])
    ...         self.shift = mgx.Tensor([0.5])
    ...     def forward(self, x):
    ...         return self.scale * x + self.shift
    >>> m = Affine()
    >>> [name for name, _ in m.named_parameters()]
    ['scale', 'shift']
    >>> m(mgx.Tensor([1.0]))
    Tensor([2.5])
    """

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        """Compute the module's output (subclasses define this).

        >>> from microgradx import nn
        >>> nn.Module().forward()
        Traceback (most recent call last):
        ...
        NotImplementedError: Module defines no forward(); subclasses implement forward() or __call__()
        """
        raise NotImplementedError(
            f"{type(self).__name__} defines no forward(); subclasses implement forward() or __call__()"
        )

    def parameter_tree(self) -> dict:
        """The parameters as nested dicts (modules, dicts) and lists (lists, tuples).

        This is the tree to pass to ``mgx.value_and_grad``; the gradients come
        back in the same shape.  A list keeps its length: a parameterless item
        (an activation) is ``{}``.  Flattening the tree gives ``parameters()``
        in the same order.

        Examples
        --------
        >>> from microgradx import nn
        >>> tree = nn.TensorMLP(2, [3, 1], seed=0).parameter_tree()
        >>> [sorted(layer) for layer in tree["layers"]]
        [['bias', 'weight'], ['bias', 'weight']]
        """
        return _subtree(self, set()) or {}

    def named_parameters(self) -> list[tuple[str, object]]:
        """``(dotted name, parameter)`` pairs, each parameter once, in attribute order.

        Examples
        --------
        >>> from microgradx import nn
        >>> [name for name, _ in nn.Linear(2, 3, seed=0).named_parameters()]
        ['weight', 'bias']
        >>> nn.Neuron(2, seed=0).named_parameters()[0][0]
        'w.0'
        """
        return list(_flatten_named(self.parameter_tree()))

    def parameters(self) -> list:
        """All parameters (Tensors or Scalars), each once, in attribute order.

        For the Scalar nets the order is micrograd's: each neuron's weights,
        then its bias, neuron after neuron, layer after layer.

        Examples
        --------
        >>> from microgradx import nn
        >>> len(nn.MLP(2, [16, 16, 1], seed=0).parameters())
        337
        """
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """The number of trainable numbers (a Tensor of shape (3, 2) counts 6).

        Examples
        --------
        >>> from microgradx import nn
        >>> nn.TensorMLP(2, [16, 16, 1], seed=0).num_parameters()
        337
        """
        return sum(int(np.size(raw_value(p))) for p in self.parameters())

    def zero_grad(self) -> None:
        """Reset every parameter's gradient (Scalars to 0.0, Tensors to None).

        Call it between training steps: ``backward()`` accumulates.

        Examples
        --------
        >>> from microgradx import nn
        >>> n = nn.Neuron(2, nonlin=False, seed=0)
        >>> n([1.0, 2.0]).backward()
        >>> n.b.grad
        1.0
        >>> n.zero_grad(); n.b.grad
        0.0
        """
        for p in self.parameters():
            p.zero_grad()

    def load_parameters(self, params) -> None:
        """Copy the values in ``params`` into this module's parameters, in place.

        Parameters
        ----------
        params : dict or list
            A tree shaped like :meth:`parameter_tree` (e.g. the result of a
            functional update) or a flat ``{dotted name: value}`` dict (e.g.
            loaded with ``np.load``).  Leaves may be Tensors, Scalars, ndarrays
            or numbers.  Every parameter must be given, with its shape.

        The parameter objects stay the same (an optimizer that holds them
        keeps working); only their values change.

        Examples
        --------
        >>> import numpy as np
        >>> from microgradx import nn
        >>> layer = nn.Linear(2, 1, seed=0)
        >>> layer.load_parameters({"weight": np.array([[1.0, 2.0]]), "bias": np.array([0.5])})
        >>> layer.weight
        Tensor([[1., 2.]])
        """
        for name, param, new in _matched(self, params, "load_parameters"):
            value = np.asarray(raw_value(new))
            if value.dtype.kind not in "biuf":
                raise TypeError(f"load_parameters: {name!r} must be numbers; got dtype {value.dtype}")
            if isinstance(param, Tensor):
                np.copyto(param.data, value, casting="same_kind")
                param._bump_version()  # graphs recorded before saved the old values
            else:
                param.data = float(value)

    def __repr__(self) -> str:
        parts = [f"{k}={v!r}" for k, v in _public_attributes(self) if not _is_parameter(v)]
        return f"{type(self).__name__}({', '.join(parts)})"


# ---------------------------------------------------------------------------
# Scalar nets (micrograd's Neuron, Layer, MLP)
# ---------------------------------------------------------------------------
class Neuron(Module):
    """One neuron on Scalars: ``relu(w · x + b)`` (or without the relu).

    Parameters
    ----------
    nin : int
        Number of inputs.
    nonlin : bool, default True
        Apply relu (False: a linear neuron, as micrograd's last layer).
    seed : None, int or numpy.random.Generator, keyword-only
        Weights are drawn uniformly from [-1, 1) as in micrograd; the bias
        starts at 0.  Pass a seed or Generator for a reproducible net
        (None: a fresh random one each time).
    scalar_class : type, keyword-only
        Scalar type of the weights; default ``mgx.Scalar`` (the active
        backend's).  ``microgradx.scalar.Scalar`` gives the reference one.

    Examples
    --------
    >>> from microgradx import nn
    >>> n = nn.Neuron(3, seed=0)
    >>> n
    ReLUNeuron(3)
    >>> len(n.parameters())
    4
    >>> n([1.0, -2.0, 0.5]).data >= 0.0
    True
    """

    def __init__(self, nin: int, nonlin: bool = True, *, seed=None, scalar_class: type | None = None):
        nin = _positive_int(nin, "nin")
        cls = _backend.scalar_class() if scalar_class is None else scalar_class
        if not isinstance(cls, type):
            raise TypeError(f"scalar_class must be a Scalar class; got {type(cls).__name__}")
        rng = _generator(seed)
        self.w = [cls(float(v)) for v in rng.uniform(-1.0, 1.0, nin)]
        self.b = cls(0.0)
        self.nonlin = bool(nonlin)

    def forward(self, x):
        """``sum(w_i * x_i) + b``, then relu if ``nonlin``; ``x`` is a sequence of Scalars or numbers.

        >>> from microgradx import nn
        >>> nn.Neuron(2, nonlin=False, seed=0)([0.0, 0.0]).data
        0.0
        """
        if len(x) != len(self.w):
            raise ValueError(f"Neuron({len(self.w)}) got {len(x)} inputs; expected {len(self.w)}")
        act = sum(map(operator.mul, self.w, x), self.b)  # b + w0*x0 + w1*x1 + ..., micrograd's graph
        return act.relu() if self.nonlin else act

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons that all read the same inputs.

    Parameters
    ----------
    nin, nout : int
        Inputs per neuron; number of neurons.
    **kwargs
        Passed to every :class:`Neuron` (``nonlin``, ``seed``, ``scalar_class``).
        One Generator made from ``seed`` is shared, so the neurons differ.

    Returns (when called) one Scalar if ``nout == 1``, else a list, as micrograd.

    Examples
    --------
    >>> from microgradx import nn
    >>> layer = nn.Layer(2, 3, seed=0)
    >>> len(layer([1.0, 2.0]))
    3
    >>> layer
    Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)]
    """

    def __init__(self, nin: int, nout: int, **kwargs):
        nout = _positive_int(nout, "nout")
        kwargs["seed"] = _generator(kwargs.get("seed"))
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def forward(self, x):
        """Each neuron's output (a single Scalar when there is one neuron).

        >>> from microgradx import nn
        >>> type(nn.Layer(2, 1, seed=0)([1.0, 2.0])).__name__
        'Scalar'
        """
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """A multi-layer perceptron on Scalars (micrograd's ``MLP``): relu layers, then a linear one.

    Parameters
    ----------
    nin : int
        Number of inputs.
    nouts : list of int
        Layer sizes; the last layer has no relu.
    seed : None, int or numpy.random.Generator, keyword-only
        Reproducible initialisation (see :class:`Neuron`).
    scalar_class : type, keyword-only
        Scalar type of the weights (default: the active backend's ``mgx.Scalar``).

    Examples
    --------
    >>> from microgradx import nn
    >>> model = nn.MLP(2, [16, 16, 1], seed=1337)
    >>> len(model.parameters())
    337
    >>> score = model([0.5, -1.0])
    >>> score.backward()
    >>> len(model.layers)
    3
    """

    def __init__(self, nin: int, nouts: list[int], *, seed=None, scalar_class: type | None = None):
        sizes = [_positive_int(nin, "nin")] + _sizes(nouts)
        rng = _generator(seed)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1, seed=rng, scalar_class=scalar_class)
            for i in range(len(nouts))
        ]

    def forward(self, x):
        """Run the layers in turn.

        >>> from microgradx import nn
        >>> len(nn.MLP(3, [4, 2], seed=0)([1.0, 2.0, 3.0]))
        2
        """
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


# ---------------------------------------------------------------------------
# Tensor layers
# ---------------------------------------------------------------------------
class Linear(Module):
    """Affine map on Tensors: ``y = x @ weight.T + bias``.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the last input and output dimension.
    bias : bool, default True
        Add a learned bias.
    dtype : numpy dtype, default float64
        dtype of the parameters (float32 or float64).  numpy's promotion
        rules apply: feed float32 inputs to a float32 layer to stay in float32.
    seed : None, int or numpy.random.Generator, keyword-only
        Weight and bias start uniform in ``[-k, k]`` with ``k = 1/sqrt(in_features)``
        (PyTorch's and MLX's default).

    Attributes
    ----------
    weight : Tensor
        Shape ``(out_features, in_features)``, as in PyTorch and MLX.
    bias : Tensor or None
        Shape ``(out_features,)``.

    Examples
    --------
    >>> import numpy as np
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> layer = nn.Linear(3, 2, seed=0)
    >>> layer(mgx.zeros((5, 3))).shape
    (5, 2)
    >>> layer.weight.shape, layer.bias.shape
    ((2, 3), (2,))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=np.float64, *, seed=None):
        self.in_features = _positive_int(in_features, "in_features")
        self.out_features = _positive_int(out_features, "out_features")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"dtype must be a floating dtype (float32 or float64); got {dtype}")
        rng = _generator(seed)
        k = 1.0 / np.sqrt(self.in_features)
        self.weight = Tensor(rng.uniform(-k, k, (self.out_features, self.in_features)).astype(dtype))
        self.bias = Tensor(rng.uniform(-k, k, self.out_features).astype(dtype)) if bias else None

    def forward(self, x):
        """``x @ weight.T + bias`` for ``x`` of shape ``(..., in_features)``.

        >>> import microgradx as mgx
        >>> from microgradx import nn
        >>> nn.Linear(2, 4, seed=0)(mgx.ones(2)).shape
        (4,)
        """
        shape = np.shape(raw_value(ops.operand(x, "x")))
        if len(shape) == 0 or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}) got an input of shape {shape}; "
                f"its last dimension must be {self.in_features}"
            )
        y = ops.matmul(x, self.weight.T)
        return y if self.bias is None else y + self.bias

    def __repr__(self) -> str:
        dtype = np.asarray(raw_value(self.weight)).dtype
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, dtype={dtype})")


class ReLU(Module):
    """The activation ``max(x, 0)`` as a module (for :class:`Sequential`).

    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> nn.ReLU()(mgx.array([-1.0, 2.0]))
    Tensor([0., 2.])
    """

    def forward(self, x):
        """``mgx.relu(x)``.

        >>> from microgradx import nn
        >>> nn.ReLU().forward(-1.0)
        Tensor(0.)
        """
        return ops.relu(x)


class Tanh(Module):
    """The activation ``tanh(x)`` as a module.

    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> nn.Tanh()(mgx.array([0.0]))
    Tensor([0.])
    """

    def forward(self, x):
        """``mgx.tanh(x)``.

        >>> from microgradx import nn
        >>> nn.Tanh().forward(0.0)
        Tensor(0.)
        """
        return ops.tanh(x)


class Sigmoid(Module):
    """The activation ``1 / (1 + exp(-x))`` as a module.

    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> nn.Sigmoid()(mgx.array([0.0]))
    Tensor([0.5])
    """

    def forward(self, x):
        """``mgx.sigmoid(x)``.

        >>> from microgradx import nn
        >>> nn.Sigmoid().forward(0.0)
        Tensor(0.5)
        """
        return ops.sigmoid(x)


class Sequential(Module):
    """Apply modules (or any callables) one after the other.

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> net = nn.Sequential(nn.Linear(2, 8, seed=0), nn.Tanh(), nn.Linear(8, 1, seed=1))
    >>> net(mgx.zeros((4, 2))).shape
    (4, 1)
    >>> [name for name, _ in net.named_parameters()]
    ['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']
    """

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(f"Sequential: layer {i} must be a Module or a callable; got {type(layer).__name__}")
        self.layers = list(layers)

    def forward(self, x):
        """Feed ``x`` through every layer in order.

        >>> from microgradx import nn
        >>> nn.Sequential(lambda v: v * 2, lambda v: v + 1)(3.0)
        7.0
        """
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) if isinstance(layer, Module) else getattr(layer, "__name__", repr(layer))
                          for layer in self.layers)
        return f"Sequential({inner})"


_ACTIVATIONS = {"relu": ops.relu, "tanh": ops.tanh, "sigmoid": ops.sigmoid}


class TensorMLP(Module):
    """A multi-layer perceptron on Tensors: :class:`Linear` layers with an activation between them.

    The Tensor twin of :class:`MLP` with the same ``(nin, nouts)`` signature:
    the last layer has no activation.  It works on a whole batch at once
    (inputs of shape ``(batch, nin)``).

    Parameters
    ----------
    nin : int
        Input features.
    nouts : list of int
        Layer sizes.
    activation : {"relu", "tanh", "sigmoid"} or callable, default "relu"
        Applied after every layer but the last.
    dtype : numpy dtype, default float64
        dtype of the parameters.
    seed : None, int or numpy.random.Generator, keyword-only
        Reproducible initialisation (see :class:`Linear`).

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> model = nn.TensorMLP(64, [64, 10], activation="tanh", seed=0)
    >>> model(mgx.zeros((32, 64))).shape
    (32, 10)
    >>> model.num_parameters()
    4810
    """

    def __init__(self, nin: int, nouts: list[int], activation="relu", dtype=np.float64, *, seed=None):
        sizes = [_positive_int(nin, "nin")] + _sizes(nouts)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)} or a callable; got {activation!r}")
        elif not callable(activation):
            raise TypeError(f"activation must be a name or a callable; got {type(activation).__name__}")
        rng = _generator(seed)
        self.activation = activation
        self.layers = [Linear(sizes[i], sizes[i + 1], dtype=dtype, seed=rng) for i in range(len(nouts))]

    def forward(self, x):
        """Linear, activation, ..., Linear.

        >>> import microgradx as mgx
        >>> from microgradx import nn
        >>> nn.TensorMLP(3, [5, 2], seed=0)(mgx.ones((4, 3))).shape
        (4, 2)
        """
        act = _ACTIVATIONS[self.activation] if isinstance(self.activation, str) else self.activation
        for layer in self.layers[:-1]:
            x = act(layer(x))
        return self.layers[-1](x)

    def __repr__(self) -> str:
        sizes = [self.layers[0].in_features] + [layer.out_features for layer in self.layers]
        name = self.activation if isinstance(self.activation, str) else getattr(self.activation, "__name__", "?")
        return f"TensorMLP({sizes[0]}, {sizes[1:]}, activation={name!r})"


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
    ps, ts = np.shape(raw_value(predictions)), np.shape(raw_value(targets))
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
    shape = np.shape(raw_value(logits))
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


# ---------------------------------------------------------------------------
# Functional use (MLX style)
# ---------------------------------------------------------------------------
@contextlib.contextmanager
def _swapped(module: Module, params, what: str):
    """Temporarily put the leaves of ``params`` where the module keeps its parameters."""
    replacement = {id(param): new for _, param, new in _matched(module, params, what)}
    places = [(c, k, p) for c, k, p in _places(module, set()) if id(p) in replacement]
    done = []
    try:
        for container, key, param in places:
            _put(container, key, replacement[id(param)])
            done.append((container, key, param))
        yield
    finally:
        for container, key, param in reversed(done):
            _put(container, key, param)


def functional_call(module: Module, params, *args, **kwargs):
    """Call ``module(*args, **kwargs)`` with the parameters in ``params`` instead of its own.

    The module's own parameters are put back afterwards (also on error), so
    the same model object serves both training styles.  This is how a loss
    written for ``mgx.value_and_grad`` sees the parameters it differentiates.

    Parameters
    ----------
    module : Module
    params : dict or list
        A tree shaped like ``module.parameter_tree()`` (or a flat
        ``{dotted name: value}`` dict); leaves of the same shapes.

    Examples
    --------
    >>> import numpy as np
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> layer = nn.Linear(2, 1, seed=0)
    >>> params = {"weight": mgx.array([[1.0, 1.0]]), "bias": mgx.array([0.0])}
    >>> nn.functional_call(layer, params, mgx.array([2.0, 3.0]))
    Tensor([5.])
    >>> layer.weight is layer.parameters()[0]     # its own weight is back
    True
    """
    if not isinstance(module, Module):
        raise TypeError(f"functional_call: module must be an nn.Module; got {type(module).__name__}")
    with _swapped(module, params, "functional_call"):
        return module(*args, **kwargs)


def value_and_grad(model: Module, fn: Callable) -> Callable:
    """MLX's ``nn.value_and_grad``: differentiate ``fn`` with respect to ``model``'s parameters.

    Returns a function taking ``fn``'s arguments and returning
    ``(fn(*args), grads)``; ``grads`` has the shape of
    ``model.parameter_tree()`` and can go straight to ``optimizer.step(grads)``.
    Inside ``fn``, call the model as usual: its parameters are swapped for
    the differentiated ones during the call.  Built on ``mgx.value_and_grad``.

    Examples
    --------
    >>> import microgradx as mgx
    >>> from microgradx import nn
    >>> model = nn.Linear(1, 1, seed=0)
    >>> x, y = mgx.array([[1.0], [2.0]]), mgx.array([[2.0], [4.0]])
    >>> loss_and_grad = nn.value_and_grad(model, lambda x, y: nn.mse_loss(model(x), y))
    >>> loss, grads = loss_and_grad(x, y)
    >>> sorted(grads), grads["weight"].shape
    (['bias', 'weight'], (1, 1))
    """
    if not isinstance(model, Module):
        raise TypeError(f"value_and_grad: model must be an nn.Module; got {type(model).__name__}")
    if not callable(fn):
        raise TypeError(f"value_and_grad: fn must be callable; got {type(fn).__name__}")
    from .transforms import value_and_grad as _value_and_grad

    def with_params(params, *args, **kwargs):
        with _swapped(model, params, "value_and_grad"):
            return fn(*args, **kwargs)

    differentiated = _value_and_grad(with_params)

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        return differentiated(model.parameter_tree(), *args, **kwargs)

    return wrapped
