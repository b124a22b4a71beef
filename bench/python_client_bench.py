"""What the Python client costs over raw grpcio, side by side in one run.

Starts tagwired (pinned to core 0 when there are two cores or more; this
process is pinned to core 1) on a free loopback port and drives it with
three Python callers, in interleaved rounds so machine noise hits each alike:

  raw-stream   grpcio TagStream on the generated stubs; responses left as
               protobuf messages (the floor for any Python caller)
  client-stream  tagwire.Client.tag_many: the same stream, each response
               turned into TaggedArticle/ArticleError dataclasses with
               code point offsets
  aio-client-stream  tagwire.aio.Client.tag_many, the same on grpc.aio
  client-unary tagwire.Client.tag, one call after another

Corpus: the articles in examples/ (first line the title), round-robin with
unique ids. Prints one JSON line per round and mode, then a summary with the
median articles/s of each mode and the client/raw ratio.

    .venv/bin/python bench/python_client_bench.py [--seconds 5] [--rounds 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "clients" / "python" / "src"))

import grpc  # noqa: E402

import tagwire  # noqa: E402
from tagwire.v1 import article_pb2, tagging_service_pb2, tagging_service_pb2_grpc  # noqa: E402


def corpus() -> list[tuple[bytes, bytes]]:
    out = []
    for path in sorted((ROOT / "examples").glob("*.txt")):
        title, _, body = path.read_bytes().partition(b"\n")
        out.append((title.strip(), body))
    return out


def start_server(binary: str, cache: str) -> tuple[subprocess.Popen, str]:
    command = [
        binary,
        "--listen=127.0.0.1:0",
        "--metrics_listen=",
        f"--cache_dir={cache}",
        "--workers=1",
    ]
    if (os.cpu_count() or 1) >= 2:
        command = ["taskset", "-c", "0", *command]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    address = ""
    assert process.stderr is not None
    for line in process.stderr:
        event = json.loads(line) if line.startswith("{") else {}
        if event.get("event") == "listening":
            address = event["grpc_address"]
        if event.get("event") == "serving":
            return process, address
    raise SystemExit(f"tagwired exited with {process.wait()} before serving")


def articles(texts, prefix: str):
    for i, (title, body) in enumerate(itertools.cycle(texts)):
        yield i, title, body


def run_raw_stream(address: str, texts, seconds: float) -> int:
    channel = grpc.insecure_channel(address)
    stub = tagging_service_pb2_grpc.TaggingServiceStub(channel)
    deadline = time.monotonic() + seconds

    def requests():
        for i, title, body in articles(texts, "raw"):
            if time.monotonic() >= deadline:
                return
            yield tagging_service_pb2.TagStreamRequest(
                article=article_pb2.Article(id=f"raw-{i}", title=title, body=body)
            )

    answered = 0
    for response in stub.TagStream(requests()):
        assert response.HasField("tagged_article")
        answered += 1
    channel.close()
    return answered


def run_client_stream(address: str, texts, seconds: float) -> int:
    deadline = time.monotonic() + seconds

    def feed():
        for i, title, body in articles(texts, "cs"):
            if time.monotonic() >= deadline:
                return
            yield tagwire.Article(body=body, title=title, id=f"cs-{i}")

    answered = 0
    with tagwire.Client(address) as client:
        for result in client.tag_many(feed()):
            assert result.ok
            answered += 1
    return answered


def run_client_unary(address: str, texts, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    answered = 0
    with tagwire.Client(address) as client:
        for i, title, body in articles(texts, "cu"):
            if time.monotonic() >= deadline:
                break
            client.tag(body, title=title, id=f"cu-{i}")
            answered += 1
    return answered


def run_aio_stream(address: str, texts, seconds: float) -> int:
    import asyncio

    import tagwire.aio

    async def stream() -> int:
        deadline = time.monotonic() + seconds

        def feed():
            for i, title, body in articles(texts, "as"):
                if time.monotonic() >= deadline:
                    return
                yield tagwire.Article(body=body, title=title, id=f"as-{i}")

        answered = 0
        async with tagwire.aio.Client(address) as client:
            async for result in client.tag_many(feed()):
                assert result.ok
                answered += 1
        return answered

    return asyncio.run(stream())


MODES = {
    "raw-stream": run_raw_stream,
    "client-stream": run_client_stream,
    "aio-client-stream": run_aio_stream,
    "client-unary": run_client_unary,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per mode and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tagwired", default=str(ROOT / "build" / "service" / "tagwired"))
    args = parser.parse_args()
    if (os.cpu_count() or 1) >= 2:
        os.sched_setaffinity(0, {1})
    texts = corpus()
    with tempfile.TemporaryDirectory() as cache:
        server, address = start_server(args.tagwired, cache)
        try:
            MODES["raw-stream"](address, texts, 1.0)  # warm-up: connections, caches
            rates: dict[str, list[float]] = {mode: [] for mode in MODES}
            for round_number in range(args.rounds):
                for mode, run in MODES.items():
                    start = time.monotonic()
                    answered = run(address, texts, args.seconds)
                    rate = answered / (time.monotonic() - start)
                    rates[mode].append(rate)
                    print(
                        json.dumps(
                            {
                                "round": round_number,
                                "mode": mode,
                                "articles": answered,
                                "articles_per_s": round(rate),
                            }
                        ),
                        flush=True,
                    )
        finally:
            server.terminate()
            server.wait(20)
    medians = {mode: statistics.median(values) for mode, values in rates.items()}
    print(
        json.dumps(
            {
                "summary": {mode: round(value) for mode, value in medians.items()},
                "client_stream_over_raw_stream": round(
                    medians["client-stream"] / medians["raw-stream"], 2
                ),
                "client_stream_over_client_unary": round(
                    medians["client-stream"] / medians["client-unary"], 2
                ),
                "aio_client_stream_over_raw_stream": round(
                    medians["aio-client-stream"] / medians["raw-stream"], 2
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
