"""Reference data kept in the database: the countries table, weapon systems and sources from
reference files, the CHPL, country groups and the manufacturer register."""
