#!/usr/bin/env python3
"""Emulated listening APIs for Lifeline's listening sources, on one loopback port:

  /x        X API v2 recent search      GET /2/tweets/search/recent (bearer token; since_id,
                                        next_token; x-rate-limit-* headers, 429)
  /mastodon Mastodon hashtag timeline   GET /api/v1/timelines/tag/:hashtag (min_id/max_id/since_id,
                                        Link header paging; X-RateLimit-* headers, ISO reset, 429)
                                        and its stream, GET /api/v1/streaming/hashtag?tag=TAG
                                        (server-sent events: "event: update" with a Status in
                                        "data:", ":thump" heartbeats every 0.5 s)
  /bsky     Bluesky                     POST /xrpc/com.atproto.server.createSession,
                                        GET /xrpc/app.bsky.feed.searchPosts (signed in; cursor,
                                        since; RateLimit-* headers, 429)
  /reddit   Reddit                      POST /api/v1/access_token (client_credentials, basic auth),
                                        GET /search (bearer; sort=new, after; X-Ratelimit-* headers)
  /youtube  YouTube Data API v3         GET /youtube/v3/commentThreads (key; pageToken; 403
                                        quotaExceeded when the quota is spent)
  /rss      feeds of mentions           GET /rss/NAME.xml (RSS 2.0)

Each answer follows the documented wire format and errors. Controls (JSON bodies):
  POST /_control/posts  {"source", "posts": [{"text", "author", "at", "shares", "id", "tag",
                         "video", "feed"}]}     add posts ("at": ISO 8601 or epoch seconds)
  POST /_control/fault  {"source", "status": 429, "count": 1, "reset_in": 2, "body": "...",
                         "huge": BYTES, "after": N, "reason": "quotaExceeded",
                         "match": "text in the decoded query string"}
                                                the next `count` calls of the source (after N
                                                more that go through) answer so
  POST /_control/page   {"source", "size": N}   page size (to force pagination)
  POST /_control/limits {"source": "x", "remaining": 0, "reset_in": S}   X's window headers
  POST /_control/expire {}                      Bluesky sessions expire (400 ExpiredToken)
  POST /_control/stream {"drop": true, "down": bool}   close every open stream now; while
                                                "down", new stream connections answer 503
  POST /_control/reset  {}                      forget everything
  GET  /_requests                               every API request: {"source", "path", "query"}
Python 3 standard library only.
"""
import argparse
import base64
import json
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

X_TOKEN = "x-test-bearer"
MASTODON_TOKEN = "mastodon-test-token"
BSKY_IDENTIFIER = "acme.bsky.social"
BSKY_PASSWORD = "bsky-app-password"
REDDIT_CLIENT = ("reddit-client", "reddit-secret")
YOUTUBE_KEY = "yt-test-key"

LOCK = threading.Lock()  # guards everything below
STATE = {}


def reset():
    STATE.clear()
    STATE.update({
        "posts": {s: [] for s in ("x", "mastodon", "bluesky", "reddit", "youtube", "rss")},
        "faults": [],
        "page": {},
        "requests": [],
        "next_id": 1000,
        "sessions": set(),
        "expired": set(),
        "limits": {},
        "reddit_tokens": set(),
        "streams": [],
        "stream_down": False,
    })


reset()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".000Z"


def parse_time(v):
    if isinstance(v, (int, float)):
        return float(v)
    import calendar
    v = v.replace("Z", "")
    if "." in v:
        v = v.split(".")[0]
    return float(calendar.timegm(time.strptime(v, "%Y-%m-%dT%H:%M:%S")))


def matches(text, q):
    """The query as each API would read it, for the terms Lifeline sends: a quoted phrase or a
    hashtag, optionally followed by -is:retweet."""
    q = q.replace("-is:retweet", "").strip().strip('"').lower()
    t = text.lower()
    return q in t


