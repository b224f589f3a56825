"""Trees: nested lists, tuples and dicts of values, as MLX understands them.

A *tree* is any nesting of containers.  MLX's rule for what is a container
is short: anything that is an instance of ``list``, ``tuple`` or ``dict``
(subclasses too: namedtuples, ``OrderedDict``, ...) is a **node**; everything
else -- arrays, numbers, ``None``, strings, objects -- is a **leaf**.  ``None``
is a leaf, not an empty subtree.  Lists and tuples are walked by index and
dicts in insertion order (keys are never sorted, unlike JAX).

The public functions follow the API of MLX's Python helpers in
``mlx.utils``, so MLX code that imports them runs with ``mgx.tree``:

* :func:`tree_flatten` -- ``[(dotted_path, leaf), ...]``
* :func:`tree_unflatten` -- the inverse (a list where every key is an index)
* :func:`tree_map`, :func:`tree_map_with_path`, :func:`tree_reduce`

The transforms (:mod:`microgradx.transforms`) walk argument trees with the
same node rules; when they build a *new* container (a gradient tree, the
value returned by ``value_and_grad``) they use :func:`rebuild`, which follows
MLX's C++ rule (list subclasses become plain lists).  :func:`tree_map` keeps
list subclasses, as ``mlx.utils.tree_map`` does.

Examples
--------
>>> from microgradx.tree import tree_flatten, tree_unflatten, tree_map
>>> params = {"w": [1.0, 2.0], "b": 3.0}
>>> tree_flatten(params)
[('w.0', 1.0), ('w.1', 2.0), ('b', 3.0)]
>>> tree_unflatten(tree_flatten(params)) == params
True
>>> tree_map(lambda v: v * 10, params)
{'w': [10.0, 20.0], 'b': 30.0}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["tree_flatten", "tree_unflatten", "tree_map", "tree_map_with_path", "tree_reduce",
           "is_node", "rebuild"]


def is_node(x: Any) -> bool:
    """True for containers that trees are made of: lists, tuples and dicts (subclasses too).

    Examples
    --------
    >>> is_node([1]), is_node((1,)), is_node({}), is_node(None), is_node("ab")
    (True, True, True, False, False)
    """
    return isinstance(x, (list, tuple, dict))


def _children(node) -> list:
    return list(node.values()) if isinstance(node, dict) else list(node)


def _keys(node) -> list:
    return list(node.keys()) if isinstance(node, dict) else list(range(len(node)))


def _make(template, children: list, keep_list_subclass: bool):
    """A new container shaped like ``template`` holding ``children`` (the one place that decides types)."""
    if isinstance(template, dict):
        return dict(zip(template.keys(), children))  # any dict subclass comes back as a plain dict
    if isinstance(template, list):
        if keep_list_subclass and type(template) is not list:
            return type(template)(children)
        return children
    if type(template) is tuple:
        return tuple(children)
    if hasattr(template, "_fields"):  # namedtuple: fields are positional arguments
        return type(template)(*children)
    return type(template)(children)  # other tuple subclass


def rebuild(template, children: list):
    """A new container like ``template`` holding ``children``, by MLX's transform rule.

    ================================  ===============================
    template                          rebuilt as
    ================================  ===============================
    list, or a list subclass          plain ``list``
    ``tuple``                         ``tuple``
    namedtuple                        the same namedtuple type
    other tuple subclass              the same type
    dict, or a dict subclass          plain ``dict``, same key order
    ================================  ===============================

    Examples
    --------
    >>> from collections import OrderedDict, namedtuple
    >>> rebuild(OrderedDict(a=1, b=2), [10, 20])
    {'a': 10, 'b': 20}
    >>> P = namedtuple("P", "x y")
    >>> rebuild(P(1, 2), [3, 4])
    P(x=3, y=4)
    """
    return _make(template, list(children), keep_list_subclass=False)


def tree_flatten(tree: Any, prefix: str = "", is_leaf: Callable[[Any], bool] | None = None,
                 destination: list | dict | None = None) -> list | dict:
    """Flatten a tree into ``(path, leaf)`` pairs, paths written with dots (``"a.0.b"``).

    Parameters
    ----------
    tree : any
        The tree.  A bare leaf gives ``[("", leaf)]``; empty containers give
        nothing.
    prefix : str
        Prepended to every path; as in MLX, its first character is dropped
        (``prefix=".model"`` gives paths ``"model.0"``, ...).
    is_leaf : callable, optional
        ``is_leaf(x)`` True stops the walk at ``x`` even if it is a container.
    destination : list or dict, optional
        Where to put the pairs (a dict maps path to leaf).  Default: a new list.

    Returns
    -------
    list of (str, leaf), or the dict ``destination``

    Examples
    --------
    >>> tree_flatten({"b": 1, "a": [2, (3,)]})
    [('b', 1), ('a.0', 2), ('a.1.0', 3)]
    >>> tree_flatten([[[0]]], prefix=".hello")
    [('hello.0.0.0', 0)]
    >>> tree_flatten({"a": {"b": 1}}, destination={})
    {'a.b': 1}
    """
    if destination is None:
        destination = []
    if isinstance(destination, list):
        add = destination.append
    elif isinstance(destination, dict):
        def add(pair):
            destination[pair[0]] = pair[1]
    else:
        raise ValueError("Destination should be either a list or a dictionary or None")

    def walk(node, path):
        if (is_leaf is None or not is_leaf(node)) and is_node(node):
            for key, child in zip(_keys(node), _children(node)):
                walk(child, f"{path}.{key}")
        else:
            add((path[1:], node))

    walk(tree, prefix)
    return destination


def tree_unflatten(flat: list | dict) -> Any:
    """Rebuild a tree from ``(path, leaf)`` pairs (the output of :func:`tree_flatten`).

    A level whose keys all read as distinct integers becomes a list, ordered
    by index, with ``{}`` filling any gap (``"01"`` and ``"1"`` side by side
    are two different keys, so that level is a dict); any other level
    becomes a dict.  Tuples therefore come back as lists.

    Examples
    --------
    >>> tree_unflatten([("b", 1), ("a.0", 2), ("a.1.0", 3)])
    {'b': 1, 'a': [2, [3]]}
    >>> tree_unflatten({"hello.world": 42})
    {'hello': {'world': 42}}
    >>> tree_unflatten([("", 7)])
    7
    """
    items = list(flat.items()) if isinstance(flat, dict) else list(flat)
    if len(items) == 1 and items[0][0] == "":
        return items[0][1]
    groups: dict[str, list] = {}
    for path, value in items:
        head, _, rest = path.partition(".")
        groups.setdefault(head, []).append((rest, value))
    try:
        indices = {int(k): k for k in groups}
    except ValueError:
        indices = None
    if indices is None or len(indices) != len(groups):  # "01" and "1" are two keys, not one index
        return {k: tree_unflatten(v) for k, v in groups.items()}
    out: list = []
    for index, key in sorted(indices.items()):
        out.extend({} for _ in range(index - len(out)))
        out.append(tree_unflatten(groups[key]))
    return out


def tree_map(fn: Callable, tree: Any, *rest: Any, is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Apply ``fn`` to every leaf; return a new tree of the same shape.

    ``rest`` are trees with (at least) the same structure as ``tree``; their
    matching entries are passed as extra arguments, ``fn(leaf, *others)``.
    Lists, tuples and their subclasses (namedtuples too) keep their type;
    dicts come back as plain dicts.

    Examples
    --------
    >>> tree_map(lambda x: x + 1, {"a": 0, "b": [1, 2]})
    {'a': 1, 'b': [2, 3]}
    >>> tree_map(lambda x, y: x * y, [1, 2], [10, 20])
    [10, 40]
    """
    if (is_leaf is None or not is_leaf(tree)) and is_node(tree):
        keys = _keys(tree)
        children = [tree_map(fn, child, *(r[k] for r in rest), is_leaf=is_leaf)
                    for k, child in zip(keys, _children(tree))]
        return _make(tree, children, keep_list_subclass=True)
    return fn(tree, *rest)


