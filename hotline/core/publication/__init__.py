"""The publication machinery the published lists share (the URL list and the hash list).

A list that members download is versioned by its own change log; this package does the rest,
once for every list:

- `formats.py`: the shape of a format registry (`FeedFormat`: name, content type, licences,
  renderers of the full list and of the changes since a version) and the JSON and CSV helpers;
- `models.py`: the abstract snapshot and chunk models each list makes concrete with its own
  tables;
- `signing.py`: the Ed25519 key (one for every list) and the canonical manifest;
- `store.py`: `Publication`, one per list: render every format from one consistent read into
  stored, signed snapshots in chunks; prune; read them back; render a diff or the empty list;
- `http.py`: what a feed request asked for, its ETag, `If-None-Match`, HEAD, the streamed
  answer with its manifest headers, and the OpenAPI text of those parameters.

It knows nothing of members or scopes beyond the scope names a format carries: each list's API
checks the key and records the download, then hands over to `http.py`.
"""
