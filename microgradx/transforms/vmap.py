"""``vmap``: apply a function to every slice of a batch, with MLX's ``in_axes``/``out_axes``.

How microgradx computes it -- honestly: **a loop**.  ``vmap(f)(xs)`` calls ``f`` on each slice
``xs[b]`` (taken along the ``in_axes``) and stacks the results along the ``out_axes``.  No primitive has a
batching rule yet, so every primitive "falls back to the loop"; the answers are always right, the cost is
the cost of the loop (``bench/bench_vmap.py`` measures it).  Because the slicing (``x[b]``) and the
stacking (``mgx.stack``) are differentiable operations, ``vmap`` composes with every other transform in
any order: ``vmap(grad(f))`` gives per-example gradients, ``grad(vmap(f))``, ``jvp(vmap(f))`` and
``vmap(vmap(f))`` work.  A :class:`~microgradx.transforms.custom.custom_function` with a ``.vmap`` rule
is the exception: ``vmap`` of it calls the rule once on the whole batch.

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
from ..core.dispatch import raw_value
from ..tree import is_node

__all__ = ["vmap"]


def _shape(x) -> tuple:
    return tuple(np.shape(raw_value(x)))


def _check_axis(axis) -> None:
    if axis is not None and (isinstance(axis, bool) or not isinstance(axis, (int, np.integer))):
        raise ValueError("[vmap] axis must be int or None.")


def _pairs(arg, axes, out: list) -> None:
    """``(leaf, axis)`` for every leaf of ``arg``; ``axes`` is an int/None or a tree prefix of ``arg``."""
    if axes is None or isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
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
    if axes is None or isinstance(axes, (int, np.integer)):
        if is_node(arg):
            if isinstance(arg, dict):
                return {k: _map_leaves(v, axes, fn) for k, v in arg.items()}
            items = [_map_leaves(v, axes, fn) for v in arg]
            return type(arg)(*items) if hasattr(arg, "_fields") else type(arg)(items)
        return fn(arg, axes)
    if isinstance(axes, dict):
        return {k: _map_leaves(v, axes.get(k), fn) for k, v in arg.items()}
    items = [_map_leaves(v, ax, fn) for v, ax in zip(arg, axes)]
    return type(arg)(*items) if hasattr(arg, "_fields") else type(arg)(items)


def _normal_axis(axis: int, shape: tuple) -> int:
    if not -len(shape) <= axis < len(shape):
        raise IndexError(f"[vmap] Invalid vectorization axis {axis} for array with shape "
                         f"({','.join(map(str, shape))})")
    return axis % len(shape)


def _take(leaf, axis, b: int):
    if axis is None:
        return leaf
    axis = _normal_axis(axis, _shape(leaf))
    if isinstance(leaf, (int, float)):
        return leaf
    return ops.operand(leaf, "argument")[(slice(None),) * axis + (b,)]


def _move_out(stacked, axis: int):
    """Move the batch axis (now 0) to ``axis`` of the output."""
    ndim = len(_shape(stacked))
    axis = axis % ndim if -ndim <= axis < ndim else None
    if axis is None:
        raise IndexError(f"[vmap] Invalid out axis for an output of {ndim - 1} dimensions")
    if axis == 0:
        return stacked
    order = list(range(1, ndim))
    order.insert(axis, 0)
    return ops.transpose(stacked, tuple(order))


def _out_leaves(out) -> tuple[list, Callable]:
    if isinstance(out, (list, tuple)):
        kind = type(out)
        return list(out), (lambda leaves: kind(*leaves) if hasattr(kind, "_fields") else kind(leaves))
    return [out], (lambda leaves: leaves[0])


def vmap(fun: Callable, in_axes=0, out_axes=0) -> Callable:
    """Vectorise ``fun`` over a batch axis of its inputs (computed as a loop; see the module docstring).

    Parameters
    ----------
    fun : callable
    in_axes : int, None or tuple, default 0
        The batch axis of every input (an int), or one entry per positional argument: an int, ``None``
        (not batched: every call gets the whole argument) or a tree prefix of that argument.
    out_axes : int or tuple, default 0
        Where the batch axis goes in the output(s); a tuple gives one entry per output.

    Returns
    -------
    callable
        Takes ``fun``'s arguments; returns ``fun``'s outputs with the batch axis added.

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
    if in_axes is None or not (isinstance(in_axes, (int, np.integer, list, tuple, dict))
                               and not isinstance(in_axes, bool)):
        raise TypeError(f"vmap: in_axes must be an int or a tuple with one entry per argument; "
                        f"got {type(in_axes).__name__}")
    if out_axes is None or not (isinstance(out_axes, (int, np.integer, list, tuple))
                                and not isinstance(out_axes, bool)):
        raise TypeError(f"vmap: out_axes must be an int or a tuple with one entry per output; "
                        f"got {type(out_axes).__name__}")

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
        sizes = [_shape(leaf)[_normal_axis(ax, _shape(leaf))] for leaf, ax in pairs if ax is not None]
        if not sizes:
            raise ValueError("[vmap] At least one of in_axes must be non-None.")
        for s in sizes[1:]:
            if s != sizes[0]:
                raise ValueError(f"[vmap] Inconsistent axis sizes: {sizes[0]} and {s}.")
        size = sizes[0]
        rule = getattr(fun, "_vmap", None)
        if rule is not None:          # a custom_function with its own batching rule: one call
            outs, rule_axes = rule(tuple(args), tuple(per_arg))
            leaves, rebuild = _out_leaves(outs)
            rule_axes = list(rule_axes) if isinstance(rule_axes, (list, tuple)) else [rule_axes] * len(leaves)
            moved = []
            for leaf, ra, oa in zip(leaves, rule_axes, _per_output(out_axes, len(leaves))):
                leaf = ops.operand(leaf, "output")
                moved.append(_move_out(_move_out_from(leaf, ra), oa))
            return rebuild([m if not isinstance(m, np.ndarray) else ops.array(m) for m in moved])
        results = []
        for b in range(size):
            args_b = [_map_leaves(arg, ax, lambda leaf, a, b=b: _take(leaf, a, b)) for arg, ax in zip(args, per_arg)]
            results.append(fun(*args_b))
        leaves0, rebuild = _out_leaves(results[0])
        columns = [[_out_leaves(r)[0][i] for r in results] for i in range(len(leaves0))]
        stacked = [_move_out(ops.stack([ops.operand(v, "output") for v in col], axis=0), oa)
                   for col, oa in zip(columns, _per_output(out_axes, len(leaves0)))]
        return rebuild(stacked)

    return batched


def _per_output(out_axes, n: int) -> list:
    if isinstance(out_axes, (list, tuple)):
        if len(out_axes) != n:
            raise ValueError(f"[vmap] out_axes has {len(out_axes)} entries for {n} outputs")
        return list(out_axes)
    return [out_axes] * n


def _move_out_from(leaf, axis):
    """Bring a custom rule's output axis ``axis`` to the front."""
    ndim = len(_shape(leaf))
    axis = axis % ndim
    if axis == 0:
        return leaf
    order = [axis] + [i for i in range(ndim) if i != axis]
    return ops.transpose(leaf, tuple(order))
