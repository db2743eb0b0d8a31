#!/usr/bin/env python3
"""testhttpd.py: a small HTTP/1.1 (optionally TLS) test server with canned behaviours, for
integration and scenario tests of probes. Python 3 standard library only; one thread per connection.

Usage:
  testhttpd.py --listen HOST:PORT [--cert F --key F] [--mode MODE] [--body TEXT]
               [--delay-ms N] [--require-auth TOKEN] [--status N] [--location URL]
               [--redirects N] [--port-file F] [--verbose]

  --listen HOST:PORT   address to bind; "[::1]:8443" for IPv6; PORT 0 picks a free port.
                       Once listening, prints one line "listening HOST PORT" on stdout (flushed)
                       and, with --port-file, writes the port number into that file (atomically),
                       so a caller can wait for readiness and learn the port.
  --cert F --key F     serve HTTPS with this PEM certificate (chain) and key (see testca.sh). The
                       TLS handshake runs in the connection's thread, so a client that stalls or
                       rejects the certificate never blocks the server.
  --mode MODE          what every request gets (default ok):
     ok        200, Content-Type text/html, the --body text (default "lifeline test page: OK")
     503       503 Service Unavailable with a short body
     slow      like ok, after --delay-ms (default 3000 in this mode) before the status line
     wrong     200 with a page that is not the expected one ("Unexpected page: hello from a
               different server"); --body replaces it
     redirect  redirect chains: GET /redirect/N (N > 0) answers 302 to /redirect/N-1, alternating
               an absolute Location (odd N, built from the Host header) and a relative one
               (even N: "N-1", resolved against /redirect/N); /redirect/0 answers like ok; any
               other path answers 302 to /redirect/R (R = --redirects, default 3). With
               --location URL every request instead answers 302 to URL (a captive portal).
     json      200, Content-Type application/json, --body or
               {"status": "ok", "service": "testhttpd", "data": {"ok": true, "count": 3}}
  --body TEXT          response body for ok / slow / wrong / json / the end of a redirect chain
  --delay-ms N         wait N ms before answering (every mode)
  --require-auth TOKEN every request must carry "Authorization: Bearer TOKEN", else 401 with
                       {"error": "unauthorized"} (compared in constant time; never logged)
  --status N           override the status code of the final answer (ok / wrong / json / 503)
  --verbose            log one line per request to stderr (method, path, status; never headers)

Every answer has Content-Length and honours keep-alive and "Connection: close". HEAD gets headers
only; POST/PUT bodies are read and discarded (json mode echoes nothing). Stops cleanly on SIGTERM
or SIGINT (exit status 0).
"""

import argparse
import hmac
import http.server
import json
import os
import signal
import socket
import socketserver
import ssl
import sys
import time
import urllib.parse

DEFAULT_BODY = "lifeline test page: OK"
WRONG_BODY = "<html><body>Unexpected page: hello from a different server</body></html>"
JSON_BODY = json.dumps({"status": "ok", "service": "testhttpd", "data": {"ok": True, "count": 3}})


