#!/usr/bin/env python3
"""social_apis.py: emulators of the public-post APIs Lifeline posts to, on one loopback port:
Mastodon (POST /api/v1/statuses), Bluesky (com.atproto.server.createSession / refreshSession,
com.atproto.repo.createRecord) and X API v2 (POST /2/tweets). Each checks requests the way its
documentation says the real one does, answers in its documented shapes, and can be told to fail.

Usage:
  social_apis.py [--host 127.0.0.1] [--port 0] [--port-file FILE]
                 [--mastodon-token T] [--mastodon-max-chars 500]
                 [--bluesky-handle H] [--bluesky-password P]
                 [--x-consumer-key K --x-consumer-secret S --x-access-token T --x-access-secret A]
                 [--x-bearer B] [--x-max-length 280]

Prints the bound port as the first stdout line (and writes it to --port-file).

What each API checks:
  Mastodon  Authorization: Bearer <token> (401 "The access token is invalid"); a non-empty status
            of at most --mastodon-max-chars, links counting 23 (422 "Validation failed: ...");
            visibility; Idempotency-Key: a repeated key returns the status the first request made.
  Bluesky   createSession with the handle and app password (401 AuthenticationRequired) gives an
            accessJwt and refreshJwt; createRecord needs the access token (401 InvalidToken, or 400
            ExpiredToken once /_control expired it); refreshSession swaps a refresh token for a new
            pair. Records: $type app.bsky.feed.post, createdAt, text of at most 300 graphemes and
            3000 bytes, facets whose byteStart/byteEnd lie within the UTF-8 text on character
            boundaries (400 InvalidRequest otherwise). Answers uri at://DID/app.bsky.feed.post/RKEY.
  X         Authorization: OAuth 1.0a HMAC-SHA1, verified against the configured keys (nonces may
            not repeat), or Bearer <x-bearer> (401 otherwise); text of at most --x-max-length by the
            weighted count (links 23, CJK and emoji 2) -> 400; the same text as an earlier post ->
            403 "You are not allowed to create a Tweet with duplicate content."; 201 with data.id.
Every answer carries the API's rate-limit headers (X-RateLimit-*, RateLimit-*, x-rate-limit-*).

Control (JSON):
  POST /_control {"api": "mastodon"|"bluesky"|"x", "path": "createRecord", "count": 1,
                  "status": 429, "headers": {...}, "body": {...} or "text"}
        the next COUNT requests to that API (whose path contains PATH, if given) get this answer
  POST /_control {"api": ..., "hang": 5, "after": true, "count": 1}
        the next COUNT requests get no answer: the connection is held HANG seconds and closed.
        With "after": true the request is carried out first (a post made whose answer is lost).
  POST /_control {"expire_tokens": true}   every Bluesky access token now answers ExpiredToken
  POST /_control {"reset": true}           forget everything (posts, sessions, failures)
  GET  /_received  {"mastodon": [...], "bluesky": [...], "x": [...]} every request as
        {"method", "path", "headers" (Authorization cut to its scheme), "body", "status"}, and
        "created": {"mastodon": [statuses], "bluesky": [records], "x": [posts]}
"""

import argparse
import base64
import hashlib
import hmac
import itertools
import json
import os
import re
import sys
import threading
import time
import unicodedata
import urllib.parse
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()  # guards STATE
STATE = {}
IDS = itertools.count(1)
ARGS = None


def reset_state():
    STATE.clear()
    STATE.update({
        "received": {"mastodon": [], "bluesky": [], "x": []},
        "created": {"mastodon": [], "bluesky": [], "x": []},
        "failures": [],  # {"api", "path", "count", "status", "headers", "body", "hang", "after"}
        "idempotency": {},  # mastodon key -> status
        "access": {},  # bluesky access token -> {"did", "expired"}
        "refresh": {},  # bluesky refresh token -> did
        "nonces": set(),
    })


# --- text measures, written from the platforms' documentation -------------------------------

LINK = re.compile(r"https?://[^\s]+")
TRAILING = ".,;:!?'\"]}>*"


def links(text):
    out = []
    for m in LINK.finditer(text):
        url = m.group(0)
        while url and (url[-1] in TRAILING or (url[-1] == ")" and url.count("(") < url.count(")"))):
            url = url[:-1]
        out.append((m.start(), m.start() + len(url), url))
    return out


