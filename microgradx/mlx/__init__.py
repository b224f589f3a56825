"""The MLX face of microgradx: MLX's names, defaults and module semantics over the same engine.

An MLX program runs on microgradx by changing its imports::

    import microgradx.mlx.core as mx          # instead of: import mlx.core as mx
    import microgradx.mlx.nn as nn            # instead of: import mlx.nn as nn
    import microgradx.mlx.optimizers as optim # instead of: import mlx.optimizers as optim

Sub-modules: ``core`` (arrays, dtypes, random, array functions, transforms), ``nn`` (modules, layers,
losses), ``optimizers``, ``utils`` (tree helpers). Nothing here re-implements the engine: each name is
the engine's own function or a thin adapter that gives it MLX's defaults (float32 for Python floats).
"""
