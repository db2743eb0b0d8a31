#!/usr/bin/env python3
"""Emulated ad platform APIs for Lifeline's ads guard: the Meta Marketing API (Graph), the Google
Ads API (REST) and the TikTok Business API, on one loopback port under /meta, /google and /tiktok.

Each follows its documented request, answer and error formats, enforces rate limits (per account,
configurable), refuses writes on read-only accounts with the platform's permission error, answers
unknown ids with its not-found error, and lets a status change show in the "effective" status only
after a lag. See tests/fakes/README.md. Python 3 standard library only.
"""
import argparse
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKENS = {
    "meta": "EAAB-lifeline-ads-token",
    "google": "ya29.lifeline-ads-token",
    "tiktok": "lifeline-tiktok-ads-token",
}
GOOGLE_DEVELOPER_TOKEN = "lifeline-dev-token"
TIKTOK_MAX_STATUS_IDS = 20

LOCK = threading.Lock()  # guards every structure below
ACCOUNTS = {}  # (platform, account) -> {"currency", "read_only", "manager", "campaigns": {id: c}}
RATES = {}  # (platform, account) -> {"calls": N, "window": S, "hits": [t, ...]}
LAG = {"seconds": 0.0}
RECEIVED = []  # every request
WRITES = []  # every status/budget change that took effect
FAULTS = []  # pending one-shot faults {"platform", "status", "body", "count"}
# Hourly figures that differ from the synthetic pattern (history control for the recovery checks):
# {"platform", "campaign", "from": "2026-11-30T10", "to": "2026-11-30T16" (local hours, "to"
# excluded), and "impressions"/"clicks"/"spend" (absolute), "factor" (all three scaled),
# "spend_factor" (spend only: a dearer CPM), or "omit": true (no row: no delivery)}.
HOURLY = []
MINOR = {"JPY": 1, "KRW": 1, "CLP": 1, "VND": 1, "IDR": 1, "HUF": 1, "TWD": 1, "ISK": 1}


def now_iso(t=None):
    t = time.time() if t is None else t
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(t)) + ""


def micros_of(text):
    whole, _, frac = str(text).partition(".")
    neg = whole.startswith("-")
    whole = whole.lstrip("+-") or "0"
    frac = (frac + "000000")[:6]
    v = int(whole) * 1000000 + int(frac)
    return -v if neg else v


