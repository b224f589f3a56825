"""``python -m microgradx.mlx SCRIPT.py [args]``: run an unmodified MLX program on microgradx.

The script's ``import mlx.core as mx`` (and ``mlx.nn``, ``mlx.optimizers``, ``mlx.utils`` where this
package provides them) gets microgradx's MLX face.  One line on stderr says so.  An ``mlx`` module the
face does not provide fails to import with a message that names it.

Examples
--------
>>> import microgradx.mlx.__main__ as runner
>>> runner.face_name("mlx.core")
'microgradx.mlx.core'
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import runpy
import sys

USAGE = "usage: python -m microgradx.mlx SCRIPT.py [args...]"


def face_name(name: str) -> str:
    """The microgradx module that serves MLX module ``name`` (``mlx.core`` -> ``microgradx.mlx.core``).

    >>> face_name("mlx"), face_name("mlx.core.random")
    ('microgradx.mlx', 'microgradx.mlx.random')
    """
    if name == "mlx.core.random":
        return "microgradx.mlx.random"
    return "microgradx." + name


class _Alias(importlib.abc.Loader):
    """Hands out an already imported microgradx module under its MLX name (leaving its own spec alone)."""

    def __init__(self, module):
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module) -> None:
        module.__spec__ = self.spec  # the import system wrote the alias's spec over it


class MLXFace(importlib.abc.MetaPathFinder):
    """Serves ``mlx`` and ``mlx.*`` imports from ``microgradx.mlx``; names what it cannot serve."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "mlx" and not fullname.startswith("mlx."):
            return None
        target_name = face_name(fullname)
        try:
            module = importlib.import_module(target_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and target_name.startswith(exc.name):  # the face module itself is missing
                raise ModuleNotFoundError(
                    f"No module named {fullname!r} in microgradx's MLX face: it provides "
                    f"{', '.join(provided())}; {fullname} would be {target_name}, which does not exist",
                    name=fullname) from None
            raise
        return importlib.util.spec_from_loader(fullname, _Alias(module))


def provided() -> list[str]:
    """The ``mlx`` modules this package can serve (those whose microgradx module exists).

    >>> "mlx.core" in provided()
    True
    """
    names = ["mlx", "mlx.core", "mlx.core.random"]
    for sub in ("nn", "optimizers", "utils"):
        if importlib.util.find_spec(f"microgradx.mlx.{sub}") is not None:
            names.append(f"mlx.{sub}")
    return names


def install() -> None:
    """Put the face in front of every other importer (also in front of a real MLX, if installed)."""
    for name in [n for n in sys.modules if n == "mlx" or n.startswith("mlx.")]:
        del sys.modules[name]
    if not any(isinstance(f, MLXFace) for f in sys.meta_path):
        sys.meta_path.insert(0, MLXFace())


def main(argv: list[str] | None = None) -> int:
    """Run ``argv[0]`` as ``__main__`` with ``argv`` as its ``sys.argv``; 2 on a usage error."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 0 if argv else 2
    script = argv[0]
    if not os.path.isfile(script):
        print(f"{USAGE}\nmicrogradx.mlx: no such file: {script}", file=sys.stderr)
        return 2
    from .. import __version__, backend

    install()
    print(f"microgradx.mlx: running {script} on microgradx {__version__} ({backend()} "
          "backend), not MLX: mlx.core is microgradx.mlx.core (eager, CPU)", file=sys.stderr)
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
