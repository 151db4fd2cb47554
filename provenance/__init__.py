"""provenance: a component provenance database for export-control research."""

__version__ = "0.1.0"
