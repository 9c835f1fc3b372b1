"""Run the fake ListenBrainz server in its own process, for end-to-end tests.

python -m tests.fakes.listenbrainz --ca-file PATH [--ca-key PATH] [--port N]
    [--maloja] [--rate-limit N] [--lag S] [--latency S] [--user NAME:TOKEN]...
With --ca-key, the CA is kept in (or read back from) the two files, so a
restarted server is trusted by clients that trusted the first one.
Prints one JSON line with the base URL, then serves until killed. Tests steer
it and read what it recorded through POST /_admin/<action> (see
FakeListenBrainz.admin).
"""

from __future__ import annotations

import argparse
import json
import signal
import threading

from ..https import kept_ca
from .server import RATE_LIMIT, FakeListenBrainz


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.listenbrainz")
    parser.add_argument("--ca-file", required=True)
    parser.add_argument("--ca-key")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--maloja", action="store_true")
    parser.add_argument("--rate-limit", type=int, default=RATE_LIMIT)
    parser.add_argument("--lag", type=float, default=0.0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--user", action="append", default=[])
    args = parser.parse_args()
    fake = FakeListenBrainz(
        rate_limit=args.rate_limit or None,
        lag_s=args.lag,
        latency_s=args.latency,
        maloja_mode=args.maloja,
        ca=kept_ca(args.ca_file, args.ca_key),
    )
    for user in args.user:
        name, token = user.split(":", 1)
        fake.add_user(name, token)
    fake.start(args.port)
    fake.ca_file(args.ca_file)
    if args.ca_key:
        fake.ca.private_key_pem.write_to_path(args.ca_key)
    print(json.dumps({"base_url": fake.base_url}), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    fake.stop()


if __name__ == "__main__":
    main()
