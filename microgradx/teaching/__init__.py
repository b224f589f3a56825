"""Teaching tools: graph pictures (:mod:`~microgradx.teaching.viz`), the backward-sweep narrator
(:mod:`~microgradx.teaching.explain`) and safely parsed expressions
(:mod:`~microgradx.teaching.expression`).

They read graphs that the nodes recorded; nothing below them imports them.  ``mgx.viz`` and
``mgx.explain`` are the public names.
"""
