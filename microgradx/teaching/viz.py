"""Graph pictures: draw the graph behind a Scalar or Tensor result.

Every reverse-mode result remembers how it was made: its rule-table entry
(``_prim``), its operands (``_parents``, ``None`` for a constant) and the
operand values (``_saved``).  This module walks that record and draws it, one
box per value (label, data or shape, grad) and one oval per operation::

    x ──┐
        (mul) ── x*w ──┐
    w ──┘              (add) ── n ── (tanh) ── o
                  b ───┘

Three outputs:

* :func:`to_dot` — the graph in Graphviz's DOT language (text);
* :func:`to_svg` — a picture, drawn by Graphviz's ``dot`` program when it is
  installed, otherwise by a small built-in layered layout (no dependency);
* :func:`draw` — a :class:`Graph` object that shows itself inline in Jupyter
  and can be saved as ``.svg`` or ``.dot``.

The walk is iterative (a 100,000-node chain is fine) and deterministic: nodes
are numbered in topological order, never by memory address, so the same
program always gives the same picture.  Large graphs are cut to the
``max_nodes`` nodes nearest the output, with a note saying so.

The picture is laid out top to bottom or left to right, whichever keeps it
narrower for a page (``rankdir="auto"``, the default): a long chain runs
down the page, a broad graph across it.  ``names=model`` labels a model's
parameters by their dotted names (``layers.0.weight``).

Examples
--------
>>> import microgradx as mgx
>>> x = mgx.Scalar(2.0, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> g = draw(y)
>>> g.num_nodes, g.num_ops
(3, 2)
>>> "mul" in g.dot and "tanh" in g.dot
True
"""

from __future__ import annotations

import html
import os
import shutil
import subprocess
from collections import deque

import numpy as np

from ..core import backend as _backend

__all__ = ["draw", "to_dot", "to_svg", "Graph", "dot_available", "topological_order", "value_of", "format_value",
           "choose_rankdir", "check_root", "MAX_NODES", "PAGE_WIDTH"]

#: Default limit on the number of values drawn; larger graphs are cut with a note.
MAX_NODES = 200

#: Width (in points) of the page column a picture should fit in; ``rankdir="auto"`` decides with it.
PAGE_WIDTH = 600

_ENGINES = ("auto", "dot", "builtin")
_DOT_HELP = (
    "Graphviz's `dot` program was not found on PATH. Install Graphviz (Debian/Ubuntu: "
    "`apt-get install graphviz`; macOS: `brew install graphviz`; conda: `conda install graphviz`), "
    "or use engine='builtin' (the default 'auto' falls back to it)."
)


# ---------------------------------------------------------------------------
# Reading nodes (the node protocol: _parents, _prim, _saved, data/_value, grad, label)
# ---------------------------------------------------------------------------
def check_root(root) -> None:
    """Raise a TypeError unless ``root`` is a node that recorded a graph (a Scalar or Tensor result).

    Examples
    --------
    >>> import microgradx as mgx
    >>> check_root(mgx.Dual(1.0, 1.0))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    TypeError: a Dual records no graph (forward mode computes each derivative as it goes); draw a ...
    """
    if getattr(root, "_kind", None) == "forward":
        raise TypeError(
            "a Dual records no graph (forward mode computes each derivative as it goes); "
            "draw a Scalar or Tensor result instead"
        )
    if not hasattr(root, "_parents") or not hasattr(root, "_prim"):
        raise TypeError(f"root must be a Scalar or Tensor result (a graph node); got {type(root).__name__}")


_RANKDIRS = ("auto", "LR", "TB")


def _check_rankdir(rankdir) -> str:
    if rankdir not in _RANKDIRS:
        raise ValueError(f"rankdir must be 'auto', 'LR' or 'TB'; got {rankdir!r}")
    return rankdir


def _names_of(names) -> dict:
    """``{id(node): name}`` from a model (``named_parameters()``), a ``{name: node}`` dict or ``(name, node)`` pairs."""
    if names is None:
        return {}
    if hasattr(names, "named_parameters"):
        pairs = names.named_parameters()
    elif isinstance(names, dict):
        pairs = names.items()
    elif isinstance(names, (list, tuple)):
        pairs = names
    else:
        raise TypeError(
            "names must be a model (with named_parameters()), a {name: node} dict or a list of (name, node) "
            f"pairs; got {type(names).__name__}"
        )
    out = {}
    for pair in pairs:
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[0], str)):
            raise TypeError(f"names must hold (name, node) pairs with a str name; got {pair!r:.60}")
        out[id(pair[1])] = pair[0]
    return out


def _check_limit(max_nodes) -> int:
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)):
        raise TypeError(f"max_nodes must be a positive int; got {type(max_nodes).__name__}")
    if max_nodes < 1:
        raise ValueError(f"max_nodes must be at least 1; got {max_nodes}")
    return int(max_nodes)


