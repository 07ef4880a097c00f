#!/usr/bin/env python3
"""A minimal OTLP/HTTP (protobuf) trace sink for measuring what the services export, no collector needed.

    python3 scripts/local/otlp-sink.py 4318 spans.tsv &
    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf <start a service>

Every span of every POST /v1/traces is appended to the TSV as
service, trace id, span id, parent span id, name, start (unix ns), duration (ms); logs and metrics are accepted
and dropped. docs/observability.md uses it for the traces-per-minute and span-name figures.
"""
import http.server
import sys


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def fields(buf):
    """(field number, wire type, value) of one protobuf message; length-delimited values as bytes."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = int.from_bytes(buf[i:i + 8], "little"), i + 8
        elif wire == 2:
            length, i = varint(buf, i)
            value, i = buf[i:i + length], i + length
        elif wire == 5:
            value, i = int.from_bytes(buf[i:i + 4], "little"), i + 4
        else:
            raise ValueError(f"wire type {wire}")
        yield number, wire, value


def service_name(resource):
    for number, _, attribute in fields(resource):
        if number != 1:
            continue
        parts = dict((n, v) for n, _, v in fields(attribute))
        if parts.get(1) == b"service.name":
            return dict((n, v) for n, _, v in fields(parts.get(2, b""))).get(1, b"?").decode()
    return "?"


def spans(request):
    # ExportTraceServiceRequest{1: ResourceSpans{1: Resource, 2: ScopeSpans{2: Span}}}
    for number, _, resource_spans in fields(request):
        if number != 1:
            continue
        parts = list(fields(resource_spans))
        service = next((service_name(v) for n, _, v in parts if n == 1), "?")
        for scope_spans in (v for n, _, v in parts if n == 2):
            for span in (v for n, _, v in fields(scope_spans) if n == 2):
                s = {n: v for n, _, v in fields(span)}
                start, end = s.get(7, 0), s.get(8, 0)
                yield (service, s.get(1, b"").hex(), s.get(2, b"").hex(), s.get(4, b"").hex(),
                       s.get(5, b"").decode(), str(start), f"{(end - start) / 1e6:.1f}")


class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.endswith("/v1/traces"):
            with open(sys.argv[2], "a") as out:
                for row in spans(body):
                    out.write("\t".join(row) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
