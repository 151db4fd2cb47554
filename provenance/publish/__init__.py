"""Reports as documents: tables in every output format, charts, the dossier."""