def attaches(cp):
    return (unicodedata.combining(chr(cp)) != 0 or cp in (0x200C, 0x200D) or 0xFE00 <= cp <= 0xFE0F
            or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F or 0x20D0 <= cp <= 0x20FF
            or unicodedata.category(chr(cp)) in ("Mn", "Me", "Mc"))


def clusters(text):
    """Extended grapheme clusters, close enough for the limits checked here."""
    out = []
    i = 0
    while i < len(text):
        start = i
        cp = ord(text[i])
        i += 1
        ri = 0x1F1E6 <= cp <= 0x1F1FF
        if text[start:start + 2] == "\r\n":
            i += 1
        elif ri and i < len(text) and 0x1F1E6 <= ord(text[i]) <= 0x1F1FF:
            i += 1
        else:
            joined = False
            while i < len(text):
                c = ord(text[i])
                if attaches(c):
                    joined = c == 0x200D
                    i += 1
                elif joined:
                    joined = False
                    i += 1
                else:
                    break
        out.append(text[start:i])
    return out


def is_emoji(cluster):
    cp = ord(cluster[0])
    return (0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or "\ufe0f" in cluster
            or "\u20e3" in cluster)


def mastodon_length(text):
    n = 0
    pos = 0
    for start, end, _ in links(text):
        n += len(re.sub(r"(?<![\w@])(@\w+)@[\w.-]+", r"\1", text[pos:start])) + 23
        pos = end
    return n + len(re.sub(r"(?<![\w@])(@\w+)@[\w.-]+", r"\1", text[pos:]))


def x_weight(text):
    text = unicodedata.normalize("NFC", text)
    weight = 0
    pos = 0
    spans = links(text)
    for start, end, _ in spans + [(len(text), len(text), None)]:
        for cl in clusters(text[pos:start]):
            if is_emoji(cl):
                weight += 200
                continue
            for ch in cl:
                cp = ord(ch)
                light = (cp <= 4351 or 8192 <= cp <= 8205 or 8208 <= cp <= 8223
                         or 8242 <= cp <= 8247)
                weight += 100 if light else 200
        if start < len(text):
            weight += 2300
        pos = end
    return weight // 100


# --- OAuth 1.0a (RFC 5849), to verify what the client signed ----------------------------------

def pct(s):
    return urllib.parse.quote(s, safe="-._~")


def verify_oauth1(header, method, url):
    params = dict(re.findall(r'(\w+)="([^"]*)"', header))
    params = {k: urllib.parse.unquote(v) for k, v in params.items()}
    if params.get("oauth_consumer_key") != ARGS.x_consumer_key:
        return "unknown consumer key"
    if params.get("oauth_token") != ARGS.x_access_token:
        return "unknown access token"
    if params.get("oauth_signature_method") != "HMAC-SHA1":
        return "signature method must be HMAC-SHA1"
    if abs(int(params.get("oauth_timestamp", "0")) - time.time()) > 300:
        return "timestamp out of range"
    nonce = params.get("oauth_nonce", "")
    with LOCK:
        if not nonce or nonce in STATE["nonces"]:
            return "nonce missing or used before"
        STATE["nonces"].add(nonce)
    signature = params.pop("oauth_signature", "")
    pairs = sorted((pct(k), pct(v)) for k, v in params.items())
    param_string = "&".join("%s=%s" % kv for kv in pairs)
    base = "&".join([method.upper(), pct(url), pct(param_string)])
    key = pct(ARGS.x_consumer_secret) + "&" + pct(ARGS.x_access_secret)
    expected = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha1).digest())
    if not hmac.compare_digest(expected.decode(), signature):
        return "signature does not match"
    return None


# --- the server --------------------------------------------------------------------------------

