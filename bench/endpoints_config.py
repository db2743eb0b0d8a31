#!/usr/bin/env python3
"""The platforms part of a config that watches N endpoints of one's own on a local nginx
(bench/util.sh endpoint_nginx): public resolvers off, the control endpoint on the same nginx, the
catalog's platforms off, N platforms siteNNNNN in failure domains of 100 (customerNNN), each with
one plain-HTTP probe of http://127.0.0.1:PORT/e/I. Printed to stdout; the caller adds serve: and
store:.

Usage: endpoints_config.py PORT N
"""
import sys

CATALOG = ["facebook", "instagram", "whatsapp", "messenger", "threads", "x", "tiktok", "youtube",
           "google_business_profile", "linkedin", "telegram", "snapchat", "pinterest", "reddit",
           "discord", "signal", "bluesky", "mastodon", "twitch", "tumblr"]


def main():
    port, n = sys.argv[1], int(sys.argv[2])
    width = max(5, len(str(n - 1)))
    dwidth = max(3, len(str((n - 1) // 100)))
    out = ["resolvers: []\n",
           f"control:\n  - id: local-gateway\n    url: http://127.0.0.1:{port}/generate_204\n"
           "    expect: { status: [204] }\n",
           "platforms:\n"]
    out += [f"  {c}: {{ enabled: false }}\n" for c in CATALOG]
    for i in range(n):
        out.append(f"  site{i:0{width}d}:\n    name: Site {i:0{width}d}\n"
                   f"    domain: customer{i // 100:0{dwidth}d}\n"
                   f"    probes:\n      - {{ id: web, url: \"http://127.0.0.1:{port}/e/{i}\", "
                   f"expect: {{ status: [200] }} }}\n")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
