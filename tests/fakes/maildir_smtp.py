#!/usr/bin/env python3
"""maildir_smtp.py: a real SMTP server (aiosmtpd) that delivers every message it accepts into a
Maildir, the way a mail server's local delivery does: written under tmp/, then renamed into new/
(atomic: a reader never sees half a message). The inbox's IMAP tests point dovecot at that Maildir,
so mail sent here by SMTP is what the IMAP source reads.

Usage: maildir_smtp.py --maildir DIR [--host 127.0.0.1] [--port 0] [--port-file FILE]

Prints the bound port as the first line on stdout (and writes it to --port-file when given).
Adds a Return-Path and a Delivered-To header, like local delivery. Stops on SIGTERM or SIGINT.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Deliver:
    def __init__(self, maildir):
        self.maildir = maildir
        self.count = 0
        self.lock = threading.Lock()
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(maildir, sub), exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        name = "%d.M%dP%dQ%d.%s" % (int(time.time()), int(time.time_ns() % 1000000), os.getpid(),
                                    n, socket.gethostname())
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        head = ("Return-Path: <%s>\r\nDelivered-To: %s\r\n" % (
            envelope.mail_from, ", ".join(envelope.rcpt_tos))).encode()
        tmp = os.path.join(self.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(head + data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.rename(tmp, os.path.join(self.maildir, "new", name))
        return "250 2.0.0 Ok: delivered as %s" % name


class PortZeroController(Controller):
    """aiosmtpd checks that it started by connecting to the configured port; with port 0 that
    must be the port the kernel chose."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    args = ap.parse_args()

    controller = PortZeroController(Deliver(args.maildir), hostname=args.host, port=args.port,
                                    decode_data=False)
    controller.start()
    port = controller.server.sockets[0].getsockname()[1]
    print(port, flush=True)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(args.port_file + ".tmp", args.port_file)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