def value_of(node):
    """The plain value held by a node: a float for a Scalar, an ndarray for a Tensor.

    Parameters
    ----------
    node : Scalar or Tensor
        Any node of the graph; inside a transform a Tensor's value may be a
        node of an outer level, which is unwrapped.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> import microgradx as mgx
    >>> value_of(mgx.Scalar(2.0)), value_of(mgx.Tensor([1.0]))
    (2.0, array([1.]))
    """
    if getattr(node, "_kind", None) == "scalar":
        return node.data
    v = node._value if hasattr(node, "_value") else node.data
    while hasattr(v, "_inner"):  # a Tensor inside a transform holds an outer node
        v = v._inner()
    return v


def topological_order(root) -> list:
    """Nodes reachable from ``root``, each after all of its parents (``root`` last).

    This is the engine's own walk -- :func:`microgradx.core.engine.topological_order`
    (or its compiled twin), and the compiled Scalar's C version for compiled
    Scalars -- so the picture shows exactly the order the backward sweep uses.

    Parameters
    ----------
    root : Scalar or Tensor
        Where the walk starts.

    Returns
    -------
    list
        Parents before children; ``root`` is last.

    Examples
    --------
    >>> import microgradx as mgx
    >>> a = mgx.Scalar(1.0, label="a"); b = a * 2.0; c = b + a
    >>> [n.label or n._op for n in topological_order(c)]
    ['a', '*', '+']
    """
    check_root(root)
    compiled = _backend.compiled_scalar
    if compiled is not None and type(root) is compiled.Scalar:
        return compiled.topological_order(root)  # the compiled Scalar's C walk
    return _backend.engine.topological_order(root)  # Tensors and reference Scalars


def _nearest(root, limit: int) -> tuple[set, int]:
    """Ids of the ``limit`` nodes nearest ``root`` (breadth first), and the total node count."""
    seen = {id(root)}
    queue = deque([root])
    kept = set()
    while queue:
        node = queue.popleft()
        if len(kept) < limit:
            kept.add(id(node))
        for p in node._parents:
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                queue.append(p)
    return kept, len(seen)


def format_value(v, width: int = 28, dtype: bool = True, digits: int = 4) -> str:
    """A short text for a float or an array: the numbers when few, else shape and dtype.

    The package's one number formatter: the graph pictures use it as it is,
    :func:`microgradx.explain` with six digits for a single number.

    Parameters
    ----------
    v : float, ndarray or None
        The value (``None``: a Tensor gradient not computed yet).
    width : int
        Longest text for the numbers of a small array (at most 4 elements)
        before falling back to the shape.
    dtype : bool
        Name the dtype after the shape.
    digits : int
        Significant digits of a single number (an array's elements show four).

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(0.70710678)
    '0.7071'
    >>> format_value(np.array([1.0, 2.5]))
    '[1, 2.5]'
    >>> format_value(np.zeros((3, 4)))
    'shape (3, 4) float64'
    >>> format_value(2 ** 0.5, digits=6)
    '1.41421'
    """
    if v is None:
        return "None"
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, float, np.number)):
        return f"{float(v):.{digits}g}"
    a = np.asarray(v)
    if a.ndim == 0:
        return f"{float(a):.{digits}g}" if a.dtype.kind in "fiu" else str(a)
    if a.size <= 4 and a.dtype.kind in "biuf":
        text = np.array2string(a, separator=", ", formatter={"float_kind": lambda x: f"{x:.4g}"})
        text = " ".join(text.split())
        if len(text) <= width:
            return text
    return f"shape {a.shape} {a.dtype}" if dtype else f"shape {a.shape}"


def _op_text(node) -> str:
    prim = node._prim
    name = prim.name if prim is not None else ""
    params = getattr(node, "_params", None) or {}
    shown = []
    for k, v in params.items():
        if v is None or v is False:  # defaults (axis=None, keepdims=False) say nothing
            continue
        if k == "index" and getattr(prim, "count", 0) == 1:  # a one-output custom function's output number
            continue
        if k == "index":
            shown.append("[…]")
        elif k == "dtype":
            shown.append(np.dtype(v).name)
        else:
            text = str(v)
            shown.append(f"{k}={text}" if len(text) <= 16 else f"{k}=…")
    return name + (" " + " ".join(shown) if shown else "")


# ---------------------------------------------------------------------------
# The graph as boxes and arrows (shared by the DOT writer and the built-in layout)
# ---------------------------------------------------------------------------
class _Box:
    __slots__ = ("key", "kind", "fields", "root", "cluster")

    def __init__(self, key: str, kind: str, fields: list[str], root: bool = False, cluster: str = ""):
        self.key = key  # DOT id: n3, n3op, n3c1, n3more; inside a checkpointed segment n3r1, n3r1op, ...
        self.kind = kind  # "value", "op", "const", "more" or "recomputed" (a value the backward sweep recomputes)
        self.fields = fields  # text parts
        self.root = root
        self.cluster = cluster  # the checkpointed segment's "key|title" ("" outside one)


RECOMPUTED = "recomputed in the backward sweep"


