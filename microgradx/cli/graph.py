"""The ``graph`` sub-command: ``python -m microgradx graph EXPR --at x=2 [-o FILE] [--explain]``.

It parses the expression safely (:mod:`microgradx.teaching.expression`), draws its graph
(:mod:`microgradx.teaching.viz`) and narrates its backward sweep (:mod:`microgradx.teaching.explain`).

Examples
--------
>>> main(["x*x", "--at", "x=3", "--explain"])  # doctest: +ELLIPSIS
Backward sweep...
0
"""

from __future__ import annotations

import argparse
import sys

from ..teaching import viz
from ..teaching.explain import explain
from ..teaching.expression import ExpressionError, evaluate, functions, parse_values

__all__ = ["add_graph_arguments", "run_graph", "main"]

def _description() -> str:
    return """\
Draw the graph of an arithmetic expression of Scalars, with values and gradients,
and optionally narrate its backward sweep step by step.

The expression may use numbers, variables (give their values with --at), + - * / **,
unary -, and the functions: """ + ", ".join(functions()) + """.
It is parsed and checked, never evaluated as Python: anything else is refused.

examples:
  python -m microgradx graph "tanh(x*w + b)" --at x=2,w=-3,b=6.88 -o graph.svg
  python -m microgradx graph "x*x + 3*x" --at x=2 --explain
"""


def add_graph_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``graph`` sub-command's arguments (and its description) to ``parser``.

    :mod:`microgradx.cli` registers it with this function and :func:`run_graph`.

    Examples
    --------
    >>> p = argparse.ArgumentParser(prog="microgradx graph")
    >>> add_graph_arguments(p)
    >>> p.parse_args(["x*x", "--at", "x=3"]).at
    'x=3'
    """
    parser.description = _description()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("expression", help='e.g. "tanh(x*w + b)"')
    parser.add_argument("--at", default="", metavar="NAME=VALUE,...",
                        help="values of the variables, e.g. x=2,w=-3,b=6.88")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the picture: FILE.svg (picture) or FILE.dot / FILE.gv (Graphviz text)")
    parser.add_argument("--explain", action="store_true", help="print the backward sweep step by step")
    parser.add_argument("--engine", choices=("auto", "dot", "builtin"), default="auto",
                        help="who draws the SVG: Graphviz's dot, the built-in layout, or auto (dot if installed)")
    parser.add_argument("--rankdir", choices=("LR", "TB"), default="LR",
                        help="draw left to right (LR, default) or top to bottom (TB)")


def run_graph(args: argparse.Namespace) -> int:
    """Run the ``graph`` sub-command; return the exit status (0 ok, 2 refused/invalid input).

    Without ``-o`` and ``--explain`` the DOT text goes to standard output.

    Examples
    --------
    >>> ns = argparse.Namespace(expression="x*x", at="x=3", output=None, explain=False, engine="builtin")
    >>> run_graph(ns)  # doctest: +ELLIPSIS
    digraph microgradx {
    ...
    0
    """
    try:
        root = evaluate(args.expression, parse_values(args.at))
    except (ExpressionError, TypeError) as exc:
        print(f"microgradx graph: error: {exc}", file=sys.stderr)
        return 2
    narration = explain(root) if args.explain else None
    root.backward()
    if args.output:
        try:
            graph = viz.draw(root, engine=args.engine, rankdir=getattr(args, "rankdir", "LR"))
            graph.save(args.output)
        except (ValueError, RuntimeError, OSError) as exc:
            print(f"microgradx graph: error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {args.output}: {graph!r}")
    if narration is not None:
        print(narration)
    if not args.output and narration is None:
        sys.stdout.write(viz.to_dot(root, rankdir=getattr(args, "rankdir", "LR")))
    return 0


def main(argv=None) -> int:
    """Run the ``graph`` command on ``argv`` (the words after ``graph``); return the exit status.

    ``python -m microgradx graph ...`` is the usual way in; this is the same
    command without the rest of the program.

    Examples
    --------
    >>> main(["x.__class__", "--at", "x=1"])
    2
    """
    parser = argparse.ArgumentParser(prog="microgradx graph")
    add_graph_arguments(parser)
    return run_graph(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
