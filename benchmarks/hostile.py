"""Peak memory and time of hostile and oversized sources, each harvested in a fresh process.

    python -m benchmarks.hostile                  # every case, 200 MB sources
    python -m benchmarks.hostile --size-mb 50 --cases turtle-200mb,rss-200mb

Each case is served over loopback (bodies generated on the fly, so the server holds none of them) and
harvested by the real job runner in a child process with default settings; the child reports its own
peak resident memory (``VmHWM``), the largest peak of its record-mapping worker processes (which start
as copies of it), the job's status and message, and the seconds the job took. The
target: no case above 400 MB. Whole-document parsers (Turtle, RDF/XML, RSS...) refuse a body over
NUTMEG_HARVEST_MAX_PARSE_BYTES before parsing; the ``*-at-cap`` cases show what the largest accepted
document costs. data.json is streamed: the ``description-200mb`` case keeps the record, truncated.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable, Iterator

from tests.support.httpserver import LoopbackServer, Route

MB = 1 << 20
PREFIX = b"@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n"
RDF_XML = (
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/" '
    b'xmlns:dcat="http://www.w3.org/ns/dcat#">'
)

CHILD = """
import json, resource, sys, tempfile, time
from catalog_api.services import build_services
from index.store import NewSource
from datetime import UTC, datetime
from catalog_api.settings import Settings
folder = tempfile.mkdtemp()  # the store on disk, as in production: its pages are not the harvest's memory
settings = Settings(_env_file=None, database_url=f"sqlite:///{folder}/n.db", harvest_allow_private=True)
services = build_services(settings)
source = NewSource(name="s", kind=sys.argv[2], url=sys.argv[1], options={"title": "T"})
services.store.add_source(source, datetime.now(UTC))
started = time.monotonic()
report = services.runner.harvest("s")
took = time.monotonic() - started
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
services.close()
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # the largest mapping worker's peak
print(json.dumps({"status": report.status, "message": report.message, "new": report.new,
                  "peak": int(status["VmHWM"].split()[0]) * 1024, "workers": workers, "seconds": took}))
"""


def _repeated(head: bytes, item: Callable[[int], bytes], size: int, tail: bytes = b"") -> Callable[[], Iterator[bytes]]:
    def body() -> Iterator[bytes]:
        yield head
        sent, n, block = len(head), 0, []
        while sent < size:
            chunk = item(n)
            block.append(chunk)
            sent += len(chunk)
            n += 1
            if len(block) >= 2000:
                yield b"".join(block)
                block = []
        yield b"".join(block) + tail

    return body


def _turtle(n: int) -> bytes:
    return (
        f'<https://data.example/ds/{n}> a dcat:Dataset ; dct:identifier "ds-{n}" ; '
        f'dct:title "Dataset {n} about road crashes and water quality" .\n'
    ).encode()


def _rdfxml(n: int) -> bytes:
    return (
        f'<dcat:Dataset rdf:about="https://data.example/ds/{n}"><dct:identifier>ds-{n}</dct:identifier>'
        f"<dct:title>Dataset {n}</dct:title></dcat:Dataset>\n"
    ).encode()


def _rss(n: int) -> bytes:
    return f"<item><title>Item {n}</title><link>https://data.example/{n}</link><guid>g-{n}</guid></item>\n".encode()


def cases(size: int) -> dict[str, tuple[str, str, Callable[[], Iterator[bytes]]]]:
    at_cap = 7 * MB  # just under the default NUTMEG_HARVEST_MAX_PARSE_BYTES (8 MiB)
    rss_head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://x/</link>'
    description = b'{"conformsTo": "https://project-open-data.cio.gov/v1.1/schema", "dataset": [{"identifier": "big", '
    return {
        "turtle-200mb": ("dcat", "text/turtle", _repeated(PREFIX, _turtle, size)),
        "turtle-at-cap": ("dcat", "text/turtle", _repeated(PREFIX, _turtle, at_cap)),
        "rdfxml-200mb": ("dcat", "application/rdf+xml", _repeated(RDF_XML, _rdfxml, size, b"</rdf:RDF>")),
        "rdfxml-at-cap": ("dcat", "application/rdf+xml", _repeated(RDF_XML, _rdfxml, at_cap, b"</rdf:RDF>")),
        "rss-200mb": ("rss", "application/rss+xml", _repeated(rss_head, _rss, size, b"</channel></rss>")),
        "rss-at-cap": ("rss", "application/rss+xml", _repeated(rss_head, _rss, at_cap, b"</channel></rss>")),
        "description-200mb": (
            "datajson",
            "application/json",
            _repeated(description + b'"title": "Big", "description": "', lambda n: b"x" * 65536, size, b'"}]}'),
        ),
    }


def run(url: str, kind: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", CHILD, url, kind], capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--size-mb", type=int, default=200, help="size of the large sources (default 200)")
    parser.add_argument("--cases", default="", help="comma-separated case names (default: all)")
    args = parser.parse_args()
    table = cases(args.size_mb * MB)
    chosen = [c for c in args.cases.split(",") if c] or list(table)
    print(f"{'case':<20} {'peak RSS':>9} {'worker':>9} {'seconds':>8}  outcome")
    with LoopbackServer() as server:
        for name in chosen:
            kind, media_type, body = table[name]
            url = server.route(f"/{name}", Route(body=body, content_type=media_type))
            result = run(url, kind)
            peak, workers = int(str(result["peak"])) // MB, int(str(result["workers"])) // MB
            outcome = f"{result['status']}, {result['new']} new: {str(result['message'] or '')[:90]}"
            seconds = float(str(result["seconds"]))
            print(f"{name:<20} {peak:>6} MB {workers:>6} MB {seconds:>8.1f}  {outcome}", flush=True)


if __name__ == "__main__":
    main()