def status_json(p):
    """A Mastodon Status (https://docs.joinmastodon.org/entities/Status/) of an added post."""
    return {"id": p["id"], "created_at": iso(p["at"]),
            "url": "https://mastodon.example/@%s/%s" % (p["author"], p["id"]),
            "uri": "https://mastodon.example/users/%s/statuses/%s" % (p["author"], p["id"]),
            "content": "<p>%s</p>" % p["text"].replace("&", "&amp;").replace("<", "&lt;"),
            "reblogs_count": p["shares"], "reblog": None,
            "account": {"id": "1", "username": p["author"], "acct": p["author"]}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, headers=None, ctype="application/json"):
        data = body if isinstance(body, bytes) else (
            body.encode() if isinstance(body, str) else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def bearer(self):
        a = self.headers.get("Authorization") or ""
        return a[7:] if a.startswith("Bearer ") else None

    # ---- faults and rate-limit headers ----

    def fault(self, source, query):
        with LOCK:
            for f in STATE["faults"]:
                if f["source"] == source and f["count"] > 0:
                    if f.get("match") and f["match"] not in query:
                        continue
                    if f.get("after", 0) > 0:  # let this many calls through first
                        f["after"] -= 1
                        return None
                    f["count"] -= 1
                    return dict(f)
        return None

    def send_fault(self, source, f):
        if "huge" in f:
            return self.send(200, b'{"data": [' + b" " * int(f["huge"]) + b"]}")
        if "body" in f and f.get("status", 200) == 200:
            return self.send(200, f["body"])
        status = f.get("status", 429)
        reset_at = time.time() + f.get("reset_in", 60)
        if source == "x":
            return self.send(status, {"title": "Too Many Requests", "detail": "Too Many Requests",
                                      "type": "about:blank", "status": status},
                             {"x-rate-limit-limit": "60", "x-rate-limit-remaining": "0",
                              "x-rate-limit-reset": str(int(reset_at))})
        if source == "mastodon":
            return self.send(status, {"error": "Too many requests"},
                             {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                              "X-RateLimit-Reset": iso(reset_at)})
        if source == "bluesky":
            return self.send(status, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                             {"RateLimit-Limit": "3000", "RateLimit-Remaining": "0",
                              "RateLimit-Reset": str(int(reset_at))})
        if source == "reddit":
            return self.send(status, {"message": "Too Many Requests", "error": 429},
                             {"X-Ratelimit-Used": "100", "X-Ratelimit-Remaining": "0",
                              "X-Ratelimit-Reset": str(int(f.get("reset_in", 60)))})
        if source == "youtube":
            reason = f.get("reason", "quotaExceeded")
            return self.send(403, {"error": {"code": 403, "message": "The request cannot be "
                                             "completed because you have exceeded your quota.",
                                             "errors": [{"message": "quota", "domain":
                                                         "youtube.quota", "reason": reason}]}})
        return self.send(status, "slow down", {"Retry-After": str(int(f.get("reset_in", 60)))},
                         "text/plain")

    def page_size(self, source, asked, cap):
        with LOCK:
            forced = STATE["page"].get(source)
        n = min(int(asked or cap), cap)
        return min(n, forced) if forced else n

    # ---- routing ----

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        path = url.path
        if path.startswith("/_"):
            return self.control(method, path)
        source = {"x": "x", "mastodon": "mastodon", "bsky": "bluesky", "reddit": "reddit",
                  "youtube": "youtube", "rss": "rss"}.get(path.split("/")[1])
        if source is None:
            return self.send(404, {"error": "not found"})
        rest = path[len(path.split("/")[1]) + 1:]
        with LOCK:
            STATE["requests"].append({"source": source, "path": rest, "query": q,
                                      "method": method})
        body = self.body() if method == "POST" else b""
        # Sign-in calls are not faulted: the fault is for the API call after.
        if not rest.endswith("createSession") and not rest.endswith("access_token"):
            f = self.fault(source, urllib.parse.unquote_plus(url.query))
            if f:
                return self.send_fault(source, f)
        getattr(self, "api_" + source)(method, rest, q, body)

    def control(self, method, path):
        if method == "GET" and path == "/_requests":
            with LOCK:
                return self.send(200, STATE["requests"])
        try:
            req = json.loads(self.body() or b"{}")
        except ValueError:
            return self.send(400, {"error": "bad json"})
        with LOCK:
            if path == "/_control/posts":
                for p in req["posts"]:
                    STATE["next_id"] += 1
                    p = dict(p)
                    p.setdefault("id", str(STATE["next_id"]))
                    p["n"] = STATE["next_id"]
                    p["at"] = parse_time(p.get("at", time.time()))
                    p.setdefault("author", "user%d" % STATE["next_id"])
                    p.setdefault("shares", 0)
                    STATE["posts"][req["source"]].append(p)
                    if req["source"] == "mastodon":
                        for sub in STATE["streams"]:
                            if sub["tag"] == p.get("tag", "").lower():
                                with sub["cv"]:
                                    sub["queue"].append(status_json(p))
                                    sub["cv"].notify()
            elif path == "/_control/fault":
                f = dict(req)
                f.setdefault("count", 1)
                STATE["faults"].append(f)
            elif path == "/_control/page":
                STATE["page"][req["source"]] = int(req["size"])
            elif path == "/_control/expire":
                STATE["expired"] |= STATE["sessions"]
                STATE["sessions"] = set()
            elif path == "/_control/limits":
                STATE["limits"][req["source"]] = req
            elif path == "/_control/stream":
                if "down" in req:
                    STATE["stream_down"] = bool(req["down"])
                if req.get("drop"):
                    for sub in STATE["streams"]:
                        with sub["cv"]:
                            sub["closed"] = True
                            sub["cv"].notify()
            elif path == "/_control/reset":
                reset()
            else:
                return self.send(404, {"error": "unknown control"})
        return self.send(200, {"ok": True})

    def newest_first(self, source, pred):
        with LOCK:
            posts = [p for p in STATE["posts"][source] if pred(p)]
        return sorted(posts, key=lambda p: p["n"], reverse=True)

    # ---- X API v2: https://docs.x.com/x-api/posts/search-recent-posts ----
    def api_x(self, method, rest, q, body):
        if rest != "/2/tweets/search/recent" or method != "GET":
            return self.send(404, {"title": "Not Found Error", "status": 404})
        if self.bearer() != X_TOKEN:
            return self.send(401, {"title": "Unauthorized", "type": "about:blank", "status": 401,
                                   "detail": "Unauthorized"})
        if "query" not in q:
            return self.send(400, {"errors": [{"parameters": {"query": []},
                                               "message": "The `query` query parameter can not be "
                                               "empty"}], "title": "Invalid Request Detail",
                                   "status": 400})
        since = int(q.get("since_id", "0"))
        posts = self.newest_first("x", lambda p: matches(p["text"], q["query"]) and
                                  int(p["id"]) > since)
        off = int(base64.b64decode(q["next_token"]).decode()) if "next_token" in q else 0
        size = self.page_size("x", q.get("max_results"), 100)
        page = posts[off:off + size]
        meta = {"result_count": len(page)}
        if page:
            meta["newest_id"] = page[0]["id"]
            meta["oldest_id"] = page[-1]["id"]
        if off + size < len(posts):
            meta["next_token"] = base64.b64encode(str(off + size).encode()).decode()
        out = {"meta": meta}
        if page:
            out["data"] = [{"id": p["id"], "text": p["text"], "author_id": "u" + p["author"],
                            "created_at": iso(p["at"]),
                            "edit_history_tweet_ids": [p["id"]],
                            "public_metrics": {"retweet_count": p["shares"], "reply_count": 0,
                                               "like_count": 0, "quote_count": 0}}
                           for p in page]
            out["includes"] = {"users": [{"id": "u" + p["author"], "name": p["author"],
                                          "username": p["author"]} for p in page]}
        with LOCK:
            lim = STATE["limits"].get("x", {})
        self.send(200, out, {"x-rate-limit-limit": "60",
                             "x-rate-limit-remaining": str(lim.get("remaining", 59)),
                             "x-rate-limit-reset": str(int(time.time()) + lim.get("reset_in", 900))})

    # ---- Mastodon: https://docs.joinmastodon.org/methods/timelines/#tag ----
    def mastodon_stream(self, q):
        """https://docs.joinmastodon.org/methods/streaming/#hashtag: server-sent events until
        the client or a /_control/stream drop closes it."""
        with LOCK:
            down = STATE["stream_down"]
        if down:
            return self.send(503, {"error": "Streaming is unavailable"})
        if self.headers.get("Authorization") not in (None, "Bearer " + MASTODON_TOKEN):
            return self.send(401, {"error": "The access token is invalid"})
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        sub = {"tag": q.get("tag", "").lower(), "queue": [], "closed": False,
               "cv": threading.Condition()}
        with LOCK:
            STATE["streams"].append(sub)
        try:
            self.wfile.write(b":)\n")
            self.wfile.flush()
            while True:
                with sub["cv"]:
                    if not sub["queue"] and not sub["closed"]:
                        sub["cv"].wait(timeout=0.5)
                    items, sub["queue"] = sub["queue"], []
                    closed = sub["closed"]
                if closed:
                    break
                for st in items:
                    self.wfile.write(("event: update\ndata: %s\n\n" % json.dumps(st)).encode())
                if not items:
                    self.wfile.write(b":thump\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with LOCK:
                STATE["streams"] = [x for x in STATE["streams"] if x is not sub]

    def api_mastodon(self, method, rest, q, body):
        if rest == "/api/v1/streaming/hashtag" and method == "GET":
            return self.mastodon_stream(q)
        prefix = "/api/v1/timelines/tag/"
        if not rest.startswith(prefix) or method != "GET":
            return self.send(404, {"error": "Record not found"})
        tag = urllib.parse.unquote(rest[len(prefix):]).lower()
        posts = self.newest_first("mastodon", lambda p: p.get("tag", "").lower() == tag)
        size = self.page_size("mastodon", q.get("limit"), 40)
        if "max_id" in q:
            posts = [p for p in posts if int(p["id"]) < int(q["max_id"])]
        if "since_id" in q:
            posts = [p for p in posts if int(p["id"]) > int(q["since_id"])]
        if "min_id" in q:
            # The statuses immediately newer than min_id: the oldest `size` of them.
            newer = [p for p in posts if int(p["id"]) > int(q["min_id"])]
            page = newer[-size:] if newer else []
        else:
            page = posts[:size]
        base = "http://%s/mastodon%s%s" % (self.headers.get("Host"), prefix,
                                           urllib.parse.quote(tag))
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299",
                   "X-RateLimit-Reset": iso(time.time() + 300)}
        if page:
            headers["Link"] = '<%s?max_id=%s>; rel="next", <%s?min_id=%s>; rel="prev"' % (
                base, page[-1]["id"], base, page[0]["id"])
        self.send(200, [status_json(p) for p in page], headers)

    # ---- Bluesky: https://docs.bsky.app/docs/api/app-bsky-feed-search-posts ----
    def api_bluesky(self, method, rest, q, body):
        if rest == "/xrpc/com.atproto.server.createSession" and method == "POST":
            try:
                req = json.loads(body or b"{}")
            except ValueError:
                return self.send(400, {"error": "InvalidRequest", "message": "bad json"})
            if req.get("identifier") != BSKY_IDENTIFIER or req.get("password") != BSKY_PASSWORD:
                return self.send(401, {"error": "AuthenticationRequired",
                                       "message": "Invalid identifier or password"})
            jwt = "jwt-%d" % time.time_ns()
            with LOCK:
                STATE["sessions"].add(jwt)
            return self.send(200, {"accessJwt": jwt, "refreshJwt": "r" + jwt,
                                   "handle": BSKY_IDENTIFIER, "did": "did:plc:acme"})
        if rest != "/xrpc/app.bsky.feed.searchPosts" or method != "GET":
            return self.send(404, {"error": "MethodNotImplemented"})
        with LOCK:
            ok = self.bearer() in STATE["sessions"]
            expired = self.bearer() in STATE["expired"]
        if expired:
            return self.send(400, {"error": "ExpiredToken", "message": "Token has expired"})
        if not ok:
            return self.send(401, {"error": "AuthMissing", "message": "Authentication Required"})
        if not q.get("q"):
            return self.send(400, {"error": "InvalidRequest", "message": "Error: Params must "
                                   "have the property \"q\""})
        since = parse_time(q["since"]) if "since" in q else 0
        posts = self.newest_first("bluesky", lambda p: matches(p["text"], q["q"]) and
                                  p["at"] >= since)
        off = int(q.get("cursor", "0"))
        size = self.page_size("bluesky", q.get("limit"), 100)
        page = posts[off:off + size]
        out = {"posts": [{"uri": "at://did:plc:%s/app.bsky.feed.post/%s" % (p["author"], p["id"]),
                          "cid": "bafy" + p["id"],
                          "author": {"did": "did:plc:" + p["author"],
                                     "handle": p["author"] + ".bsky.social"},
                          "record": {"$type": "app.bsky.feed.post", "text": p["text"],
                                     "createdAt": iso(p["at"])},
                          "replyCount": 0, "repostCount": p["shares"], "likeCount": 0,
                          "quoteCount": 0, "indexedAt": iso(p["at"])} for p in page]}
        if off + size < len(posts):
            out["cursor"] = str(off + size)
        self.send(200, out, {"RateLimit-Limit": "3000", "RateLimit-Remaining": "2999",
                             "RateLimit-Reset": str(int(time.time()) + 300)})

    # ---- Reddit: https://www.reddit.com/dev/api/#GET_search ----
    def api_reddit(self, method, rest, q, body):
        if rest == "/api/v1/access_token" and method == "POST":
            auth = self.headers.get("Authorization") or ""
            want = "Basic " + base64.b64encode(("%s:%s" % REDDIT_CLIENT).encode()).decode()
            if auth != want or b"grant_type=client_credentials" not in body:
                return self.send(401, {"message": "Unauthorized", "error": 401})
            tok = "reddit-%d" % time.time_ns()
            with LOCK:
                STATE["reddit_tokens"].add(tok)
            return self.send(200, {"access_token": tok, "token_type": "bearer",
                                   "expires_in": 86400, "scope": "*"})
        if rest != "/search" or method != "GET":
            return self.send(404, {"message": "Not Found", "error": 404})
        with LOCK:
            ok = self.bearer() in STATE["reddit_tokens"]
        if not ok:
            return self.send(401, {"message": "Unauthorized", "error": 401})
        posts = self.newest_first("reddit", lambda p: matches(p["text"], q.get("q", "")))
        if "after" in q:
            idx = [i for i, p in enumerate(posts) if "t3_" + p["id"] == q["after"]]
            posts = posts[idx[0] + 1:] if idx else []
        size = self.page_size("reddit", q.get("limit"), 100)
        page = posts[:size]
        after = "t3_" + page[-1]["id"] if len(posts) > size else None
        out = {"kind": "Listing", "data": {"after": after, "before": None, "dist": len(page),
               "children": [{"kind": "t3", "data": {
                   "name": "t3_" + p["id"], "id": p["id"], "title": p["text"], "selftext": "",
                   "author": p["author"], "created_utc": p["at"],
                   "permalink": "/r/test/comments/%s/post/" % p["id"],
                   "num_crossposts": p["shares"], "score": 1}} for p in page]}}
        self.send(200, out, {"X-Ratelimit-Used": "1", "X-Ratelimit-Remaining": "99.0",
                             "X-Ratelimit-Reset": "540"})

    # ---- YouTube: https://developers.google.com/youtube/v3/docs/commentThreads/list ----
    def api_youtube(self, method, rest, q, body):
        if rest != "/youtube/v3/commentThreads" or method != "GET":
            return self.send(404, {"error": {"code": 404, "message": "Not Found"}})
        if q.get("key") != YOUTUBE_KEY:
            return self.send(400, {"error": {"code": 400, "message": "API key not valid.",
                                             "errors": [{"reason": "keyInvalid",
                                                         "domain": "usageLimits"}]}})
        video = q.get("videoId") or q.get("allThreadsRelatedToChannelId")
        posts = self.newest_first("youtube", lambda p: p.get("video") == video)
        off = int(q.get("pageToken", "0"))
        size = self.page_size("youtube", q.get("maxResults"), 100)
        page = posts[off:off + size]
        out = {"kind": "youtube#commentThreadListResponse",
               "pageInfo": {"totalResults": len(page), "resultsPerPage": size},
               "items": [{"kind": "youtube#commentThread", "id": "th" + p["id"], "snippet": {
                   "videoId": p.get("video"), "totalReplyCount": 0, "topLevelComment": {
                       "kind": "youtube#comment", "id": "c" + p["id"], "snippet": {
                           "textOriginal": p["text"], "textDisplay": p["text"],
                           "authorDisplayName": "@" + p["author"], "likeCount": 0,
                           "publishedAt": iso(p["at"])[:19] + "Z",
                           "updatedAt": iso(p["at"])[:19] + "Z"}}}} for p in page]}
        if off + size < len(posts):
            out["nextPageToken"] = str(off + size)
        self.send(200, out)

    # ---- RSS 2.0 feeds of mentions ----
    def api_rss(self, method, rest, q, body):
        name = rest.strip("/").removesuffix(".xml")
        posts = self.newest_first("rss", lambda p: p.get("feed") == name)
        from xml.sax.saxutils import escape
        items = "".join(
            "<item><title>%s</title><link>%s</link><guid>%s</guid>"
            "<dc:creator>%s</dc:creator><pubDate>%s</pubDate></item>" % (
                escape(p["text"]), escape(p.get("url", "https://blog.example/" + p["id"])),
                p["id"], escape(p["author"]),
                time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(p["at"])))
            for p in posts)
        self.send(200, '<?xml version="1.0"?><rss version="2.0" '
                  'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>%s</title>'
                  '<link>https://blog.example/</link>%s</channel></rss>' % (name, items),
                  ctype="application/rss+xml")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    srv = ThreadingHTTPServer((args.listen, args.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    print(port, flush=True)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