def tree_map_with_path(fn: Callable, tree: Any, *rest: Any, is_leaf: Callable[[Any], bool] | None = None,
                       path: str | None = None) -> Any:
    """Like :func:`tree_map`, but ``fn(path, leaf, *others)`` also gets the leaf's dotted path.

    Examples
    --------
    >>> tree_map_with_path(lambda p, x: p, {"model": [{"w": 0}, {"w": 0}]})
    {'model': [{'w': 'model.0.w'}, {'w': 'model.1.w'}]}
    """
    if (is_leaf is None or not is_leaf(tree)) and is_node(tree):
        keys = _keys(tree)
        start = f"{path}." if path else ""
        children = [tree_map_with_path(fn, child, *(r[k] for r in rest), is_leaf=is_leaf, path=f"{start}{k}")
                    for k, child in zip(keys, _children(tree))]
        return _make(tree, children, keep_list_subclass=True)
    return fn(path, tree, *rest)


def tree_reduce(fn: Callable, tree: Any, initializer: Any = None,
                is_leaf: Callable[[Any], bool] | None = None) -> Any:
    """Fold the leaves left to right: ``fn(accumulator, leaf)``.

    Without ``initializer`` the first leaf starts the fold.

    Examples
    --------
    >>> tree_reduce(lambda acc, x: acc + x, {"a": [1, 2, 3], "b": [4, 5]}, 0)
    15
    """
    accumulator = initializer
    for _, leaf in tree_flatten(tree, is_leaf=is_leaf):
        accumulator = leaf if accumulator is None else fn(accumulator, leaf)
    return accumulator
