"""``Module``: MLX's model container, a ``dict`` of arrays, sub-modules, lists and dicts.

An MLX module *is* a dictionary.  Setting an attribute whose value is an array, a dict, a list or a
tuple stores it as a dict entry (``model["weight"]`` and ``model.weight`` are the same object);
anything else (ints, strings, callables) is an ordinary attribute.  Because the state is a tree of
dicts and lists, everything the transforms do with trees works on a model directly:

* :meth:`Module.parameters` is the nested dict of every array whose key does not start with ``_``;
  :meth:`Module.trainable_parameters` leaves out the frozen ones (:meth:`Module.freeze`);
* :meth:`Module.update` puts a tree of new arrays back (an optimizer's step, or the tracers of
  ``nn.value_and_grad``);
* :meth:`Module.children`, :meth:`Module.leaf_modules`, :meth:`Module.named_modules` and
  :meth:`Module.apply_to_modules` walk the sub-modules.

Examples
--------
>>> import microgradx.mlx.nn as nn
>>> model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
>>> list(model.parameters()["layers"][0])
['weight', 'bias']
>>> model.parameters()["layers"][1]
{}
>>> [name for name, _ in model.named_modules()]
['', 'layers.2', 'layers.1', 'layers.0']
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np

from ...tree import tree_flatten, tree_unflatten
from ._array import is_array, new, value

__all__ = ["Module"]


def _leaf_default(module, key, v) -> bool:
    return not isinstance(v, (Module, dict, list))


def _unwrap(owner, key, v, keep, map_fn, is_leaf):
    """One step of :meth:`Module.filter_and_map`: a leaf is mapped; containers are walked.

    Inside a plain dict or list the key passed to ``keep`` is the dotted path from the owning
    module (``"layers.0"``), so a filter can say "no key starting with ``_``" at every depth.
    """
    if is_leaf(owner, key, v):
        return map_fn(v)
    if isinstance(v, Module):
        return {k: _unwrap(v, k, c, keep, map_fn, is_leaf) for k, c in v.items() if keep(v, k, c)}
    if isinstance(v, dict):
        return {k: _unwrap(owner, f"{key}.{k}", c, keep, map_fn, is_leaf) if keep(owner, f"{key}.{k}", c) else {}
                for k, c in v.items()}
    if isinstance(v, list):
        return [_unwrap(owner, f"{key}.{i}", c, keep, map_fn, is_leaf) if keep(owner, f"{key}.{i}", c) else {}
                for i, c in enumerate(v)]
    raise RuntimeError("Unexpected leaf found while traversing the module")


def _is_array_place(current, v, strict: bool) -> bool:
    """``update``'s filter: an array in the module is replaced by the new tree's array."""
    if not is_array(current):
        return False
    if strict and not is_array(v):
        raise ValueError(f"Received invalid type: {type(v).__name__}.")
    return True


def _is_module_place(current, v, strict: bool) -> bool:
    """``update_modules``' filter: a sub-module is replaced by the new tree's module."""
    return isinstance(current, Module) and isinstance(v, Module)


def _put(dst, new_tree, strict: bool, is_place: Callable, noun: str) -> None:
    """Write ``new_tree`` into the matching places of ``dst`` (a module, dict or list).

    One walk for :meth:`Module.update` and :meth:`Module.update_modules`; ``is_place(current, new, strict)``
    says where a value is written (an array, or a sub-module) -- elsewhere containers are walked into.
    """
    if isinstance(new_tree, dict):
        for k in new_tree:
            if k not in dst and strict:
                raise ValueError(f'Module does not have {noun} named "{k}".')
        places = [(k, v) for k, v in new_tree.items() if k in dst]
    elif isinstance(new_tree, list):
        if strict and len(new_tree) > len(dst):
            raise ValueError(f"List index {len(dst)} is out of bounds for destination of length {len(dst)}.")
        places = list(enumerate(new_tree))[:len(dst)]
    else:
        if strict:
            raise ValueError(f"Received invalid type: {type(new_tree).__name__}.")
        return
    for k, v in places:
        current = dst[k]
        if is_place(current, v, strict):
            dst[k] = v
        elif isinstance(current, (dict, list)):
            _put(current, v, strict, is_place, noun)
        elif strict and v != {}:
            raise ValueError(f"Received invalid type: {type(v).__name__}.")


class Module(dict):
    """Base class of MLX-style layers and models: a dict of arrays, sub-modules, lists and dicts.

    Subclasses call ``super().__init__()`` and define ``__call__``.  Arrays (and dicts, lists,
    tuples) assigned as attributes become dict entries and so parameters; other values stay
    ordinary attributes.  A key starting with ``_`` is kept but is not a parameter.

    Examples
    --------
    >>> import microgradx.mlx.nn as nn
    >>> from microgradx.mlx.nn._array import new
    >>> class Affine(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.scale = new([2.0])
    ...         self.name = "affine"          # not an array: a plain attribute
    ...     def __call__(self, x):
    ...         return self.scale * x
    >>> m = Affine()
    >>> list(m.keys()), m.name
    (['scale'], 'affine')
    >>> m(3.0)
    Tensor([6.], dtype=float32)
    """

    def __init__(self):
        object.__setattr__(self, "_no_grad", set())
        object.__setattr__(self, "_training", True)

    # -- attribute access: arrays and containers live in the dict ----------------------------
    def __getattr__(self, key: str):
        value = self.get(key, None)
        if value is not None:
            return value
        return object.__getattribute__(self, key)  # raises AttributeError with Python's message

    def __setattr__(self, key: str, val: Any) -> None:
        if is_array(val) or isinstance(val, (dict, list, tuple)):
            if key not in self and key in self.__dict__:
                object.__delattr__(self, key)
            self[key] = val
        else:
            object.__setattr__(self, key, val)
            self.pop(key, None)

    def __delattr__(self, key: str) -> None:
        if self.get(key, None) is not None:
            del self[key]
        else:
            object.__delattr__(self, key)

    @property
    def training(self) -> bool:
        """True in training mode (the default); ``eval()`` turns it off (Dropout becomes the identity).

        >>> import microgradx.mlx.nn as nn
        >>> nn.Dropout().eval().training
        False
        """
        return self._training

    @property
    def state(self) -> Module:
        """The module itself: its dict is its state (changes to it change the module).

        >>> import microgradx.mlx.nn as nn
        >>> m = nn.Linear(2, 2)
        >>> m.state is m
        True
        """
        return self

    # -- printing -------------------------------------------------------------------------------
    def _extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = tree_flatten(self.children(), is_leaf=self.is_module)
        text = f"{type(self).__name__}({self._extra_repr()}"
        for k, v in children:
            text += "\n" + textwrap.indent(f"({k}): {v!r}", "  ")
        return text + ("\n)" if children else ")")

    # -- filters ----------------------------------------------------------------------------------
    @staticmethod
    def is_module(value) -> bool:
        """True for a :class:`Module`.

        >>> import microgradx.mlx.nn as nn
        >>> nn.Module.is_module(nn.ReLU()), nn.Module.is_module({})
        (True, False)
        """
        return isinstance(value, Module)

    @staticmethod
    def valid_child_filter(module, key, value) -> bool:
        """Keep dicts and lists (where sub-modules can live).

        >>> Module.valid_child_filter(None, "layers", [])
        True
        """
        return isinstance(value, (dict, list))

    @staticmethod
    def valid_parameter_filter(module, key, value) -> bool:
        """Keep arrays, dicts and lists under keys that do not start with ``_``.

        >>> Module.valid_parameter_filter(None, "_cache", [])
        False
        """
        return (is_array(value) or isinstance(value, (dict, list))) and not key.startswith("_")

    @staticmethod
    def trainable_parameter_filter(module, key, value) -> bool:
        """:meth:`valid_parameter_filter`, and the key is not frozen in ``module``.

        >>> import microgradx.mlx.nn as nn
        >>> m = nn.Linear(2, 2).freeze(keys="bias")
        >>> Module.trainable_parameter_filter(m, "bias", m.bias)
        False
        """
        return Module.valid_parameter_filter(module, key, value) and key not in module._no_grad

    def filter_and_map(self, filter_fn: Callable, map_fn: Callable | None = None,
                       is_leaf_fn: Callable | None = None) -> dict:
        """The module's contents, recursively kept by ``filter_fn(module, key, value)`` and mapped by ``map_fn``.

        Parameters
        ----------
        filter_fn : callable
            ``filter_fn(module, key, value)`` True keeps the entry.
        map_fn : callable, optional
            Applied to each kept leaf (default: identity).
        is_leaf_fn : callable, optional
            ``is_leaf_fn(module, key, value)`` True stops the walk there (default: anything that
            is not a module, dict or list).

        Examples
        --------
        >>> import microgradx.mlx.nn as nn
        >>> nn.Linear(3, 2).filter_and_map(nn.Module.valid_parameter_filter, map_fn=lambda a: a.shape)
        {'weight': (2, 3), 'bias': (2,)}
        """
        map_fn = map_fn or (lambda v: v)
        is_leaf_fn = is_leaf_fn or _leaf_default
        return {k: _unwrap(self, k, v, filter_fn, map_fn, is_leaf_fn) for k, v in self.items() if filter_fn(self, k, v)}

    def parameters(self) -> dict:
        """Every array of the module (frozen or not) as nested dicts and lists.

        >>> import microgradx.mlx.nn as nn
        >>> sorted(nn.Linear(3, 2).parameters())
        ['bias', 'weight']
        """
        return self.filter_and_map(self.valid_parameter_filter)

    def trainable_parameters(self) -> dict:
        """Like :meth:`parameters`, without the frozen arrays (what ``nn.value_and_grad`` differentiates).

        >>> import microgradx.mlx.nn as nn
        >>> list(nn.Linear(3, 2).freeze(keys="weight").trainable_parameters())
        ['bias']
        """
        return self.filter_and_map(self.trainable_parameter_filter)

    def children(self) -> dict:
        """The direct sub-modules, in the dicts and lists that hold them.

        >>> import microgradx.mlx.nn as nn
        >>> nn.Sequential(nn.ReLU(), nn.Tanh()).children()
        {'layers': [ReLU(), Tanh()]}
        """
        return self.filter_and_map(self.valid_child_filter, is_leaf_fn=lambda m, k, v: isinstance(v, Module))

    def leaf_modules(self) -> dict:
        """The sub-modules that have no sub-modules of their own, in their tree.

        >>> import microgradx.mlx.nn as nn
        >>> nn.Sequential(nn.Linear(1, 1), nn.ReLU()).leaf_modules()["layers"][1]
        ReLU()
        """
        def is_leaf_module(m, k, v):
            return isinstance(v, Module) and len(tree_flatten(v.children())) == 0

        return self.filter_and_map(self.valid_child_filter, is_leaf_fn=is_leaf_module)

    # -- changing the module ------------------------------------------------------------------------
    def update(self, parameters: dict, strict: bool = True) -> Module:
        """Put the arrays of ``parameters`` (a full or partial tree) into the module; returns the module.

        Parameters
        ----------
        parameters : dict
            A tree shaped like (part of) :meth:`parameters`.
        strict : bool, default True
            Raise ``ValueError`` for a key the module does not have or a non-array where an array is.

        Examples
        --------
        >>> import microgradx.mlx.nn as nn
        >>> from microgradx.mlx.nn._array import new
        >>> layer = nn.Linear(2, 1)
        >>> layer.update({"bias": new([5.0])}).bias
        Tensor([5.], dtype=float32)
        >>> layer.update({"scale": new([1.0])})
        Traceback (most recent call last):
        ...
        ValueError: Module does not have parameter named "scale".
        """
        _put(self, parameters, strict, _is_array_place, "parameter")
        return self

    def apply(self, map_fn: Callable, filter_fn: Callable | None = None) -> Module:
        """Replace each parameter ``p`` (selected by ``filter_fn``) with ``map_fn(p)``.

        >>> import numpy as np
        >>> import microgradx.mlx.nn as nn
        >>> nn.Linear(2, 2).apply(lambda p: p.astype(np.float64)).weight.dtype
        dtype('float64')
        """
        self.update(self.filter_and_map(filter_fn or Module.valid_parameter_filter, map_fn))
        return self

    def update_modules(self, modules: dict, strict: bool = True) -> Module:
        """Swap sub-modules for the ones in ``modules`` (a tree like :meth:`children`).

        >>> import microgradx.mlx.nn as nn
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
        >>> net.update_modules({"layers": [{}, nn.Tanh()]}).layers[1]
        Tanh()
        """
        _put(self, modules, strict, _is_module_place, "sub-module")
        return self

    def apply_to_modules(self, apply_fn: Callable[[str, Module], Any]) -> Module:
        """Call ``apply_fn(path, module)`` on this module and every sub-module (path ``""`` for this one).

        The walk uses a stack: the last child is visited first, as in MLX.

        >>> import microgradx.mlx.nn as nn
        >>> seen = []
        >>> _ = nn.Sequential(nn.ReLU(), nn.Tanh()).apply_to_modules(lambda k, m: seen.append(k))
        >>> seen
        ['', 'layers.1', 'layers.0']
        """
        stack = [("", self)]
        while stack:
            prefix, module = stack.pop()
            apply_fn(prefix, module)
            stack.extend(tree_flatten(module.children(), prefix="." + prefix if prefix else "",
                                      is_leaf=self.is_module))
        return self

    def modules(self) -> list:
        """This module and every sub-module, in :meth:`apply_to_modules` order.

        >>> import microgradx.mlx.nn as nn
        >>> len(nn.Sequential(nn.ReLU(), nn.Tanh()).modules())
        3
        """
        found = []
        self.apply_to_modules(lambda k, m: found.append(m))
        return found

    def named_modules(self) -> list:
        """``(dotted path, module)`` for this module and every sub-module.

        >>> import microgradx.mlx.nn as nn
        >>> [k for k, _ in nn.Sequential(nn.ReLU()).named_modules()]
        ['', 'layers.0']
        """
        found = []
        self.apply_to_modules(lambda k, m: found.append((k, m)))
        return found

    def _validate_keys(self, keys, strict: bool) -> list:
        keys = keys if isinstance(keys, list) else [keys]
        if strict:
            for k in keys:
                if k not in self:
                    raise KeyError(f"Module doesn't contain member {k}.")
        return keys

    def _validate_keys_recursive(self, keys) -> None:
        keys = keys if isinstance(keys, list) else [keys]
        modules = self.modules()
        for k in keys:
            if not any(k in m for m in modules):
                raise KeyError(f"Module doesn't contain member {k}.")

    def freeze(self, *, recurse: bool = True, keys: str | list | None = None, strict: bool = False) -> Module:
        """Mark parameters as frozen: :meth:`trainable_parameters` (and so ``nn.value_and_grad``) skips them.

        Parameters
        ----------
        recurse : bool, default True
            Freeze in the sub-modules too.
        keys : str or list of str, optional
            Only these keys (e.g. ``"bias"``); default: every parameter.
        strict : bool, default False
            Raise ``KeyError`` for a key no module has.

        Examples
        --------
        >>> import microgradx.mlx.nn as nn
        >>> net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1)).freeze(keys="bias")
        >>> [sorted(layer) for layer in net.trainable_parameters()["layers"]]
        [['weight'], ['weight']]
        """
        def freeze_one(_, m):
            local = keys
            if local is None:
                local = [k for k, _ in tree_flatten(m.filter_and_map(
                    lambda mod, k, v: not isinstance(v, Module) and mod.valid_parameter_filter(mod, k, v)))]
            m._no_grad.update(m._validate_keys(local, strict))

        if recurse:
            if strict and keys is not None:
                self._validate_keys_recursive(keys)
                strict = False
            self.apply_to_modules(freeze_one)
        else:
            freeze_one("", self)
        return self

    def unfreeze(self, *, recurse: bool = True, keys: str | list | None = None, strict: bool = False) -> Module:
        """Undo :meth:`freeze` (all keys, or only ``keys``).

        >>> import microgradx.mlx.nn as nn
        >>> sorted(nn.Linear(2, 1).freeze().unfreeze(keys="weight").trainable_parameters())
        ['weight']
        """
        def unfreeze_one(_, m):
            if keys is None:
                m._no_grad.clear()
            else:
                m._no_grad.difference_update(m._validate_keys(keys, strict))

        if recurse:
            if strict and keys is not None:
                self._validate_keys_recursive(keys)
                strict = False
            self.apply_to_modules(unfreeze_one)
        else:
            unfreeze_one("", self)
        return self

    def _set_training_mode(self, mode: bool) -> None:
        object.__setattr__(self, "_training", mode)

    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on this module and all sub-modules.

        >>> import microgradx.mlx.nn as nn
        >>> nn.Sequential(nn.Dropout(0.5)).train(False).layers[0].training
        False
        """
        self.apply_to_modules(lambda _, m: m._set_training_mode(bool(mode)))
        return self

    def eval(self) -> Module:
        """Evaluation mode: ``train(False)``.

        >>> import microgradx.mlx.nn as nn
        >>> nn.Linear(1, 1).eval().training
        False
        """
        return self.train(False)

    def set_dtype(self, dtype, predicate: Callable | None = None) -> None:
        """Cast the floating parameters (or those ``predicate(dtype)`` selects) to ``dtype``.

        >>> import numpy as np
        >>> import microgradx.mlx.nn as nn
        >>> m = nn.Linear(2, 2); m.set_dtype(np.float64); m.weight.dtype
        dtype('float64')
        """
        if predicate is None:
            def predicate(d):
                return np.dtype(d).kind == "f"
        self.apply(lambda x: x.astype(dtype) if predicate(x.dtype) else x)

    # -- weights on disk --------------------------------------------------------------------------
    def save_weights(self, file: str) -> None:
        """Save the parameters to a ``.npz`` file, keyed by their dotted paths (``"layers.0.weight"``).

        >>> import os, tempfile
        >>> import microgradx.mlx.nn as nn
        >>> path = os.path.join(tempfile.mkdtemp(), "w.npz")
        >>> nn.Linear(2, 1).save_weights(path)
        >>> sorted(np.load(path).files)
        ['bias', 'weight']
        """
        if not isinstance(file, str):
            raise TypeError(f"save_weights: file must be a path string; got {type(file).__name__}")
        flat = tree_flatten(self.parameters(), destination={})
        if file.endswith(".npz"):
            np.savez(file, **{k: value(v) for k, v in flat.items()})
        elif file.endswith(".safetensors"):
            raise ValueError("save_weights: .safetensors is not supported by microgradx; use '.npz'.")
        else:
            raise ValueError(f"Unsupported file extension for {file}. Use '.npz' or '.safetensors'.")

    def load_weights(self, file_or_weights, strict: bool = True) -> Module:
        """Load parameters from a ``.npz`` file or a list of ``(dotted path, array)`` pairs.

        Parameters
        ----------
        file_or_weights : str or list of (str, array)
        strict : bool, default True
            Require exactly the model's parameters, with their shapes (``ValueError`` otherwise).

        Examples
        --------
        >>> import numpy as np
        >>> import microgradx.mlx.nn as nn
        >>> from microgradx.mlx.nn._array import new
        >>> layer = nn.Linear(2, 1).load_weights([("weight", new([[1.0, 2.0]])), ("bias", new([0.0]))])
        >>> layer.weight
        Tensor([[1., 2.]], dtype=float32)
        >>> layer.load_weights([("weight", new([[1.0]])), ("bias", new([0.0]))])
        Traceback (most recent call last):
        ...
        ValueError: Expected shape (1, 2) but received shape (1, 1) for parameter weight
        """
        weights = file_or_weights
        if isinstance(weights, str):
            with np.load(weights) as data:
                weights = [(k, new(data[k], data[k].dtype)) for k in data.files]
        elif not isinstance(weights, (list, tuple)):
            raise TypeError(f"load_weights: file_or_weights must be a path or a list of (name, array) pairs; "
                            f"got {type(weights).__name__}")
        if strict:
            given = dict(weights)
            current = tree_flatten(self.parameters(), destination={})
            extras = given.keys() - current.keys()
            if extras:
                names = ",\n".join(sorted(extras))
                raise ValueError(f"Received {len(extras)} parameters not in model: \n{names}.")
            missing = current.keys() - given.keys()
            if missing:
                raise ValueError(f"Missing {len(missing)} parameters: \n" + ",\n".join(sorted(missing)) + ".")
            for k, v in current.items():
                if not is_array(given[k]):
                    raise ValueError(f"Expected mx.array but received {type(given[k])} for parameter {k}")
                if tuple(given[k].shape) != tuple(v.shape):
                    raise ValueError(f"Expected shape {tuple(v.shape)} but received shape "
                                     f"{tuple(given[k].shape)} for parameter {k}")
        if len(weights) != 0:
            self.update(tree_unflatten(list(weights)), strict=False)
        return self
