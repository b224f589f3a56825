"""The :class:`Module` base class: how a model finds, names, swaps and loads its parameters.

Every Tensor or Scalar stored in a public attribute (a name not starting with ``_``) is a
parameter, and so is every one inside sub-modules, lists, tuples and dicts held in public
attributes, in the order the attributes were assigned (see :mod:`microgradx.nn`).

Examples
--------
>>> import microgradx as mgx
>>> class Scale(Module):
...     def __init__(self):
...         self.factor = mgx.Tensor(2.0)
>>> Scale().named_parameters()[0][0]
'factor'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ..core.arguments import positive_int as _positive_int
from ..core.dispatch import raw_value
from ..nodes import ReferenceScalar as _ReferenceScalar
from ..nodes import scalar_class as _scalar_class
from ..nodes.tensor import Tensor
from ..tree import tree_flatten

__all__ = ["Module", "is_parameter"]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def is_parameter(x) -> bool:
    """True for the objects a module treats as parameters: Tensors and Scalars (either backend).

    >>> import microgradx as mgx
    >>> is_parameter(mgx.Tensor(1.0)), is_parameter(1.0)
    (True, False)
    """
    return isinstance(x, (Tensor, _ReferenceScalar, _scalar_class()))


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
    if is_parameter(obj):
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


def _places(obj, seen: set) -> Iterator[tuple[object, object, object]]:
    """Yield ``(container, key, parameter)`` for every place a parameter is stored (all occurrences)."""
    if isinstance(obj, Module):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        for key, value in _public_attributes(obj):
            if is_parameter(value):
                yield obj, key, value
            else:
                yield from _places(value, seen)
    elif isinstance(obj, (list, tuple, dict)):
        items = obj.items() if isinstance(obj, dict) else enumerate(obj)
        for key, value in items:
            if is_parameter(value):
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
    given = dict(tree_flatten(tree))
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
        return tree_flatten(self.parameter_tree())

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
        parts = [f"{k}={v!r}" for k, v in _public_attributes(self) if not is_parameter(v)]
        return f"{type(self).__name__}({', '.join(parts)})"
