#!/usr/bin/env python3
"""log_sink.py PORT STATS_FILE: stands in for the registry's prediction-log upload endpoint in
prediction-log.sh (reads each Parquet file whole, answers 201 with a file record, counts files and bytes),
so the benchmark measures serving's side of logging, not PostgreSQL or S3."""
import json, sys, uuid, datetime, threading
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

port, stats_file = int(sys.argv[1]), sys.argv[2]
lock = threading.Lock()
stats = {"files": 0, "bytes": 0}

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ok = body[:4] == b"PAR1" and body[-4:] == b"PAR1"
        with lock:
            stats["files"] += ok
            stats["bytes"] += len(body) if ok else 0
            with open(stats_file, "w") as f:
                json.dump(stats, f)
        now = datetime.datetime.now(datetime.timezone.utc).isoformat()
        record = {"id": str(uuid.uuid4()), "model": "ames", "kind": "predictions", "version": 1,
                  "date": now[:10], "key": "sink", "rows": 0, "sizeBytes": len(body),
                  "minTimestamp": now, "maxTimestamp": now, "createdAt": now}
        payload = json.dumps(record).encode()
        self.send_response(201 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
