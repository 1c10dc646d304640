#!/usr/bin/env python3
"""ClickHouse HTTP interface on the chDB engine, for tests and the quickstart.

Started by the Rust launcher (`reshimu-clickhouse-launcher`) from the virtualenv it
builds from requirements.txt; see chdb_http/ for the pieces.

    chdb_server.py --data DIR [--host 127.0.0.1] [--port 0] [--password P] [--user NAME:PASSWORD]... [--watch-stdin] [--delete-data-on-exit]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chdb_http.server import serve  # noqa: E402 - needs the path above


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="data folder; reusing it keeps the databases")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123, help="0 picks a free port (printed as LISTENING <port>)")
    parser.add_argument("--password", default="", help="password of the `default` user")
    parser.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD", help="extra user")
    parser.add_argument("--watch-stdin", action="store_true", help="exit when stdin reaches EOF")
    parser.add_argument("--delete-data-on-exit", action="store_true", help="remove --data when stopping")
    parser.add_argument("--log-level", default=os.environ.get("CHDB_SERVER_LOG", "WARNING"))
    args = parser.parse_args()

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    users = {"default": args.password}
    for spec in args.user:
        name, sep, password = spec.partition(":")
        if not sep or not name:
            parser.error(f"--user expects NAME:PASSWORD, got {spec!r}")
        users[name] = password
    os.makedirs(args.data, exist_ok=True)
    serve(args.host, args.port, args.data, users, args.watch_stdin, args.delete_data_on_exit)


if __name__ == "__main__":
    main()
