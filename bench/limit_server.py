"""Serve a limit app as `trellis serve` serves Trellis.

    python -m bench.limit_server FACTORY --host H --port P --workers N --loop L --backlog B

Through `core.cli.server.run_uvicorn`, like `trellis serve`: with several workers, uvicorn's
own command line leaves Nagle's algorithm on (about 40 ms per keep-alive answer), which would
make a limit look slow beside Trellis.
"""

from __future__ import annotations

import argparse

from core.cli.server import run_uvicorn


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("factory", help="a factory in bench.limits")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--loop", default="asyncio")
    parser.add_argument("--backlog", type=int, default=2048)
    args = parser.parse_args()
    run_uvicorn(
        f"bench.limits:{args.factory}",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop=args.loop,
        http="httptools",
        backlog=args.backlog,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
