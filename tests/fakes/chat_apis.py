#!/usr/bin/env python3
"""chat_apis.py: local emulators of the chat APIs Lifeline's channel adapters call, for
integration tests, the demo and end-to-end tests. Python 3 standard library only.

One HTTP server on loopback serves, each at its documented path and with its documented request
checks, success answers, error answers and rate-limit signals:

  Telegram Bot API      POST /bot<TOKEN>/sendMessage, GET /bot<TOKEN>/getUpdates (long poll of
                        the updates queued with /_control {"telegram_updates": [...]}),
                        GET /bot<TOKEN>/getWebhookInfo (/_control {"telegram_webhook_info": {..}})
  WhatsApp Cloud API    POST /v<NN.N>/<PHONE_NUMBER_ID>/messages     (Bearer token)
  Messenger/Instagram   POST /v<NN.N>/<PAGE_OR_IG_ID|me>/messages    (Bearer token or access_token=)
  Conversations API     GET /v<NN.N>/<PAGE_ID>/conversations?platform=messenger&fields=...
                        GET /v<NN.N>/<CONVERSATION_ID>/messages  (the conversations set with
                        /_control {"messenger_conversations": [...]}, cursor paging)
  Twilio Messaging      POST /2010-04-01/Accounts/<SID>/Messages.json (HTTP basic auth, form body)
  Slack webhooks        POST /services/<T>/<B>/<SECRET>
  Discord webhooks      POST /api/webhooks/<ID>/<TOKEN>[?wait=true]
  Teams Workflows       POST /workflows/<ID>/triggers/manual/paths/invoke?api-version=..&sig=..
  Generic webhook sink  POST /hook/<NAME>  (checks X-Lifeline-Signature, deduplicates by
                                            Idempotency-Key)

See tests/fakes/README.md for the credentials it accepts, the control endpoint (POST /_control:
make a platform fail, rate-limit, hang or close the connection) and GET /_received.

Usage: chat_apis.py [--listen 127.0.0.1] [--port 0] [--port-file F] [--verbose]
The first line on stdout is the port number (flushed); with --port-file the port is also written
there (atomically). Stops cleanly on SIGTERM/SIGINT.
"""

import argparse
import base64
import hashlib
import hmac
import http.server
import itertools
import json
import os
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

# Credentials the fake accepts (the tests' configs use the same values).
TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
WHATSAPP_TOKEN = "EAAG-lifeline-test-token"
PAGE_TOKEN = "EAAP-lifeline-test-page-token"
TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "lifeline-test-auth-token"
SLACK_SECRET = "lifelineSlackSecret0000"
DISCORD_TOKEN = "lifeline-discord-token-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"
TEAMS_SIG = "lifeline-teams-sig"
WEBHOOK_SECRET = "lifeline-webhook-secret"
WHATSAPP_TEMPLATES = {"lifeline_alert"}

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENSION = set("\f^{}\\[~]|€")


def sms_segments(text):
    """(encoding, segments) as carriers split `text` (GSM-7 160/153, UCS-2 70/67)."""
    if all(c in GSM_BASIC or c in GSM_EXTENSION for c in text):
        units = sum(2 if c in GSM_EXTENSION else 1 for c in text)
        return "GSM-7", 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    return "UCS-2", 1 if units <= 70 else -(-units // 67)


def utf16_len(text):
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text)


class State:
    """Everything the control endpoint changes. `lock` guards every field."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.received = []        # one dict per API request (not control requests)
        self.faults = []          # {"platform", "fault": {...}, "times": n}
        self.buckets = {}         # platform -> [rate, burst, tokens, last]
        self.whatsapp_window_closed = set()   # E.164 numbers (with '+')
        self.messenger_window_closed = set()  # scoped ids
        self.twilio_unsubscribed = set()
        self.telegram_unknown_chats = set()
        self.telegram_updates = []  # Update objects getUpdates hands out until confirmed
        self.webhook_seen = {}    # Idempotency-Key -> id
        # The Conversations API: [{"id": "t_..", "messages": [{"id", "message", "from": {"id",
        # "name"}, "created_time"}]}], and its page sizes (conversations, messages).
        self.messenger_conversations = []
        self.messenger_page_sizes = (25, 25)
        self.telegram_webhook_info = None
        self.ids = itertools.count(1000)


STATE = State()


def take_fault(platform):
    with STATE.lock:
        for f in STATE.faults:
            if f["platform"] in (platform, "*") and f["times"] != 0:
                if f["times"] > 0:
                    f["times"] -= 1
                return dict(f["fault"])
    return None


def over_rate(platform):
    """True when the platform's token bucket (set by /_control "rate") is empty."""
    with STATE.lock:
        b = STATE.buckets.get(platform)
        if b is None:
            return False
        rate, burst, tokens, last = b
        now = time.monotonic()
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens < 1:
            b[2], b[3] = tokens, now
            return True
        b[2], b[3] = tokens - 1, now
        return False


