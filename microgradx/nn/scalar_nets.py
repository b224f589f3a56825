"""micrograd's nets on Scalars: :class:`Neuron`, :class:`Layer`, :class:`MLP` (same signatures).

Examples
--------
>>> model = MLP(2, [4, 1], seed=0)
>>> len(model.parameters())
17
"""

from __future__ import annotations

import operator
import random

from ..core.arguments import positive_int as _positive_int
from ..core.arguments import random_generator as _generator
from ..nodes import scalar_class as _scalar_class
from .module import Module, _sizes

__all__ = ["Neuron", "Layer", "MLP"]


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
        Weights are drawn uniformly from [-1, 1]; the bias starts at 0.
        None (the default) draws them exactly as micrograd does, one
        ``random.uniform(-1, 1)`` of Python's :mod:`random` per weight, so
        ``random.seed(1337)`` before building a net gives micrograd's own
        initial model.  An int or Generator draws them from numpy instead,
        reproducibly and without touching Python's generator.
    scalar_class : type, keyword-only
        Scalar type of the weights; default ``mgx.Scalar`` (the active
        backend's).  ``microgradx.nodes.scalar.Scalar`` gives the reference one.

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
        cls = _scalar_class() if scalar_class is None else scalar_class
        if not isinstance(cls, type):
            raise TypeError(f"scalar_class must be a Scalar class; got {type(cls).__name__}")
        if seed is None:  # micrograd's draw, from Python's generator
            self.w = [cls(random.uniform(-1, 1)) for _ in range(nin)]
        else:
            self.w = [cls(float(v)) for v in _generator(seed).uniform(-1.0, 1.0, nin)]
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
        if kwargs.get("seed") is not None:
            kwargs["seed"] = _generator(kwargs["seed"])
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
        None: micrograd's initialisation from Python's :mod:`random` (so
        ``random.seed`` reproduces micrograd's model); an int or Generator:
        reproducible numpy draws (see :class:`Neuron`).
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
        rng = None if seed is None else _generator(seed)
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
