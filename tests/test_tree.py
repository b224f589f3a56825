"""mgx.tree: the mlx.utils tree helpers with MLX's container rules."""

from __future__ import annotations

from collections import OrderedDict, namedtuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from microgradx import tree
from microgradx.tree import rebuild, tree_flatten, tree_map, tree_map_with_path, tree_reduce, tree_unflatten

Point = namedtuple("Point", "x y")


class Row(tuple):
    pass


class Items(list):
    pass


# --- the portable parts of MLX's test_tree.py, in our words ---------------------------------
def test_tree_map_over_a_dict():
    assert tree_map(lambda v: v + 1, {"a": 0, "b": 1, "c": 2}) == {"a": 1, "b": 2, "c": 3}


def test_flatten_then_unflatten_round_trip():
    t = [{"a": 1, "b": 2}, "c"]
    flat = tree_flatten(t)
    assert [leaf for _, leaf in flat] == [1, 2, "c"]
    assert tree_unflatten(flat) == t


def test_containers_kept_by_tree_map_and_with_path():
    for t in ([1, 2], (1, 2), Row((1, 2)), Point(1, 2), Items([1, 2])):
        out = tree_map(lambda v: v * 10, t)
        assert type(out) is type(t) and list(out) == [10, 20]
        out = tree_map_with_path(lambda path, v: path, t)
        assert type(out) is type(t) and list(out) == ["0", "1"]
    assert tree_map(lambda v: -v, OrderedDict(a=1)) == {"a": -1}
    assert type(tree_map(lambda v: -v, OrderedDict(a=1))) is dict


def test_unflatten_tells_01_from_1():
    assert tree_unflatten([("01", "x"), ("1", "y")]) == {"01": "x", "1": "y"}
    assert tree_unflatten([("0", "x"), ("1", "y")]) == ["x", "y"]


# --- the rest of the contract ----------------------------------------------------------
def test_flatten_paths_prefix_and_destination():
    assert tree_flatten({"b": 1, "a": [2, (3,)]}) == [("b", 1), ("a.0", 2), ("a.1.0", 3)]
    assert tree_flatten({"a": {}}) == []
    assert tree_flatten(None) == [("", None)]
    assert tree_flatten([[[0]]], prefix=".hello") == [("hello.0.0.0", 0)]
    assert tree_flatten({"a": {"b": 1}}, destination={}) == {"a.b": 1}
    assert tree_flatten({1: "int keys"}) == [("1", "int keys")]
    with pytest.raises(ValueError, match="Destination"):
        tree_flatten([1], destination="nope")


def test_is_leaf_stops_the_walk():
    t = {"w": [1, 2], "b": [3]}
    assert tree_flatten(t, is_leaf=lambda x: isinstance(x, list)) == [("w", [1, 2]), ("b", [3])]
    assert tree_map(len, t, is_leaf=lambda x: isinstance(x, list)) == {"w": 2, "b": 1}


def test_unflatten_gaps_and_bare_leaf():
    assert tree_unflatten([("b", 1), ("a.0", 2), ("a.1.0", 3)]) == {"b": 1, "a": [2, [3]]}
    assert tree_unflatten([("0", "a"), ("2", "c")]) == ["a", {}, "c"]
    assert tree_unflatten([("", 7)]) == 7
    assert tree_unflatten({"hello.world": 42}) == {"hello": {"world": 42}}


def test_multi_tree_map_and_reduce():
    assert tree_map(lambda x, y: x * y, {"a": [1, 2]}, {"a": [10, 20]}) == {"a": [10, 40]}
    assert tree_reduce(lambda acc, x: acc + x, {"a": [1, 2, 3], "b": [4, 5]}, 0) == 15
    assert tree_reduce(lambda acc, x: acc + x, [[1], [2]]) == 3
    assert tree_reduce(lambda acc, x: acc + x, [], 5) == 5


def test_none_is_a_leaf_not_an_empty_subtree():
    assert tree_map(lambda v: "leaf", [None, 1]) == ["leaf", "leaf"]


def test_rebuild_follows_the_transform_rule():
    assert rebuild(Items([1]), [2]) == [2] and type(rebuild(Items([1]), [2])) is list
    assert type(rebuild(Row((1,)), [2])) is Row
    assert rebuild(Point(1, 2), [3, 4]) == Point(3, 4)
    assert rebuild(OrderedDict(b=1, a=2), [5, 6]) == {"b": 5, "a": 6}
    assert tree.is_node(Point(1, 2)) and not tree.is_node("ab")


identifiers = st.text(alphabet="abcdefgh_", min_size=1, max_size=4)
leaves = st.one_of(st.integers(), st.floats(allow_nan=False), st.text(max_size=3), st.none())
trees = st.recursive(
    leaves,
    lambda sub: st.one_of(st.lists(sub, min_size=1, max_size=4),
                          st.dictionaries(identifiers, sub, min_size=1, max_size=4)),
    max_leaves=12,
)


@given(trees)
def test_unflatten_inverts_flatten(t):
    assert tree_unflatten(tree_flatten(t)) == t


@given(trees)
def test_tree_map_identity_keeps_structure(t):
    assert tree_map(lambda v: v, t) == t
    assert [p for p, _ in tree_flatten(t)] == [p for p, _ in tree_flatten(tree_map_with_path(lambda p, v: v, t))]


@given(trees)
def test_same_answers_as_mlx_utils(t):
    utils = pytest.importorskip("mlx.utils", reason="mlx cannot be imported; comparison with mlx.utils skipped",
                                exc_type=ImportError)
    assert tree_flatten(t) == utils.tree_flatten(t)
    assert tree_unflatten(tree_flatten(t)) == utils.tree_unflatten(utils.tree_flatten(t))
    assert tree_map(str, t) == utils.tree_map(str, t)
    assert tree_map_with_path(lambda p, v: p, t) == utils.tree_map_with_path(lambda p, v: p, t)
