"""Values as researchers write them, cleaned one kind at a time: text and names, dates and
date codes, countries."""
