"""Runners: one interface (context manager, `infer(packed) -> rgb`) over every backend.

`backends.py` is the table of backends, `select.open_runner` opens one for a model file, `base.Runner` is the
interface. Nothing is imported here, so that reading the table does not load a runtime.
"""