def parse_listen(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT, got %r" % text)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, opts, tls_context):
        self.address_family = socket.AF_INET6 if ":" in addr[0] else socket.AF_INET
        self.opts = opts
        self.tls_context = tls_context
        super().__init__(addr, handler)

    def server_bind(self):
        # HTTPServer.server_bind resolves the host name (getfqdn), which can be slow; skip it.
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]

    def finish_request(self, request, client_address):
        if self.tls_context is not None:
            try:
                request.settimeout(30)
                request = self.tls_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return  # the client rejected our certificate or went away: expected in tests
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        # Clients that drop connections mid-answer (timeouts, size caps) are normal in tests.
        if self.opts.verbose:
            super().handle_error(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "testhttpd/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.opts.verbose:
            sys.stderr.write("testhttpd: %s\n" % (fmt % args))

    def log_request(self, code="-", size="-"):
        if self.server.opts.verbose:
            sys.stderr.write("testhttpd: %s %s -> %s\n" % (self.command, self.path, code))

    def do_GET(self):
        self.answer()

    def do_HEAD(self):
        self.answer(head=True)

    def do_POST(self):
        self.answer()

    def do_PUT(self):
        self.answer()

    def do_DELETE(self):
        self.answer()

    def send(self, status, body, content_type="text/html; charset=utf-8", location=None, head=False):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if location is not None:
            self.send_header("Location", location)
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def answer(self, head=False):
        opts = self.server.opts
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(length)
        delay_ms = opts.delay_ms
        if delay_ms is None:
            delay_ms = 3000 if opts.mode == "slow" else 0
        if delay_ms > 0:
            time.sleep(delay_ms / 1000.0)
        if opts.require_auth is not None:
            got = self.headers.get("Authorization", "")
            want = "Bearer " + opts.require_auth
            if not hmac.compare_digest(got.encode("utf-8"), want.encode("utf-8")):
                self.send(401, json.dumps({"error": "unauthorized"}), "application/json", head=head)
                return

        mode = opts.mode
        if mode in ("ok", "slow"):
            self.send(opts.status or 200, opts.body if opts.body is not None else DEFAULT_BODY,
                      head=head)
        elif mode == "503":
            self.send(opts.status or 503, opts.body if opts.body is not None else
                      "<html><body>503 Service Unavailable</body></html>", head=head)
        elif mode == "wrong":
            self.send(opts.status or 200, opts.body if opts.body is not None else WRONG_BODY,
                      head=head)
        elif mode == "json":
            self.send(opts.status or 200, opts.body if opts.body is not None else JSON_BODY,
                      "application/json", head=head)
        elif mode == "redirect":
            self.redirect(head)
        else:
            self.send(500, "unknown mode", head=head)

    def redirect(self, head):
        opts = self.server.opts
        if opts.location:
            self.send(302, "", location=opts.location, head=head)
            return
        path = urllib.parse.urlsplit(self.path).path
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "redirect" and parts[1].isdigit():
            n = int(parts[1])
            if n == 0:
                self.send(opts.status or 200, opts.body if opts.body is not None else DEFAULT_BODY,
                          head=head)
                return
            if n % 2 == 1:
                scheme = "https" if self.server.tls_context is not None else "http"
                host = self.headers.get("Host", "%s:%d" % self.server.server_address[:2])
                location = "%s://%s/redirect/%d" % (scheme, host, n - 1)
            else:
                location = "%d" % (n - 1)
            self.send(302, "", location=location, head=head)
            return
        self.send(302, "", location="/redirect/%d" % opts.redirects, head=head)


def main():
    parser = argparse.ArgumentParser(description="HTTP(S) test server with canned behaviours.")
    parser.add_argument("--listen", required=True, type=parse_listen, metavar="HOST:PORT")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--mode", default="ok",
                        choices=["ok", "503", "slow", "wrong", "redirect", "json"])
    parser.add_argument("--body")
    parser.add_argument("--delay-ms", type=int)
    parser.add_argument("--require-auth", metavar="TOKEN")
    parser.add_argument("--status", type=int)
    parser.add_argument("--location")
    parser.add_argument("--redirects", type=int, default=3)
    parser.add_argument("--port-file")
    parser.add_argument("--verbose", action="store_true")
    opts = parser.parse_args()

    tls_context = None
    if opts.cert or opts.key:
        if not (opts.cert and opts.key):
            parser.error("--cert and --key go together")
        tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_context.load_cert_chain(opts.cert, opts.key)

    server = Server(opts.listen, Handler, opts, tls_context)
    host, port = server.server_address[:2]

    def stop(signum, frame):
        # Runs in the main thread, inside serve_forever's select(): leave it at once.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if opts.port_file:
        tmp = opts.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, opts.port_file)
    print("listening %s %d" % (host, port), flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
