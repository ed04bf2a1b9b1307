"""Tools for testing servicecore and the adapters integrators write for it.

:mod:`servicecore.testing.strategies` holds Hypothesis strategies producing valid model objects.
This package may import test-only libraries (Hypothesis); the library proper never imports it.
"""
