"""The side-by-side bench behind bench/run: engines, service load, start-up.

    .venv-bench/bin/python bench/harness.py [--smoke] [--out bench/out]

bench/run sets up everything (build, corpus, taxonomies, peers, ghz) and calls this.
It runs, on one machine in one run:

1. Engines (DESIGN.md §8). For each taxonomy of the sweep (bench/taxonomies.py):
   tagwire's core (build/bench/engine-bench: tagging, the naive gazetteer mode, raw
   hs_scan), the Rust aho-corasick peer and the Python peers (bench/peers.py) on the
   same corpus (bench/corpus.py) and the same gazetteer (exported by engine-bench).
   With the default taxonomy, every engine's spans on the first articles are compared
   with tagwire's before any speed is believed.
2. Service load: tagwired (default taxonomy, one worker, pinned to core 0) driven by
   tagwire-bench (core 1) unary and streaming in a closed loop, an open-loop sweep of
   offered load, the in-process engine on the same articles and core, ghz as an
   independent unary check, and JetStream publishing on vs off.
3. Start-up: cold compile vs warm cache for the default taxonomy.

Writes OUT/results.json (every measurement and the command behind it), the report
(bench/RESULTS.md's generated part, or OUT/RESULTS.md with --smoke) and the plots
(bench/plots/*.png, or OUT/ with --smoke). Speeds never make it fail; broken tools do.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
sys.path.insert(0, str(ROOT / "bench"))

import startup_time  # noqa: E402  (bench/startup_time.py)


def rel(path: str | Path) -> str:
    """A path as the report shows it: relative to the repository when inside it."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def line_count(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def _compare(spans: set[tuple], reference: set[tuple]) -> dict:
    """Exact (span and concept) and span-only agreement of `spans` with `reference`."""
    same = len(spans & reference)
    span_only = {s[:3] for s in spans} & {r[:3] for r in reference}
    return {
        "precision": same / len(spans) if spans else 0.0,
        "recall": same / len(reference) if reference else 0.0,
        "span_recall": len(span_only) / len(reference) if reference else 0.0,
    }


