"""``vmap``: apply a function to every slice of a batch, with MLX's ``in_axes``/``out_axes``.

How it computes: **one call of the function on the whole batch**.  ``vmap(f)(X)`` opens a new level
(see :mod:`microgradx.core.state`) and hands ``f`` a batched value (:class:`~microgradx.nodes.batched.Batched`)
for every batched input: to ``f`` it looks like one example (its ``shape`` has no batch axis), but its value
is the whole batch.  Each operation ``f`` performs reaches its primitive's **batching rule** in the rule
table (:mod:`microgradx.core.rules`, next to the derivatives): elementwise primitives move the batch axis to
the front and line up the other axes for broadcasting, reductions shift their axes by one, matmul batches
with numpy's broadcasting of leading axes, indexing puts a full slice in front, and so on.  The batch axis
of ``f``'s result is then moved to ``out_axes``.

Because the batched values are nodes of a level, ``vmap`` composes with every other transform in any
order, as the derivative rules do: ``vmap(grad(f))`` gives per-example gradients in one backward sweep
over the whole batch, ``grad(vmap(f))``, ``jvp(vmap(f))`` and ``vmap(vmap(f))`` work.

Where a batching rule cannot help, ``vmap`` falls back to a loop -- visibly
(a :class:`~microgradx.nodes.batched.VmapFallbackWarning`, once per cause), never with a wrong answer:

* a primitive without a batching rule (``prim.batch is None``) is computed
  with a loop over the batch, for that primitive only;
* code that needs the *numbers* of a batched value (``float(x)``, ``if x > 0:``,
  ``mgx.argmax`` and other functions computed with numpy from the values) makes
  ``vmap`` compute the whole function with a loop over the examples.

A :class:`~microgradx.transforms.custom.custom_function`'s ``.vmap`` rule is its batching rule, wherever
the vmapped function calls it.

Examples
--------
>>> import numpy as np
>>> import microgradx as mgx
>>> from microgradx.transforms.vmap import vmap
>>> def loss(w, x, y):
...     return mgx.sum((x @ w - y) ** 2)
>>> w, xs, ys = np.ones(2), np.arange(6.0).reshape(3, 2), np.zeros(3)
>>> vmap(mgx.grad(loss), in_axes=(None, 0, 0))(w, xs, ys)       # one gradient per example
Tensor([[ 0.,  2.],
        [20., 30.],
        [72., 90.]])
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from .. import ops
from ..core import state
from ..core.dispatch import node_types, value_shape
from ..nodes.batched import Batched, BatchedValueError, as_batched, warn_once
from ..nodes.tensor import Tensor
from ..tree import is_node

__all__ = ["vmap"]

_TREE_ERROR = "[tree_map] Additional input tree is not a valid prefix of the first tree."


def _is_axis(axes) -> bool:
    return axes is None or isinstance(axes, (int, np.integer)) and not isinstance(axes, bool)


def _check_axis(axis) -> None:
    if not _is_axis(axis):
        raise ValueError("[vmap] axis must be int or None.")


def _pairs(arg, axes, out: list) -> None:
    """``(leaf, axis)`` for every leaf of ``arg``; ``axes`` is an int/None or a tree prefix of ``arg``."""
    if _is_axis(axes):
        if is_node(arg):
            for child in (arg.values() if isinstance(arg, dict) else arg):
                _pairs(child, axes, out)
        else:
            out.append((arg, axes))
        return
    if isinstance(axes, dict) and isinstance(arg, dict) and set(axes) <= set(arg):
        for k, child in arg.items():
            _pairs(child, axes.get(k), out)
        return
    if isinstance(axes, (list, tuple)) and isinstance(arg, (list, tuple)) and len(axes) == len(arg):
        for child, ax in zip(arg, axes):
            _pairs(child, ax, out)
        return
    _check_axis(axes)


def _map_leaves(arg, axes, fn):
    """Rebuild ``arg`` with ``fn(leaf, axis)`` at every leaf (the same walk as :func:`_pairs`)."""
    if _is_axis(axes):
        if is_node(arg):
            if isinstance(arg, dict):
                return {k: _map_leaves(v, axes, fn) for k, v in arg.items()}
            return _rebuild(arg, [_map_leaves(v, axes, fn) for v in arg])
        return fn(arg, axes)
    if isinstance(axes, dict):
        return {k: _map_leaves(v, axes.get(k), fn) for k, v in arg.items()}
    return _rebuild(arg, [_map_leaves(v, ax, fn) for v, ax in zip(arg, axes)])


def _rebuild(node, items):
    kind = type(node)
    return kind(*items) if hasattr(kind, "_fields") else kind(items)


def _shape_text(shape) -> str:
    return "(" + ",".join(map(str, shape)) + ")"


def _normal_axis(axis: int, shape: tuple) -> int:
    if not -len(shape) <= axis < len(shape):
        shown = axis + len(shape) if axis < 0 else axis  # MLX prints a negative axis plus the rank
        raise IndexError(f"[vmap] Invalid vectorization axis {shown} for array with shape {_shape_text(shape)}")
    return axis % len(shape)


def _out_pairs(out, axes, leaves: list) -> None:
    """``(leaf, out_axis)`` for every output leaf; ``axes`` is an int or a tree prefix of ``out`` (MLX's tree_map)."""
    if _is_axis(axes):
        if axes is None:  # MLX: every output gets a batch axis (it reads None as -1, then refuses it)
            ndim = len(value_shape(out)) + 1 if not is_node(out) else 1
            raise ValueError(f"[vmap] Axis -1 invalid for output with {ndim} dimensions.")
        if is_node(out):
            for child in (out.values() if isinstance(out, dict) else out):
                _out_pairs(child, axes, leaves)
        else:
            leaves.append((out, axes))
        return
    if isinstance(axes, dict) and isinstance(out, dict):
        if set(axes) != set(out):
            raise ValueError(_TREE_ERROR)
        for k, child in out.items():
            _out_pairs(child, axes[k], leaves)
        return
    if isinstance(axes, (list, tuple)) and isinstance(out, (list, tuple)):
        if len(axes) != len(out):
            raise ValueError(_TREE_ERROR)
        for child, ax in zip(out, axes):
            _out_pairs(child, ax, leaves)
        return
    if not isinstance(axes, (list, tuple, dict)) or not is_node(out):
        raise ValueError("[vmap] axis must be int or None.")
    raise ValueError(_TREE_ERROR)


def _fill(out, values: list):
    """``out`` with its leaves replaced, in order, by ``values`` (containers rebuilt)."""
    if is_node(out):
        if isinstance(out, dict):
            return {k: _fill(v, values) for k, v in out.items()}
        return _rebuild(out, [_fill(v, values) for v in out])
    return values.pop(0)


def _check_output(leaf):
    if isinstance(leaf, node_types()) or isinstance(leaf, (np.ndarray, float, int, np.number)) \
            and not isinstance(leaf, bool):
        return leaf
    raise ValueError("[tree_flatten] The argument should contain only arrays")


def _place_out(value, axis_now, out_axis, size):
    """Move the batch axis of an output from ``axis_now`` (None: the output is not batched) to ``out_axis``."""
    if axis_now is None:  # the same for every example: repeat it along a new batch axis
        shape = value_shape(value)
        axis = _out_axis(out_axis, shape)
        value = ops.broadcast_to(ops.expand_dims(ops.operand(value, "output"), axis),
                                 shape[:axis] + (size,) + shape[axis:])
        return value
    shape = list(value_shape(value))
    example = shape[:axis_now] + shape[axis_now + 1:]
    axis = _out_axis(out_axis, tuple(example))
    if axis == axis_now:
        return value
    return ops.moveaxis(value, axis_now, axis)


def _out_axis(axis: int, example_shape: tuple) -> int:
    ndim = len(example_shape) + 1
    if not -ndim <= axis < ndim:
        shown = axis + ndim if axis < 0 else axis
        raise IndexError(f"[vmap] Invalid output vectorization axis {shown} for array with shape "
                         f"{_shape_text(example_shape)}")
    return axis % ndim


def _plain(x):
    """A vmap result: a plain Tensor, unless it is a node of an enclosing transform."""
    if isinstance(x, node_types()):
        return x
    return Tensor._constant(np.asarray(x))


def unrecorded(value):
    """``value`` without the nodes that do not record under ``vmap``: eager Tensors and finished transforms.

    >>> import microgradx as mgx
    >>> unrecorded(mgx.Tensor([1.0, 2.0]))   # an eager Tensor: its array
    array([1., 2.])
    """
    types = node_types()
    while isinstance(value, types) and (value._level == 0 or not state.is_active(value._level)):
        value = value._inner()
    return value


def _as_input(leaf, axis, level):
    """The batched value ``fun`` gets for an input leaf (``axis`` None: the leaf itself, a constant)."""
    if axis is None:
        return leaf
    value = unrecorded(leaf)
    if isinstance(value, (list, tuple)):
        value = ops.operand(value, "argument")
    return as_batched(value, _normal_axis(axis, value_shape(value)), level)


def _traced(fun, args, per_arg, out_axes, size):
    """One call of ``fun`` on batched values; ``None`` if ``fun`` needs the numbers of a batched value."""
    with state.transform_level() as level:
        batched_args = [_map_leaves(arg, ax, lambda leaf, a: _as_input(leaf, a, level))
                        for arg, ax in zip(args, per_arg)]
        try:
            out = fun(*batched_args)
        except BatchedValueError as exc:
            if exc.level != level:
                raise
            warn_once(f"values:{getattr(fun, '__module__', '')}.{getattr(fun, '__qualname__', fun)}:{exc}",
                      f"{exc}; vmap computes {getattr(fun, '__name__', 'the function')} with a loop over the "
                      "batch instead")
            return None
    pairs: list = []
    _out_pairs(out, out_axes, pairs)
    placed = []
    for leaf, out_axis in pairs:
        leaf = _check_output(leaf)
        if isinstance(leaf, Batched) and leaf._level == level:
            placed.append(_plain(_place_out(leaf._value, leaf._axis, out_axis, size)))
        else:
            placed.append(_plain(_place_out(leaf, None, out_axis, size)))
    return _fill(out, placed)


def _looped(fun, args, per_arg, out_axes, size):
    """``fun`` called once per example, the results stacked (the fallback, and the definition of vmap)."""
    def take(leaf, axis, b):
        if axis is None:
            return leaf
        axis = _normal_axis(axis, value_shape(leaf))
        return ops.operand(leaf, "argument")[(slice(None),) * axis + (b,)]

    results = [fun(*[_map_leaves(arg, ax, lambda leaf, a, b=b: take(leaf, a, b)) for arg, ax in zip(args, per_arg)])
               for b in range(size)]
    columns = []
    for r in results:
        pairs: list = []
        _out_pairs(r, out_axes, pairs)
        columns.append(pairs)
    placed = []
    for i, (_, out_axis) in enumerate(columns[0]):
        rows = [ops.operand(_check_output(c[i][0]), "output") for c in columns]
        stacked = ops.stack(rows, axis=0)
        placed.append(_plain(_place_out(stacked, 0, out_axis, size)))
    return _fill(results[0], placed)


def vmap(fun: Callable, in_axes=0, out_axes=0) -> Callable:
    """Vectorise ``fun`` over a batch axis of its inputs: one call of ``fun`` on the whole batch.

    Parameters
    ----------
    fun : callable
    in_axes : int, None or tree, default 0
        The batch axis of every input (an int), or one entry per positional argument: an int, ``None``
        (not batched: every example gets the whole argument) or a tree prefix of that argument.
    out_axes : int or tree, default 0
        Where the batch axis goes in the outputs: an int for all of them, or a tree prefix of the output.

    Returns
    -------
    callable
        Takes ``fun``'s arguments; returns ``fun``'s outputs with the batch axis added.

    Notes
    -----
    Every primitive's batching rule is in the rule table; one without a rule,
    or code that needs the numbers of a batched value, falls back to a loop,
    with a :class:`~microgradx.nodes.batched.VmapFallbackWarning` (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> import microgradx as mgx
    >>> vmap(lambda a, b: a * b, in_axes=(0, None))(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    Tensor([[3., 4.],
            [6., 8.]])
    >>> vmap(lambda a: mgx.sum(a), in_axes=1)(np.ones((2, 3)))
    Tensor([2., 2., 2.])
    >>> vmap(lambda a, b: a + b)(np.ones(2), np.ones(3))
    Traceback (most recent call last):
    ...
    ValueError: [vmap] Inconsistent axis sizes: 2 and 3.
    """
    if not callable(fun):
        raise TypeError(f"vmap: fun must be callable; got {type(fun).__name__}")
    # MLX refuses None here (its binding's TypeError); any other wrong axis is a ValueError at the call
    if in_axes is None:
        raise TypeError("vmap: in_axes must be an int or a tuple with one entry per argument; got NoneType")
    if out_axes is None:
        raise TypeError("vmap: out_axes must be an int or a tree of ints, one per output; got NoneType")

    @functools.wraps(fun)
    def batched(*args):
        axes = in_axes
        if isinstance(axes, (list, tuple)):
            if len(axes) != len(args):
                raise ValueError("[vmap] axis must be int or None.")
            per_arg = list(axes)
        else:
            per_arg = [axes] * len(args)
        pairs: list = []
        for arg, ax in zip(args, per_arg):
            _pairs(arg, ax, pairs)
        sizes = [value_shape(leaf)[_normal_axis(ax, value_shape(leaf))] for leaf, ax in pairs if ax is not None]
        if not sizes:
            raise ValueError("At least one of in_axes must be non-None.")  # (MLX's message has no [vmap])
        for s in sizes[1:]:
            if s != sizes[0]:
                raise ValueError(f"[vmap] Inconsistent axis sizes: {sizes[0]} and {s}.")
        size = sizes[0]
        out = _traced(fun, args, per_arg, out_axes, size)
        if out is None:  # fun needed the numbers of a batched value: one call per example
            return _looped(fun, args, per_arg, out_axes, size)
        return out

    return batched
