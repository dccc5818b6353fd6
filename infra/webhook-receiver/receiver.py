#!/usr/bin/env python3
"""A webhook receiver for local runs: prints every delivery and whether its Standard Webhooks
signature verifies.

  python3 infra/webhook-receiver/receiver.py [--port 8787] [--secret whsec_...]

The secret is the one `POST /v4/webhook` answered (also read from WEBHOOK_SECRET). Register
http://127.0.0.1:8787/hook as the webhook (plain http to loopback is allowed in local mode).
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60


def verify(secret, headers, body):
    """The Standard Webhooks check: HMAC-SHA256 of "id.timestamp.body" under the secret's key,
    base64, against each "v1,<sig>" of webhook-signature; and a timestamp within 5 minutes."""
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()
    signatures = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split() if s.startswith("v1,")]
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) <= TOLERANCE_SECONDS
    return fresh and any(hmac.compare_digest(expected, s) for s in signatures)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8787)
    parser.add_argument("--secret", default=os.environ.get("WEBHOOK_SECRET", ""))
    args = parser.parse_args()
    seen = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            headers = {k.lower(): v for k, v in self.headers.items()}
            ok = verify(args.secret, headers, body) if args.secret else None
            msg_id = headers.get("webhook-id", "")
            repeat = msg_id in seen
            seen.add(msg_id)
            try:
                event = json.loads(body)
            except ValueError:
                event = {"unreadable": body[:200].decode(errors="replace")}
            verdict = {True: "signature OK", False: "SIGNATURE INVALID", None: "not verified (no --secret)"}[ok]
            print(f"--- {event.get('type')} {msg_id} ({verdict}{', a repeat: ignore it' if repeat else ''})")
            data = event.get("data", {})
            for f in data.get("files", []):
                parsed = f.get("parsed") or {}
                total = (parsed.get("summary") or {}).get("total_value")
                error = (f.get("parse_error") or {}).get("code")
                print(f"    {f.get('cas_type'):8} {f.get('filename')}  {f.get('message_date')}  "
                      f"{'total ' + str(total) if total is not None else ''}{error or ''}")
            if not data.get("files"):
                print(f"    {json.dumps(data)}")
            self.send_response(204 if ok is not False else 400)
            self.end_headers()

        def log_message(self, *_):
            pass

    print(f"webhook receiver on http://127.0.0.1:{args.port}/hook", flush=True)
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
