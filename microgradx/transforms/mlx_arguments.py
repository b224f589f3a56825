"""MLX's argument rules for the function transforms, in one place.

How ``argnums`` and ``argnames`` are read, which checks run in which order,
MLX's exception classes and messages, what a transformed function may
return, and how the outputs of ``vjp``/``jvp``'d functions are matched with
their cotangents and tangents.  :mod:`microgradx.transforms` calls these
checks and does the differentiation; the rules themselves are stated in the
documentation page "microgradx and MLX" (``docs/mlx.rst``), and the MLX
conformance battery (``tests/test_mlx_conformance.py``) checks them against
MLX itself.

Examples
--------
>>> selection(None, "y", "grad")          # argnames given: no default argnums
([], ['y'])
>>> check_selection([1, 1], [], "[grad]")
Traceback (most recent call last):
...
ValueError: [grad] Duplicate argument index 1 is not allowed.
"""

from __future__ import annotations

import operator

import numpy as np

from ..core import rules
from ..core.dispatch import node_types
from ..nodes.dual import Dual
from ..nodes.tensor import Tensor
from ..tree import is_node

__all__ = [
    "type_name", "shape_text", "is_array", "is_input_leaf", "selection", "check_selection", "check_call",
    "count_strict", "outputs_of", "sequence_of_leaves", "check_callable", "loss_of", "count_arrays",
    "pair_cotangents", "check_tangents", "jax_argnums", "check_jacobian_args",
]

SCALAR_HINT = " If you are using grad your function must return a scalar."
_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: classes defined in Python (vs built into the interpreter)


def type_name(obj) -> str:
    """``list``, ``float``, ``ndarray`` for built-in types; ``module.Name`` for classes defined in Python."""
    t = type(obj)
    return f"{t.__module__}.{t.__name__}" if t.__flags__ & _HEAP_TYPE else t.__name__


def shape_text(shape) -> str:
    """``(2,3)``, ``(2)``, ``()``: MLX's shape format (no spaces, no trailing comma)."""
    return "(" + ",".join(str(n) for n in shape) + ")"


def is_array(x) -> bool:
    """An array as far as the output checks are concerned: a Tensor or a Dual."""
    return isinstance(x, (Tensor, Dual))


def is_input_leaf(x) -> bool:
    """What a differentiated argument may hold (MLX: arrays only; we also take ndarrays, numbers, Scalars)."""
    if isinstance(x, node_types()):
        return True
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "biufc"
    if isinstance(x, (bool, np.bool_)):
        return False
    return isinstance(x, (int, float, complex, np.integer, np.floating, np.complexfloating))


def selection(argnums, argnames, fname: str) -> tuple[list[int], list[str]]:
    """Read ``argnums``/``argnames`` the way MLX does; TypeError for wrong kinds."""
    bad = f"{fname}(): incompatible function arguments. "
    if argnums is None:
        nums = None
    else:
        try:
            nums = [operator.index(argnums)]
        except TypeError:
            if isinstance(argnums, (str, bytes, set, frozenset, dict)) or not hasattr(argnums, "__iter__"):
                raise TypeError(bad + "argnums must be an int, a sequence of ints or None; "
                                f"got {type(argnums).__name__}") from None
            try:
                nums = [operator.index(i) for i in argnums]
            except TypeError:
                raise TypeError(bad + "argnums must be an int, a sequence of ints or None; got a "
                                f"{type(argnums).__name__} holding "
                                f"{', '.join(sorted({type(i).__name__ for i in argnums}))}") from None
    if isinstance(argnames, str):
        names = [argnames]
    else:
        try:
            names = list(argnames)
        except TypeError:
            raise TypeError(bad + "argnames must be a str or a sequence of str; "
                            f"got {type(argnames).__name__}") from None
        if not all(isinstance(n, str) for n in names):
            raise TypeError(bad + "argnames must be a str or a sequence of str; got a "
                            f"{type(argnames).__name__} holding a non-str")
        names = list(dict.fromkeys(names))  # duplicates collapse, as in MLX's set
    if nums is None:
        nums = [] if names else [0]
    return nums, names


