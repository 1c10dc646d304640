"""ClickHouse HTTP interface served on top of the chDB engine (PyPI `chdb-core`).

Used by the Rust launcher in this folder when no real ClickHouse server is
available. Modules, one idea each:

- ``errors``: ClickHouse exception codes, HTTP status mapping, error bodies.
- ``native_compression``: ClickHouse native block framing (CityHash128 + LZ4).
- ``request``: turning an HTTP request into SQL, data, settings and params.
- ``engine``: the serialized chDB session and per-request setting scope.
- ``server``: the HTTP handler and process lifecycle.
"""
