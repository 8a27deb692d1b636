"""`hotline-feed`: the member client that keeps a local copy of the URL list in sync.

It runs on a member's own machine (an ISP's proxy or resolver host), so it needs neither Django
nor the rest of Hotline: the standard library for HTTP and files, `cryptography` for Ed25519.
`hotline-feed sync` downloads the full list once, then only the changes (`?since=`), verifies
every body against its signed manifest before applying anything, keeps its state in a
directory, and writes the files a proxy or a resolver reads (docs/urllist.md, "Keeping a copy
in sync").

Nothing in this package may import Django or another Hotline app: tests/feedclient checks it.
"""