def check_selection(nums: list[int], names: list[str], tag: str) -> None:
    """MLX's construction-time checks, in MLX's order; sorts ``nums``."""
    if not nums and not names:
        raise ValueError(f"{tag} Gradient wrt no argument requested")
    nums.sort()
    if nums and nums[0] < 0:
        raise ValueError(f"{tag} Can't compute the gradient of negative argument index {nums[0]}")
    for a, b in zip(nums, nums[1:]):
        if a == b:  # MLX names nums[0] here; we name the index that is repeated
            raise ValueError(f"{tag} Duplicate argument index {a} is not allowed.")


def count_strict(tree) -> int:
    """Number of leaves in a differentiated argument; MLX's tree_flatten error for any other leaf."""
    if is_node(tree):
        return sum(count_strict(c) for c in (tree.values() if isinstance(tree, dict) else tree))
    if not is_input_leaf(tree):
        raise ValueError("[tree_flatten] The argument should contain only arrays")
    return 1


def outputs_of(out, fname: str) -> list:
    """The outputs of a jvp/vjp'd function: an array or a flat list/tuple of arrays (else RuntimeError)."""
    if is_array(out):
        return [out]
    if isinstance(out, (list, tuple)):
        for i, o in enumerate(out):
            if not is_array(o):
                raise RuntimeError(
                    f"[{fname}] The function must return an array or a flat list or tuple of arrays; it returned a "
                    f"{type_name(out)} whose element {i} is a {type_name(o)} (MLX reports this as std::bad_cast)."
                )
        return list(out)
    raise RuntimeError(
        f"[{fname}] The function must return an array or a flat list or tuple of arrays; it returned a "
        f"{type_name(out)} (MLX reports this as std::bad_cast)."
    )


def sequence_of_leaves(values, fname: str, name: str) -> list:
    """jvp/vjp's primals/tangents/cotangents: a list or tuple of arrays or numbers (else TypeError)."""
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"{fname}(): incompatible function arguments. {name} must be a list or tuple of arrays; "
                        f"got {type(values).__name__}")
    for i, v in enumerate(values):
        if not is_input_leaf(v):
            raise TypeError(f"{fname}(): incompatible function arguments. {name}[{i}] must be an array "
                            f"(Tensor, Dual, Scalar, numpy array) or a number; got {type(v).__name__}")
    return list(values)


def check_callable(fun, fname: str) -> None:
    if not callable(fun):
        raise TypeError(f"{fname}(): incompatible function arguments. fun must be callable; got {type(fun).__name__}")


def loss_of(out, tag: str, scalar_only: bool):
    """The scalar loss in what ``fun`` returned, with MLX's checks and messages, in MLX's order."""
    if scalar_only:
        if not is_array(out):
            raise ValueError(f"{tag} The return value of the function whose gradient we want to compute should "
                             f"be a scalar array; but {type_name(out)} was returned.")
    elif not is_array(out):
        if not isinstance(out, tuple):
            raise ValueError(f"{tag} The return value of the function whose gradient we want to compute should "
                             "be either a scalar array or a tuple with the first value being a scalar array "
                             f"(Union[array, tuple[array, Any, ...]]); but {type_name(out)} was returned.")
        if not out:
            raise ValueError(f"{tag} The return value of the function whose gradient we want to compute should "
                             "be either a scalar array or a non-empty tuple. The first value should be a scalar "
                             "array and the rest can be anything. Instead, we got an empty tuple.")
        if not is_array(out[0]):
            raise ValueError(f"{tag} The return value of the function whose gradient we want to compute should "
                             "be either a scalar array or a tuple with the first value being a scalar array "
                             "(Union[array, tuple[array, Any, ...]]); but it was a tuple with the first value "
                             f"being of type {type_name(out[0])} .")
    loss = out if is_array(out) else out[0]
    if loss.shape != ():  # MLX's check: its vjp compares the loss with a () cotangent
        alone = is_array(out) or count_arrays(out) == 1
        hint = SCALAR_HINT if alone and loss.size == 1 else ""
        raise ValueError(f"[vjp] Output shape {shape_text(loss.shape)} does not match cotangent shape ().{hint}")
    return loss


