"""Draw the checkpoint figure of the docs (docs/guide/mlx_transforms.rst) with ``mgx.viz``::

    python tools/checkpoint_picture.py          # write docs/_static/checkpoint.svg (needs Graphviz's dot)

The graph is the page's example: ``loss = sum(checkpoint(block)(x, w) * x)`` with
``block(x, w) = tanh(x * w + 1)``, after ``loss.backward()``.  ``tests/test_checkpoint_teaching.py`` checks
that the committed picture shows what ``draw`` shows now.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import microgradx as mgx

ROOT = Path(__file__).resolve().parents[1]


def example():
    """The docs' example graph, after ``backward()``: returns ``loss``."""
    def block(x, w):
        return mgx.tanh(x * w + 1.0)

    x = mgx.Tensor([0.5, 1.0], label="x")
    w = mgx.Tensor([2.0, 3.0], label="w")
    h = mgx.checkpoint(block)(x, w)
    h.label = "h"
    loss = mgx.sum(h * x)
    loss.label = "loss"
    loss.backward()
    return loss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "_static" / "checkpoint.svg"))
    args = parser.parse_args()
    mgx.viz.draw(example(), engine="dot", rankdir="TB").save(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
