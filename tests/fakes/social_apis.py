#!/usr/bin/env python3
"""social_apis.py: emulators of the public-post APIs Lifeline posts to, on one loopback port:
Mastodon (POST /api/v1/statuses, GET /api/v1/statuses/:id), Bluesky
(com.atproto.server.createSession / refreshSession, com.atproto.repo.createRecord,
app.bsky.feed.getPosts), X API v2 (POST /2/tweets, GET /2/tweets/:id) and the Meta Graph API's
publishing endpoints (a Facebook Page's feed, Instagram's content publishing). Each checks
requests the way its documentation says the real one does, answers in its documented shapes, and
can be told to fail.

Usage:
  social_apis.py [--host 127.0.0.1] [--port 0] [--port-file FILE]
                 [--mastodon-token T] [--mastodon-max-chars 500]
                 [--bluesky-handle H] [--bluesky-password P]
                 [--x-consumer-key K --x-consumer-secret S --x-access-token T --x-access-secret A]
                 [--x-bearer B] [--x-max-length 280]
                 [--graph-token T] [--fb-page-id ID] [--ig-user-id ID] [--ig-in-progress-polls 1]
                 [--ig-container-ttl 86400] [--ig-publish-limit 50]

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
  Facebook  (Graph API, path /vNN.N/...; token as "Authorization: Bearer" or ?access_token=, else
            400 code 190) POST /{page-id}/feed with message and/or link -> {"id": "PAGE_POST"};
            GET /{page-id}/published_posts -> {"data": [posts, newest first]};
            GET /{post-id}?fields=id,message,is_published,permalink_url,created_time.
  Instagram POST /{ig-user-id}/media: image_url, or media_type REELS|VIDEO with video_url, or
            media_type CAROUSEL with children (2 to 10 ids of is_carousel_item containers); caption
            of at most 2,200 characters, 30 hashtags and 20 @mentions (else 400 code 100).
            GET /{container-id}?fields=status_code,status: IN_PROGRESS for the first
            --ig-in-progress-polls polls, then FINISHED; ERROR when a link contains "broken";
            EXPIRED once older than --ig-container-ttl seconds (fake time, see "advance");
            PUBLISHED after media_publish. POST /{ig-user-id}/media_publish with creation_id ->
            {"id": media id}; not FINISHED -> 400 9007/2207027; expired -> 400 -2/2207020; more
            than --ig-publish-limit publishes in 24 hours (fake time) -> 400 9/2207042.
            GET /{ig-user-id}/content_publishing_limit; GET /{media-id}?fields=id,permalink,...
            A deleted, dropped or unknown object answers 400 code 100 subcode 33 ("does not
            exist"); asking a container for permalink answers 400 code 100 (no such field).
Lookups of posts that were deleted through /_control: Mastodon 404 "Record not found"; Bluesky
getPosts leaves them out of "posts"; X answers 200 {"errors": [{"title": "Not Found Error",...}]}.
Every answer carries the API's rate-limit headers (X-RateLimit-*, RateLimit-*, x-rate-limit-*,
X-App-Usage and X-Business-Use-Case-Usage on Graph answers).

Control (JSON):
  POST /_control {"api": "mastodon"|"bluesky"|"x", "path": "createRecord", "count": 1,
                  "status": 429, "headers": {...}, "body": {...} or "text"}
        the next COUNT requests to that API (whose path contains PATH, if given) get this answer
  POST /_control {"api": ..., "hang": 5, "after": true, "count": 1}
        the next COUNT requests get no answer: the connection is held HANG seconds and closed.
        With "after": true the request is carried out first (a post made whose answer is lost).
  POST /_control {"api": ..., "drop": true, "count": 1}
        the next COUNT posts are answered as made, with an id, but never stored: lookups say they
        are missing (a post the platform silently dropped)
  POST /_control {"delete": {"api": "facebook"|"instagram"|"mastodon"|"bluesky"|"x", "id": ID}}
        the post (Bluesky: its at:// uri; Instagram: the media id) is deleted
  POST /_control {"advance": SECONDS}      the Graph fake's clock moves on (container expiry, the
        24-hour publishing window)
  POST /_control {"expire_tokens": true}   every Bluesky access token now answers ExpiredToken
  POST /_control {"reset": true}           forget everything (posts, sessions, failures)
  GET  /_received  {"mastodon": [...], "bluesky": [...], "x": [...], "facebook": [...],
        "instagram": [...]} every request as {"method", "path", "query", "headers" (Authorization
        cut to its scheme), "body", "status"}, and "created": {API: [what each posted]}
        (Instagram: "created" holds published media, "containers" every container)
  GET  /_health    ok
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

APIS = ("mastodon", "bluesky", "x", "facebook", "instagram")
LOCK = threading.Lock()  # guards STATE
STATE = {}
IDS = itertools.count(1)
ARGS = None


def reset_state():
    STATE.clear()
    STATE.update({
        "received": {api: [] for api in APIS},
        "created": {api: [] for api in APIS},
        "containers": {},  # instagram container id -> container
        "publishes": [],  # fake times of instagram publishes
        "deleted": {api: set() for api in APIS},
        "offset": 0.0,  # the Graph fake's clock: real time plus this
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


X_UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


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
    m = GRAPH_PATH.match(path)
    if m:
        node, edge = m.group(1), m.group(2)
        if edge in ("media", "media_publish", "content_publishing_limit"):
            return "instagram"
        if edge is None:
            with LOCK:
                if node in STATE["containers"] or any(x["id"] == node for x in STATE["created"]["instagram"]):
                    return "instagram"
        return "facebook"
    return None


GRAPH_PATH = re.compile(r"^/v\d+\.\d+/([^/]+)(?:/([^/]+))?/?$")


def graph_now():
    return time.time() + STATE["offset"]


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
        if api in ("facebook", "instagram"):
            usage = {"call_count": 1, "total_cputime": 1, "total_time": 1}
            buc = {ARGS.fb_page_id: [dict(usage, type="pages", estimated_time_to_regain_access=0)]}
            return {"X-App-Usage": json.dumps(usage), "X-Business-Use-Case-Usage": json.dumps(buc)}
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

    def take_failure(self, api, path, method="POST"):
        with LOCK:
            for f in STATE["failures"]:
                if f.get("method", method) != method:
                    continue
                if f.get("api") in (api, None, "*") and f.get("path", "") in path and f["count"] > 0:
                    f["count"] -= 1
                    return dict(f)
        return None

    # Dispatch.
    def do_GET(self):
        if self.path == "/_received":
            with LOCK:
                body = {api: STATE["received"][api] for api in APIS}
                body["created"] = STATE["created"]
                body["containers"] = list(STATE["containers"].values())
                self.answer(200, json.loads(json.dumps(body, default=list)))
            return
        if self.path == "/_health":
            self.answer(200, "ok")
            return
        self.serve_api("GET")

    def do_POST(self):
        self.serve_api("POST")

    def serve_api(self, method):
        self.status = 0
        path, _, query = self.path.partition("?")
        self.query = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
        self.query_all = urllib.parse.parse_qs(query)
        body = self.read_body() if method == "POST" else None
        if path == "/_control" and method == "POST":
            self.control(body)
            return
        api = api_of(path)
        headers = {k: v for k, v in self.headers.items()}
        if "Authorization" in headers:
            headers["Authorization"] = headers["Authorization"].split(" ")[0] + " ..."
        query_shown = {k: ("..." if k == "access_token" else v) for k, v in self.query.items()}
        entry = {"method": method, "path": path, "query": query_shown, "headers": headers,
                 "body": body}
        failure = self.take_failure(api, path, method) if api else None
        self.drop = bool(failure and failure.get("drop"))
        if self.drop:
            failure = None
        try:
            if failure and "hang" in failure:
                if failure.get("after"):
                    self.route(api, method, path, body, dry=True)
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
                self.route(api, method, path, body)
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
            if "api" in body and ("status" in body or "hang" in body or "drop" in body):
                f = dict(body)
                f.setdefault("count", 1)
                STATE["failures"].append(f)
            if "delete" in body:
                d = body["delete"]
                STATE["deleted"][d["api"]].add(str(d["id"]))
            if "advance" in body:
                STATE["offset"] += float(body["advance"])
        self.answer(200, {"ok": True})

    def route(self, api, method, path, body, dry=False):
        """dry: carry the request out but send no answer (the answer is lost)."""
        if dry:
            self.answer = lambda *a, **k: None
        if method == "GET":
            getattr(self, api + "_get")(path)
        else:
            getattr(self, api)(path, body)

    def deleted(self, api, ident):
        with LOCK:
            return str(ident) in STATE["deleted"][api]

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
            if self.drop:
                STATE["deleted"]["mastodon"].add(sid)
            else:
                STATE["created"]["mastodon"].append(dict(status, text=text, idempotency_key=key))
        self.answer(200, status, rl)

    def mastodon_get(self, path):
        rl = self.rate_headers("mastodon")
        m = re.match(r"^/api/v1/statuses/([^/]+)$", path)
        if not m:
            return self.answer(404, {"error": "Record not found"}, rl)
        if "Authorization" in self.headers and self.bearer() != ARGS.mastodon_token:
            return self.answer(401, {"error": "The access token is invalid"}, rl)
        sid = m.group(1)
        with LOCK:
            found = [st for st in STATE["created"]["mastodon"] if st["id"] == sid]
        if not found or self.deleted("mastodon", sid):
            return self.answer(404, {"error": "Record not found"}, rl)
        st = {k: v for k, v in found[0].items() if k not in ("text", "idempotency_key")}
        self.answer(200, st, rl)

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
                if self.drop:
                    STATE["deleted"]["bluesky"].add(uri)
                else:
                    STATE["created"]["bluesky"].append({"uri": uri, "record": body["record"]})
            return self.answer(200, {"uri": uri, "cid": "bafyreifake%d" % next(IDS),
                                     "validationStatus": "valid"}, rl)
        self.answer(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, rl)

    def bluesky_get(self, path):
        rl = self.rate_headers("bluesky")
        if path != "/xrpc/app.bsky.feed.getPosts":
            return self.answer(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"}, rl)
        token = self.bearer()
        with LOCK:
            session = STATE["access"].get(token)
        if token is None:
            return self.answer(401, {"error": "AuthenticationRequired", "message": "Authentication Required"}, rl)
        if session is None:
            return self.answer(401, {"error": "InvalidToken", "message": "Token could not be verified"}, rl)
        if session["expired"]:
            return self.answer(400, {"error": "ExpiredToken", "message": "Token has expired"}, rl)
        uris = self.query_all.get("uris", [])
        if not uris or len(uris) > 25:
            return self.answer(400, {"error": "InvalidRequest", "message": "uris must hold 1 to 25 at-uris"}, rl)
        posts = []
        with LOCK:
            for uri in uris:
                for p in STATE["created"]["bluesky"]:
                    if p["uri"] == uri and uri not in STATE["deleted"]["bluesky"]:
                        posts.append({"uri": uri, "cid": "bafyreifake",
                                      "author": {"did": "did:plc:fakebrand", "handle": ARGS.bluesky_handle},
                                      "record": p["record"], "indexedAt": iso_in(0)})
        self.answer(200, {"posts": posts}, rl)

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
        if not self.x_authorized("POST", path):
            return self.answer(401, X_UNAUTHORIZED, rl)
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
                if self.drop:
                    STATE["deleted"]["x"].add(tid)
                else:
                    STATE["created"]["x"].append({"id": tid, "text": text, "weight": x_weight(text)})
        if duplicate:
            return self.answer(403, {"detail": "You are not allowed to create a Tweet with duplicate content.",
                                     "type": "about:blank", "title": "Forbidden", "status": 403}, rl)
        self.answer(201, {"data": {"id": tid, "text": text, "edit_history_tweet_ids": [tid]}}, rl)

    def x_authorized(self, method, path):
        auth = self.headers.get("Authorization", "")
        if auth.startswith("OAuth "):
            url = "http://%s%s" % (self.headers.get("Host"), path)
            why = verify_oauth1(auth, method, url) if ARGS.x_consumer_key else "no OAuth 1.0a app"
            if why:
                sys.stderr.write("x: OAuth 1.0a refused: %s\n" % why)
                return False
            return True
        return bool(ARGS.x_bearer and self.bearer() == ARGS.x_bearer)

    def x_get(self, path):
        rl = self.rate_headers("x")
        m = re.match(r"^/2/tweets/(\d+)$", path)
        if not m:
            return self.answer(404, {"title": "Not Found Error", "status": 404}, rl)
        if not self.x_authorized("GET", path):
            return self.answer(401, X_UNAUTHORIZED, rl)
        tid = m.group(1)
        with LOCK:
            found = [t for t in STATE["created"]["x"] if t["id"] == tid]
        if not found or self.deleted("x", tid):
            return self.answer(200, {"errors": [{
                "value": tid, "detail": "Could not find tweet with id: [%s]." % tid,
                "title": "Not Found Error", "resource_type": "tweet", "parameter": "id",
                "resource_id": tid, "type": "https://api.twitter.com/2/problems/resource-not-found"}]}, rl)
        t = found[0]
        self.answer(200, {"data": {"id": tid, "text": t["text"], "edit_history_tweet_ids": [tid]}}, rl)

    # Meta Graph API: a Facebook Page's feed and Instagram content publishing.
    def graph_error(self, api, status, code, message, subcode=None, kind="OAuthException", extra=None):
        err = {"message": message, "type": kind, "code": code,
               "fbtrace_id": "Afake%d" % next(IDS)}
        if subcode is not None:
            err["error_subcode"] = subcode
        err.update(extra or {})
        return self.answer(status, {"error": err}, self.rate_headers(api))

    def graph_params(self, body):
        params = dict(self.query)
        if isinstance(body, dict):
            params.update(body)
        return params

    def graph_authorized(self, api, params):
        if self.bearer() == ARGS.graph_token or params.get("access_token") == ARGS.graph_token:
            return True
        self.graph_error(api, 400, 190, "Invalid OAuth access token - Cannot parse access token")
        return False

    def missing(self, api, node):
        return self.graph_error(
            api, 400, 100,
            "Unsupported get request. Object with ID '%s' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation. Please read the Graph API "
            "documentation at https://developers.facebook.com/docs/graph-api" % node,
            subcode=33, kind="GraphMethodException")

    @staticmethod
    def fields(params, default):
        return [f for f in (params.get("fields") or default).split(",") if f]

    def facebook(self, path, body):
        params = self.graph_params(body)
        if not self.graph_authorized("facebook", params):
            return
        node, edge = GRAPH_PATH.match(path).groups()
        if edge != "feed":
            return self.graph_error("facebook", 400, 100, "Unsupported post request.", subcode=33,
                                    kind="GraphMethodException")
        if node != ARGS.fb_page_id:
            return self.missing("facebook", node)
        message, link = params.get("message"), params.get("link")
        if not message and not link:
            return self.graph_error("facebook", 400, 100,
                                    "(#100) Missing message or attachment")
        if link is not None and not re.match(r"^https?://[^\s/]+", str(link)):
            return self.graph_error("facebook", 400, 100, "(#100) The link is not a valid URL")
        pid = "%s_%d" % (node, 900000000 + next(IDS))
        post = {"id": pid, "message": message or "", "link": link, "is_published": True,
                "created_time": datetime.fromtimestamp(graph_now(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "permalink_url": "https://www.facebook.com/%s/posts/%s" % (node, pid.split("_")[1])}
        with LOCK:
            STATE["created"]["facebook"].append(post)
            if self.drop:
                STATE["deleted"]["facebook"].add(pid)
        self.answer(200, {"id": pid}, self.rate_headers("facebook"))

    def facebook_get(self, path):
        params = self.graph_params(None)
        if not self.graph_authorized("facebook", params):
            return
        node, edge = GRAPH_PATH.match(path).groups()
        with LOCK:
            posts = [p for p in STATE["created"]["facebook"] if p["id"] not in STATE["deleted"]["facebook"]]
        if edge == "published_posts":
            if node != ARGS.fb_page_id:
                return self.missing("facebook", node)
            wanted = self.fields(params, "id,message,created_time")
            data = [{k: p.get(k) for k in wanted if k in p} for p in reversed(posts)]
            return self.answer(200, {"data": data, "paging": {}}, self.rate_headers("facebook"))
        if edge is not None:
            return self.missing("facebook", node)
        found = [p for p in posts if p["id"] == node]
        if not found:
            return self.missing("facebook", node)
        wanted = self.fields(params, "id,message,created_time")
        self.answer(200, {k: found[0].get(k) for k in wanted if k in found[0]}, self.rate_headers("facebook"))

    def ig_status(self, c, count_poll):
        """A container's status_code as Instagram would report it now (with LOCK held)."""
        if c.get("published"):
            return "PUBLISHED"
        if graph_now() - c["created"] > ARGS.ig_container_ttl:
            return "EXPIRED"
        if c.get("broken"):
            return "ERROR"
        if c["polls_left"] > 0:
            if count_poll:
                c["polls_left"] -= 1
            return "IN_PROGRESS"
        return "FINISHED"

    def instagram(self, path, body):
        params = self.graph_params(body)
        if not self.graph_authorized("instagram", params):
            return
        node, edge = GRAPH_PATH.match(path).groups()
        if node != ARGS.ig_user_id:
            return self.missing("instagram", node)
        if edge == "media":
            return self.ig_create(params)
        if edge == "media_publish":
            return self.ig_publish(params)
        return self.graph_error("instagram", 400, 100, "Unsupported post request.", subcode=33,
                                kind="GraphMethodException")

    def ig_create(self, params):
        api = "instagram"
        caption = params.get("caption") or ""
        if len(caption) > 2200:
            return self.graph_error(api, 400, 100, "(#100) The caption is longer than 2200 characters")
        if len(re.findall(r"(?:^|\s)#\w", caption)) > 30:
            return self.graph_error(api, 400, 100, "(#100) The caption has more than 30 hashtags")
        if len(re.findall(r"(?:^|[^\w.])@[\w]", caption)) > 20:
            return self.graph_error(api, 400, 100, "(#100) The caption mentions more than 20 accounts")
        media_type = (params.get("media_type") or "IMAGE").upper()
        item = str(params.get("is_carousel_item", "")).lower() in ("true", "1")
        urls, children = [], []
        if media_type == "CAROUSEL":
            kids = params.get("children")
            if isinstance(kids, str):
                kids = [k for k in kids.split(",") if k]
            if not isinstance(kids, list) or not 2 <= len(kids) <= 10:
                return self.graph_error(api, 400, 100, "(#100) A carousel needs 2 to 10 children")
            with LOCK:
                for k in kids:
                    c = STATE["containers"].get(str(k))
                    if not c or not c["carousel_item"] or self.ig_status(c, False) == "EXPIRED":
                        return self.graph_error(api, 400, 100, "(#100) Child %s is not a carousel item container" % k)
            children = [str(k) for k in kids]
        elif media_type in ("REELS", "VIDEO"):
            if not params.get("video_url"):
                return self.graph_error(api, 400, 100, "(#100) The parameter video_url is required")
            urls = [params["video_url"]]
        elif media_type == "IMAGE":
            if not params.get("image_url"):
                return self.graph_error(api, 400, 100, "(#100) The parameter image_url is required")
            urls = [params["image_url"]]
        else:
            return self.graph_error(api, 400, 100, "(#100) media_type must be IMAGE, REELS, VIDEO or CAROUSEL",
                                    subcode=2207023)
        for u in urls:
            if not re.match(r"^https?://[^\s/]+", str(u)):
                return self.graph_error(api, 400, 9004, "The media could not be fetched from this uri: %s" % u,
                                        subcode=2207052)
        cid = str(17900000000000000 + next(IDS))
        c = {"id": cid, "media_type": media_type, "urls": urls, "children": children,
             "caption": caption, "carousel_item": item, "created": graph_now(),
             "polls_left": ARGS.ig_in_progress_polls, "broken": any("broken" in u for u in urls),
             "published": None}
        with LOCK:
            STATE["containers"][cid] = c
        self.answer(200, {"id": cid}, self.rate_headers(api))

    def ig_publish(self, params):
        api = "instagram"
        cid = str(params.get("creation_id") or "")
        with LOCK:
            c = STATE["containers"].get(cid)
            status = self.ig_status(c, False) if c else None
            window = [t for t in STATE["publishes"] if t > graph_now() - 86400]
        if not c or c["carousel_item"]:
            return self.missing(api, cid)
        if len(window) >= ARGS.ig_publish_limit:
            return self.graph_error(api, 400, 9, "Application request limit reached", subcode=2207042,
                                    extra={"is_transient": False, "error_user_title": "Reached publishing limit",
                                           "error_user_msg": "You reached maximum number of posts that is allowed "
                                                             "to be published by Content Publishing API."})
        if status == "IN_PROGRESS":
            return self.graph_error(api, 400, 9007, "Media ID is not available", subcode=2207027,
                                    extra={"error_user_msg": "The media is not ready for publishing, please wait for a moment"})
        if status == "EXPIRED":
            return self.graph_error(api, 400, -2, "The media you are trying to access has expired",
                                    subcode=2207020)
        if status == "ERROR":
            return self.graph_error(api, 400, -1, "Create media fail, please try to re-create media",
                                    subcode=2207032)
        if status == "PUBLISHED":
            return self.graph_error(api, 400, 100, "(#100) The container was already published")
        n = next(IDS)
        mid = str(17950000000000000 + n)
        kind = {"CAROUSEL": "CAROUSEL_ALBUM", "REELS": "VIDEO", "VIDEO": "VIDEO"}.get(c["media_type"], "IMAGE")
        media = {"id": mid, "caption": c["caption"], "media_type": kind, "container": cid,
                 "media_urls": c["urls"] or [STATE["containers"][k]["urls"][0] for k in c["children"]],
                 "permalink": "https://www.instagram.com/p/FAKE%d/" % n,
                 "timestamp": datetime.fromtimestamp(graph_now(), timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")}
        with LOCK:
            c["published"] = mid
            STATE["publishes"].append(graph_now())
            STATE["created"]["instagram"].append(media)
            if self.drop:
                STATE["deleted"]["instagram"].add(mid)
        self.answer(200, {"id": mid}, self.rate_headers(api))

    def instagram_get(self, path):
        api = "instagram"
        params = self.graph_params(None)
        if not self.graph_authorized(api, params):
            return
        node, edge = GRAPH_PATH.match(path).groups()
        if edge == "content_publishing_limit":
            if node != ARGS.ig_user_id:
                return self.missing(api, node)
            with LOCK:
                used = len([t for t in STATE["publishes"] if t > graph_now() - 86400])
            return self.answer(200, {"data": [{"quota_usage": used, "config": {
                "quota_total": ARGS.ig_publish_limit, "quota_duration": 86400}}]}, self.rate_headers(api))
        if edge is not None:
            return self.missing(api, node)
        with LOCK:
            c = STATE["containers"].get(node)
            media = [m for m in STATE["created"]["instagram"]
                     if m["id"] == node and node not in STATE["deleted"]["instagram"]]
        if c is not None:
            wanted = self.fields(params, "id")
            for f in wanted:
                if f not in ("id", "status_code", "status"):
                    return self.graph_error(api, 400, 100, "(#100) Tried accessing nonexisting field (%s) on node "
                                                           "type (ShadowIGMediaBuilder)" % f)
            with LOCK:
                code = self.ig_status(c, "status_code" in wanted)
            out = {"id": node}
            if "status_code" in wanted:
                out["status_code"] = code
            if "status" in wanted:
                out["status"] = ("Error: Media upload has failed with error code 2207052" if code == "ERROR"
                                 else code.title().replace("_", " "))
            return self.answer(200, out, self.rate_headers(api))
        if not media:
            return self.missing(api, node)
        wanted = self.fields(params, "id")
        self.answer(200, {k: media[0][k] for k in wanted if k in media[0]}, self.rate_headers(api))


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
    ap.add_argument("--graph-token", default="graph-token")
    ap.add_argument("--fb-page-id", default="1122334455")
    ap.add_argument("--ig-user-id", default="17841400000000")
    ap.add_argument("--ig-in-progress-polls", type=int, default=1)
    ap.add_argument("--ig-container-ttl", type=float, default=86400)
    ap.add_argument("--ig-publish-limit", type=int, default=50)
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