def _segment(node):
    """A checkpointed node's recomputed segment: (fresh leaves, its output), or None for any other node.

    The segment is rebuilt by running the function again (``Primitive.segment``), exactly what the
    backward sweep will do; the forward pass saved none of it.
    """
    prim = node._prim
    if not getattr(prim, "recomputes", False) or not node._parents:
        return None
    leaves, outs = prim.segment(node._saved, node._parents)
    out = outs[(getattr(node, "_params", None) or {}).get("index", 0)]
    if not hasattr(out, "_parents") or not out._parents or any(out is leaf for leaf in leaves):
        return None  # fun returned an input or a constant: nothing inside to show
    return leaves, out


def _op_boxes(node, key: str, parent_key, boxes, edges, cluster: str = "") -> None:
    """The operation box of value ``key`` and the arrows from its inputs (``parent_key(j, p)``: a key or None)."""
    op = key + "op"
    boxes.append(_Box(op, "op", [_op_text(node)], cluster=cluster))
    parents = node._parents
    saved = getattr(node, "_saved", ())
    numbered = len(parents) > 1 and node._prim is not None and not node._prim.commutative
    missing = 0
    for j, p in enumerate(parents):
        tag = str(j + 1) if numbered else ""
        src = parent_key(j, p)
        if p is None and src is None:
            if j < len(saved):
                const = f"{key}c{j}"
                boxes.append(_Box(const, "const", [format_value(saved[j])], cluster=cluster))
                edges.append((const, op, tag))
        elif src is not None:
            edges.append((src, op, tag))
        else:
            missing += 1
    if missing:
        more = key + "more"
        boxes.append(_Box(more, "more", [f"{missing} more input{'s' if missing > 1 else ''} not shown"]))
        edges.append((more, op, ""))


def _segment_boxes(node, key: str, outer_key, boxes, edges) -> bool:
    """Draw a checkpointed node as a cluster: its recomputed values and operations; False if it has none."""
    found = _segment(node)
    if found is None:
        return False
    leaves, out = found
    title = f"{key}|{node._prim.name}: not saved, {RECOMPUTED}"  # one frame per checkpointed value
    outer = {id(leaf): j for j, leaf in enumerate(leaves) if leaf is not None}
    inner = {}
    for node_in in topological_order(out):
        if id(node_in) in outer:
            continue
        k = key if node_in is out else f"{key}r{len(inner) + 1}"
        inner[id(node_in)] = k

        def parent_key(j, p, _node=node_in):
            if p is None:
                return None
            if id(p) in outer:
                return outer_key(outer[id(p)])
            return inner.get(id(p))

        if node_in._parents:
            _op_boxes(node_in, k, parent_key, boxes, edges, cluster=title)
            edges.append((k + "op", k, ""))
        if not node_in._parents and node_in._prim is None:  # a leaf the function captured: a constant
            boxes.append(_Box(k, "const", [format_value(value_of(node_in))], cluster=title))
        elif node_in is not out:
            label = getattr(node_in, "label", "")
            fields = ([label] if label else []) + [format_value(value_of(node_in)), RECOMPUTED]
            boxes.append(_Box(k, "recomputed", fields, cluster=title))
    return True


def _build(root, max_nodes: int, names=None):
    """Boxes, arrows and the truncation note for the graph behind ``root``."""
    check_root(root)
    limit = _check_limit(max_nodes)
    given = _names_of(names)
    order = topological_order(root)
    total = len(order)
    if total > limit:
        kept, _ = _nearest(root, limit)
        order = [n for n in order if id(n) in kept]
    index = {id(n): i for i, n in enumerate(order)}
    boxes: list[_Box] = []
    edges: list[tuple[str, str, str]] = []
    for i, node in enumerate(order):
        key = f"n{i}"
        parents = node._parents

        def parent_key(j, p=None, _parents=parents):
            p = _parents[j]
            return None if p is None or id(p) not in index else f"n{index[id(p)]}"

        if node._prim is not None or parents:  # the operation first, so boxes come inputs-first
            if not _segment_boxes(node, key, parent_key, boxes, edges):
                _op_boxes(node, key, parent_key, boxes, edges)
                edges.append((key + "op", key, ""))
        value = value_of(node)
        grad = getattr(node, "grad", None)
        label = getattr(node, "label", "") or given.get(id(node), "")
        fields = [label] if label else []
        fields.append(("data " if np.ndim(value) == 0 else "") + format_value(value))
        fields.append("grad " + format_value(grad, dtype=False))
        boxes.append(_Box(key, "value", fields, root=node is root))
    note = ""
    if total > limit:
        note = f"showing the {limit} values nearest the output, of {total}"
    return boxes, edges, note, len(order), total


# ---------------------------------------------------------------------------
# DOT
# ---------------------------------------------------------------------------
def _dot_escape(text: str) -> str:
    out = []
    for ch in text:
        if ch in '{}|<>"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        else:
            out.append(ch)
    return "".join(out)


