"""Evidence: the photos and documents behind each finding, kept by their content.

- ``files``: what the bytes of a file are (hashes, media type sniffed from the bytes, EXIF time,
  camera and GPS, pixel size) and thumbnails, with Pillow; no database.
- ``store``: the write-once store on disk, one file per SHA-256 (``<db>.evidence/ab/cd/<hash>``
  beside a SQLite database).
- ``records``: adding files to the store and the database in one all-or-nothing step, what each
  shows (a component or a specimen), the append-only chain of custody, and verification.

This layer sits beside ``reference``: the loader (``ingest``) adds the files a findings file
names, and the dossier (``publish``) shows them.
"""
