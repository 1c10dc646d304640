"""A delegation across processes over HTTP: the coordinator delegates to a
query agent served by another process; W3C `traceparent` and `baggage`
travel in the headers (`reshimu.install_http_propagation` wires `requests`),
the lineage's specs in the body (`Session.handoff`), and the delegate
continues the lineage with `reshimu.extract` and `reshimu.resume`.

    python cross_process.py serve --endpoint http://127.0.0.1:4318   # prints its URL
    python cross_process.py call  --endpoint http://127.0.0.1:4318 --url URL [--drift delete]

`call` prints one JSON line: the session, the root and delegated intent ids,
and the delegate's answer.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
import reshimu
import story


def serve(endpoint: str) -> None:
    """The query agent's process: one `POST /run` per delegation."""
    provider = story.tracer_provider(endpoint, "query-agent")
    db = story.database()

    @reshimu.guarded(action=lambda query: reshimu.Action.sql(query))
    def run_sql(query: str) -> str:
        return story.run_sql(db, query)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            # `self.headers` spells names as the client sent them; extract
            # reads them in any case.
            parent = reshimu.extract(self.headers)
            with reshimu.resume(
                body["handoff"], story.QUERY_AGENT, context=parent, tracer_provider=provider
            ) as session:
                rows = run_sql(body["query"])
            provider.force_flush()
            reply = json.dumps({"rows": rows, "intent_id": session.intent_id}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        provider.shutdown()


def call(endpoint: str, url: str, drift: str) -> None:
    """The coordinator's process."""
    provider = story.tracer_provider(endpoint, "coordinator")
    reshimu.install_http_propagation()
    with reshimu.session(story.ROOT, agent="coordinator", tracer_provider=provider) as root:
        with root.delegate(story.QUERY_AGENT, story.query_contraction(drift)) as query:
            answer = requests.post(
                f"{url}/run",
                json={"handoff": query.handoff(), "query": story.sql(drift)},
                timeout=60,
            )
            answer.raise_for_status()
    provider.shutdown()
    print(
        json.dumps(
            {
                "session_id": root.session_id,
                "root_intent_id": root.intent_id,
                "query_intent_id": query.intent_id,
                "remote_intent_id": answer.json()["intent_id"],
                "rows": answer.json()["rows"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("role", choices=("serve", "call"))
    parser.add_argument("--endpoint", default="http://127.0.0.1:4318")
    parser.add_argument("--url", default=None)
    parser.add_argument("--drift", choices=story.DRIFTS, default="none")
    args = parser.parse_args()
    if args.role == "serve":
        serve(args.endpoint)
    elif args.url is None:
        sys.exit("call needs --url (what `serve` printed)")
    else:
        call(args.endpoint, args.url, args.drift)


if __name__ == "__main__":
    main()
