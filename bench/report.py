"""Turns bench/harness.py's results into the report and the plots.

    .venv-bench/bin/python bench/report.py bench/out/results.json   # re-render only

The report is the generated part of bench/RESULTS.md, between the markers below; the
hand-written analysis around it (what limits each goal) is kept. With --smoke (or a
results file from a smoke run) it goes to OUT/RESULTS.md and the plots to OUT/, so a
smoke run never touches the committed report.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- bench/run: generated from here -->"
END = "<!-- bench/run: generated up to here -->"
TAGWIRE = "tagwire-tag"
PEERS = ("tagwire-scan", "rust aho-corasick", "pyahocorasick", "flashtext", "spacy")
GOALS = {  # peer: tagwire's speed over the peer's must be at least this
    "tagwire-scan": 0.8,
    "rust aho-corasick": 2,
    "pyahocorasick": 30,
    "flashtext": 200,
    "spacy": 50,
}
LABELS = {
    "tagwire-tag": "tagwire (tagging, resolution)",
    "tagwire-naive": "tagwire naive (gazetteer only)",
    "tagwire-scan": "raw hs_scan (count only)",
}


def median_speed(runs: list[dict], taxonomy: str, engine: str, threads: int) -> dict | None:
    mine = [
        r
        for r in runs
        if r["taxonomy"] == taxonomy and r["engine"] == engine and r["threads"] == threads
    ]
    if not mine:
        return None
    return {
        "mb_per_s": statistics.median(r["mb_per_s"] for r in mine),
        "articles_per_s": statistics.median(r["articles_per_s"] for r in mine),
        "passes": len(mine),
        "build_seconds": statistics.median(r.get("build_seconds", 0) for r in mine),
        "matches_per_kb": statistics.median(r["matches"] / (r["bytes"] / 1000) for r in mine),
    }


def mark(value: float, goal: float) -> str:
    return f"**{value:.2f}×** {'met' if value >= goal else 'NOT met'}"


def commands(results: dict, *figures: str) -> str:
    lines = [c for f in figures for c in results["commands"].get(f, [])]
    return "```sh\n" + "\n".join(dict.fromkeys(lines)) + "\n```\n" if lines else ""


def fmt(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:.2f}" if x < 10 else f"{x:.1f}"


def engine_sections(results: dict, plots: Path, plot_prefix: str) -> tuple[str, list[tuple]]:
    runs = results.get("engine_runs", [])
    taxonomies = results.get("taxonomies", [])
    if not runs:
        return "", []
    agreement = results["agreement"]
    reference = "10k" if results["smoke"] else "default"
    goals = []
    out = ["### Engines: do they find the same mentions?\n"]
    out.append(
        f"Entity mentions (span and concept) on the first {agreement['articles']} articles of "
        f"the corpus with the `{reference}` taxonomy, against tagwire's naive mode (the same job "
        f"as a gazetteer matcher: {agreement['naive']:,} mentions) and against what the "
        f"generator planted ({agreement['planted']:,}). P = share of the engine's mentions also "
        "in the reference, R = share of the reference found; span R ignores the concept.\n"
    )
    out.append("| engine | mentions | vs naive P | R | span R | vs planted P | R | span R |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for engine, row in agreement["engines"].items():
        a, b = row["vs_naive"], row["vs_planted"]
        out.append(
            f"| {engine} | {row['spans']:,} | {a['precision']:.3f} | {a['recall']:.3f} | "
            f"{a['span_recall']:.3f} | {b['precision']:.3f} | {b['recall']:.3f} | "
            f"{b['span_recall']:.3f} |"
        )
    out.append(f"\n### Engines: speed with the `{reference}` taxonomy\n")
    out.append(
        "Median of the passes; MB/s of UTF-8 article text (title and body). tagwire's ratio is "
        "tagging (with resolution) over the engine, at the same thread count.\n"
    )
    out.append(
        "| engine | threads | MB/s | articles/s | matches/KB | passes | tagwire's ratio | goal |"
    )
    out.append("|---|---:|---:|---:|---:|---:|---:|---|")
    engines = ["tagwire-tag", "tagwire-naive", *PEERS]
    for threads in (1, 2):
        ours = median_speed(runs, reference, TAGWIRE, threads)
        for engine in engines:
            speed = median_speed(runs, reference, engine, threads)
            if speed is None or ours is None:
                continue
            ratio = ours["mb_per_s"] / speed["mb_per_s"]
            goal = GOALS.get(engine)
            goal_text = f"≥ {goal}×: {mark(ratio, goal)}" if goal and engine != TAGWIRE else ""
            if goal and threads == 1:
                goals.append((f"tagwire ≥ {goal}× {LABELS.get(engine, engine)}", ratio, goal))
            out.append(
                f"| {LABELS.get(engine, engine)} | {threads} | {fmt(speed['mb_per_s'])} | "
                f"{fmt(speed['articles_per_s'])} | {speed['matches_per_kb']:.1f} | "
                f"{speed['passes']} | {ratio:.2f} | {goal_text} |"
            )
    out.append("\n### Engines: taxonomy size\n")
    out.append(f"![throughput vs taxonomy size]({plot_prefix}engines-by-taxonomy-size.png)\n")
    header = "| taxonomy | aliases | literals | regexes | compile s | database MB | peak RSS MB |"
    out.append(header + "".join(f" {LABELS.get(e, e)} MB/s |" for e in engines))
    out.append("|---|" + "---:|" * (6 + len(engines)))
    for tax in taxonomies:
        cells = [
            tax["name"],
            f"{tax['aliases']:,}",
            f"{tax['literals']:,}",
            str(tax["regexes"]),
            f"{tax['compile_seconds']:.1f}",
            f"{tax['database_bytes'] / 1e6:.1f}",
            f"{tax['peak_rss_mb']:,.0f}",
        ]
        for engine in engines:
            speed = median_speed(runs, tax["name"], engine, 1)
            cells.append(fmt(speed["mb_per_s"]) if speed else "–")
        out.append("| " + " | ".join(cells) + " |")
    out.append(
        "\nCompile s is Hyperscan's compile of the taxonomy without a cache (one thread); "
        "the peers' build times, one thread: " + build_times(runs, taxonomies) + ".\n"
    )
    plot_engines(runs, taxonomies, engines, plots / "engines-by-taxonomy-size.png")
    return "\n".join(out) + "\n", goals


def build_times(runs: list[dict], taxonomies: list[dict]) -> str:
    parts = []
    for engine in PEERS[1:]:
        times = []
        for tax in taxonomies:
            speed = median_speed(runs, tax["name"], engine, 1)
            if speed:
                times.append(f"{tax['name']} {speed['build_seconds']:.1f} s")
        parts.append(f"{engine} {', '.join(times)}")
    return "; ".join(parts)


def plot_engines(runs: list[dict], taxonomies: list[dict], engines: list[str], path: Path) -> None:
    figure, axes = plt.subplots(figsize=(8, 5))
    for engine in engines:
        points = [
            (t["aliases"], s["mb_per_s"])
            for t in taxonomies
            if (s := median_speed(runs, t["name"], engine, 1))
        ]
        if points:
            axes.plot(*zip(*points), marker="o", label=LABELS.get(engine, engine))
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("taxonomy size (aliases)")
    axes.set_ylabel("MB/s, one thread (log)")
    axes.set_title("Throughput vs taxonomy size, same corpus")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def service_section(results: dict, plots: Path, plot_prefix: str) -> tuple[str, list[tuple]]:
    s = results.get("service")
    if not s:
        return "", []
    unary, stream = s["unary"], s["stream"]
    goals = []
    size = stream["mean_article_bytes"] / 1000
    out = [f"### Service: tagwired over gRPC on loopback ({size:.1f} KB articles)\n"]
    ratio = stream["articles_per_second"] / unary["articles_per_second"]
    service_ratio = stream["articles_per_second"] / s["engine_articles_per_s"]
    goals.append(("streaming ≥ 3× unary articles/s (2 callers vs 2 streams)", ratio, 3))
    goals.append(("service (stream) ≥ 0.7× the in-process engine", service_ratio, 0.7))
    out.append("| measure | articles/s | p50 ms | p99 ms | p99.9 ms | errors |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for label, run in (
        ("unary, 2 callers, closed loop", unary),
        ("stream, 2 streams, closed loop", stream),
    ):
        lat = run["latency_us"]
        out.append(
            f"| {label} | {fmt(run['articles_per_second'])} | {lat['p50'] / 1000:.2f} | "
            f"{lat['p99'] / 1000:.2f} | {lat['p99.9'] / 1000:.2f} | {run['errors']} |"
        )
    g = s["ghz"]
    out.append(
        f"| ghz unary, concurrency 2 (one {g['article_bytes'] / 1000:.1f} KB article) | "
        f"{fmt(g['rps'])} | – | – | – | {g['errors']} |"
    )
    out.append(
        f"| in-process engine, one thread, same articles and core | "
        f"{fmt(s['engine_articles_per_s'])} | – | – | – | – |"
    )
    out.append(
        f"\nstream / unary = {mark(ratio, 3)} (goal ≥ 3×); service / engine = "
        f"{mark(service_ratio, 0.7)} (goal ≥ 0.7×); ghz / tagwire-bench unary = "
        f"{g['rps'] / unary['articles_per_second']:.2f} (ghz's answers by status: "
        f"{g.get('status_codes', {})}). Closed-loop latencies include queueing "
        "behind the articles in flight; the open-loop sweep below is the latency figure.\n"
    )
    out.append("#### Open loop: latency vs offered load\n")
    out.append(f"![latency vs offered load]({plot_prefix}latency-by-offered-load.png)\n")
    out.append(
        "| offered (of max) | mode | offered/s | answered/s | p50 ms | p90 ms | p99 ms | p99.9 ms |"
    )
    out.append("|---:|---|---:|---:|---:|---:|---:|---:|")
    for run in s["open_loop"]:
        lat = run["latency_us"]
        out.append(
            f"| {run['fraction']:.0%} | {run['mode']} ×{run['concurrency']} | "
            f"{fmt(run['offered_rate'])} | {fmt(run['articles_per_second'])} | "
            f"{lat['p50'] / 1000:.2f} | {lat['p90'] / 1000:.2f} | {lat['p99'] / 1000:.2f} | "
            f"{lat['p99.9'] / 1000:.2f} |"
        )
        if run["fraction"] == 0.5:
            goals.append(
                (f"open-loop p99 ≤ 1 ms at half the maximum ({run['mode']})", lat["p99"] / 1000, 1)
            )
    js = s["jetstream"]
    on, off = js["on"]["articles_per_second"], js["off"]["articles_per_second"]
    out.append(
        f"\nJetStream publishing (closed-loop stream, 2 streams, `--nats_ack=wait`): on "
        f"{fmt(on)} articles/s, off {fmt(off)}: on/off = **{on / off:.2f}×**. "
        f"tagwired's memory after the load: RSS {s['memory_mib']['rss']:.0f} MiB, peak "
        f"{s['memory_mib']['peak']:.0f} MiB.\n"
    )
    plot_latency(s["open_loop"], plots / "latency-by-offered-load.png")
    return "\n".join(out) + "\n", goals


def plot_latency(sweep: list[dict], path: Path) -> None:
    figure, axes = plt.subplots(figsize=(8, 5))
    for mode, style in (("stream", "-"), ("unary", "--")):
        runs = [r for r in sweep if r["mode"] == mode]
        for key, color in (("p50", "C0"), ("p90", "C1"), ("p99", "C2"), ("p99.9", "C3")):
            axes.plot(
                [r["offered_rate"] for r in runs],
                [r["latency_us"][key] / 1000 for r in runs],
                style,
                color=color,
                marker="o",
                label=f"{mode} {key}",
            )
    axes.axhline(1.0, color="grey", linewidth=0.8)
    axes.set_yscale("log")
    axes.set_xlabel("offered load (articles/s, open loop)")
    axes.set_ylabel("latency, ms (log)")
    axes.set_title("tagwired latency vs offered load")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=7, ncol=2)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def startup_section(results: dict) -> str:
    runs = results.get("startup")
    if not runs:
        return ""
    out = ["### Start-up of tagwired with the default taxonomy\n"]
    out.append("| start | seconds to serving | RSS MiB once serving | taxonomy load ms |")
    out.append("|---|---:|---:|---:|")
    for r in runs:
        out.append(
            f"| {r['start']} | {r['seconds']:.2f} | {r['rss_mib']:.0f} | "
            f"{r['loaded'].get('duration_ms', 0):.0f} |"
        )
    return "\n".join(out) + "\n"


def render(results: dict, plots: Path, plot_prefix: str) -> str:
    machine = results["machine"]
    taxonomies = results.get("taxonomies", [])
    if taxonomies:
        machine = dict(
            machine, Hyperscan=f"{taxonomies[0]['hyperscan']} ({taxonomies[0]['platform']})"
        )
    engines, engine_goals = engine_sections(results, plots, plot_prefix)
    service, service_goals = service_section(results, plots, plot_prefix)
    out = [
        BEGIN,
        "",
        f"## Side by side: `bench/run` ({machine['date']}, commit {machine['commit']})\n",
    ]
    out.append(
        "Everything in this part was measured in one run of `bench/run` and written by it.\n"
    )
    out.append("| machine | |\n|---|---|")
    out += [f"| {k} | {v} |" for k, v in machine.items() if k not in ("date", "commit")]
    out.append("\n### Goals\n")
    out.append("| goal | measured | met? |")
    out.append("|---|---:|---|")
    for name, value, goal in engine_goals + service_goals:
        lower_is_better = "≤" in name
        met = value <= goal if lower_is_better else value >= goal
        unit = " ms" if lower_is_better else "×"
        out.append(f"| {name} | {value:.2f}{unit} | {'met' if met else '**not met**'} |")
    out.append(
        "\nWhat limits the goals that are not met: see “Reading the side-by-side run” below.\n"
    )
    out += [engines, service, startup_section(results)]
    out.append("### The commands behind every figure\n")
    for figure in results["commands"]:
        out.append(f"{figure}:\n")
        out.append(commands(results, figure))
    out.append(END)
    return "\n".join(out) + "\n"


def write(results: dict, out: Path, smoke: bool) -> None:
    if smoke:
        (out / "RESULTS.md").write_text(render(results, out, ""), encoding="utf-8")
        print(f"report: {out / 'RESULTS.md'}", file=sys.stderr)
        return
    plots = ROOT / "bench" / "plots"
    plots.mkdir(exist_ok=True)
    generated = render(results, plots, "plots/")
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        text = (
            text[: text.index(BEGIN)] + generated.rstrip("\n") + text[text.index(END) + len(END) :]
        )
    else:
        text = text.rstrip("\n") + "\n\n" + generated
    path.write_text(text, encoding="utf-8")
    print(f"report: {path} and {plots}/*.png", file=sys.stderr)


if __name__ == "__main__":
    source = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "bench" / "out" / "results.json")
    loaded = json.loads(source.read_text())
    write(loaded, source.parent, smoke=loaded["smoke"])
