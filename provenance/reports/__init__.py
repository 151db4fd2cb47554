"""Reports computed in the database: the foreign-origin parts, component listings, countries,
manufacturers, the CHPL, time and sources."""