def next_id():
    with STATE.lock:
        return next(STATE.ids)


# --- Telegram text checks ----------------------------------------------------------------------

TG_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
                "a", "code", "pre", "blockquote", "tg-emoji"}
TG_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


def telegram_visible_text(text, mode):
    """The text as shown (markup removed), or raises ValueError like the Bot API's 400."""
    if mode == "HTML":
        out, i = [], 0
        while i < len(text):
            c = text[i]
            if c == "<":
                m = re.match(r"</?([a-zA-Z-]+)[^<>]*>", text[i:])
                if not m or m.group(1).lower() not in TG_HTML_TAGS:
                    raise ValueError("Bad Request: can't parse entities: Unsupported start tag "
                                     "at byte offset %d" % len(text[:i].encode()))
                i += m.end()
                continue
            if c == ">":
                raise ValueError("Bad Request: can't parse entities: Unexpected end tag")
            if c == "&":
                m = re.match(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);", text[i:])
                if not m:
                    raise ValueError("Bad Request: can't parse entities: Can't find end of the "
                                     "entity starting at byte offset %d" % len(text[:i].encode()))
                out.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(m.group(1), "?"))
                i += m.end()
                continue
            out.append(c)
            i += 1
        return "".join(out)
    if mode == "MarkdownV2":
        out, i = [], 0
        while i < len(text):
            c = text[i]
            if c == "\\":
                if i + 1 >= len(text):
                    raise ValueError("Bad Request: can't parse entities: Can't find end of the "
                                     "entity")
                out.append(text[i + 1])
                i += 2
                continue
            if c in "*_~|`":
                i += 1  # formatting marks (the fake does not check that they pair up)
                continue
            if c in TG_MDV2_RESERVED:
                raise ValueError("Bad Request: can't parse entities: Character '%s' is reserved "
                                 "and must be escaped with the preceding '\\'" % c)
            out.append(c)
            i += 1
        return "".join(out)
    return text


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chat-apis-fake/1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s %s\n" % (self.command, self.path.split("?")[0]))

    # --- plumbing -------------------------------------------------------------------------------

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body=b"", ctype="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if body or status not in (204,):
            self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)
        return status

    def record(self, platform, entry):
        entry.update({"platform": platform, "method": self.command,
                      "path": urllib.parse.urlsplit(self.path).path, "at": time.time()})
        with STATE.lock:
            STATE.received.append(entry)
        return entry

    def apply_transport_fault(self, fault):
        """hang / close: the request was read and no answer comes. True when one applied."""
        kind = fault.get("kind")
        if kind == "hang":
            time.sleep(float(fault.get("seconds", 30)))
            self.close_connection = True
            return True
        if kind == "close":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return True
        return False

    # --- routing --------------------------------------------------------------------------------

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_health":
            return self.send(200, "ok", "text/plain")
        m = re.match(r"^/bot([^/]+)/getUpdates$", url.path)
        if m:
            return self.telegram_updates(m.group(1), urllib.parse.parse_qs(url.query))
        m = re.match(r"^/bot([^/]+)/getWebhookInfo$", url.path)
        if m:
            return self.telegram_webhook_info(m.group(1))
        m = re.match(r"^/(v\d+\.\d+)/(\d+)/conversations$", url.path)
        if m:
            return self.conversations(m.group(1), m.group(2), urllib.parse.parse_qs(url.query))
        m = re.match(r"^/(v\d+\.\d+)/(t_[^/]+)/messages$", url.path)
        if m:
            return self.conversation_messages(m.group(1), m.group(2),
                                              urllib.parse.parse_qs(url.query))
        if url.path == "/_received":
            q = urllib.parse.parse_qs(url.query)
            platform = q.get("platform", [None])[0]
            with STATE.lock:
                items = [r for r in STATE.received if platform in (None, r["platform"])]
            return self.send(200, items)
        return self.send(404, {"error": "not found"})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        raw = self.read_body()
        path = url.path
        if path == "/_control":
            return self.control(raw)
        routes = [
            (r"^/bot([^/]+)/sendMessage$", "telegram", self.telegram),
            (r"^/v\d+\.\d+/(\d+)/messages$", None, self.meta_messages),
            (r"^/v\d+\.\d+/(me)/messages$", None, self.meta_messages),
            (r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$", "twilio", self.twilio),
            (r"^/services/([^/]+)/([^/]+)/([^/]+)$", "slack", self.slack),
            (r"^/api/webhooks/([^/]+)/([^/]+)$", "discord", self.discord),
            (r"^/workflows/([^/]+)/triggers/manual/paths/invoke$", "teams", self.teams),
            (r"^/hook/([^/]+)$", "webhook", self.webhook),
        ]
        for pattern, platform, fn in routes:
            m = re.match(pattern, path)
            if m:
                return fn(m, raw, urllib.parse.parse_qs(url.query))
        return self.send(404, {"error": "no such endpoint"})

    def control(self, raw):
        try:
            c = json.loads(raw or b"{}")
        except ValueError:
            return self.send(400, {"error": "control body must be JSON"})
        with STATE.lock:
            if c.get("reset"):
                STATE.reset()
            platform = c.get("platform", "*")
            if "fault" in c:
                STATE.faults.append({"platform": platform, "fault": c["fault"],
                                     "times": int(c.get("times", 1))})
            if "rate" in c:
                r = c["rate"]
                if r is None:
                    STATE.buckets.pop(platform, None)
                else:
                    burst = float(r.get("burst", 1))
                    STATE.buckets[platform] = [float(r["per_second"]), burst, burst,
                                               time.monotonic()]
            if "telegram_updates" in c:
                STATE.telegram_updates.extend(c["telegram_updates"])
            if "telegram_webhook_info" in c:
                STATE.telegram_webhook_info = c["telegram_webhook_info"]
            if "messenger_conversations" in c:
                STATE.messenger_conversations = c["messenger_conversations"]
            if "messenger_page_sizes" in c:
                STATE.messenger_page_sizes = tuple(int(x) for x in c["messenger_page_sizes"])
            for key, target in (("window_closed", None), ("unsubscribed", STATE.twilio_unsubscribed),
                                ("unknown_chats", STATE.telegram_unknown_chats)):
                if key in c:
                    if key == "window_closed":
                        target = (STATE.whatsapp_window_closed if platform == "whatsapp"
                                  else STATE.messenger_window_closed)
                    target.clear()
                    target.update(str(x) for x in c[key])
        return self.send(200, {"ok": True})

    # --- Telegram -------------------------------------------------------------------------------

    def telegram_updates(self, token, query):
        """getUpdates: an offset confirms (drops) every update below it; waits up to `timeout`
        seconds (at most 5 here) for one to be queued."""
        offset = int(query.get("offset", ["0"])[0] or 0)
        timeout = min(float(query.get("timeout", ["0"])[0] or 0), 5.0)
        self.record("telegram_getupdates", {"offset": offset,
                                            "auth": "ok" if token == TELEGRAM_TOKEN else "bad"})
        if token != TELEGRAM_TOKEN:
            return self.send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        deadline = time.monotonic() + timeout
        while True:
            with STATE.lock:
                if offset:
                    STATE.telegram_updates = [u for u in STATE.telegram_updates
                                              if u.get("update_id", 0) >= offset]
                pending = list(STATE.telegram_updates)
            if pending or time.monotonic() >= deadline:
                return self.send(200, {"ok": True, "result": pending})
            time.sleep(0.05)

    def telegram_webhook_info(self, token):
        """getWebhookInfo: what Telegram holds for the webhook and its last delivery error."""
        self.record("telegram_webhookinfo", {"auth": "ok" if token == TELEGRAM_TOKEN else "bad"})
        if token != TELEGRAM_TOKEN:
            return self.send(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        with STATE.lock:
            info = STATE.telegram_webhook_info
            if info is None:
                info = {"url": "", "has_custom_certificate": False,
                        "pending_update_count": len(STATE.telegram_updates)}
        return self.send(200, {"ok": True, "result": info})

    # --- Messenger's Conversations API ----------------------------------------------------------

    def graph_page(self, items, limit, query, path):
        """One page of `items` in Graph's shape: data, paging.cursors and paging.next (absolute,
        the same query with after=CURSOR) while more follow."""
        after = query.get("after", [""])[0]
        start = int(base64.urlsafe_b64decode(after.encode()).decode()) if after else 0
        page = items[start:start + limit]
        out = {"data": page}
        if page:
            out["paging"] = {"cursors": {
                "before": base64.urlsafe_b64encode(str(start).encode()).decode(),
                "after": base64.urlsafe_b64encode(str(start + len(page) - 1).encode()).decode()}}
            if start + limit < len(items):
                q = {k: v[0] for k, v in query.items() if k != "after"}
                q["after"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
                out["paging"]["next"] = "http://%s%s?%s" % (
                    self.headers.get("Host"), path, urllib.parse.urlencode(q))
        return out

    def graph_messages(self, conv):
        return sorted(conv.get("messages", []), key=lambda m: m["created_time"], reverse=True)

    def conversations(self, version, page_id, query):
        token = self.bearer(query)
        entry = self.record("messenger_conversations", {
            "auth": "ok" if token == PAGE_TOKEN else "bad", "page": page_id,
            "platform_param": query.get("platform", [None])[0],
            "fields": query.get("fields", [None])[0], "after": query.get("after", [None])[0]})
        if token != PAGE_TOKEN:
            return self.graph_error(entry, 400, 190, "Invalid OAuth access token.")
        fault = take_fault("messenger_conversations")
        if fault:
            return self.graph_error(entry, int(fault.get("status", 500)), int(fault.get("code", 2)),
                                    fault.get("message", "An unexpected error has occurred."))
        with STATE.lock:
            convs = [dict(c) for c in STATE.messenger_conversations]
            conv_limit, msg_limit = STATE.messenger_page_sizes
        conv_limit = int(query.get("limit", [conv_limit])[0])
        for c in convs:
            msgs = self.graph_messages(c)
            c["updated_time"] = msgs[0]["created_time"] if msgs else "1970-01-01T00:00:00+0000"
        convs.sort(key=lambda c: c["updated_time"], reverse=True)
        fields = query.get("fields", [""])[0]
        data = []
        for c in convs:
            item = {"id": c["id"], "updated_time": c["updated_time"]}
            if "messages" in fields:
                mq = {"fields": ["id,message,from,created_time"], "limit": [str(msg_limit)]}
                item["messages"] = self.graph_page(self.graph_messages(c), msg_limit, mq,
                                                   "/%s/%s/messages" % (version, c["id"]))
            data.append(item)
        return self.send(200, self.graph_page(data, conv_limit, query,
                                              "/%s/%s/conversations" % (version, page_id)))

    def conversation_messages(self, version, conv_id, query):
        token = self.bearer(query)
        entry = self.record("messenger_conversation_messages", {
            "auth": "ok" if token == PAGE_TOKEN else "bad", "conversation": conv_id,
            "after": query.get("after", [None])[0]})
        if token != PAGE_TOKEN:
            return self.graph_error(entry, 400, 190, "Invalid OAuth access token.")
        with STATE.lock:
            conv = next((c for c in STATE.messenger_conversations if c["id"] == conv_id), None)
            msg_limit = STATE.messenger_page_sizes[1]
        if conv is None:
            return self.graph_error(entry, 400, 100, "(#100) Unsupported get request.")
        limit = int(query.get("limit", [msg_limit])[0])
        return self.send(200, self.graph_page(self.graph_messages(conv), limit, query,
                                              "/%s/%s/messages" % (version, conv_id)))

    def telegram(self, m, raw, query):
        token = m.group(1)
        entry = self.record("telegram", {"auth": "ok" if token == TELEGRAM_TOKEN else "bad"})

        def fail(code, description, parameters=None, headers=None):
            body = {"ok": False, "error_code": code, "description": description}
            if parameters:
                body["parameters"] = parameters
            entry["answered"] = code
            return self.send(code, body, headers=headers)

        fault = take_fault("telegram")
        if fault and self.apply_transport_fault(fault):
            entry["answered"] = None
            return None
        if not re.match(r"^\d+:[A-Za-z0-9_-]{20,}$", token):
            return fail(404, "Not Found")
        if token != TELEGRAM_TOKEN:
            return fail(401, "Unauthorized")
        if fault and fault.get("kind") == "rate_limit" or over_rate("telegram"):
            after = int((fault or {}).get("retry_after", 5))
            return fail(429, "Too Many Requests: retry after %d" % after, {"retry_after": after})
        if fault and fault.get("kind") == "status":
            status = int(fault.get("status", 500))
            return fail(status, fault.get("description", "Internal Server Error"))
        ctype = self.headers.get("Content-Type", "")
        try:
            if ctype.startswith("application/json"):
                p = json.loads(raw)
            else:
                p = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        except ValueError:
            return fail(400, "Bad Request: can't parse JSON")
        entry["json"] = p
        chat = str(p.get("chat_id", ""))
        if not chat:
            return fail(400, "Bad Request: chat_id is empty")
        text = p.get("text", "")
        if not text:
            return fail(400, "Bad Request: message text is empty")
        mode = p.get("parse_mode") or ""
        if mode and mode not in ("HTML", "MarkdownV2", "Markdown"):
            return fail(400, "Bad Request: unsupported parse_mode")
        try:
            visible = telegram_visible_text(text, mode)
        except ValueError as e:
            return fail(400, str(e))
        if utf16_len(visible) > 4096:
            return fail(400, "Bad Request: message is too long")
        if not re.match(r"^(-?\d+|@[A-Za-z][A-Za-z0-9_]{4,31})$", chat):
            return fail(400, "Bad Request: chat not found")
        with STATE.lock:
            unknown = chat in STATE.telegram_unknown_chats
        if unknown:
            return fail(400, "Bad Request: chat not found")
        mid = next_id()
        entry.update({"answered": 200, "remote_id": str(mid), "visible_text": visible})
        return self.send(200, {"ok": True, "result": {
            "message_id": mid, "date": int(time.time()), "text": visible,
            "chat": {"id": int(chat) if chat.lstrip("-").isdigit() else -1001,
                     "type": "private" if not chat.startswith(("-", "@")) else "supergroup"},
            "from": {"id": 123456789, "is_bot": True, "first_name": "Lifeline"}}})

    # --- WhatsApp Cloud API and Messenger/Instagram (Graph API) ---------------------------------

    def graph_error(self, entry, status, code, message, subcode=None, details=None, headers=None):
        err = {"message": message, "type": "OAuthException", "code": code,
               "fbtrace_id": "AfakeTrace%d" % next_id()}
        if subcode:
            err["error_subcode"] = subcode
        if details:
            err["error_data"] = {"messaging_product": "whatsapp", "details": details}
        entry["answered"] = status
        entry["error_code"] = code
        return self.send(status, {"error": err}, headers=headers)

    def bearer(self, query):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:]
        return query.get("access_token", [""])[0]

    def meta_messages(self, m, raw, query):
        sender = m.group(1)
        try:
            p = json.loads(raw or b"{}")
        except ValueError:
            p = None
        if isinstance(p, dict) and p.get("messaging_product") == "whatsapp":
            return self.whatsapp(sender, p, query)
        return self.messenger(sender, p, query)

    def whatsapp(self, phone_id, p, query):
        token = self.bearer(query)
        entry = self.record("whatsapp", {"auth": "ok" if token == WHATSAPP_TOKEN else "bad",
                                         "json": p})
        fault = take_fault("whatsapp")
        if fault and self.apply_transport_fault(fault):
            entry["answered"] = None
            return None
        if token != WHATSAPP_TOKEN:
            return self.graph_error(entry, 401, 190, "Invalid OAuth access token - Cannot parse "
                                    "access token")
        if fault and fault.get("kind") == "rate_limit" or over_rate("whatsapp"):
            return self.graph_error(entry, 400, 130429, "(#130429) Rate limit hit",
                                    details="Cloud API message throughput has been reached.")
        if fault and fault.get("kind") == "error_code":
            code = int(fault["code"])
            return self.graph_error(entry, int(fault.get("status", 400)), code,
                                    fault.get("message", "(#%d) error" % code),
                                    details=fault.get("details"))
        if fault and fault.get("kind") == "status":
            return self.graph_error(entry, int(fault.get("status", 500)), 131000,
                                    "(#131000) Something went wrong")
        to = str(p.get("to", ""))
        if not re.match(r"^\+?[1-9]\d{6,14}$", to):
            return self.graph_error(entry, 400, 100, "(#100) Invalid parameter",
                                    details="Parameter 'to' is not a valid phone number")
        e164 = "+" + to.lstrip("+")
        kind = p.get("type", "text")
        if kind == "text":
            body = (p.get("text") or {}).get("body", "")
            if not body:
                return self.graph_error(entry, 400, 100, "(#100) The parameter text['body'] is "
                                        "required.")
            if len(body) > 4096:
                return self.graph_error(entry, 400, 100, "(#100) Param text['body'] must be at "
                                        "most 4096 characters long.")
            with STATE.lock:
                closed = e164 in STATE.whatsapp_window_closed
            if closed:
                return self.graph_error(
                    entry, 400, 131047, "(#131047) Re-engagement message",
                    details="Message failed to send because more than 24 hours have passed "
                            "since the customer last replied to this number.")
        elif kind == "template":
            t = p.get("template") or {}
            if t.get("name") not in WHATSAPP_TEMPLATES:
                return self.graph_error(entry, 404, 132001, "(#132001) Template name does not "
                                        "exist in the translation",
                                        details="template name (%s) does not exist" % t.get("name"))
            if not (t.get("language") or {}).get("code"):
                return self.graph_error(entry, 400, 100, "(#100) The parameter "
                                        "template['language']['code'] is required.")
            for comp in t.get("components") or []:
                for param in comp.get("parameters") or []:
                    text = param.get("text", "")
                    if re.search(r"[\n\t]| {5,}", text):
                        return self.graph_error(
                            entry, 400, 132018, "(#132018) There was an issue with the parameters "
                            "in your template.", details="Param text cannot have new-line/tab "
                            "characters or more than 4 consecutive spaces")
        else:
            return self.graph_error(entry, 400, 131051, "(#131051) Unsupported message type")
        wamid = "wamid.FAKE%012d" % next_id()
        entry.update({"answered": 200, "remote_id": wamid, "type": kind})
        msg = {"id": wamid}
        if kind == "template":
            msg["message_status"] = "accepted"
        return self.send(200, {"messaging_product": "whatsapp",
                               "contacts": [{"input": to, "wa_id": e164[1:]}],
                               "messages": [msg]})

    def messenger(self, sender, p, query):
        instagram = sender.startswith("1784")
        platform = "instagram" if instagram else "messenger"
        token = self.bearer(query)
        entry = self.record(platform, {"auth": "ok" if token == PAGE_TOKEN else "bad", "json": p})
        fault = take_fault(platform)
        if fault and self.apply_transport_fault(fault):
            entry["answered"] = None
            return None
        if token != PAGE_TOKEN:
            return self.graph_error(entry, 400, 190, "Invalid OAuth access token.")
        if fault and fault.get("kind") == "rate_limit" or over_rate(platform):
            return self.graph_error(entry, 400, 613, "Calls to this api have exceeded the rate "
                                    "limit.")
        if fault and fault.get("kind") == "error_code":
            return self.graph_error(entry, int(fault.get("status", 400)), int(fault["code"]),
                                    fault.get("message", "error"),
                                    subcode=fault.get("subcode"))
        if fault and fault.get("kind") == "status":
            return self.graph_error(entry, int(fault.get("status", 500)), 2,
                                    "An unexpected error has occurred. Please retry your request "
                                    "later.")
        if not isinstance(p, dict):
            return self.graph_error(entry, 400, 100, "(#100) Invalid JSON")
        rid = str((p.get("recipient") or {}).get("id", ""))
        if not rid.isdigit():
            return self.graph_error(entry, 400, 100, "(#100) No matching user found",
                                    subcode=2018001)
        mtype = p.get("messaging_type")
        if mtype not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return self.graph_error(entry, 400, 100, "(#100) param messaging_type must be one of "
                                    "{RESPONSE, UPDATE, MESSAGE_TAG}")
        tag = p.get("tag")
        if mtype == "MESSAGE_TAG" and not tag:
            return self.graph_error(entry, 400, 100, "(#100) Tag is required for MESSAGE_TAG")
        text = (p.get("message") or {}).get("text", "")
        if not text:
            return self.graph_error(entry, 400, 100, "(#100) The parameter message is required")
        if instagram and len(text.encode()) > 1000:
            return self.graph_error(entry, 400, 100, "(#100) Length of param message[text] must be "
                                    "less than or equal to 1000")
        if not instagram and len(text) > 2000:
            return self.graph_error(entry, 400, 100, "(#100) Length of param message[text] must be "
                                    "less than or equal to 2000")
        with STATE.lock:
            closed = rid in STATE.messenger_window_closed
        if closed and mtype != "MESSAGE_TAG":
            return self.graph_error(entry, 400, 10, "(#10) This message is sent outside of allowed "
                                    "window.", subcode=2534022 if instagram else 2018278)
        mid = "m_FAKE%012d" % next_id()
        entry.update({"answered": 200, "remote_id": mid})
        return self.send(200, {"recipient_id": rid, "message_id": mid})

    # --- Twilio ---------------------------------------------------------------------------------

    def twilio(self, m, raw, query):
        sid = m.group(1)
        auth = self.headers.get("Authorization", "")
        user, pw = "", ""
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                pass
        ok = user == TWILIO_SID and pw == TWILIO_TOKEN
        form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode(errors="replace"),
                                                          keep_blank_values=True).items()}
        entry = self.record("twilio", {"auth": "ok" if ok else "bad", "form": form})

        def fail(status, code, message, headers=None):
            entry["answered"] = status
            entry["error_code"] = code
            return self.send(status, {"code": code, "message": message,
                                      "more_info": "https://www.twilio.com/docs/errors/%d" % code,
                                      "status": status}, headers=headers)

        fault = take_fault("twilio")
        if fault and self.apply_transport_fault(fault):
            entry["answered"] = None
            return None
        if not ok:
            return fail(401, 20003, "Authenticate")
        if sid != user:
            return fail(404, 20404, "The requested resource /2010-04-01/Accounts/%s/Messages.json "
                        "was not found" % sid)
        if fault and fault.get("kind") == "rate_limit" or over_rate("twilio"):
            return fail(429, 20429, "Too Many Requests",
                        {"Retry-After": (fault or {}).get("retry_after", 1)})
        if fault and fault.get("kind") == "error_code":
            return fail(int(fault.get("status", 400)), int(fault["code"]),
                        fault.get("message", "error"))
        if fault and fault.get("kind") == "status":
            return fail(int(fault.get("status", 500)), 20500, "Internal Server Error")
        to = form.get("To", "")
        if not re.match(r"^\+[1-9]\d{6,14}$", to):
            return fail(400, 21211, "Invalid 'To' Phone Number: %s" % to)
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return fail(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to "
                        "send a message")
        body = form.get("Body", "")
        if not body:
            return fail(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return fail(400, 21617, "The concatenated message body exceeds the 1600 character "
                        "limit.")
        with STATE.lock:
            unsubscribed = to in STATE.twilio_unsubscribed
        if unsubscribed:
            return fail(400, 21610, "Attempt to send to unsubscribed recipient")
        encoding, segments = sms_segments(body)
        msid = "SM%032x" % next_id()
        entry.update({"answered": 201, "remote_id": msid, "segments": segments,
                      "encoding": encoding})
        return self.send(201, {
            "sid": msid, "account_sid": sid, "to": to, "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"), "body": body,
            "status": "queued", "num_segments": str(segments), "direction": "outbound-api",
            "api_version": "2010-04-01", "price": None, "error_code": None,
            "error_message": None, "date_created": time.strftime(
                "%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
            "uri": "/2010-04-01/Accounts/%s/Messages/%s.json" % (sid, msid)})

    # --- Slack, Discord, Teams webhooks ---------------------------------------------------------

    def slack(self, m, raw, query):
        secret = m.group(3)
        entry = self.record("slack", {"auth": "ok" if secret == SLACK_SECRET else "bad"})

        def fail(status, word, headers=None):
            entry["answered"] = status
            return self.send(status, word, "text/html", headers)

        fault = take_fault("slack")
        if fault and self.apply_transport_fault(fault):
            entry["answered"] = None
            return None
        if secret != SLACK_SECRET:
            return fail(403, "invalid_token")
        if fault and fault.get("kind") == "rate_limit" or over_rate("slack"):
            return fail(429, "rate_limited", {"Retry-After": (fault or {}).get("retry_after", 1)})
        if fault and fault.get("kind") == "status":
            return fail(int(fault.get("status", 500)), fault.get("word", "rollup_error"))
        try:
            p = json.loads(raw)
        except ValueError:
            return fail(400, "invalid_payload")
        entry["json"] = p
        if not isinstance(p, dict) or not (p.get("text") or p.get("blocks")):
            return fail(400, "no_text")
        entry["answered"] = 200
        return self.send(200, "ok", "text/html")

    def discord(self, m, raw, query):
        hook_id, token = m.group(1), m.group(2)
        entry = self.record("discord", {"auth": "ok" if token == DISCORD_TOKEN else "bad"})

        def fail(status, body, headers=None):
            entry["answered"] = status
            return self.send(status, body, headers=headers)

        fault = take_fault("discord")
        if fault and self.apply_transport_fault(fault):
            entry["answered"] = None
            return None
        if not hook_id.isdigit():
            return fail(404, {"message": "Unknown Webhook", "code": 10015})
        if token != DISCORD_TOKEN:
            return fail(401, {"message": "Invalid Webhook Token", "code": 50027})
        if fault and fault.get("kind") == "rate_limit" or over_rate("discord"):
            after = float((fault or {}).get("retry_after", 1.5))
            return fail(429, {"message": "You are being rate limited.", "retry_after": after,
                              "global": False},
                        {"Retry-After": int(after + 0.999), "X-RateLimit-Limit": 5,
                         "X-RateLimit-Remaining": 0, "X-RateLimit-Reset-After": after,
                         "X-RateLimit-Scope": "shared"})
        if fault and fault.get("kind") == "status":
            return fail(int(fault.get("status", 500)), {"message": "500: Internal Server Error",
                                                        "code": 0})
        try:
            p = json.loads(raw)
        except ValueError:
            return fail(400, {"message": "The request body contains invalid JSON.", "code": 50109})
        entry["json"] = p
        content = p.get("content") or ""
        if not content and not p.get("embeds"):
            return fail(400, {"message": "Cannot send an empty message", "code": 50006})
        if len(content) > 2000:
            return fail(400, {"code": 50035, "message": "Invalid Form Body", "errors": {
                "content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH",
                                         "message": "Must be 2000 or fewer in length."}]}}})
        snowflake = str(1200000000000000000 + next_id())
        entry["answered"] = 200
        if query.get("wait", ["false"])[0].lower() != "true":
            entry["answered"] = 204
            return self.send(204, b"")
        entry["remote_id"] = snowflake
        return self.send(200, {"id": snowflake, "type": 0, "content": content,
                               "channel_id": "1100000000000000001", "webhook_id": hook_id,
                               "author": {"id": hook_id, "username": p.get("username", "Lifeline"),
                                          "bot": True},
                               "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+00:00",
                                                          time.gmtime())})

    def teams(self, m, raw, query):
        sig = query.get("sig", [""])[0]
        entry = self.record("teams", {"auth": "ok" if sig == TEAMS_SIG else "bad"})

        def fail(status, code, message, headers=None):
            entry["answered"] = status
            return self.send(status, {"error": {"code": code, "message": message}},
                             headers=headers)

        fault = take_fault("teams")
        if fault and self.apply_transport_fault(fault):
            entry["answered"] = None
            return None
        if not query.get("api-version"):
            return fail(400, "MissingApiVersionParameter", "The api-version query parameter "
                        "(?api-version=) is required for all requests.")
        if sig != TEAMS_SIG:
            return fail(401, "DirectApiInvalidAuthorizationSignature", "The provided "
                        "authorization signature is not valid.")
        if fault and fault.get("kind") == "rate_limit" or over_rate("teams"):
            return fail(429, "WorkflowRequestsThrottled", "The workflow is throttled.",
                        {"Retry-After": (fault or {}).get("retry_after", 1)})
        if fault and fault.get("kind") == "status":
            return fail(int(fault.get("status", 502)), "BadGateway", "The service is unavailable.")
        try:
            p = json.loads(raw)
        except ValueError:
            return fail(400, "InvalidRequestContent", "The request content is not valid JSON.")
        entry["json"] = p
        attachments = p.get("attachments") if isinstance(p, dict) else None
        entry["card_ok"] = bool(
            attachments and attachments[0].get("contentType") ==
            "application/vnd.microsoft.card.adaptive")
        run = "08584%015d" % next_id()
        entry.update({"answered": 202, "remote_id": run})
        return self.send(202, b"", headers={"x-ms-workflow-run-id": run})

    # --- the generic webhook sink ---------------------------------------------------------------

    def webhook(self, m, raw, query):
        ts = self.headers.get("X-Lifeline-Timestamp", "")
        sig = self.headers.get("X-Lifeline-Signature", "")
        key = self.headers.get("Idempotency-Key", "")
        want = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), ts.encode() + b"." + raw,
                                    hashlib.sha256).hexdigest()
        good = hmac.compare_digest(sig, want)
        fresh = ts.isdigit() and abs(time.time() - int(ts)) <= 300
        entry = self.record("webhook", {"auth": "ok" if good else "bad", "fresh": fresh,
                                        "idempotency_key": key})
        try:
            entry["json"] = json.loads(raw)
        except ValueError:
            entry["json"] = None
        fault = take_fault("webhook")
        if fault and self.apply_transport_fault(fault):
            # The sink did act on it (a lost answer, not a lost request): the retry is a duplicate.
            with STATE.lock:
                STATE.webhook_seen.setdefault(key, "rcv-%d" % next(STATE.ids))
            entry["answered"] = None
            return None
        if not good:
            entry["answered"] = 401
            return self.send(401, {"error": "bad signature"})
        if not fresh:
            entry["answered"] = 401
            return self.send(401, {"error": "stale timestamp"})
        if fault and fault.get("kind") == "rate_limit" or over_rate("webhook"):
            entry["answered"] = 429
            return self.send(429, {"error": "slow down"},
                             headers={"Retry-After": (fault or {}).get("retry_after", 1)})
        if fault and fault.get("kind") == "status":
            entry["answered"] = int(fault.get("status", 500))
            return self.send(entry["answered"], {"error": "failing on purpose"})
        with STATE.lock:
            dup = key in STATE.webhook_seen
            rid = STATE.webhook_seen.setdefault(key, "rcv-%d" % next(STATE.ids))
        entry.update({"answered": 200, "remote_id": rid, "duplicate": dup})
        return self.send(200, {"id": rid, "duplicate": dup})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True  # a hanging handler never blocks shutdown
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    srv = Server((args.listen, args.port), Handler)
    srv.verbose = args.verbose
    port = srv.server_address[1]
    print(port, flush=True)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
