"""Compiled (Cython) twins of the hot paths; sources live in the top-level ``ext/`` folder."""
