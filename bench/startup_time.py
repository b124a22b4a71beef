#!/usr/bin/env python3
"""Times tagwired from exec to its "serving" log event with a taxonomy: once
with an empty compiled cache (cold: Hyperscan compiles), then warm from the
cache, and prints each time with the server's resident memory once serving.

Usage: bench/startup_time.py [--tagwired build/service/tagwired]
                             [--taxonomy data/default.jsonl.gz] [--warm 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_once(tagwired: str, taxonomy: str, cache: str) -> tuple[float, int, dict]:
    """Seconds to "serving", VmRSS in KiB, and the taxonomy_loaded event."""
    started = time.monotonic()
    process = subprocess.Popen(
        [
            tagwired,
            "--listen=127.0.0.1:0",
            "--metrics_listen=",
            f"--cache_dir={cache}",
            f"--taxonomy={taxonomy}",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    loaded: dict = {}
    try:
        assert process.stderr is not None
        for line in process.stderr:
            event = json.loads(line) if line.startswith("{") else {}
            if event.get("event") == "taxonomy_loaded":
                loaded = event
            if event.get("event") == "serving":
                seconds = time.monotonic() - started
                break
        else:
            raise SystemExit(f"tagwired exited with {process.wait()} before serving")
        status = Path(f"/proc/{process.pid}/status").read_text()
        rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    finally:
        process.terminate()
        process.wait()
    return seconds, rss, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tagwired", default=str(ROOT / "build" / "service" / "tagwired"))
    parser.add_argument("--taxonomy", default=str(ROOT / "data" / "default.jsonl.gz"))
    parser.add_argument("--warm", type=int, default=2, help="warm starts after the cold one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        for label in ["cold"] + ["warm"] * args.warm:
            seconds, rss, loaded = start_once(args.tagwired, args.taxonomy, cache)
            print(
                f"{label}: serving after {seconds:.2f} s, RSS {rss / 1024:.0f} MiB; "
                f"taxonomy loaded in {loaded.get('duration_ms', 0):.0f} ms ({loaded.get('cache', '')})"
            )


if __name__ == "__main__":
    main()
