#!/usr/bin/env python3
"""smtp_sink.py: a real SMTP server (aiosmtpd) for the e-mail channel's tests: it stores every
message it accepts, and answers with failures when the recipient (or sender) asks for one.

Usage:
  smtp_sink.py --dir DIR [--host 127.0.0.1] [--port 0] [--port-file FILE]
               [--cert PEM --key PEM [--require-starttls] [--implicit-tls]]
               [--auth USER:PASSWORD] [--hang-seconds 30]

Prints the bound port as the first line on stdout (and writes it to --port-file when given).
With --cert/--key it offers STARTTLS (--require-starttls: refuses MAIL before it), or with
--implicit-tls speaks TLS from the first byte (SMTPS). With --auth it requires AUTH PLAIN/LOGIN
with that user and password (over TLS only, unless no TLS is configured at all).

Every accepted message is stored as DIR/NNNN.eml (the bytes after DATA) and DIR/NNNN.json:
  {"queue_id", "mail_from", "rcpt_tos", "tls", "auth_user", "hung",
   "subject", "from", "to", "date", "message_id", "content_type",
   "parts": [{"content_type", "charset", "transfer_encoding", "body"}]}
(header values decoded by Python's email package, an independent MIME implementation).

Failures on demand, by the local part of an address:
  RCPT TO:<rcpt-CODE@...>   answers CODE to that RCPT (e.g. rcpt-550@x.test, rcpt-451@x.test)
  RCPT TO:<data-CODE@...>   accepts the recipient, answers CODE after the message (not stored)
  RCPT TO:<hang@...>        stores the message, then waits --hang-seconds before answering 250
                            (the client's timeout after the end of data)
  MAIL FROM:<mail-CODE@...> answers CODE to MAIL FROM
Stops on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import email
import email.policy
import json
import os
import re
import secrets
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

TEXTS = {
    421: "4.3.2 Service shutting down (test sink)",
    450: "4.2.1 Mailbox busy (test sink)",
    451: "4.3.0 Try again later (test sink)",
    452: "4.5.3 Too many recipients (test sink)",
    550: "5.1.1 Mailbox unavailable (test sink)",
    552: "5.3.4 Message too big (test sink)",
    553: "5.1.3 Bad recipient address syntax (test sink)",
    554: "5.6.0 Message rejected (test sink)",
}


def reply_for(code):
    if code in TEXTS:
        return "%d %s" % (code, TEXTS[code])
    return "%d %s" % (code, "4.0.0 Deferred (test sink)" if code < 500 else "5.0.0 Refused (test sink)")


def code_in(address, prefix):
    local = address.split("@", 1)[0].lower()
    m = re.fullmatch(prefix + r"-(\d{3})", local)
    return int(m.group(1)) if m else None


class Sink:
    def __init__(self, directory, hang_seconds):
        self.directory = directory
        self.hang_seconds = hang_seconds
        self.lock = threading.Lock()
        self.count = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        code = code_in(address, "mail")
        if code:
            return reply_for(code)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = code_in(address, "rcpt")
        if code:
            return reply_for(code).replace("Mailbox", "<%s>: Mailbox" % address, 1)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            code = code_in(rcpt, "data")
            if code:
                return reply_for(code)
        hang = any(r.split("@", 1)[0].lower() == "hang" for r in envelope.rcpt_tos)
        queue_id = "Q" + secrets.token_hex(5).upper()
        # session.ssl is set by STARTTLS only; implicit TLS shows on the transport.
        tls = bool(session.ssl) or server.transport.get_extra_info("ssl_object") is not None
        self.store(session, envelope, queue_id, hang, tls)
        if hang:
            await asyncio.sleep(self.hang_seconds)
        return "250 2.0.0 Ok: queued as " + queue_id

    def store(self, session, envelope, queue_id, hang, tls):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        for part in msg.walk():
            if part.is_multipart():
                continue
            try:
                body = part.get_content()
            except Exception as e:  # a broken part is a test failure to report, not a crash
                body = "<undecodable: %s>" % e
            parts.append({
                "content_type": part.get_content_type(),
                "charset": part.get_content_charset(),
                "transfer_encoding": part.get("Content-Transfer-Encoding", ""),
                "body": body,
            })
        summary = {
            "queue_id": queue_id,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "tls": tls,
            "auth_user": (session.auth_data.login.decode()
                          if isinstance(getattr(session, "auth_data", None), LoginPassword) else None),
            "hung": hang,
            "subject": str(msg.get("Subject", "")),
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "date": str(msg.get("Date", "")),
            "message_id": str(msg.get("Message-ID", "")),
            "auto_submitted": str(msg.get("Auto-Submitted", "")),
            "content_type": msg.get_content_type(),
            "parts": parts,
        }
        with self.lock:
            self.count += 1
            name = os.path.join(self.directory, "%04d" % self.count)
        with open(name + ".eml", "wb") as f:
            f.write(raw)
        # The .json appears last and whole (rename): a reader never sees half of it.
        with open(name + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=1)
        os.rename(name + ".json.tmp", name + ".json")


class PortZeroController(Controller):
    """aiosmtpd's Controller binds port 0 fine but then pokes the server on port 0 to check that
    it started; point that check at the port the kernel actually chose."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--require-starttls", action="store_true")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--auth")
    ap.add_argument("--hang-seconds", type=float, default=30.0)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    tls = None
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)

    kwargs = {"server_hostname": "sink.lifeline.test", "ident": "Lifeline test sink"}
    if args.auth:
        user, _, password = args.auth.partition(":")

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
                  and auth_data.password.decode() == password)
            # handled=False: aiosmtpd itself answers a failure with 535 5.7.8.
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=tls is not None)
    if tls is not None and not args.implicit_tls:
        kwargs.update(tls_context=tls, require_starttls=args.require_starttls)

    controller = PortZeroController(Sink(args.dir, args.hang_seconds), hostname=args.host,
                                    port=args.port,
                                    ssl_context=tls if args.implicit_tls else None, **kwargs)
    controller.start()
    port = controller.server.sockets[0].getsockname()[1]
    print(port, flush=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".tmp", args.port_file)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.is_set():
        time.sleep(0.2)
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