class Harness:
    def __init__(self, out: Path, smoke: bool) -> None:
        self.out = out
        self.smoke = smoke
        self.results: dict = {"smoke": smoke, "commands": {}}
        # The taxonomy whose spans are compared across engines (the smoke run's is small).
        self.agreement_taxonomy = "10k" if smoke else "default"
        self.two_cores = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None

    def pinned(self, core: int, command: list[str]) -> list[str]:
        return ["taskset", "-c", str(core), *command] if self.two_cores else command

    def run_json(self, command: list[str], figure: str, timeout: float = 1800) -> list[dict]:
        """Runs `command`, returns its JSON lines on stdout; records it under `figure`."""
        shown = " ".join(shlex.quote(rel(a) if a.startswith(str(ROOT)) else a) for a in command)
        self.results["commands"].setdefault(figure, []).append(shown)
        print(f"harness: {shown}", file=sys.stderr, flush=True)
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-4000:])
            raise SystemExit(f"harness: failed ({done.returncode}): {shown}")
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]

    # ---- 1. engines -------------------------------------------------------------

    def engines(self, corpus: Path, taxonomies: list[dict]) -> None:
        seconds = 0.3 if self.smoke else 6.0  # per pass of each engine
        py_seconds = 0.5 if self.smoke else 15.0
        rounds = 1 if self.smoke else 3
        runs: list[dict] = []
        self.results["taxonomies"] = []
        for tax in taxonomies:
            name = tax["name"]
            figure = f"engines/{name}"
            work = self.out / "engines" / name
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            gazetteer = work / "gazetteer.tsv"
            spans = name == self.agreement_taxonomy
            engine = [str(BUILD / "bench" / "engine-bench")]
            engine += ["--taxonomy=" + ",".join(tax["files"])]  # one flag: a repeat replaces
            engine += [f"--corpus={corpus}", f"--max_seconds={seconds}", "--threads=1,2"]
            engine += [f"--cache_dir={work / 'cache'}"]
            peer_rust = [str(BUILD / "peers" / "release" / "tagwire-peer-aho")]
            peer_rust += [
                f"--gazetteer={gazetteer}",
                f"--corpus={corpus}",
                f"--max-seconds={seconds}",
            ]
            first = engine + ["--rounds=1", f"--gazetteer={gazetteer}"]
            if spans:
                first += [f"--spans={work / 'tagwire-naive.tsv'}"]
                first += [f"--resolved_spans={work / 'tagwire.tsv'}", "--spans_articles=500"]
            records = self.run_json(first, figure, timeout=3600)
            compiled = next(r for r in records if r["record"] == "taxonomy")
            compiled.update(
                name=name, aliases=tax["aliases"], gazetteer_lines=line_count(gazetteer)
            )
            self.results["taxonomies"].append(compiled)
            runs += [dict(r, taxonomy=name) for r in records if r["record"] == "pass"]
            for round_ in range(rounds):
                if round_ > 0:  # warm from the cache written by the first round
                    records = self.run_json(engine + ["--rounds=1"], figure)
                    runs += [dict(r, taxonomy=name) for r in records if r["record"] == "pass"]
                for threads in (1, 2):
                    command = peer_rust + [f"--threads={threads}"]
                    if spans and round_ == 0 and threads == 1:
                        command += [f"--spans={work / 'aho-corasick.tsv'}", "--spans-articles=500"]
                    runs += [
                        dict(r, taxonomy=name, engine="rust aho-corasick")
                        for r in self.run_json(command, figure)
                    ]
            for peer in ("pyahocorasick", "flashtext", "spacy"):
                if tax["aliases"] > 200_000 and peer == "spacy" and not self.smoke:
                    continue  # see the report: spaCy's pattern build alone takes minutes at 1M
                command = [sys.executable, str(ROOT / "bench" / "peers.py"), peer]
                command += [
                    f"--gazetteer={gazetteer}",
                    f"--corpus={corpus}",
                    f"--max-seconds={py_seconds}",
                ]
                if spans:
                    command += [f"--spans={work / (peer + '.tsv')}", "--spans-articles=500"]
                runs += [
                    dict(r, taxonomy=name, engine=peer)
                    for r in self.run_json(command, figure, timeout=3600)
                ]
        for r in runs:
            r.setdefault("threads", 1)
            r["mb_per_s"] = r["bytes"] / r["scan_seconds"] / 1e6
            r["articles_per_s"] = r["articles"] / r["scan_seconds"]
        self.results["engine_runs"] = runs
        self.results["agreement"] = self.agreement(
            corpus, self.out / "engines" / self.agreement_taxonomy
        )

    def agreement(self, corpus: Path, work: Path) -> dict:
        """Every engine's entity spans on the first articles against tagwire's naive mode
        (the same job), and against what the corpus generator planted."""
        entity = set()
        with open(work / "gazetteer.tsv", encoding="utf-8") as f:
            for line in f:
                _, concept, kind = line.rstrip("\n").split("\t")
                if kind == "entity":
                    entity.add(concept)

        def load(path: Path) -> set[tuple]:
            spans = set()
            with open(path, encoding="utf-8") as f:
                for line in f:
                    article, start, end, concept = line.rstrip("\n").split("\t")
                    if concept in entity:
                        spans.add((int(article), int(start), int(end), concept))
            return spans

        articles = 500
        planted = set()
        with open(corpus, encoding="utf-8") as f:
            for index, line in enumerate(f):
                if index >= articles:
                    break
                for start, end, concept in json.loads(line).get("planted", []):
                    if concept in entity:
                        planted.add((index, start, end, concept))
        reference = load(work / "tagwire-naive.tsv")
        engines = {"tagwire": "tagwire.tsv", "tagwire naive": "tagwire-naive.tsv"}
        engines |= {"rust aho-corasick": "aho-corasick.tsv"}
        engines |= {p: f"{p}.tsv" for p in ("pyahocorasick", "flashtext", "spacy")}
        table = {}
        for engine, file in engines.items():
            if not (work / file).exists():
                continue
            spans = load(work / file)
            table[engine] = {
                "spans": len(spans),
                "vs_naive": _compare(spans, reference),
                "vs_planted": _compare(spans, planted),
            }
        return {
            "articles": articles,
            "planted": len(planted),
            "naive": len(reference),
            "engines": table,
        }

    # ---- 2. service load ----------------------------------------------------------

    def start_tagwired(self, log: Path, cache: Path, *flags: str) -> tuple[subprocess.Popen, str]:
        command = self.pinned(0, [str(BUILD / "service" / "tagwired"), "--workers=1"])
        command += ["--listen=127.0.0.1:0", "--metrics_listen=", f"--cache_dir={cache}", *flags]
        self.results["commands"].setdefault("service/tagwired", []).append(
            " ".join(map(rel, command))
        )
        with open(log, "w") as stderr:
            server = subprocess.Popen(command, stderr=stderr, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            for line in log.read_text().splitlines():
                event = json.loads(line) if line.startswith("{") else {}
                if event.get("event") == "serving":
                    return server, event["grpc_address"]
            if server.poll() is not None:
                break
            time.sleep(0.1)
        server.kill()
        raise SystemExit(f"harness: tagwired did not start:\n{log.read_text()[-3000:]}")

    def stop(self, server: subprocess.Popen, what: str) -> None:
        server.send_signal(signal.SIGTERM)
        if server.wait(timeout=60) != 0:
            raise SystemExit(f"harness: {what} exited with {server.returncode} after SIGTERM")

    def load(self, address: str, corpus: Path, figure: str, mode: str, **flags: object) -> dict:
        duration, warmup = ("0.5s", "0.2s") if self.smoke else ("10s", "2s")
        command = [str(BUILD / "bench" / "tagwire-bench"), f"--target={address}", f"--mode={mode}"]
        command += [f"--articles={corpus}", f"--duration={flags.pop('duration', duration)}"]
        command += [f"--warmup={flags.pop('warmup', warmup)}"]
        command += [f"--{key}={value}" for key, value in flags.items()]
        records = self.run_json(self.pinned(1, command), figure)
        return next(r for r in records if "mode" in r)

    def service(self, corpus: Path) -> None:
        work = self.out / "service"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        cache = work / "cache"
        default = str(ROOT / "data" / "default.jsonl.gz")
        result: dict = {}
        # The in-process engine on the same articles and core as the server.
        engine = [
            str(BUILD / "bench" / "engine-bench"),
            f"--taxonomy={default}",
            f"--corpus={corpus}",
        ]
        engine += ["--modes=tag", "--threads=1", f"--rounds={1 if self.smoke else 3}"]
        engine += [f"--max_seconds={0.3 if self.smoke else 5}", f"--cache_dir={cache}"]
        passes = [
            r
            for r in self.run_json(self.pinned(0, engine), "service/engine")
            if r["record"] == "pass"
        ]
        result["engine_articles_per_s"] = statistics.median(
            r["articles"] / r["scan_seconds"] for r in passes
        )

        server, address = self.start_tagwired(work / "server.log", cache)
        try:
            result["unary"] = self.load(address, corpus, "service/closed", "unary", concurrency=2)
            result["stream"] = self.load(address, corpus, "service/closed", "stream", concurrency=2)
            result["ghz"] = self.ghz(address, corpus, work)
            maximum = result["stream"]["articles_per_second"]
            sweep = []
            fractions = (0.25, 0.5) if self.smoke else (0.1, 0.25, 0.5, 0.75, 0.9)
            for fraction in fractions:
                for mode, concurrency in (("unary", 4), ("stream", 2)):
                    run = self.load(
                        address,
                        corpus,
                        "service/open",
                        mode,
                        concurrency=concurrency,
                        rate=round(fraction * maximum, 1),
                    )
                    sweep.append(dict(run, fraction=fraction))
            result["open_loop"] = sweep
            status = Path(f"/proc/{server.pid}/status").read_text()
            memory = {  # taskset execs tagwired: same pid
                k: int(v.split()[0]) / 1024
                for k, v in (line.split(":", 1) for line in status.splitlines())
                if k.startswith("Vm")
            }
            result["memory_mib"] = {"rss": memory["VmRSS"], "peak": memory["VmHWM"]}
        finally:
            self.stop(server, "tagwired")
        result["jetstream"] = self.jetstream(corpus, work)
        self.results["service"] = result

    def ghz(self, address: str, corpus: Path, work: Path) -> dict:
        with open(corpus, encoding="utf-8") as f:
            first = json.loads(f.readline())
        article = {
            "id": "ghz-{{.RequestNumber}}",
            "source": "ghz",
        }
        for field in ("title", "body"):  # bytes fields: base64 in protobuf's JSON mapping
            article[field] = base64.b64encode(first[field].encode()).decode()
        request = work / "ghz-request.json"
        request.write_text(json.dumps({"article": article}, ensure_ascii=False), encoding="utf-8")
        command = [
            str(BUILD / "tools" / "ghz"),
            "--insecure",
            "--proto=proto/tagwire/v1/tagging_service.proto",
        ]
        command += [
            "--import-paths=proto",
            "--call=tagwire.v1.TaggingService.Tag",
            f"--data-file={request}",
        ]
        command += [
            "--concurrency=2",
            f"--duration={'1s' if self.smoke else '10s'}",
            "--format=json",
            address,
        ]
        report = self.run_json(self.pinned(1, command), "service/ghz", timeout=300)[0]
        codes = report.get("statusCodeDistribution", {})
        return {
            "rps": report["rps"],
            "ok": codes.get("OK", 0),
            "errors": sum(v for k, v in codes.items() if k != "OK"),
            "status_codes": codes,
            "average_ms": report["average"] / 1e6,
            "article_bytes": len(first["title"].encode()) + len(first["body"].encode()),
        }

    def jetstream(self, corpus: Path, work: Path) -> dict:
        """Closed-loop streaming with every result published to JetStream, and without."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        nats_server = shutil.which("nats-server") or "/usr/sbin/nats-server"
        store = work / "jetstream"
        broker_command = [nats_server, "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store)]
        self.results["commands"]["service/jetstream broker"] = [" ".join(map(rel, broker_command))]
        with open(work / "nats.log", "w") as log:
            broker = subprocess.Popen(broker_command, stdout=log, stderr=log)
        try:
            for _ in range(100):
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            result = {}
            for label, flags in (("on", [f"--nats_url=nats://127.0.0.1:{port}"]), ("off", [])):
                server, address = self.start_tagwired(
                    work / f"server-{label}.log", work / "cache", *flags
                )
                try:
                    result[label] = self.load(
                        address, corpus, "service/jetstream", "stream", concurrency=2
                    )
                finally:
                    self.stop(server, f"tagwired (JetStream {label})")
            return result
        finally:
            broker.send_signal(signal.SIGTERM)
            broker.wait(timeout=30)

    # ---- 3. start-up --------------------------------------------------------------

    def startup(self) -> None:
        tagwired = str(BUILD / "service" / "tagwired")
        taxonomy = str(ROOT / "data" / "default.jsonl.gz")
        self.results["commands"]["startup"] = [
            f"bench/startup_time.py --taxonomy {rel(taxonomy)} --warm 2"
        ]
        runs = []
        with tempfile.TemporaryDirectory() as cache:
            for label in ("cold", "warm", "warm"):
                seconds, rss_kib, loaded = startup_time.start_once(tagwired, taxonomy, cache)
                runs.append(
                    {
                        "start": label,
                        "seconds": seconds,
                        "rss_mib": rss_kib / 1024,
                        "loaded": loaded,
                    }
                )
        self.results["startup"] = runs

    # ---- the machine ----------------------------------------------------------------

    def machine(self) -> None:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        fields = dict(line.split(":", 1) for line in lscpu.splitlines() if ":" in line)
        wanted = ("Model name", "CPU(s)", "Thread(s) per core", "L2 cache", "L3 cache")
        info = {k: fields[k].strip() for k in wanted if k in fields}
        flags = fields.get("Flags", "").split()
        info["SIMD flags"] = " ".join(
            f for f in ("sse4_2", "avx2", "avx512f", "avx512vbmi") if f in flags
        )
        info["kernel"] = os.uname().release
        info["memory"] = (
            f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB"
        )
        git = ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]
        info["commit"] = subprocess.run(git, capture_output=True, text=True).stdout.strip()
        info["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        info["load average before"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
        self.results["machine"] = info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "out"))
    parser.add_argument("--smoke", action="store_true", help="seconds-long run: everything works")
    parser.add_argument("--corpus", required=True, help="the engine corpus (bench/corpus.py)")
    parser.add_argument("--service-corpus", required=True, help="5 KB articles (bench/corpus.py)")
    parser.add_argument(
        "--taxonomies", required=True, help="bench/taxonomies.py's output (JSON lines)"
    )
    parser.add_argument("--only", default="engines,service,startup", help="sections to run")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    harness = Harness(out, args.smoke)
    harness.machine()
    taxonomies = [
        json.loads(line) for line in Path(args.taxonomies).read_text().splitlines() if line
    ]
    sections = args.only.split(",")
    if "engines" in sections:
        harness.engines(Path(args.corpus), taxonomies)
    if "service" in sections:
        harness.service(Path(args.service_corpus))
    if "startup" in sections:
        harness.startup()
    (out / "results.json").write_text(json.dumps(harness.results, indent=1) + "\n")
    import report  # noqa: PLC0415  (bench/report.py; matplotlib is only in .venv-bench)

    report.write(harness.results, out, smoke=args.smoke)
    return 0


if __name__ == "__main__":
    sys.exit(main())
