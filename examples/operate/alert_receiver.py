"""A webhook that prints the alerts greenhouse sends to it, for the demo and for trying
``--notify json://...`` out before pointing it at a real service.

Usage: ``python alert_receiver.py LOG [--port N]``. It listens on localhost (port N, or
one the system picks), prints ``json://localhost:PORT/alerts`` (the URL to give
``--notify``) on its first line, then appends each alert it receives to LOG as one JSON
line and prints its title.
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def serve(log: Path, port: int) -> None:
    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            alert = json.loads(body or b"{}")
            with log.open("a", encoding="utf-8") as out:
                out.write(json.dumps(alert) + "\n")
            print(f"alert: {alert.get('title', '(no title)')}", flush=True)
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Only the alerts are printed, not every request."""

    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    print(f"json://localhost:{server.server_address[1]}/alerts", flush=True)
    server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("log", type=Path, help="the file each alert is appended to")
    parser.add_argument("--port", type=int, default=0, help="default: one the system picks")
    options = parser.parse_args()
    serve(options.log, options.port)


if __name__ == "__main__":
    main()
