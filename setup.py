"""Build script: cythonize every ``ext/*.pyx`` into ``microgradx._ext.<name>``.

Compiler directives are set once, here.  ``MICROGRADX_DEBUG_BUILD=1`` turns
bounds, wraparound and initialisation checks back on (and compiles with
``-O0 -g``) for debugging a kernel.
"""

import glob
import os

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_py import build_py

DEBUG = os.environ.get("MICROGRADX_DEBUG_BUILD", "") == "1"
# MICROGRADX_EXT=kernels,engine builds only those modules (handy while working on one of them)
ONLY = {n for n in os.environ.get("MICROGRADX_EXT", "").split(",") if n}

directives = {
    "language_level": 3,
    "binding": True,  # Sphinx sees real signatures
    "embedsignature": True,
    "boundscheck": DEBUG,
    "wraparound": DEBUG,
    "initializedcheck": DEBUG,
    "cdivision": True,  # IEEE division: 1.0/0.0 is inf, not ZeroDivisionError
}

# -ffp-contract=off: every product is rounded on its own, as numpy rounds it (no fused multiply-add where the
# CPU has one), so the compiled loops agree with their numpy references on every machine
compile_args = (["-O0", "-g"] if DEBUG else ["-O3"]) + ["-ffp-contract=off"]

extensions = [
    Extension(
        f"microgradx._ext.{os.path.splitext(os.path.basename(path))[0]}",
        [path],
        include_dirs=[np.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=compile_args,
    )
    for path in sorted(glob.glob(os.path.join("ext", "*.pyx")))
    if not ONLY or os.path.splitext(os.path.basename(path))[0] in ONLY
]



class build_py_with_tutorials(build_py):
    """Also copy the tutorials' MyST sources into the package (microgradx/_tutorials), so an installed copy
    can write the notebooks (``python -m microgradx tutorials DIR``) without the repository."""

    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "microgradx", "_tutorials")
        self.mkpath(target)
        for path in sorted(glob.glob(os.path.join("tutorials", "*.md"))):
            self.copy_file(path, os.path.join(target, os.path.basename(path)))


setup(ext_modules=cythonize(extensions, compiler_directives=directives, quiet=True),
      cmdclass={"build_py": build_py_with_tutorials})
