"""The command line: ``python -m microgradx <command> [options]`` (installed as ``microgradx`` too).

Sub-commands
------------
``demo``
    Train micrograd's moons classifier, ``MLP(2, [16, 16, 1])``, with
    micrograd's demo recipe and print its progress and final accuracy.
``tutorials DIR [--student]``, ``grade NOTEBOOK_OR_DIR``
    Write the course's notebooks; run notebooks and report each exercise
    (see :mod:`microgradx.cli.exercises`, which also documents the exit status).

Adding a sub-command takes one call to :func:`register` below the marker at
the end of this file: a name, a one-line help, a function that adds the
options to an ``argparse`` parser, and a function that runs the command and
returns the exit status.

Examples
--------
>>> from microgradx.cli import build_parser
>>> build_parser().parse_args(["demo", "--steps", "5"]).steps
5
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Subcommand", "SUBCOMMANDS", "register", "build_parser", "main", "DemoResult", "train_moons"]


@dataclass(frozen=True)
class Subcommand:
    """One sub-command of the ``microgradx`` program.

    Attributes
    ----------
    name : str
        What the user types (``demo``).
    help : str
        One line for ``--help``.
    add_arguments : callable
        ``add_arguments(parser)`` adds the options to the sub-command's ``argparse`` parser.
    run : callable
        ``run(args) -> int`` does the work and returns the exit status.

    Examples
    --------
    >>> SUBCOMMANDS["demo"].help.startswith("train")
    True
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


SUBCOMMANDS: dict[str, Subcommand] = {}


def register(name: str, help: str, add_arguments: Callable, run: Callable) -> Subcommand:  # noqa: A002
    """Add a sub-command (see :class:`Subcommand`); returns it.

    Examples
    --------
    >>> cmd = register("hello", "say hello", lambda parser: None, lambda args: print("hello") or 0)
    >>> main(["hello"])
    hello
    0
    >>> del SUBCOMMANDS["hello"]
    """
    if name in SUBCOMMANDS:
        raise ValueError(f"a sub-command named {name!r} is already registered")
    command = Subcommand(name, help, add_arguments, run)
    SUBCOMMANDS[name] = command
    return command


# ---------------------------------------------------------------------------
# demo: micrograd's moons MLP
# ---------------------------------------------------------------------------
@dataclass
class DemoResult:
    """What :func:`train_moons` reports.

    Attributes
    ----------
    accuracy : float
        Fraction of the training points the trained model classifies correctly.
    correct, samples : int
        The same as counts.
    loss : float
        The total loss at the last step.
    steps : int
        Training steps taken.
    seconds : float
        Wall time of the training loop.
    backend : str
        ``mgx.backend()`` during the run.

    Examples
    --------
    >>> DemoResult(1.0, 4, 4, 0.01, 2, 0.1, "python").accuracy
    1.0
    """

    accuracy: float
    correct: int
    samples: int
    loss: float
    steps: int
    seconds: float
    backend: str


