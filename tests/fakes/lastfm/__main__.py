"""Run the fake Last.fm server in its own process, for end-to-end tests.

python -m tests.fakes.lastfm --ca-file PATH [--ca-key PATH] [--port N]
    [--rate-limit N] [--latency S] [--session USER:KEY]...
With --ca-key, the CA is kept in (or read back from) the two files, so a
restarted server is trusted by clients that trusted the first one.
Prints one JSON line with the URL, then serves until killed. Tests steer it and
read what it recorded through POST /_admin/<action> (see FakeLastfm.admin).
"""

from __future__ import annotations

import argparse
import json
import signal
import threading

from ..https import kept_ca
from .server import FakeLastfm


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.lastfm")
    parser.add_argument("--ca-file", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate-limit", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--ca-key")
    parser.add_argument("--session", action="append", default=[])
    args = parser.parse_args()
    ca = kept_ca(args.ca_file, args.ca_key)
    fake = FakeLastfm(rate_limit=args.rate_limit or None, ca=ca)
    for session in args.session:
        user, key = session.split(":", 1)
        fake.add_session(user, key)
    fake.latency_s = args.latency
    fake.start(args.port)
    fake.ca_file(args.ca_file)
    if args.ca_key:
        fake.ca.private_key_pem.write_to_path(args.ca_key)
    print(
        json.dumps(
            {"url": fake.url, "api_key": fake.api_key, "api_secret": fake.api_secret}
        ),
        flush=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    fake.stop()


if __name__ == "__main__":
    main()