def iso_in(seconds):
    t = datetime.now(timezone.utc).timestamp() + seconds
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def api_of(path):
    if path.startswith("/api/v1/"):
        return "mastodon"
    if path.startswith("/xrpc/"):
        return "bluesky"
    if path.startswith("/2/"):
        return "x"
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "social-apis-fake"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    # Helpers.
    def answer(self, status, body, headers=None):
        data = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        self.send_response(status)
        ctype = "application/json; charset=utf-8" if not isinstance(body, (str, bytes)) else "text/plain"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.end_headers()
        self.wfile.write(data)
        self.status = status

    def rate_headers(self, api):
        if api == "mastodon":
            return {"X-RateLimit-Limit": 300, "X-RateLimit-Remaining": 299,
                    "X-RateLimit-Reset": iso_in(300)}
        if api == "bluesky":
            return {"RateLimit-Limit": 5000, "RateLimit-Remaining": 4997,
                    "RateLimit-Reset": int(time.time()) + 3600, "RateLimit-Policy": "5000;w=3600"}
        return {"x-rate-limit-limit": 200, "x-rate-limit-remaining": 199,
                "x-rate-limit-reset": int(time.time()) + 900}

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype:
            try:
                return json.loads(raw or b"null")
            except ValueError:
                return {"_unparsable": raw.decode("utf-8", "replace")}
        if "x-www-form-urlencoded" in ctype:
            return {k: v[-1] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
        return raw.decode("utf-8", "replace")

    def bearer(self):
        auth = self.headers.get("Authorization", "")
        return auth[7:] if auth.startswith("Bearer ") else None

    def take_failure(self, api, path):
        with LOCK:
            for f in STATE["failures"]:
                if f.get("api") in (api, None, "*") and f.get("path", "") in path and f["count"] > 0:
                    f["count"] -= 1
                    return dict(f)
        return None

    # Dispatch.
    def do_GET(self):
        if self.path == "/_received":
            with LOCK:
                body = dict(STATE["received"])
                body["created"] = STATE["created"]
                self.answer(200, json.loads(json.dumps(body)))
            return
        self.answer(404, {"error": "NotFound"})

    def do_POST(self):
        self.status = 0
        path = self.path.split("?")[0]
        body = self.read_body()
        if path == "/_control":
            self.control(body)
            return
        api = api_of(path)
        headers = {k: v for k, v in self.headers.items()}
        if "Authorization" in headers:
            headers["Authorization"] = headers["Authorization"].split(" ")[0] + " ..."
        entry = {"method": "POST", "path": path, "headers": headers, "body": body}
        failure = self.take_failure(api, path) if api else None
        try:
            if failure and "hang" in failure:
                if failure.get("after"):
                    self.route(api, path, body, dry=True)
                entry["status"] = "hung"
                self.record(api, entry)
                time.sleep(float(failure["hang"]))
                self.close_connection = True
                return
            if failure:
                hdrs = dict(self.rate_headers(api))
                hdrs.update(failure.get("headers") or {})
                self.answer(failure.get("status", 500), failure.get("body", {"error": "injected"}), hdrs)
            elif api:
                self.route(api, path, body)
            else:
                self.answer(404, {"error": "NotFound"})
        finally:
            if api and entry.get("status") != "hung":
                entry["status"] = self.status
                self.record(api, entry)

    def record(self, api, entry):
        with LOCK:
            STATE["received"][api].append(entry)

    def control(self, body):
        with LOCK:
            if body.get("reset"):
                reset_state()
            if body.get("expire_tokens"):
                for t in STATE["access"].values():
                    t["expired"] = True
            if "api" in body and ("status" in body or "hang" in body):
                f = dict(body)
                f.setdefault("count", 1)
                STATE["failures"].append(f)
        self.answer(200, {"ok": True})

    def route(self, api, path, body, dry=False):
        """dry: carry the request out but send no answer (the answer is lost)."""
        if dry:
            self.answer = lambda *a, **k: None
        getattr(self, api)(path, body)

    # Mastodon.
    def mastodon(self, path, body):
        rl = self.rate_headers("mastodon")
        if path != "/api/v1/statuses":
            return self.answer(404, {"error": "Record not found"}, rl)
        if self.bearer() != ARGS.mastodon_token:
            return self.answer(401, {"error": "The access token is invalid"}, rl)
        if not isinstance(body, dict):
            return self.answer(422, {"error": "Validation failed: Text can't be blank"}, rl)
        key = self.headers.get("Idempotency-Key")
        with LOCK:
            if key and key in STATE["idempotency"]:
                return self.answer(200, STATE["idempotency"][key], rl)
        text = body.get("status") or ""
        if not text.strip():
            return self.answer(422, {"error": "Validation failed: Text can't be blank"}, rl)
        if mastodon_length(text) > ARGS.mastodon_max_chars:
            return self.answer(422, {"error": "Validation failed: Text character limit of %d exceeded"
                                     % ARGS.mastodon_max_chars}, rl)
        visibility = body.get("visibility", "public")
        if visibility not in ("public", "unlisted", "private", "direct"):
            return self.answer(422, {"error": "Validation failed: Visibility is not included in the list"}, rl)
        sid = str(109000000000000000 + next(IDS))
        host = self.headers.get("Host", "127.0.0.1")
        status = {"id": sid, "created_at": iso_in(0), "visibility": visibility,
                  "language": body.get("language"), "content": "<p>%s</p>" % text,
                  "uri": "http://%s/users/brand/statuses/%s" % (host, sid),
                  "url": "http://%s/@brand/%s" % (host, sid)}
        with LOCK:
            if key:
                STATE["idempotency"][key] = status
            STATE["created"]["mastodon"].append(dict(status, text=text, idempotency_key=key))
        self.answer(200, status, rl)

    # Bluesky.
    def bluesky(self, path, body):
        rl = self.rate_headers("bluesky")
        name = path[len("/xrpc/"):]
        if name == "com.atproto.server.createSession":
            ident = (body or {}).get("identifier") if isinstance(body, dict) else None
            if ident not in (ARGS.bluesky_handle, "did:plc:fakebrand") or \
                    body.get("password") != ARGS.bluesky_password:
                return self.answer(401, {"error": "AuthenticationRequired",
                                         "message": "Invalid identifier or password"}, rl)
            return self.answer(200, self.new_session(), rl)
        if name == "com.atproto.server.refreshSession":
            token = self.bearer()
            with LOCK:
                did = STATE["refresh"].pop(token, None)
            if not did:
                return self.answer(400, {"error": "ExpiredToken", "message": "Token has expired"}, rl)
            return self.answer(200, self.new_session(), rl)
        if name == "com.atproto.repo.createRecord":
            token = self.bearer()
            with LOCK:
                session = STATE["access"].get(token)
            if token is None:
                return self.answer(401, {"error": "AuthenticationRequired",
                                         "message": "Authentication Required"}, rl)
            if session is None:
                return self.answer(401, {"error": "InvalidToken", "message": "Token could not be verified"}, rl)
            if session["expired"]:
                return self.answer(400, {"error": "ExpiredToken", "message": "Token has expired"}, rl)
            problem = self.check_record(body, session["did"])
            if problem:
                return self.answer(400, {"error": "InvalidRequest", "message": problem}, rl)
            rkey = "3l" + format(int(time.time() * 1e6), "x")[-11:] + str(next(IDS) % 10)
            uri = "at://%s/app.bsky.feed.post/%s" % (session["did"], rkey)
            with LOCK:
                STATE["created"]["bluesky"].append({"uri": uri, "record": body["record"]})
            return self.answer(200, {"uri": uri, "cid": "bafyreifake%d" % next(IDS),
                                     "validationStatus": "valid"}, rl)
        self.answer(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, rl)

    def new_session(self):
        n = next(IDS)
        access, refresh = "acc-%d" % n, "ref-%d" % n
        with LOCK:
            STATE["access"][access] = {"did": "did:plc:fakebrand", "expired": False}
            STATE["refresh"][refresh] = "did:plc:fakebrand"
        return {"did": "did:plc:fakebrand", "handle": ARGS.bluesky_handle, "accessJwt": access,
                "refreshJwt": refresh, "active": True}

    @staticmethod
    def check_record(body, did):
        if not isinstance(body, dict):
            return "Input must be an object"
        if body.get("repo") not in (did, ARGS.bluesky_handle):
            return "Input/repo must be the session's DID or handle"
        if body.get("collection") != "app.bsky.feed.post":
            return "Input/collection must be app.bsky.feed.post"
        rec = body.get("record")
        if not isinstance(rec, dict) or rec.get("$type") != "app.bsky.feed.post":
            return "Invalid app.bsky.feed.post record: Record/$type must be app.bsky.feed.post"
        text = rec.get("text")
        if not isinstance(text, str):
            return "Invalid app.bsky.feed.post record: Record/text must be a string"
        if not isinstance(rec.get("createdAt"), str):
            return "Invalid app.bsky.feed.post record: Record must have the property \"createdAt\""
        raw = text.encode("utf-8")
        if len(raw) > 3000:
            return "Invalid app.bsky.feed.post record: Record/text must not be longer than 3000 characters"
        if len(clusters(text)) > 300:
            return "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes"
        for i, facet in enumerate(rec.get("facets") or []):
            idx = facet.get("index") or {}
            start, end = idx.get("byteStart"), idx.get("byteEnd")
            if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(raw):
                return "Invalid app.bsky.feed.post record: Record/facets/%d/index out of range" % i
            for b in (start, end):
                if b < len(raw) and (raw[b] & 0xC0) == 0x80:
                    return "Invalid app.bsky.feed.post record: Record/facets/%d/index splits a character" % i
            features = facet.get("features") or []
            if not features:
                return "Invalid app.bsky.feed.post record: Record/facets/%d/features is empty" % i
            for feature in features:
                kind = feature.get("$type")
                if kind == "app.bsky.richtext.facet#link":
                    if raw[start:end].decode() != feature.get("uri"):
                        return "Record/facets/%d: the linked text is not the link's uri" % i
                elif kind == "app.bsky.richtext.facet#tag":
                    if raw[start:end].decode() != "#" + str(feature.get("tag")):
                        return "Record/facets/%d: the tagged text is not #tag" % i
                elif kind != "app.bsky.richtext.facet#mention":
                    return "Record/facets/%d: unknown feature %s" % (i, kind)
        return None

    # X.
    def x(self, path, body):
        rl = self.rate_headers("x")
        if path != "/2/tweets":
            return self.answer(404, {"title": "Not Found Error", "status": 404}, rl)
        unauthorized = {"title": "Unauthorized", "type": "about:blank", "status": 401,
                        "detail": "Unauthorized"}
        auth = self.headers.get("Authorization", "")
        if auth.startswith("OAuth "):
            url = "http://%s%s" % (self.headers.get("Host"), path)
            why = verify_oauth1(auth, "POST", url) if ARGS.x_consumer_key else "no OAuth 1.0a app"
            if why:
                sys.stderr.write("x: OAuth 1.0a refused: %s\n" % why)
                return self.answer(401, unauthorized, rl)
        elif not (ARGS.x_bearer and self.bearer() == ARGS.x_bearer):
            return self.answer(401, unauthorized, rl)
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text:
            return self.answer(400, {"errors": [{"message": "$.text: is missing"}],
                                     "title": "Invalid Request",
                                     "detail": "One or more parameters to your request was invalid.",
                                     "type": "https://api.twitter.com/2/problems/invalid-request"}, rl)
        if x_weight(text) > ARGS.x_max_length:
            return self.answer(400, {"errors": [{"message": "Your Tweet text is too long."}],
                                     "title": "Invalid Request",
                                     "detail": "One or more parameters to your request was invalid.",
                                     "type": "https://api.twitter.com/2/problems/invalid-request"}, rl)
        with LOCK:
            if any(t["text"] == text for t in STATE["created"]["x"]):
                duplicate = True
            else:
                duplicate = False
                tid = str(1866000000000000000 + next(IDS))
                STATE["created"]["x"].append({"id": tid, "text": text, "weight": x_weight(text)})
        if duplicate:
            return self.answer(403, {"detail": "You are not allowed to create a Tweet with duplicate content.",
                                     "type": "about:blank", "title": "Forbidden", "status": 403}, rl)
        self.answer(201, {"data": {"id": tid, "text": text, "edit_history_tweet_ids": [tid]}}, rl)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--mastodon-token", default="mastodon-token")
    ap.add_argument("--mastodon-max-chars", type=int, default=500)
    ap.add_argument("--bluesky-handle", default="brand.bsky.social")
    ap.add_argument("--bluesky-password", default="abcd-efgh-ijkl-mnop")
    ap.add_argument("--x-consumer-key")
    ap.add_argument("--x-consumer-secret")
    ap.add_argument("--x-access-token")
    ap.add_argument("--x-access-secret")
    ap.add_argument("--x-bearer")
    ap.add_argument("--x-max-length", type=int, default=280)
    ARGS = ap.parse_args()
    reset_state()
    server = ThreadingHTTPServer((ARGS.host, ARGS.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    print(port, flush=True)
    if ARGS.port_file:
        with open(ARGS.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
