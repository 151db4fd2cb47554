"""Reports as documents, in every output format, with charts and the dossier.

- :mod:`~provenance.publish.formats`: the cell rules and writers every output shares;
- :mod:`~provenance.publish.documents`: the document and its rendering (table, Markdown, CSV,
  JSON, xlsx, HTML);
- :mod:`~provenance.publish.report_documents`: each report as a document;
- :mod:`~provenance.publish.charts`, :mod:`~provenance.publish.dossier`: charts, and every report
  of one weapon system as one page;
- :mod:`~provenance.publish.render`, :mod:`~provenance.publish.render_manufacturers`: what is not
  a report (load and seed summaries, query rows; manufacturer listings).
"""
