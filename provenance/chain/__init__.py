"""The supply chain (issue 16): parties that handled a part, the transfers between them (claims,
one per source, kept side by side when they disagree), trace requests to companies, and the chain
read back as text, JSON, Markdown or a Graphviz picture.

A layer of its own above ``ingest`` and ``reports``: it reads files with ``ingest.readers`` and
resolves weapon systems with ``reports.core``; ``publish`` (the dossier) and ``bi`` (FtM) may use
it.
"""
