"""SQL and BI tools: read-only queries, the read-only role, exports, Datasette metadata."""
