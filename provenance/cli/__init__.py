"""The ``provenance`` command: a thin layer over the library, one module per command group.

The command itself is ``provenance.cli.main:cli``; each ``provenance/cli/*.py`` adds a group.
"""
