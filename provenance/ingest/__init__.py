"""Loading findings: reading files in any format, column mappings, checking every row and writing
it all or nothing."""