_SEGMENT = "#6a4c9c"  # the frame and border of a checkpointed segment's recomputed values


def _dot_box(b: _Box, rankdir: str) -> str:
    """One box as a DOT node statement."""
    if b.kind in ("value", "recomputed"):
        body = " | ".join(_dot_escape(f) for f in b.fields)
        if rankdir == "TB":  # fields stacked in a column (Graphviz stacks them by itself left to right)
            body = "{ " + body + " }"
        if b.kind == "recomputed":
            style = f', style="filled,dashed", color="{_SEGMENT}", fillcolor="{_COLORS["recomputed"]}"'
        elif b.root:
            style = ', style="filled,bold", fillcolor="#fff3c4"'
        else:
            style = ', style=filled, fillcolor="#eef4fb"'
        return f'  {b.key} [shape=record, label="{body}"{style}];'
    if b.kind == "op":
        return (f'  {b.key} [shape=ellipse, label="{_dot_escape(b.fields[0])}", '
                'style=filled, fillcolor="#e8e8e8", height=0.3];')
    if b.kind == "const":
        return (f'  {b.key} [shape=box, style="dashed,rounded", label="{_dot_escape(b.fields[0])}", '
                'fontsize=10, height=0.3];')
    return f'  {b.key} [shape=plaintext, label="{_dot_escape(b.fields[0])}", fontsize=10];'