def decimal_of(micros):
    s = "%d.%06d" % (abs(micros) // 1000000, abs(micros) % 1000000)
    s = s.rstrip("0").rstrip(".")
    return ("-" if micros < 0 else "") + s


def seed_campaign(c):
    status = c.get("status", "active")
    return {
        "id": str(c["id"]),
        "name": c.get("name", "Campaign %s" % c["id"]),
        "status": status,  # active | paused | removed
        "shown": status,  # what the effective status shows (lags)
        "changed_at": 0.0,
        "budget_micros": micros_of(c.get("budget", "50")),
        "budget_kind": c.get("budget_kind", "daily"),
        "issues": list(c.get("issues", [])),
        "updated": now_iso(time.time() - 86400),
        "budget_id": str(c.get("budget_id", "9" + str(c["id"]))),
    }


def effective(c):
    if c["shown"] != c["status"] and time.time() - c["changed_at"] >= LAG["seconds"]:
        c["shown"] = c["status"]
    return c["shown"]


def set_status(platform, account, c, status, by="api"):
    if c["status"] == status:
        return
    c["status"] = status
    c["changed_at"] = time.time()
    if LAG["seconds"] <= 0:
        c["shown"] = status
    c["updated"] = now_iso()
    WRITES.append({"platform": platform, "account": account, "campaign": c["id"],
                   "op": "resume" if status == "active" else "pause", "by": by,
                   "at": time.time()})


def rate_limited(platform, account):
    """True when this call is over the account's limit (the call is not counted then)."""
    r = RATES.get((platform, account))
    if not r:
        return False, 0.0
    t = time.time()
    r["hits"] = [h for h in r["hits"] if t - h < r["window"]]
    if len(r["hits"]) >= r["calls"]:
        return True, r["window"] - (t - r["hits"][0])
    r["hits"].append(t)
    return False, 0.0


def usage_pct(platform, account):
    r = RATES.get((platform, account))
    if not r:
        return 1, 0
    t = time.time()
    hits = [h for h in r["hits"] if t - h < r["window"]]
    reset = int(r["window"] - (t - hits[0]) + 0.999) if hits else 0
    return min(100, int(100 * len(hits) / r["calls"])), reset


def adjust_hour(platform, campaign, row):
    """Applies HOURLY to one synthetic row; False when the hour has no row at all."""
    label = "%sT%02d" % (row["date"], row["hour"])
    for o in HOURLY:
        if o.get("platform") != platform or str(o.get("campaign")) != campaign:
            continue
        if not o.get("from", "") <= label < o.get("to", "~"):
            continue
        if o.get("omit"):
            return False
        if "factor" in o:
            for k in ("impressions", "clicks", "spend_micros"):
                row[k] = int(row[k] * float(o["factor"]))
        if "spend_factor" in o:
            row["spend_micros"] = int(row["spend_micros"] * float(o["spend_factor"]))
        for k in ("impressions", "clicks"):
            if k in o:
                row[k] = int(o[k])
        if "spend" in o:
            row["spend_micros"] = micros_of(o["spend"])
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ads-apis/1"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("ads_apis: " + fmt % args + "\n")

    # ---- plumbing ----
    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def answer(self, status, body, headers=None, platform=None, record=None):
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        if record is not None:
            record["status"] = status
            record["answer"] = json.loads(data) if data[:1] in (b"{", b"[") else data.decode()

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        body = self.read_body()
        if path == "/_health":
            return self.answer(200, {"ok": True})
        if path == "/_control" and method == "POST":
            return self.control(json.loads(body or b"{}"))
        if path == "/_received":
            with LOCK:
                return self.answer(200, RECEIVED)
        if path == "/_writes":
            with LOCK:
                return self.answer(200, WRITES)
        if path == "/_state":
            with LOCK:
                out = []
                for (p, a), acc in ACCOUNTS.items():
                    for c in acc["campaigns"].values():
                        out.append({"platform": p, "account": a, "id": c["id"], "name": c["name"],
                                    "status": c["status"], "effective": effective(c),
                                    "budget": decimal_of(c["budget_micros"]),
                                    "issues": c["issues"]})
                return self.answer(200, out)
        platform = path.split("/")[1] if path.count("/") >= 2 else ""
        if platform not in ("meta", "google", "tiktok"):
            return self.answer(404, {"error": "no such API: " + path})
        record = {"platform": platform, "method": method, "path": path, "at": time.time()}
        auth = self.headers.get("Authorization", "")
        if platform == "meta":
            token = query.pop("access_token", None) or (auth[7:] if auth.startswith("Bearer ") else "")
            record["auth"] = "ok" if token == TOKENS["meta"] else "bad"
        elif platform == "google":
            record["auth"] = "ok" if auth == "Bearer " + TOKENS["google"] else "bad"
        else:
            record["auth"] = "ok" if self.headers.get("Access-Token") == TOKENS["tiktok"] else "bad"
        record["query"] = query
        try:
            record["body"] = json.loads(body) if body.startswith(b"{") else body.decode()
        except ValueError:
            record["body"] = body.decode(errors="replace")
        with LOCK:
            RECEIVED.append(record)
            for f in FAULTS:
                if f["platform"] == platform and f["count"] != 0:
                    f["count"] -= 1
                    return self.answer(f.get("status", 500), f.get("body", {}),
                                       f.get("headers"), record=record)
            try:
                getattr(self, platform)(method, path, query, body, record)
            except Exception as e:  # a bug in the fake: say so loudly
                self.answer(500, {"fake_error": repr(e)}, record=record)
                raise

    def control(self, c):
        with LOCK:
            if c.get("reset"):
                ACCOUNTS.clear()
                RATES.clear()
                RECEIVED.clear()
                WRITES.clear()
                FAULTS.clear()
                HOURLY.clear()
                LAG["seconds"] = 0.0
            if "lag" in c:
                LAG["seconds"] = float(c["lag"])
            if "account" in c:
                key = (c["platform"], str(c["account"]))
                acc = ACCOUNTS.setdefault(key, {"currency": "USD", "read_only": False,
                                                "manager": "", "campaigns": {},
                                                "page_size": 1000})
                for k in ("currency", "read_only", "manager", "page_size"):
                    if k in c:
                        acc[k] = c[k]
                for camp in c.get("campaigns", []):
                    acc["campaigns"][str(camp["id"])] = seed_campaign(camp)
                if "rate" in c:
                    if c["rate"] is None:
                        RATES.pop(key, None)
                    else:
                        RATES[key] = {"calls": int(c["rate"]["calls"]),
                                      "window": float(c["rate"]["window"]), "hits": []}
                # A person's change in the platform's own manager (Ads Manager, Google Ads UI).
                for change in c.get("set", []):
                    camp = acc["campaigns"][str(change["id"])]
                    if "status" in change:
                        set_status(c["platform"], key[1], camp, change["status"], by="hand")
                        # An edit: its stamp is never the second of Lifeline's own change.
                        camp["updated"] = now_iso(time.time() + 1)
                    if "budget" in change:
                        camp["budget_micros"] = micros_of(change["budget"])
                        camp["updated"] = now_iso(time.time() + 1)
                    if "issues" in change:
                        # The platform's review, not an edit of the campaign: no new stamp.
                        camp["issues"] = list(change["issues"])
            if "fault" in c:
                FAULTS.append(dict(c["fault"]))
            if "hourly" in c:
                HOURLY.extend(dict(h) for h in c["hourly"])
        return self.answer(200, {"ok": True})

    # ---- Meta Marketing API (Graph) ----
    def graph_error(self, record, status, code, message, subcode=None, headers=None):
        e = {"message": message, "type": "OAuthException", "code": code,
             "fbtrace_id": "AfakeTrace%d" % len(RECEIVED)}
        if subcode:
            e["error_subcode"] = subcode
        return self.answer(status, {"error": e}, headers, record=record)

    def meta_campaign(self, acc, c, fields):
        eff = effective(c)
        out = {"id": c["id"]}
        status = {"active": "ACTIVE", "paused": "PAUSED", "removed": "DELETED"}[c["status"]]
        shown = {"active": "ACTIVE", "paused": "PAUSED", "removed": "DELETED"}[eff]
        if c["issues"] and eff == "active":
            shown = "WITH_ISSUES"
        minor = c["budget_micros"] // (1000000 // MINOR.get(acc["currency"], 100))
        values = {"name": c["name"], "status": status, "effective_status": shown,
                  "updated_time": c["updated"]}
        if c["budget_kind"] == "daily":
            values["daily_budget"] = str(minor)
        elif c["budget_kind"] == "lifetime":
            values["lifetime_budget"] = str(minor)
        if c["issues"]:
            values["issues_info"] = [{"error_code": 1815, "error_summary": i, "level": "CAMPAIGN",
                                      "error_type": "SOFT_ERROR"} for i in c["issues"]]
        for f in fields:
            if f in values:
                out[f] = values[f]
        return out

    def meta_find(self, cid):
        for (p, a), acc in ACCOUNTS.items():
            if p == "meta" and cid in acc["campaigns"]:
                return a, acc, acc["campaigns"][cid]
        return None, None, None

    def meta(self, method, path, query, body, record):
        if record["auth"] != "ok":
            return self.graph_error(record, 400, 190, "Invalid OAuth access token - Cannot parse "
                                    "access token")
        parts = path.split("/")[2:]  # [vNN.N, ...]
        if not parts or not parts[0].startswith("v"):
            return self.graph_error(record, 400, 2500, "Unknown path components")
        rest = [p for p in parts[1:] if p]
        fields = query.get("fields", "id").split(",")
        # The account the call counts against (Graph rate limits are per ad account).
        if rest and rest[0].startswith("act_"):
            account = rest[0][4:]
        elif rest:
            account, _, _ = self.meta_find(rest[0])
        else:
            ids = query.get("ids", "").split(",")
            account, _, _ = self.meta_find(ids[0]) if ids else (None, None, None)
        if account is not None:
            limited, wait = rate_limited("meta", account)
            pct, reset = usage_pct("meta", account)
            headers = {
                "x-business-use-case-usage": json.dumps({account: [{
                    "type": "ads_management", "call_count": pct, "total_cputime": pct,
                    "total_time": pct,
                    "estimated_time_to_regain_access": int(wait // 60) if limited else 0}]}),
                "x-ad-account-usage": json.dumps({"acc_id_util_pct": pct,
                                                  "reset_time_duration": reset,
                                                  "ads_api_access_tier": "standard_access"}),
            }
            if limited:
                return self.graph_error(record, 400, 17, "User request limit reached", 2446079,
                                        headers)
        else:
            headers = {}
        not_found = lambda cid: self.graph_error(
            record, 400, 100, "Unsupported get request. Object with ID '%s' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this operation" % cid,
            33, headers)
        if method == "GET" and len(rest) == 2 and rest[0].startswith("act_") and \
                rest[1] == "campaigns":
            acc = ACCOUNTS.get(("meta", account))
            if acc is None:
                return not_found(rest[0])
            items = [c for c in acc["campaigns"].values() if c["status"] != "removed"]
            items.sort(key=lambda c: c["id"])
            limit = min(int(query.get("limit", 25)), 5000)
            start = int(query.get("after", "0") or 0)
            page = items[start:start + limit]
            out = {"data": [self.meta_campaign(acc, c, fields) for c in page],
                   "paging": {"cursors": {"before": str(start), "after": str(start + len(page))}}}
            if start + len(page) < len(items):
                out["paging"]["next"] = "http://fake/next?after=%d" % (start + len(page))
            return self.answer(200, out, headers, record=record)
        if method == "GET" and not rest and "ids" in query:
            out = {}
            for cid in query["ids"].split(","):
                a, acc, c = self.meta_find(cid)
                if c is None:
                    return not_found(cid)
                out[cid] = self.meta_campaign(acc, c, fields)
            return self.answer(200, out, headers, record=record)
        if len(rest) >= 1:
            a, acc, c = self.meta_find(rest[0])
            if c is None:
                return not_found(rest[0])
            if method == "GET" and len(rest) == 1:
                return self.answer(200, self.meta_campaign(acc, c, fields), headers, record=record)
            if method == "GET" and len(rest) == 2 and rest[1] == "insights":
                return self.answer(200, {"data": self.hourly(acc, c, query, "meta")}, headers,
                                   record=record)
            if method == "POST" and len(rest) == 1:
                form = dict(urllib.parse.parse_qsl(body.decode()))
                if acc["read_only"]:
                    return self.graph_error(record, 403, 200, "(#200) Requires ads_management "
                                            "permission to manage the object", None, headers)
                if "status" in form:
                    if form["status"] not in ("ACTIVE", "PAUSED", "ARCHIVED", "DELETED"):
                        return self.graph_error(record, 400, 100, "(#100) Param status must be "
                                                "one of {ACTIVE, PAUSED, DELETED, ARCHIVED}",
                                                None, headers)
                    set_status("meta", a, c, "active" if form["status"] == "ACTIVE" else "paused")
                for key in ("daily_budget", "lifetime_budget"):
                    if key in form:
                        minor = int(form[key])
                        per = MINOR.get(acc["currency"], 100)
                        if minor < per:  # Meta's minimum daily budget: 1.00 of the currency
                            return self.graph_error(record, 400, 100, "Invalid parameter: your "
                                                    "budget is too low", 1885272, headers)
                        c["budget_micros"] = minor * (1000000 // per)
                        c["updated"] = now_iso()
                        WRITES.append({"platform": "meta", "account": a, "campaign": c["id"],
                                       "op": "budget", "at": time.time()})
                return self.answer(200, {"success": True}, headers, record=record)
        return self.graph_error(record, 400, 2500, "Unknown path components: /" + "/".join(rest))

    # ---- shared: synthetic hourly figures ----
    def hourly(self, acc, c, query, platform):
        if platform == "meta":
            tr = json.loads(query.get("time_range", "{}"))
            since, until = tr.get("since"), tr.get("until")
        else:
            since, until = query.get("since"), query.get("until")
        rows = []
        day = since
        seed = sum(ord(ch) for ch in c["id"])
        while day and day <= until:
            for h in range(24):
                imp = 1000 + (seed * 7 + h * 13) % 500
                spend_micros = imp * 4000  # 4.00 CPM
                row = {"date": day, "hour": h, "impressions": imp, "clicks": imp // 100,
                       "spend_micros": spend_micros}
                if adjust_hour(platform, c["id"], row):
                    rows.append(row)
            t = time.strptime(day, "%Y-%m-%d")
            day = time.strftime("%Y-%m-%d", time.gmtime(time.mktime(t) + 86400 + 3600))
        if platform == "meta":
            return [{"date_start": r["date"], "date_stop": r["date"],
                     "hourly_stats_aggregated_by_advertiser_time_zone":
                         "%02d:00:00 - %02d:59:59" % (r["hour"], r["hour"]),
                     "spend": decimal_of(r["spend_micros"]), "impressions": str(r["impressions"]),
                     "clicks": str(r["clicks"]), "cpm": "4"} for r in rows]
        return rows

    # ---- Google Ads API (REST) ----
    def google_error(self, record, status, rpc, message, code=None, extra=None, headers=None):
        err = {"code": status, "message": message, "status": rpc}
        if code:
            e = {"errorCode": code, "message": message}
            if extra:
                e.update(extra)
            err["details"] = [{"@type": "type.googleapis.com/google.ads.googleads.v17.errors."
                                        "GoogleAdsFailure", "errors": [e],
                               "requestId": "fake%d" % len(RECEIVED)}]
        return self.answer(status, {"error": err}, headers, record=record)

    def google(self, method, path, query, body, record):
        parts = [p for p in path.split("/")[2:] if p]  # [v17, customers, CID:op] or [.., CID, op]
        if record["auth"] != "ok":
            return self.google_error(record, 401, "UNAUTHENTICATED", "Request is missing required "
                                     "authentication credential.",
                                     {"authenticationError": "AUTHENTICATION_ERROR"})
        if self.headers.get("developer-token") != GOOGLE_DEVELOPER_TOKEN:
            return self.google_error(record, 401, "UNAUTHENTICATED", "The developer token is not "
                                     "valid.", {"authenticationError": "DEVELOPER_TOKEN_INVALID"})
        if len(parts) != 4 or parts[1] != "customers" or ":" not in parts[3] or method != "POST":
            return self.answer(404, {"error": {"code": 404, "message": "Not found: " + path,
                                               "status": "NOT_FOUND"}}, record=record)
        cid = parts[2]
        resource, _, op = parts[3].partition(":")
        acc = ACCOUNTS.get(("google", cid))
        if acc is None or (acc["manager"] and self.headers.get("login-customer-id") !=
                           acc["manager"]):
            return self.google_error(record, 403, "PERMISSION_DENIED", "The caller does not have "
                                     "permission", {"authorizationError": "USER_PERMISSION_DENIED"})
        limited, wait = rate_limited("google", cid)
        if limited:
            return self.google_error(
                record, 429, "RESOURCE_EXHAUSTED", "Too many requests. Retry in %d seconds."
                % (int(wait) + 1), {"quotaError": "RESOURCE_EXHAUSTED"},
                {"details": {"quotaErrorDetails": {"rateScope": "ACCOUNT",
                                                   "rateName": "Requests per customer",
                                                   "retryDelay": "%ds" % (int(wait) + 1)}}})
        req = json.loads(body or b"{}")
        if resource == "googleAds" and op in ("search", "searchStream"):
            return self.google_search(acc, cid, req, record, op == "searchStream")
        if resource in ("campaigns", "campaignBudgets") and op == "mutate":
            return self.google_mutate(acc, cid, req, record, resource)
        return self.answer(404, {"error": {"code": 404, "message": "Not found: " + path,
                                           "status": "NOT_FOUND"}}, record=record)

    def google_search(self, acc, cid, req, record, stream):
        import re
        q = req.get("query", "")
        m = re.search(r"\bFROM\s+(\w+)", q)
        if not m or m.group(1) != "campaign":
            return self.google_error(record, 400, "INVALID_ARGUMENT", "Error in query: unknown "
                                     "resource.", {"queryError": "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"})
        ids = None
        m = re.search(r"campaign\.id\s+IN\s*\(([^)]*)\)", q)
        if m:
            ids = [x.strip() for x in m.group(1).split(",") if x.strip()]
        m = re.search(r"campaign\.id\s*=\s*(\d+)", q)
        if m:
            ids = [m.group(1)]
        hourly = "segments.hour" in q
        items = sorted(acc["campaigns"].values(), key=lambda c: c["id"])
        if ids is not None:
            items = [c for c in items if c["id"] in ids]
        if "campaign.status != 'REMOVED'" in q:
            items = [c for c in items if c["status"] != "removed"]
        rows = []
        for c in items:
            if hourly:
                m = re.search(r"BETWEEN\s+'([\d-]+)'\s+AND\s+'([\d-]+)'", q)
                for r in self.hourly(acc, c, {"since": m.group(1), "until": m.group(2)}, "google"):
                    rows.append({"campaign": {"resourceName": "customers/%s/campaigns/%s" %
                                              (cid, c["id"]), "id": c["id"]},
                                 "segments": {"date": r["date"], "hour": r["hour"]},
                                 "metrics": {"costMicros": str(r["spend_micros"]),
                                             "impressions": str(r["impressions"]),
                                             "clicks": str(r["clicks"]),
                                             "averageCpm": 4000000.0}})
                continue
            eff = effective(c)
            status = {"active": "ENABLED", "paused": "PAUSED", "removed": "REMOVED"}[c["status"]]
            camp = {"resourceName": "customers/%s/campaigns/%s" % (cid, c["id"]), "id": c["id"],
                    "name": c["name"], "status": status,
                    "servingStatus": "SERVING" if eff == "active" else "NONE",
                    "primaryStatus": {"active": "ELIGIBLE", "paused": "PAUSED",
                                      "removed": "REMOVED"}[eff],
                    "campaignBudget": "customers/%s/campaignBudgets/%s" % (cid, c["budget_id"])}
            reasons = []
            if eff == "paused":
                reasons.append("CAMPAIGN_PAUSED")
            if c["issues"]:
                reasons += c["issues"]
                if eff == "active":
                    camp["primaryStatus"] = "NOT_ELIGIBLE"
            if reasons:
                camp["primaryStatusReasons"] = reasons
            budget = {"resourceName": camp["campaignBudget"]}
            key = "amountMicros" if c["budget_kind"] == "daily" else "totalAmountMicros"
            budget[key] = str(c["budget_micros"])
            rows.append({"campaign": camp, "campaignBudget": budget})
        if stream:
            return self.answer(200, [{"results": rows, "fieldMask": "campaign.id"}], record=record)
        size = int(acc.get("page_size", 10000))
        start = int(req.get("pageToken", "0") or 0)
        out = {"results": rows[start:start + size], "fieldMask": "campaign.id"}
        if start + size < len(rows):
            out["nextPageToken"] = str(start + size)
        return self.answer(200, out, record=record)

    def google_mutate(self, acc, cid, req, record, resource):
        ops = req.get("operations", [])
        if acc["read_only"]:
            return self.google_error(record, 403, "PERMISSION_DENIED", "The caller does not have "
                                     "permission", {"authorizationError": "ACTION_NOT_PERMITTED"})
        partial = bool(req.get("partialFailure"))
        results, errors = [], []
        for i, op in enumerate(ops):
            upd = op.get("update", {})
            name = upd.get("resourceName", "")
            mask = [m.strip() for m in op.get("updateMask", "").split(",") if m.strip()]
            cidp, _, rid = name.partition("/%s/" % resource)
            target = None
            for c in acc["campaigns"].values():
                if (resource == "campaigns" and c["id"] == rid) or \
                        (resource == "campaignBudgets" and c["budget_id"] == rid):
                    target = c
            err = None
            if target is None or cidp != "customers/" + cid:
                err = ({"mutateError": "RESOURCE_NOT_FOUND"}, "Resource was not found.")
            elif not mask:
                err = ({"fieldMaskError": "FIELD_MASK_MISSING"}, "The field mask is missing.")
            elif resource == "campaigns":
                st = upd.get("status")
                if mask != ["status"] or st not in ("ENABLED", "PAUSED"):
                    err = ({"fieldError": "IMMUTABLE_FIELD"}, "Only status may change here.")
            else:
                v = int(upd.get("amountMicros", upd.get("totalAmountMicros", "0")))
                if v % 10000 != 0:
                    err = ({"campaignBudgetError": "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT"},
                           "The budget amount must be a multiple of the minimum currency unit.")
                elif v < 1000000:
                    err = ({"campaignBudgetError": "MONEY_AMOUNT_LESS_THAN_CURRENCY_MINIMUM_CPC"},
                           "The budget is below the currency's minimum.")
            if err:
                errors.append({"errorCode": err[0], "message": err[1], "location": {
                    "fieldPathElements": [{"fieldName": "operations", "index": i},
                                          {"fieldName": "update"}]}})
                results.append({})
                continue
            results.append({"resourceName": name, "_apply": (target, upd)})
        if errors and not partial:
            return self.answer(400, {"error": {"code": 400, "message": "Request contains an "
                                               "invalid argument.", "status": "INVALID_ARGUMENT",
                                               "details": [{"@type": "type.googleapis.com/google."
                                                            "ads.googleads.v17.errors."
                                                            "GoogleAdsFailure",
                                                            "errors": errors}]}}, record=record)
        for r in results:
            if "_apply" in r:
                target, upd = r.pop("_apply")
                if resource == "campaigns":
                    set_status("google", cid, target,
                               "active" if upd["status"] == "ENABLED" else "paused")
                else:
                    target["budget_micros"] = int(upd.get("amountMicros",
                                                          upd.get("totalAmountMicros")))
                    WRITES.append({"platform": "google", "account": cid, "campaign": target["id"],
                                   "op": "budget", "at": time.time()})
        out = {"results": results}
        if errors:
            out["partialFailureError"] = {"code": 3, "message": "Multiple errors in "
                                          "'details'.", "details": [{
                                              "@type": "type.googleapis.com/google.ads."
                                              "googleads.v17.errors.GoogleAdsFailure",
                                              "errors": errors}]}
        return self.answer(200, out, record=record)

    # ---- TikTok Business API ----
    def tt(self, record, code, message, data=None):
        return self.answer(200, {"code": code, "message": message,
                                 "request_id": "fake%d" % len(RECEIVED), "data": data or {}},
                           record=record)

    def tiktok(self, method, path, query, body, record):
        if record["auth"] != "ok":
            return self.tt(record, 40105, "The access token is invalid or has been revoked.")
        op = path[len("/tiktok/open_api/"):].split("/", 1)
        endpoint = op[1] if len(op) == 2 else ""
        req = json.loads(body or b"{}") if method == "POST" else query
        adv = str(req.get("advertiser_id", ""))
        acc = ACCOUNTS.get(("tiktok", adv))
        if acc is None:
            return self.tt(record, 40001, "No permission to operate advertiser %s." % adv)
        limited, _ = rate_limited("tiktok", adv)
        if limited:
            return self.tt(record, 40100, "Too many requests. Please retry in some time.")
        if endpoint == "campaign/get/" and method == "GET":
            items = sorted((c for c in acc["campaigns"].values() if c["status"] != "removed"),
                           key=lambda c: c["id"])
            filt = json.loads(query.get("filtering", "{}") or "{}")
            if "campaign_ids" in filt:
                items = [c for c in items if c["id"] in [str(x) for x in filt["campaign_ids"]]]
            size = min(int(query.get("page_size", 10)), 1000)
            page = max(int(query.get("page", 1)), 1)
            chunk = items[(page - 1) * size:page * size]
            lst = []
            for c in chunk:
                eff = effective(c)
                sec = "CAMPAIGN_STATUS_ENABLE" if eff == "active" else "CAMPAIGN_STATUS_DISABLE"
                if c["issues"] and eff == "active":
                    sec = c["issues"][0]
                lst.append({"campaign_id": c["id"], "campaign_name": c["name"],
                            "advertiser_id": adv,
                            "operation_status": "ENABLE" if c["status"] == "active" else "DISABLE",
                            "secondary_status": sec,
                            "budget_mode": {"daily": "BUDGET_MODE_DAY",
                                            "lifetime": "BUDGET_MODE_TOTAL"}.get(
                                                c["budget_kind"], "BUDGET_MODE_INFINITE"),
                            "budget": float(decimal_of(c["budget_micros"])),
                            "modify_time": c["updated"].replace("T", " ")[:19]})
            total = len(items)
            return self.tt(record, 0, "OK", {"list": lst, "page_info": {
                "page": page, "page_size": size, "total_number": total,
                "total_page": max(1, (total + size - 1) // size)}})
        if endpoint == "campaign/status/update/" and method == "POST":
            ids = [str(x) for x in req.get("campaign_ids", [])]
            if not 1 <= len(ids) <= TIKTOK_MAX_STATUS_IDS:
                return self.tt(record, 40002, "campaign_ids: Length must be between 1 and 20.")
            st = req.get("operation_status")
            if st not in ("ENABLE", "DISABLE", "DELETE"):
                return self.tt(record, 40002, "operation_status: Not a valid choice.")
            if acc["read_only"]:
                return self.tt(record, 40001, "No permission to operate advertiser %s." % adv)
            for cid in ids:
                if cid not in acc["campaigns"]:
                    return self.tt(record, 40002, "Campaign %s does not exist." % cid)
            for cid in ids:
                set_status("tiktok", adv, acc["campaigns"][cid],
                           "active" if st == "ENABLE" else "paused")
            return self.tt(record, 0, "OK", {"campaign_ids": ids, "status": st})
        if endpoint == "campaign/update/" and method == "POST":
            cid = str(req.get("campaign_id", ""))
            if acc["read_only"]:
                return self.tt(record, 40001, "No permission to operate advertiser %s." % adv)
            if cid not in acc["campaigns"]:
                return self.tt(record, 40002, "Campaign %s does not exist." % cid)
            if "budget" in req:
                v = micros_of(repr(req["budget"]) if isinstance(req["budget"], float)
                              else req["budget"])
                if v < 50 * 1000000:
                    return self.tt(record, 40002, "Budget must be at least 50.00 %s." %
                                   acc["currency"])
                acc["campaigns"][cid]["budget_micros"] = v
                WRITES.append({"platform": "tiktok", "account": adv, "campaign": cid,
                               "op": "budget", "at": time.time()})
            return self.tt(record, 0, "OK", {"campaign_id": cid})
        if endpoint == "report/integrated/get/" and method == "GET":
            filt = json.loads(query.get("filtering", "[]"))
            ids = []
            for f in filt:
                if f.get("field_name") == "campaign_ids":
                    ids = json.loads(f.get("filter_value", "[]"))
            rows = []
            for cid in ids:
                c = acc["campaigns"].get(str(cid))
                if c is None:
                    continue
                for r in self.hourly(acc, c, {"since": query.get("start_date"),
                                              "until": query.get("end_date")}, "tiktok"):
                    rows.append({"dimensions": {"campaign_id": c["id"], "stat_time_hour":
                                                "%s %02d:00:00" % (r["date"], r["hour"])},
                                 "metrics": {"spend": decimal_of(r["spend_micros"]),
                                             "impressions": str(r["impressions"]),
                                             "clicks": str(r["clicks"]), "cpm": "4.00"}})
            return self.tt(record, 0, "OK", {"list": rows, "page_info": {
                "page": 1, "page_size": 1000, "total_number": len(rows), "total_page": 1}})
        return self.tt(record, 40002, "Unknown endpoint: " + endpoint)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--listen", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    srv = ThreadingHTTPServer((args.listen, args.port), Handler)
    srv.daemon_threads = True
    srv.verbose = args.verbose
    port = srv.server_address[1]
    print(port, flush=True)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