def train_moons(steps: int = 100, seed: int = 1337, samples: int = 100, noise: float = 0.1,
                nouts: tuple[int, ...] = (16, 16, 1), progress: Callable | None = None,
                scalar_class: type | None = None) -> DemoResult:
    """Train micrograd's demo classifier on the moons data; the demo's engine room.

    The recipe is micrograd's ``demo.ipynb``: labels in {-1, +1}, the
    max-margin loss ``mean(relu(1 - y * score))`` plus ``1e-4 * sum(p**2)``,
    full batch, plain SGD with ``lr = 1.0 - 0.9 * k / steps``.

    Parameters
    ----------
    steps : int
        Training steps.
    seed : int
        Seeds the data and the initial weights.
    samples, noise : int, float
        Size and noise of the moons data (:func:`microgradx.datasets.make_moons`).
    nouts : sequence of int
        Layer sizes of ``MLP(2, nouts)``.
    progress : callable, optional
        Called as ``progress(step, loss, accuracy)`` after each step's forward pass.
    scalar_class : type, optional
        Scalar type of the model (default: the active backend's).

    Examples
    --------
    >>> result = train_moons(steps=2, samples=10, nouts=(4, 1))
    >>> result.steps, result.samples
    (2, 10)
    """
    import numpy as np

    from .. import datasets, nn, optim
    from ..core import backend
    from ..core.state import no_grad

    rng = np.random.default_rng(seed)
    X, y = datasets.make_moons(samples, noise=noise, seed=rng)
    labels = (y * 2 - 1).astype(float).tolist()
    rows = X.tolist()
    model = nn.MLP(2, list(nouts), seed=rng, scalar_class=scalar_class)
    params = model.parameters()
    opt = optim.SGD(params, lr=1.0)

    def evaluate():
        scores = [model(row) for row in rows]
        losses = [(1 + -yi * si).relu() for yi, si in zip(labels, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in params)
        correct = sum((yi > 0) == (si.data > 0) for yi, si in zip(labels, scores))
        return data_loss + reg_loss, correct

    start = time.perf_counter()
    loss_value = float("nan")
    for k in range(steps):
        total_loss, correct = evaluate()
        loss_value = total_loss.data
        opt.zero_grad()
        total_loss.backward()
        opt.lr = 1.0 - 0.9 * k / steps
        opt.step()
        if progress is not None:
            progress(k, loss_value, correct / samples)
    with no_grad():
        _, correct = evaluate()
    seconds = time.perf_counter() - start
    return DemoResult(correct / samples, int(correct), samples, loss_value, steps, seconds, backend.NAME)


def _number(kind, minimum: float, what: str):
    """An argparse type: ``kind`` (int or float) parsed from text, finite and at least ``minimum``."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}; got {text!r}") from None
        if not minimum <= value < float("inf"):
            raise argparse.ArgumentTypeError(f"expected {what}; got {text}")
        return value

    return parse


_positive_int = _number(int, 1, "a positive integer")
_non_negative_int = _number(int, 0, "an integer >= 0")
_non_negative_float = _number(float, 0.0, "a finite number >= 0")


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=_positive_int, default=100, help="training steps (default: 100)")
    parser.add_argument("--seed", type=_non_negative_int, default=1337,
                        help="seed of the data and the initial weights (default: 1337)")
    parser.add_argument("--backend", choices=("compiled", "python"), default=None,
                        help="engine to run on: 'compiled' (Cython) or 'python' (the readable reference); "
                             "default: the active one (MICROGRADX_BACKEND, else compiled)")
    parser.add_argument("--samples", type=_positive_int, default=100, help="number of moons points (default: 100)")
    parser.add_argument("--noise", type=_non_negative_float, default=0.1, help="noise of the moons (default: 0.1)")
    parser.add_argument("--every", type=_positive_int, default=10,
                        help="print progress every N steps (default: 10)")


def _demo_run(args: argparse.Namespace) -> int:
    from ..core import backend

    if args.backend is not None and args.backend != backend.NAME and args.backend != backend.REQUESTED:
        # The backend is fixed when microgradx is imported, which ``python -m microgradx`` did before
        # this code ran: run the demo again in a fresh interpreter with the variable set.
        env = dict(os.environ, MICROGRADX_BACKEND=args.backend)
        sys.stdout.flush()
        return subprocess.call([sys.executable, "-m", "microgradx", *args.argv], env=env)

    active = backend.NAME
    note = ""
    if args.backend == "compiled" and active != "compiled":
        note = " (compiled requested, but the extension is not built: running on the reference)"
    print(f"microgradx demo: MLP(2, [16, 16, 1]) on {args.samples} moons points (noise {args.noise}, "
          f"seed {args.seed}), {args.steps} steps of SGD, backend: {active}{note}", flush=True)

    def progress(step: int, loss: float, accuracy: float) -> None:
        if step % args.every == 0 or step == args.steps - 1:
            print(f"step {step:4d}/{args.steps}  loss {loss:.4f}  accuracy {accuracy:.3f}", flush=True)

    result = train_moons(steps=args.steps, seed=args.seed, samples=args.samples, noise=args.noise,
                         progress=progress)
    print(f"final accuracy: {result.accuracy:.3f} ({result.correct}/{result.samples} points)  "
          f"backend: {result.backend}  time: {result.seconds:.2f} s", flush=True)
    return 0


register("demo", "train micrograd's moons MLP and print its progress and final accuracy", _demo_arguments, _demo_run)

# [docs] further sub-commands are registered below this line
from .graph import add_graph_arguments, run_graph  # noqa: E402 - the graph command lives in cli/graph.py

register("graph", "draw the graph of an expression and narrate its backward sweep", add_graph_arguments, run_graph)

from .exercises import add_grade_arguments, add_tutorials_arguments, run_grade, run_tutorials  # noqa: E402

register("tutorials", "write the course's notebooks (.ipynb) into a folder; --student: without the solutions",
         add_tutorials_arguments, run_tutorials)
register("grade", "run notebooks and report each exercise: passed, failed (and why) or not attempted",
         add_grade_arguments, run_grade)


# ---------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The ``argparse`` parser with every registered sub-command.

    Examples
    --------
    >>> "demo" in build_parser().format_help()
    True
    """
    parser = argparse.ArgumentParser(
        prog="microgradx",
        description="microgradx: automatic differentiation you can read, fast enough to use.",
        epilog="The engine is chosen by MICROGRADX_BACKEND=compiled|python (default: compiled).",
    )
    sub = parser.add_subparsers(dest="command", metavar="command")
    for command in SUBCOMMANDS.values():
        sub_parser = sub.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub_parser)
        sub_parser.set_defaults(_run=command.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the program; returns the exit status (0 on success).

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Examples
    --------
    >>> main([])  # doctest: +ELLIPSIS
    usage: microgradx [-h] command ...
    microgradx: choose a command: demo... (see --help)
    2
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_usage(sys.stdout)
        print("microgradx: choose a command:", ", ".join(SUBCOMMANDS), "(see --help)")
        return 2
    args.argv = argv
    return args._run(args)
