"""Jacobians of functions of trees, and ``jacobian(f, mode="auto", explain=True)``.

``jacfwd``, ``jacrev`` and ``hessian`` here accept arguments and outputs that are trees (lists, tuples,
dicts) of arrays and return JAX's structure: the output's tree outside, and at each output leaf the input's
tree (a tuple of them for a tuple ``argnums``), whose leaves have shape ``output_leaf.shape +
input_leaf.shape``.  For plain arrays they are the array transforms of :mod:`microgradx.transforms`
(which they call on the flattened leaves).

``jacobian`` picks the mode from the sizes: forward mode needs one sweep per input element, reverse mode
one per output element (and keeps the forward graph's saved values while it sweeps).  With
``explain=True`` it also returns those counts, measured on the function at hand.

Examples
--------
>>> import numpy as np
>>> import microgradx as mgx
>>> from microgradx.transforms.jacobian import jacrev
>>> f = lambda p: {"y": p["w"] * p["b"]}
>>> J = jacrev(f)({"w": np.array([1.0, 2.0]), "b": np.array(3.0)})
>>> J["y"]["w"]
Tensor([[3., 0.],
        [0., 3.]])
>>> J["y"]["b"]
Tensor([1., 2.])
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from ..core import state
from ..core.dispatch import raw_value
from ..core.engine import topological_order
from ..nodes.tensor import Tensor
from ..tree import is_node, rebuild
from .basic import jacfwd as _array_jacfwd
from .basic import jacrev as _array_jacrev
from .mlx_arguments import jax_argnums as _jax_argnums

__all__ = ["jacfwd", "jacrev", "hessian", "jacobian", "JacobianReport"]


def _flatten(tree) -> tuple[list, Callable]:
    """The leaves of ``tree`` and a function that rebuilds its structure from new leaves."""
    if not is_node(tree):
        return [tree], (lambda leaves: leaves[0])
    children = list(tree.values()) if isinstance(tree, dict) else list(tree)
    parts = [_flatten(c) for c in children]
    counts = [len(p[0]) for p in parts]

    def unflatten(leaves):
        out, start = [], 0
        for (_, rebuild_child), n in zip(parts, counts):
            out.append(rebuild_child(leaves[start:start + n]))
            start += n
        return rebuild(tree, out)

    return [leaf for p in parts for leaf in p[0]], unflatten


def _tree_version(array_transform, name: str):
    def transform(fun: Callable, argnums=0) -> Callable:
        nums, single = _jax_argnums(argnums, name)
        if not callable(fun):
            raise TypeError(f"{name}: fun must be callable; got {type(fun).__name__}")

        @functools.wraps(fun)
        def jac(*args):
            for i in nums:
                if not 0 <= i < len(args):
                    raise ValueError(f"{name}: argnums has {i} but the function was called with {len(args)} "
                                     "positional arguments")
            flat_in = [_flatten(args[i]) for i in nums]
            leaves = [leaf for f in flat_in for leaf in f[0]]
            counts = [len(f[0]) for f in flat_in]
            out_structure = {}

            def flat_fun(*xs):
                new_args, start = list(args), 0
                for i, (_, unflatten), n in zip(nums, flat_in, counts):
                    new_args[i] = unflatten(list(xs[start:start + n]))
                    start += n
                out_leaves, unflatten_out = _flatten(fun(*new_args))
                out_structure["rebuild"] = unflatten_out
                # a leaf that does not depend on the inputs may come back as a plain number or ndarray
                return tuple(Tensor._constant(np.asarray(leaf)) if isinstance(leaf, (int, float, np.ndarray))
                             and not isinstance(leaf, bool) else leaf for leaf in out_leaves)

            per_output = array_transform(flat_fun, argnums=tuple(range(len(leaves))))(*leaves)
            rows = []
            for row in per_output:      # one row per output leaf, one block per input leaf
                blocks, start = [], 0
                for (_, unflatten), n in zip(flat_in, counts):
                    blocks.append(unflatten(list(row[start:start + n])))
                    start += n
                rows.append(blocks[0] if single else tuple(blocks))
            return out_structure["rebuild"](rows)

        return jac

    transform.__name__ = name
    return transform


jacrev = _tree_version(_array_jacrev, "jacrev")
jacrev.__doc__ = """Jacobian by reverse mode (one sweep per output element), for trees of arguments and outputs.

    Parameters
    ----------
    fun : callable
        Returns an array or a tree of arrays.
    argnums : int or tuple of int, default 0
        The positional arguments (arrays, numbers or trees of them) to differentiate.

    Returns
    -------
    callable
        Returns the output's tree; at each output leaf the input's tree (a tuple of trees for a tuple
        ``argnums``), whose leaves have shape ``output_leaf.shape + input_leaf.shape`` (JAX's layout).

    Examples
    --------
    >>> import numpy as np
    >>> J = jacrev(lambda x, y: (x * y, x + y), argnums=(0, 1))(np.array([1.0, 2.0]), 3.0)
    >>> J[1][1]
    Tensor([1., 1.])
    """

jacfwd = _tree_version(_array_jacfwd, "jacfwd")
jacfwd.__doc__ = """Jacobian by forward mode (one jvp per input element), for trees; results as :func:`jacrev`.

    Examples
    --------
    >>> import numpy as np
    >>> jacfwd(lambda p: p[0] * p[1])([np.array([1.0, 2.0]), np.array([3.0, 4.0])])[1]
    Tensor([[1., 0.],
            [0., 2.]])
    """


def hessian(fun: Callable, argnums=0) -> Callable:
    """Hessian of a scalar function of trees, ``jacfwd(jacrev(fun))``: blocks ``H[a][b]``, shape ``a.shape + b.shape``.

    Examples
    --------
    >>> import numpy as np
    >>> import microgradx as mgx
    >>> H = hessian(lambda p: mgx.sum(p["x"] ** 2 * p["y"]))({"x": np.array([1.0, 2.0]), "y": np.array(3.0)})
    >>> H["x"]["y"]
    Tensor([2., 4.])
    """
    return functools.wraps(fun)(jacfwd(jacrev(fun, argnums), argnums))


class JacobianReport:
    """What ``jacobian(..., explain=True)`` measured: sizes, sweeps per mode, saved values, the choice.

    Attributes
    ----------
    inputs, outputs : int
        Number of input and output elements (``n`` and ``m``).
    forward_sweeps, reverse_sweeps : int
        Forward mode: one jvp per input element (``n``); reverse mode: one backward sweep per output
        element (``m``).
    saved_values, saved_bytes : int
        What reverse mode's recorded forward graph keeps for its sweeps (arrays and their bytes).
        Forward mode keeps none: each jvp carries its tangents along and drops them.
    mode : str
        ``"forward"`` or ``"reverse"``: the mode used.

    Examples
    --------
    >>> import numpy as np
    >>> J, report = jacobian(lambda x: x.sum(), explain=True)(np.ones(1000))
    >>> report.mode, report.forward_sweeps, report.reverse_sweeps
    ('reverse', 1000, 1)
    """

    def __init__(self, inputs, outputs, saved_values, saved_bytes, mode):
        self.inputs, self.outputs = inputs, outputs
        self.forward_sweeps, self.reverse_sweeps = inputs, outputs
        self.saved_values, self.saved_bytes = saved_values, saved_bytes
        self.mode = mode

    def __repr__(self) -> str:
        return (f"Jacobian of {self.outputs} outputs by {self.inputs} inputs:\n"
                f"  forward mode: {self.forward_sweeps} jvp sweeps, no saved values\n"
                f"  reverse mode: {self.reverse_sweeps} backward sweeps over a graph that saves "
                f"{self.saved_values} values ({self.saved_bytes} bytes)\n"
                f"  chosen: {self.mode}")


def _size(tree) -> int:
    return sum(int(np.size(raw_value(leaf))) for leaf in _flatten(tree)[0])


def _saved(out) -> tuple[int, int]:
    """Arrays (and bytes) the recorded graph under ``out``'s leaves saves for the backward sweep."""
    count = nbytes = 0
    seen = set()
    for leaf in _flatten(out)[0]:
        if not isinstance(leaf, Tensor):
            continue
        for node in topological_order(leaf):
            for v in getattr(node, "_saved", ()):
                if id(v) in seen or v is None:
                    continue
                seen.add(id(v))
                value = raw_value(v)
                count += 1
                nbytes += int(getattr(value, "nbytes", 8))
    return count, nbytes


def jacobian(fun: Callable, argnums=0, mode: str = "auto", explain: bool = False) -> Callable:
    """Jacobian with the mode chosen from the sizes: forward if inputs <= outputs, else reverse.

    Parameters
    ----------
    fun : callable
        A function of arrays or trees of arrays.
    argnums : int or tuple of int, default 0
    mode : {"auto", "forward", "reverse"}
    explain : bool, default False
        Also return a :class:`JacobianReport` (sizes, sweeps per mode, reverse mode's saved values).

    Examples
    --------
    >>> import numpy as np
    >>> import microgradx as mgx
    >>> J, report = jacobian(lambda x: mgx.tanh(x) * 2.0, explain=True)(np.zeros(3))
    >>> J
    Tensor([[2., 0., 0.],
            [0., 2., 0.],
            [0., 0., 2.]])
    >>> report.mode
    'forward'
    """
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse'; got {mode!r}")
    nums, _ = _jax_argnums(argnums, "jacobian")

    @functools.wraps(fun)
    def jac(*args):
        n = sum(_size(args[i]) for i in nums if 0 <= i < len(args))
        with state.transform_level() as level:      # one recorded forward pass: output size, saved values
            traced = list(args)
            for i in nums:
                if 0 <= i < len(args):
                    leaves, unflatten = _flatten(args[i])
                    traced[i] = unflatten([Tensor._leaf(np.asarray(raw_value(v), dtype=float)
                                                        if np.asarray(raw_value(v)).dtype.kind in "biu"
                                                        else raw_value(v), level) for v in leaves])
            out = fun(*traced)
            m = _size(out)
            saved_values, saved_bytes = _saved(out) if explain else (0, 0)
        chosen = mode if mode != "auto" else ("forward" if n <= m else "reverse")
        result = (jacfwd if chosen == "forward" else jacrev)(fun, argnums)(*args)
        if explain:
            return result, JacobianReport(n, m, saved_values, saved_bytes, chosen)
        return result

    return jac