def count_arrays(tree) -> int:
    if is_node(tree):
        return sum(count_arrays(c) for c in (tree.values() if isinstance(tree, dict) else tree))
    return 1 if is_array(tree) else 0


def jax_argnums(argnums, fname: str) -> tuple[list[int], bool]:
    try:
        return [operator.index(argnums)], True
    except TypeError:
        pass
    if not isinstance(argnums, (list, tuple)) or not argnums:
        raise TypeError(f"{fname}: argnums must be an int or a non-empty tuple of ints; got {argnums!r}")
    nums = [operator.index(i) for i in argnums]
    if len(set(nums)) != len(nums):
        raise ValueError(f"{fname}: argnums {tuple(nums)} repeats an index")
    return nums, False


def check_jacobian_args(args, nums, fname: str) -> None:
    for i in nums:
        if not 0 <= i < len(args):
            raise ValueError(f"{fname}: argnums has {i} but the function was called with {len(args)} "
                             "positional arguments")
        if not is_input_leaf(args[i]):
            raise TypeError(f"{fname}: argument {i} must be an array (Tensor, numpy array), a number or a Scalar; "
                            f"got {type(args[i]).__name__}")


def check_call(nums: list[int], names: list[str], args: tuple, kwargs: dict, tag: str) -> None:
    """MLX's first call-time checks: (1) the largest argnum is in range, (2) every argname was passed by keyword."""
    if nums and nums[-1] >= len(args):
        raise ValueError(f"{tag} Can't compute the gradient of argument index {nums[-1]} because the function "
                         f"is called with only {len(args)} positional arguments.")
    for key in names:
        if key not in kwargs:
            raise ValueError(f"{tag} Can't compute the gradient of keyword argument '{key}' because the function "
                             "is called with the following keyword arguments {"
                             + "".join(k + "," for k in kwargs) + "}")


def pair_cotangents(outputs: list, cotangents: list, shape) -> list:
    """vjp: pair each output with its cotangent.

    Outputs made by ``stop_gradient`` take none; extra cotangents are
    ignored; too few, or a shape that differs, is MLX's ValueError.
    ``shape(x)`` gives the shape of a cotangent.
    """
    pairs = []
    for o in outputs:
        if isinstance(o, Tensor) and o._prim is rules.STOP_GRADIENT:
            continue  # stop_gradient'ed outputs take no cotangent
        if len(pairs) == len(cotangents):
            raise ValueError(f"[vjp] Number of outputs to compute gradients for ({len(outputs)}) does not match "
                             f"number of cotangents ({len(cotangents)}).")
        c = cotangents[len(pairs)]
        if o.shape != shape(c):
            hint = SCALAR_HINT if len(outputs) == 1 and o.size == 1 else ""
            raise ValueError(f"[vjp] Output shape {shape_text(o.shape)} does not match cotangent shape "
                             f"{shape_text(shape(c))}.{hint}")
        pairs.append((o, c))
    return pairs


def check_tangents(primals: list, tangents: list, shape) -> None:
    """jvp: as many tangents as primals (checked first), each of its primal's shape."""
    if len(primals) != len(tangents):
        raise ValueError("[jvp] Number of inputs does not match number of tangents.")
    for p, t in zip(primals, tangents):
        if shape(p) != shape(t):
            raise ValueError("[jvp] Input shape does not match shape of tangent.")
