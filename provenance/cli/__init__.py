"""The ``provenance`` command: a thin layer over the library, one module per command group.

The command itself is ``provenance.cli.main:cli`` (the root group and its ``add_command``
calls); ``db`` (init, db), ``load`` (load, seed), ``reports``, ``reference``, ``manufacturers``,
``country`` and ``sql`` (query, export, datasette-metadata, db grant-readonly) each hold a
group of commands; ``common`` the options and error handling they share.
"""
