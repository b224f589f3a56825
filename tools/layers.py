"""The layers of microgradx, read from the real import graph.

Every module of the package gets a layer (:data:`LAYERS`, lowest first); a
module may import only modules of its own layer or of layers below it.  The
imports are read with :mod:`ast` from the source, so imports inside functions
count as much as those at the top of a file.  ``tests/test_layers.py`` checks
the rule (and that there is no import cycle); this script also draws the
architecture figure of the docs from the same graph, so it cannot drift::

    python tools/layers.py                 # write docs/_static/layers.svg
    python tools/layers.py --check         # list wrong-way imports and cycles; exit 1 if any

It needs only the standard library (it never imports microgradx).
"""

from __future__ import annotations

import argparse
import ast
import html
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "microgradx"

#: (layer, what it is, module prefixes), lowest first.  A module belongs to the layer of its longest prefix.
LAYERS = [
    ("foundations", "levels, IEEE float math, numpy kernels, argument checks",
     ["microgradx.core.state", "microgradx.core.floatmath", "microgradx.core.kernels", "microgradx.core.arguments"]),
    ("dispatch", "apply(prim, *args): the innermost active level records", ["microgradx.core.dispatch"]),
    ("rules", "the rule table: forward + local derivatives / vjp / jvp", ["microgradx.core.rules"]),
    ("engine", "topological order + backward sweep", ["microgradx.core.engine"]),
    ("backend", "compiled or reference; the rule table's fast paths",
     ["microgradx.core.backend", "microgradx.core.fast_rules", "microgradx.core", "microgradx._ext"]),
    ("nodes", "Scalar, Tensor, Dual: record operations", ["microgradx.nodes"]),
    ("functions", "mgx.exp, mgx.sum, ... (MLX's names); trees", ["microgradx.ops", "microgradx.tree"]),
    ("transforms", "grad, vjp, jvp, jacfwd, jacrev, hessian", ["microgradx.transforms"]),
    ("faces", "what users and students call",
     ["microgradx.nn", "microgradx.optim", "microgradx.check", "microgradx.datasets", "microgradx.teaching",
      "microgradx.cli", "microgradx.mlx", "microgradx.exercises", "microgradx.__main__"]),
    ("package", "import microgradx as mgx", ["microgradx"]),
]

#: Wrong-way imports that are allowed, with the reason: (importer, imported, why).
EXCEPTIONS = [
    ("microgradx.mlx.__main__", "microgradx",
     "the runner of MLX scripts (python -m microgradx.mlx) names the package's version and backend in its banner"),
]


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def layer_of(module: str) -> int:
    """Index into :data:`LAYERS` of ``module`` (its longest matching prefix)."""
    best, best_len = None, -1
    for i, (_, _, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = i, len(prefix)
    if best is None:
        raise KeyError(f"{module} has no layer: add it to LAYERS in tools/layers.py")
    return best


def imports(known: dict[str, Path]) -> list[tuple[str, str, int]]:
    """Every import of a package module by another: ``(importer, imported, line)``, imports in functions included."""
    edges = []
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")
                    base = base[: len(base) - node.level + (1 if is_package else 0)]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in known:  # a name inside a module: the module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    edges.append((name, target, node.lineno))
    return edges


def wrong_way(edges) -> list[str]:
    """The imports that point up a layer and are not in :data:`EXCEPTIONS`, as readable lines."""
    allowed = {(a, b) for a, b, _ in EXCEPTIONS}
    bad = []
    for importer, imported, line in edges:
        if layer_of(imported) > layer_of(importer) and (importer, imported) not in allowed:
            bad.append(f"{importer} (layer {LAYERS[layer_of(importer)][0]}) imports {imported} "
                       f"(layer {LAYERS[layer_of(imported)][0]}) at line {line}")
    return bad


def cycles(edges) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {}
    for a, b, _ in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        group.append(m)
                        if m == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def _box_of(module: str) -> str:
    """What the figure draws as one box: a core or node module by itself, a face package as a whole."""
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in ("core", "nodes") and len(parts) > 2:
        return ".".join(parts[:3])
    return ".".join(parts[:2])


def draw(edges, known) -> str:
    """The architecture figure as SVG: one band per layer (the lowest at the bottom), one box per module
    (face packages as one box), and an arrow for every import between boxes."""
    boxes: dict[int, list[str]] = {}
    for name in known:
        box = _box_of(name)
        if box in ("microgradx", "microgradx.core", "microgradx.nodes", "microgradx.__main__"):
            continue
        layer = layer_of(box)
        if box not in boxes.setdefault(layer, []):
            boxes[layer].append(box)
    shown = [i for i in range(len(LAYERS)) if i in boxes]
    width, band, gap, left = 1040, 62, 14, 150
    height = len(shown) * (band + gap) + 20
    pos: dict[str, tuple[float, float]] = {}
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">',
           '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
           'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    colours = ["#fdf0d5", "#e8f1fb", "#eef7e8", "#f4e8f7", "#fff3c4", "#e3f2f1", "#f7ece8", "#e8eaf7", "#f4f4f4"]
    for row, layer in enumerate(reversed(shown)):
        y = 10 + row * (band + gap)
        name, what, _ = LAYERS[layer]
        out.append(f'<rect x="10" y="{y}" width="{width - 20}" height="{band}" rx="6" '
                   f'fill="{colours[layer % len(colours)]}" stroke="#999"/>')
        out.append(f'<text x="20" y="{y + 24}" font-weight="bold" font-size="14">{name}</text>')
        for j, piece in enumerate(textwrap.wrap(what, 24)[:2]):
            out.append(f'<text x="20" y="{y + 40 + 11 * j}" font-size="9" fill="#444">{html.escape(piece)}</text>')
        members = sorted(boxes[layer])
        slot = (width - left - 20) / len(members)
        for k, box in enumerate(members):
            bx = left + k * slot + 4
            label = box.removeprefix("microgradx.").replace("core.", "").replace("nodes.", "")
            out.append(f'<rect x="{bx:.0f}" y="{y + 14}" width="{slot - 8:.0f}" height="{band - 28}" rx="4" '
                       'fill="white" stroke="#555"/>')
            out.append(f'<text x="{bx + (slot - 8) / 2:.0f}" y="{y + band / 2 + 4:.0f}" text-anchor="middle">'
                       f'{html.escape(label)}</text>')
            pos[box] = (bx + (slot - 8) / 2, y + 14)
    drawn = set()
    for a, b, _ in edges:
        pa, pb = pos.get(_box_of(a)), pos.get(_box_of(b))
        key = (_box_of(a), _box_of(b))
        if pa is None or pb is None or key in drawn or key[0] == key[1]:
            continue
        drawn.add(key)
        if pb[1] > pa[1]:  # an import of a lower layer: from the bottom of the importer to the top of the imported
            out.append(f'<line x1="{pa[0]:.0f}" y1="{pa[1] + band - 28:.0f}" x2="{pb[0]:.0f}" y2="{pb[1]:.0f}" '
                       'stroke="#888" stroke-opacity="0.45" marker-end="url(#a)"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="list wrong-way imports and cycles; exit 1 if any")
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "_static" / "layers.svg"))
    args = parser.parse_args(argv)
    known = modules()
    edges = imports(known)
    if args.check:
        problems = wrong_way(edges) + [" <-> ".join(c) + " import each other" for c in cycles(edges)]
        print("\n".join(problems) if problems else f"{len(known)} modules, {len(edges)} imports: all point down")
        return 1 if problems else 0
    Path(args.output).write_text(draw(edges, known), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
