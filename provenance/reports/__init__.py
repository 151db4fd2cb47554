"""The reports, one module per report on one shared core (:mod:`provenance.reports.core`: the
basis, roll-up and filters, and what counts as foreign).

- :mod:`~provenance.reports.foreign_parts`: foreign-origin parts per weapon system;
- :mod:`~provenance.reports.components`: the component listing;
- :mod:`~provenance.reports.countries`, :mod:`~provenance.reports.manufacturers`,
  :mod:`~provenance.reports.chpl`, :mod:`~provenance.reports.timeline`,
  :mod:`~provenance.reports.sources`: the researcher's reports for publication.
"""