def _dot_from(boxes, edges, note: str, rankdir: str) -> str:
    lines = [
        "digraph microgradx {",
        f'  graph [rankdir={rankdir}, fontname="Helvetica", fontsize=10, nodesep=0.25, ranksep=0.35];',
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    if note:
        lines.append(f'  graph [label="{_dot_escape(note)}", labelloc=b];')
    clusters: dict[str, list[str]] = {}
    for b in boxes:
        line = _dot_box(b, rankdir)
        if b.cluster:  # a checkpointed segment: its boxes go in one dashed frame, written below
            clusters.setdefault(b.cluster, []).append(line)
        else:
            lines.append(line)
    for i, (cluster, inside) in enumerate(clusters.items()):
        lines.append(f"  subgraph cluster_{i} {{")
        title = cluster.split("|", 1)[1].replace("\\", "\\\\").replace('"', '\\"')  # a plain label: no record escapes
        lines.append(f'    graph [label="{title}", style="dashed,rounded", color="{_SEGMENT}", '
                     f'fontcolor="{_SEGMENT}"];')
        lines.extend("  " + line for line in inside)
        lines.append("  }")
    for a, b, tag in edges:
        attr = f' [label="{tag}"]' if tag else ""
        lines.append(f"  {a} -> {b}{attr};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dot(root, *, max_nodes: int = MAX_NODES, rankdir: str = "auto", names=None) -> str:
    """The graph behind ``root`` in Graphviz's DOT language.

    Parameters
    ----------
    root : Scalar or Tensor
        A result; its graph is every node it was computed from.
    max_nodes : int
        Draw at most this many values (the ones nearest ``root``); the picture
        then carries a note saying how many there are in all.
    rankdir : {"auto", "LR", "TB"}
        Left to right, top to bottom, or (default) whichever of the two keeps
        the picture narrower for a page; see :func:`choose_rankdir`.
    names : model, dict or list of (name, node) pairs, optional
        Names for nodes that have no ``label`` of their own: a model labels
        its parameters with their dotted names (``layers.0.weight``), as
        ``model.named_parameters()`` gives them.

    Returns
    -------
    str
        Feed it to ``dot -Tsvg`` or ``dot -Tpng``.

    Examples
    --------
    >>> import microgradx as mgx
    >>> a = mgx.Scalar(3.0, label="a")
    >>> dot = to_dot(a * 2.0, rankdir="LR")
    >>> dot.splitlines()[0]
    'digraph microgradx {'
    >>> for line in dot.splitlines():
    ...     if "->" in line or "shape=record" in line:
    ...         print(line)
      n0 [shape=record, label="a | data 3 | grad 0", style=filled, fillcolor="#eef4fb"];
      n1 [shape=record, label="data 6 | grad 0", style="filled,bold", fillcolor="#fff3c4"];
      n0 -> n1op;
      n1c1 -> n1op;
      n1op -> n1;
    """
    return draw(root, max_nodes=max_nodes, rankdir=rankdir, names=names, engine="builtin").dot


# ---------------------------------------------------------------------------
# SVG: Graphviz when present, else a small layered layout of our own
# ---------------------------------------------------------------------------
def dot_available() -> bool:
    """True when Graphviz's ``dot`` program is on ``PATH``.

    Examples
    --------
    >>> dot_available() in (True, False)
    True
    """
    return shutil.which("dot") is not None


def _svg_with_dot(dot: str) -> str:
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(_DOT_HELP)
    try:
        done = subprocess.run([exe, "-Tsvg"], input=dot.encode(), capture_output=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        raise RuntimeError("Graphviz's dot took more than 60 s; draw fewer nodes (max_nodes=...)") from None
    if done.returncode != 0:
        msg = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(f"Graphviz's dot failed: {msg[0] if msg else 'exit code ' + str(done.returncode)}")
    svg = done.stdout.decode()
    start = svg.find("<svg")  # drop the XML prolog and DOCTYPE so the SVG can be inlined in HTML
    return svg[start:] if start >= 0 else svg


_CHAR_W = 7.0  # px per character at 12px monospace
_LINE_H = 24.0
_PAD = 8.0
_GAP_X = 36.0
_GAP_Y = 14.0
_COLORS = {"value": "#eef4fb", "root": "#fff3c4", "op": "#e8e8e8", "const": "#ffffff", "more": "#ffffff",
           "recomputed": "#f1ebfa"}


def _box_size(b: _Box) -> tuple[float, float]:
    if b.kind in ("value", "recomputed"):  # a card: label, data and grad (or "recomputed") stacked
        return max(len(f) for f in b.fields) * _CHAR_W + 2 * _PAD, _LINE_H * len(b.fields)
    return len(b.fields[0]) * _CHAR_W + 2 * _PAD + (10 if b.kind == "op" else 0), _LINE_H


def _layers(boxes, edges) -> dict[str, int]:
    """Layer of every box: arrows always go from a lower layer to a higher one.

    Operations and results get their longest distance from an input; boxes
    with no inputs (leaves, constants, notes) then move right up to one
    layer before their first consumer, so no arrow runs across the picture.
    """
    incoming: dict[str, list[str]] = {b.key: [] for b in boxes}
    outgoing: dict[str, list[str]] = {b.key: [] for b in boxes}
    for a, b, _ in edges:
        incoming[b].append(a)
        outgoing[a].append(b)
    layer: dict[str, int] = {}
    for b in boxes:  # boxes come inputs-first (constants and notes just after their operation)
        ins = [layer[a] for a in incoming[b.key] if a in layer]
        layer[b.key] = (max(ins) + 1) if ins else 0
    changed = True
    while changed:  # a box's only input may be an operation whose inputs are all leaves: settle
        changed = False
        for b in boxes:
            if not incoming[b.key] and outgoing[b.key]:
                want = max(min(layer[c] for c in outgoing[b.key]) - 1, 0)
                if want != layer[b.key]:
                    layer[b.key], changed = want, True
            elif incoming[b.key]:
                want = max(layer[a] for a in incoming[b.key]) + 1
                if want > layer[b.key]:
                    layer[b.key], changed = want, True
    low = min(layer.values())
    return {k: v - low for k, v in layer.items()}


def _extent(boxes, edges, rankdir: str) -> tuple[float, float]:
    """Estimated (width, height) in points of the picture laid out in layers along ``rankdir``.

    Boxes are sized as they are drawn: a value is a card with its fields
    stacked, one per line.
    """
    layer = _layers(boxes, edges)
    main: dict[int, float] = {}  # per layer: the largest size along the layout direction
    cross: dict[int, float] = {}  # per layer: the boxes' total size across it
    for b in boxes:
        w, h = _box_size(b)
        along, across = (w, h) if rankdir == "LR" else (h, w)
        k = layer[b.key]
        main[k] = max(main.get(k, 0.0), along)
        cross[k] = cross.get(k, 0.0) + across + _GAP_Y
    length = sum(main.values()) + _GAP_X * (len(main) - 1) + 2 * _PAD
    breadth = max(cross.values()) + 2 * _PAD
    return (length, breadth) if rankdir == "LR" else (breadth, length)


def _choose(boxes, edges, page_width: float) -> str:
    (w_lr, h_lr), (w_tb, h_tb) = _extent(boxes, edges, "LR"), _extent(boxes, edges, "TB")
    if w_lr <= page_width and w_tb <= page_width:  # both fit the column: the shorter picture
        return "LR" if h_lr < h_tb else "TB"
    return "LR" if w_lr < w_tb else "TB"  # else the narrower one: less to shrink or scroll


def choose_rankdir(root, *, max_nodes: int = MAX_NODES, page_width: float = PAGE_WIDTH) -> str:
    """The layout ``rankdir="auto"`` picks for the graph behind ``root``: ``"TB"`` or ``"LR"``.

    The graph is laid out in layers (every operation one layer after its
    inputs) both ways, and the picture sizes are estimated.  When both fit
    ``page_width`` the shorter picture wins; otherwise the narrower one, so
    that a page has to shrink it least (or, if it lets wide pictures scroll,
    the reader scrolls least).  A long chain therefore runs top to bottom
    and a graph with many inputs side by side runs left to right.

    Parameters
    ----------
    root : Scalar or Tensor
        The result whose graph would be drawn.
    max_nodes : int
        As for :func:`draw`: only the drawn part counts.
    page_width : float
        Width available, in points (default :data:`PAGE_WIDTH`).

    Returns
    -------
    str

    Examples
    --------
    >>> import microgradx as mgx
    >>> x = mgx.Scalar(0.5, label="x")
    >>> y = x
    >>> for _ in range(12):              # a chain: a column down the page
    ...     y = y.tanh()
    >>> choose_rankdir(y)
    'TB'
    >>> level = [mgx.Scalar(float(i), label=f"input number {i}") for i in range(16)]
    >>> while len(level) > 1:           # pairwise sums: 16 leaves side by side, 4 levels deep
    ...     level = [a + b for a, b in zip(level[::2], level[1::2])]
    >>> choose_rankdir(level[0])
    'LR'
    """
    if isinstance(page_width, bool) or not isinstance(page_width, (int, float)) or not page_width > 0:
        raise ValueError(f"page_width must be a positive number of points; got {page_width!r}")
    boxes, edges, _, _, _ = _build(root, max_nodes)
    return _choose(boxes, edges, float(page_width))


def _builtin_svg(boxes, edges, note: str, rankdir: str) -> str:
    layer = _layers(boxes, edges)
    size = {b.key: _box_size(b) for b in boxes}
    n_layers = max(layer.values()) + 1
    columns: list[list[str]] = [[] for _ in range(n_layers)]
    for b in boxes:
        columns[layer[b.key]].append(b.key)
    # order within a layer: a few barycentre sweeps (stable sorts, so deterministic)
    pos = {k: float(i) for col in columns for i, k in enumerate(col)}
    outs: dict[str, list[str]] = {b.key: [] for b in boxes}
    ins: dict[str, list[str]] = {b.key: [] for b in boxes}
    for a, b, _ in edges:
        outs[a].append(b)
        ins[b].append(a)
    for sweep in range(4):
        rng = range(1, n_layers) if sweep % 2 == 0 else range(n_layers - 2, -1, -1)
        for li in rng:
            nbr = ins if sweep % 2 == 0 else outs
            col = columns[li]
            key = {k: (sum(pos[m] for m in nbr[k]) / len(nbr[k]) if nbr[k] else pos[k]) for k in col}
            col.sort(key=lambda k: key[k])
            for i, k in enumerate(col):
                pos[k] = float(i)
    horizontal = rankdir == "LR"
    # coordinates: layers along the main axis, stacked boxes across it
    main_extent = [max((size[k][0] if horizontal else size[k][1]) for k in col) if col else 0 for col in columns]
    cross_extent = [sum((size[k][1] if horizontal else size[k][0]) for k in col) + _GAP_Y * (len(col) - 1)
                    for col in columns]
    total_cross = max(cross_extent)
    gap_main = _GAP_X if horizontal else _GAP_X * 0.8
    xy: dict[str, tuple[float, float]] = {}
    main = _PAD
    for li, col in enumerate(columns):
        cross = _PAD + (total_cross - cross_extent[li]) / 2
        for k in col:
            w, h = size[k]
            if horizontal:
                xy[k] = (main + (main_extent[li] - w) / 2, cross)
                cross += h + _GAP_Y
            else:
                xy[k] = (cross, main + (main_extent[li] - h) / 2)
                cross += w + _GAP_Y
        main += main_extent[li] + gap_main
    width = (main - gap_main + _PAD) if horizontal else total_cross + 2 * _PAD
    height = total_cross + 2 * _PAD if horizontal else (main - gap_main + _PAD)
    note_h = 20.0 if note else 0.0
    width = max(width, len(note) * 6.0 + 2 * _PAD)
    frames: dict[str, list[float]] = {}  # a checkpointed segment: a dashed frame around its boxes
    for b in boxes:
        if b.cluster:
            (x, y), (w, h) = xy[b.key], size[b.key]
            f = frames.setdefault(b.cluster, [x, y, x + w, y + h])
            f[:] = [min(f[0], x), min(f[1], y), max(f[2], x + w), max(f[3], y + h)]
    for title, f in frames.items():
        f[2] = max(f[2], f[0] + len(title.split("|", 1)[1]) * 6.0)  # the title (10 px) fits inside the frame
        width = max(width, f[2] + 6 + _PAD)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}pt" height="{height + note_h:.0f}pt" '
        f'viewBox="0 0 {width:.1f} {height + note_h:.1f}" font-family="DejaVu Sans Mono, Menlo, monospace" '
        'font-size="12">',
        '<defs><marker id="mgx-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555555"/></marker></defs>',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    for title, (x0, y0, x1, y1) in frames.items():
        out.append(f'<rect x="{x0 - 6:.1f}" y="{y0 - 18:.1f}" width="{x1 - x0 + 12:.1f}" height="{y1 - y0 + 24:.1f}" '
                   f'rx="6" fill="none" stroke="{_SEGMENT}" stroke-dasharray="6,4"/>')
        out.append(f'<text x="{x0:.1f}" y="{y0 - 6:.1f}" font-size="10" fill="{_SEGMENT}">'
                   f'{html.escape(title.split("|", 1)[1])}</text>')
    seen_pairs: dict[tuple[str, str], int] = {}
    for a, b, tag in edges:
        (ax, ay), (aw, ah) = xy[a], size[a]
        (bx, by), (bw, bh) = xy[b], size[b]
        k = seen_pairs[(a, b)] = seen_pairs.get((a, b), -1) + 1  # x * x: two arrows, drawn apart
        shift = 5.0 * k
        ax, ay, bx, by = (ax, ay + shift, bx, by + shift) if horizontal else (ax + shift, ay, bx + shift, by)
        if horizontal:
            x1, y1, x2, y2 = ax + aw, ay + ah / 2, bx, by + bh / 2
            mid = (x1 + x2) / 2
            path = f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
        else:
            x1, y1, x2, y2 = ax + aw / 2, ay + ah, bx + bw / 2, by
            mid = (y1 + y2) / 2
            path = f"M{x1:.1f},{y1:.1f} C{x1:.1f},{mid:.1f} {x2:.1f},{mid:.1f} {x2:.1f},{y2:.1f}"
        out.append(f'<path d="{path}" fill="none" stroke="#555555" marker-end="url(#mgx-arrow)"/>')
        if tag:
            out.append(f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2 - 3:.1f}" font-size="9" '
                       f'fill="#555555">{html.escape(tag)}</text>')
    for b in boxes:
        (x, y), (w, h) = xy[b.key], size[b.key]
        fill = _COLORS["root" if b.root else b.kind]
        cy = y + h / 2 + 4
        if b.kind == "op":
            out.append(f'<ellipse cx="{x + w / 2:.1f}" cy="{y + h / 2:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" '
                       f'fill="{fill}" stroke="#333333"/>')
        elif b.kind == "more":
            pass
        else:
            dash = ' stroke-dasharray="4,3"' if b.kind in ("const", "recomputed") else ""
            width_px = "2" if b.root else "1"
            stroke = _SEGMENT if b.kind == "recomputed" else "#333333"
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="3" fill="{fill}" '
                       f'stroke="{stroke}" stroke-width="{width_px}"{dash}/>')
        if b.kind in ("value", "recomputed"):
            for i, f in enumerate(b.fields):
                fy = y + i * _LINE_H
                if i:
                    out.append(f'<line x1="{x:.1f}" y1="{fy:.1f}" x2="{x + w:.1f}" y2="{fy:.1f}" stroke="#333333"/>')
                out.append(f'<text x="{x + w / 2:.1f}" y="{fy + _LINE_H / 2 + 4:.1f}" text-anchor="middle">'
                           f"{html.escape(f)}</text>")
        else:
            style = ' font-style="italic" fill="#555555"' if b.kind == "more" else ""
            out.append(f'<text x="{x + w / 2:.1f}" y="{cy:.1f}" text-anchor="middle"{style}>'
                       f"{html.escape(b.fields[0])}</text>")
    if note:
        out.append(f'<text x="{_PAD:.1f}" y="{height + note_h - 6:.1f}" font-size="11" fill="#555555">'
                   f"{html.escape(note)}</text>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _check_engine(engine: str) -> str:
    if engine not in _ENGINES:
        raise ValueError(f"engine must be one of {', '.join(map(repr, _ENGINES))}; got {engine!r}")
    if engine == "auto":
        return "dot" if dot_available() else "builtin"
    if engine == "dot" and not dot_available():
        raise RuntimeError(_DOT_HELP)
    return engine


def to_svg(root, *, max_nodes: int = MAX_NODES, rankdir: str = "auto", names=None, engine: str = "auto") -> str:
    """A picture (SVG text) of the graph behind ``root``.

    Parameters
    ----------
    root : Scalar or Tensor
        The result to draw.
    max_nodes, rankdir, names
        As for :func:`to_dot`.
    engine : {"auto", "dot", "builtin"}
        ``"dot"`` runs Graphviz (an error that says how to install it when it
        is missing); ``"builtin"`` uses the small layered layout in this
        module, which needs nothing; ``"auto"`` (default) uses Graphviz when it
        is installed and the built-in layout otherwise.

    Examples
    --------
    >>> import microgradx as mgx
    >>> svg = to_svg(mgx.Scalar(1.0, label="x").exp(), engine="builtin")
    >>> svg.startswith("<svg") and "exp" in svg and svg.rstrip().endswith("</svg>")
    True
    """
    return draw(root, max_nodes=max_nodes, rankdir=rankdir, names=names, engine=engine).svg


class Graph:
    """A drawn graph: DOT text, an SVG picture, and an inline view in Jupyter.

    Made by :func:`draw`.  The SVG is rendered on first use.

    Attributes
    ----------
    dot : str
        The DOT text.
    num_nodes : int
        Values drawn.
    num_ops : int
        Operations drawn.
    total_nodes : int
        Values in the whole graph (more than ``num_nodes`` when it was cut).
    note : str
        The truncation note ("" when the whole graph is drawn).
    engine : str
        ``"dot"`` or ``"builtin"``: which renderer makes the SVG.
    rankdir : str
        ``"TB"`` or ``"LR"``: the layout used (what ``"auto"`` chose).

    Examples
    --------
    >>> import microgradx as mgx
    >>> g = draw(mgx.Scalar(1.0) + 2.0, engine="builtin")
    >>> g
    Graph(2 values, 1 operation, engine='builtin')
    >>> g._repr_svg_().startswith("<svg")
    True
    """

    def __init__(self, dot, boxes, edges, note, num_nodes, total_nodes, rankdir, engine):
        self.dot = dot
        self.num_nodes = num_nodes
        self.num_ops = sum(1 for b in boxes if b.kind == "op")
        self.total_nodes = total_nodes
        self.note = note
        self.engine = engine
        self.rankdir = rankdir
        self._boxes, self._edges = boxes, edges
        self._svg = None

    @property
    def truncated(self) -> bool:
        """True when only part of the graph is drawn.

        >>> import microgradx as mgx
        >>> draw(mgx.Scalar(1.0).exp().exp(), max_nodes=2).truncated
        True
        """
        return self.total_nodes > self.num_nodes

    @property
    def svg(self) -> str:
        """The picture as SVG text (rendered on first use, then kept).

        >>> import microgradx as mgx
        >>> draw(mgx.Scalar(1.0).exp(), engine="builtin").svg.startswith("<svg")
        True
        """
        if self._svg is None:
            if self.engine == "dot":
                self._svg = _svg_with_dot(self.dot)
            else:
                self._svg = _builtin_svg(self._boxes, self._edges, self.note, self.rankdir)
        return self._svg

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path) -> str:
        """Write the picture to ``path``: ``.svg`` (picture) or ``.dot``/``.gv`` (DOT text).

        Returns the path written.

        Examples
        --------
        >>> import microgradx as mgx, tempfile, os
        >>> d = tempfile.mkdtemp()
        >>> p = draw(mgx.Scalar(1.0).tanh()).save(os.path.join(d, "g.dot"))
        >>> open(p).read().startswith("digraph")
        True
        """
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        if ext == ".svg":
            text = self.svg
        elif ext in (".dot", ".gv"):
            text = self.dot
        else:
            raise ValueError(f"path must end in .svg, .dot or .gv; got {path!r}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def __repr__(self) -> str:
        ops = f"{self.num_ops} operation{'s' if self.num_ops != 1 else ''}"
        cut = f", {self.total_nodes} in the whole graph" if self.truncated else ""
        return f"Graph({self.num_nodes} value{'s' if self.num_nodes != 1 else ''}, {ops}{cut}, engine={self.engine!r})"


def draw(root, *, max_nodes: int = MAX_NODES, rankdir: str = "auto", names=None, engine: str = "auto") -> Graph:
    """Draw the graph behind ``root``: op, data (or shape) and grad of every node.

    In Jupyter the returned :class:`Graph` shows itself as a picture.  Call
    ``root.backward()`` first to see the gradients.  A block wrapped in
    ``mgx.checkpoint`` is drawn as a dashed frame holding the values the
    forward pass dropped, each marked "recomputed in the backward sweep"
    (to show them, ``draw`` runs the block once more on its saved inputs).

    Parameters
    ----------
    root : Scalar or Tensor
        The result to draw.
    max_nodes : int
        Draw at most this many values, the ones nearest ``root`` (default
        :data:`MAX_NODES`); a note says how many the whole graph has.
    rankdir : {"auto", "LR", "TB"}
        Left to right, top to bottom, or (default) whichever keeps the
        picture narrower for a page (:func:`choose_rankdir`).
    names : model, dict or list of (name, node) pairs, optional
        Names for unlabelled nodes: pass the model to see its parameters as
        ``layers.0.weight``, ``layers.0.bias``, ... (see :func:`to_dot`).
    engine : {"auto", "dot", "builtin"}
        Who renders the SVG; see :func:`to_svg`.

    Returns
    -------
    Graph

    Examples
    --------
    >>> import microgradx as mgx
    >>> x = mgx.Scalar(0.5, label="x")
    >>> for _ in range(1000):        # a deep chain: drawn without recursion, cut to 10 values
    ...     x = x * 1.0
    >>> g = draw(x, max_nodes=10)
    >>> g.num_nodes, g.total_nodes, g.note, g.rankdir
    (10, 1001, 'showing the 10 values nearest the output, of 1001', 'TB')

    A model's parameters get their names:

    >>> from microgradx import nn
    >>> model = nn.Linear(3, 2, seed=0)
    >>> loss = mgx.sum(model(mgx.ones((4, 3))))
    >>> "layers" not in draw(loss, names=model).dot and "weight" in draw(loss, names=model).dot
    True
    """
    _check_rankdir(rankdir)
    engine = _check_engine(engine)
    boxes, edges, note, num, total = _build(root, max_nodes, names)
    if rankdir == "auto":
        rankdir = _choose(boxes, edges, float(PAGE_WIDTH))
    return Graph(_dot_from(boxes, edges, note, rankdir), boxes, edges, note, num, total, rankdir, engine)
