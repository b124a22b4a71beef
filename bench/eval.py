#!/usr/bin/env python3
"""Measures tagging quality on the gold set (tests/golden/) and, with --gate,
fails when any figure is below the thresholds measured for it.

Three systems, on the same articles in one run:
  * tagwire      — `tagwire tag` with the default taxonomy (context resolution
                   and ordinary-word guards on);
  * naive        — `tagwire tag --naive`: the same gazetteer, the most
                   populous candidate per span, no guards, short forms anywhere;
  * geotext      — PyPI geotext 0.4.0 (places only). geotext returns names,
                   not ids, so it is scored on names: a name counts as a hit
                   when it is an alias of an expected place. That is lenient
                   (it cannot be wrong about which Paris) and is said so in
                   the report.

For each kind (LOCATION, ORGANIZATION, PERSON): micro-averaged precision,
recall and F1 over concept ids per article; "rejected" counts tags of
concepts an article lists as wrong readings. Topics: top-1 accuracy, the
highest-scoring topic being one of the article's acceptable topics or narrower
than one of them (a more specific right answer).

Usage:
  bench/eval.py [--tagwire build/service/tagwire] [--taxonomy FILE]...
                [--gold tests/golden] [--gate tests/golden/thresholds.json]
                [--markdown] [--json FILE] [--show-errors]
Exit status: 0, or 1 when --gate finds a figure below its threshold.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("LOCATION", "ORGANIZATION", "PERSON")


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    rejected: int = 0

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def f1(self) -> float:
        p, r = self.precision(), self.recall()
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class SystemResult:
    name: str
    kinds: dict[str, Counts] = field(default_factory=lambda: {k: Counts() for k in KINDS})
    topic_hits: int = 0
    topic_total: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def topic_top1(self) -> float:
        return self.topic_hits / self.topic_total if self.topic_total else 0.0


def load_gold(directory: Path) -> list[dict]:
    articles = []
    for path in sorted(directory.glob("*.json")):
        if path.name == "thresholds.json":
            continue
        article = json.loads(path.read_text(encoding="utf-8"))
        for key in ("id", "title", "body", "expect", "topics"):
            if key not in article:
                raise SystemExit(f"{path}: missing '{key}'")
        article["path"] = str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        articles.append(article)
    if not articles:
        raise SystemExit(f"{directory}: no gold articles")
    return articles


def run_tagwire(
    binary: str, taxonomy: list[str], articles: list[dict], naive: bool
) -> tuple[dict, float]:
    """Tags every article in one `tagwire tag` run (JSONL on stdin); returns
    {id: output} and seconds."""
    jsonl = "".join(
        json.dumps({"id": a["id"], "title": a["title"], "body": a["body"]}) + "\n" for a in articles
    )
    command = [binary, "tag", "--no-mentions"]
    for t in taxonomy:
        command += ["--taxonomy", t]
    if naive:
        command.append("--naive")
    started = time.monotonic()
    done = subprocess.run(
        command, input=jsonl, capture_output=True, text=True, timeout=600, check=False
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    outputs = {}
    for line in done.stdout.splitlines():
        tagged = json.loads(line)
        outputs[tagged["id"]] = tagged
    return outputs, seconds


KIND_NAMES = {f"CONCEPT_KIND_{k}": k for k in KINDS}


def topic_parents(taxonomy: list[str]) -> dict[str, str]:
    """IPTC code → its broader topic's code, from the taxonomy's TOPIC concepts."""
    parents = {}
    for concept in read_concepts(taxonomy):
        if concept.get("kind") == "TOPIC" and concept.get("broader", "").startswith("topic:"):
            parents[concept["id"].removeprefix("topic:")] = concept["broader"].removeprefix(
                "topic:"
            )
    return parents


def topic_correct(top: str | None, acceptable: list[str], parents: dict[str, str]) -> bool:
    """The top topic is acceptable, or narrower than an acceptable one (a more specific
    right answer: "products and services" under "economy, business and finance")."""
    while top is not None:
        if top in acceptable:
            return True
        top = parents.get(top)
    return False


def score_tagwire(
    name: str, articles: list[dict], outputs: dict, seconds: float, parents: dict[str, str]
) -> SystemResult:
    result = SystemResult(name, seconds=seconds)
    for a in articles:
        tagged = outputs[a["id"]]
        predicted: dict[str, set[str]] = {k: set() for k in KINDS}
        for tag in tagged.get("tags", []):
            kind = KIND_NAMES.get(tag["kind"])
            if kind:
                predicted[kind].add(tag["conceptId"])
        rejected = set(a.get("reject", []))
        for kind in KINDS:
            expected = set(a["expect"].get(kind, []))
            c = result.kinds[kind]
            c.tp += len(predicted[kind] & expected)
            c.fp += len(predicted[kind] - expected)
            c.fn += len(expected - predicted[kind])
            c.rejected += len(predicted[kind] & rejected)
            for concept in sorted(predicted[kind] - expected):
                result.errors.append(
                    f"{a['path']}: {kind} false positive {concept}"
                    + (" (a rejected reading)" if concept in rejected else "")
                )
            for concept in sorted(expected - predicted[kind]):
                result.errors.append(f"{a['path']}: {kind} missed {concept}")
        topics = tagged.get("topics", [])
        result.topic_total += 1
        top = topics[0]["iptcCode"] if topics else None
        if topic_correct(top, a["topics"], parents):
            result.topic_hits += 1
        else:
            result.errors.append(f"{a['path']}: top topic {top}, expected one of {a['topics']}")
    return result


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip()


def read_concepts(taxonomy: list[str]) -> list[dict]:
    concepts = []
    for path in taxonomy:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig") as f:
            concepts += [json.loads(line) for line in f if line.strip()]
    return concepts


def place_names(taxonomy: list[str], wanted: set[str]) -> dict[str, set[str]]:
    """Folded names and aliases of the concepts in `wanted`."""
    names: dict[str, set[str]] = {}
    for concept in read_concepts(taxonomy):
        if concept.get("id") not in wanted or "name" not in concept:
            continue
        aliases = [concept["name"]] + [
            a if isinstance(a, str) else a["text"] for a in concept.get("aliases", [])
        ]
        names[concept["id"]] = {fold(a) for a in aliases}
    return names


def score_geotext(articles: list[dict], taxonomy: list[str]) -> SystemResult | None:
    try:
        from geotext import GeoText  # noqa: PLC0415 (optional dependency)
    except ImportError:
        return None
    wanted = {p for a in articles for p in a["expect"].get("LOCATION", [])}
    names = place_names(taxonomy, wanted)
    result = SystemResult("geotext 0.4.0 (names)")
    started = time.monotonic()
    found_per_article = []
    for a in articles:
        places = GeoText(a["title"] + "\n" + a["body"])
        found_per_article.append({fold(n) for n in places.cities + places.countries})
    result.seconds = time.monotonic() - started
    c = result.kinds["LOCATION"]
    for a, found in zip(articles, found_per_article):
        expected = a["expect"].get("LOCATION", [])
        matched_names: set[str] = set()
        for concept in expected:
            hit = names.get(concept, set()) & found
            if hit:
                c.tp += 1
                matched_names |= hit
            else:
                c.fn += 1
                result.errors.append(f"{a['path']}: LOCATION missed {concept}")
        for name in sorted(found - matched_names):
            c.fp += 1
            result.errors.append(f"{a['path']}: LOCATION false positive '{name}'")
    return result


def table(results: list[SystemResult], articles: int) -> str:
    lines = [
        f"Gold set: {articles} articles. Micro-averaged over concept ids per article.",
        "",
        "| system | kind | precision | recall | F1 | TP | FP | FN | rejected readings tagged |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        for kind in KINDS:
            c = r.kinds[kind]
            if r.name.startswith("geotext") and kind != "LOCATION":
                continue
            lines.append(
                f"| {r.name} | {kind} | {c.precision():.3f} | {c.recall():.3f} | {c.f1():.3f} | "
                f"{c.tp} | {c.fp} | {c.fn} | {c.rejected if not r.name.startswith('geotext') else 'n/a'} |"
            )
    lines += ["", "| system | topic top-1 accuracy | wall time |", "| --- | --- | --- |"]
    for r in results:
        top1 = f"{r.topic_top1():.3f} ({r.topic_hits}/{r.topic_total})" if r.topic_total else "n/a"
        lines.append(f"| {r.name} | {top1} | {r.seconds:.2f} s |")
    return "\n".join(lines)


def gate(result: SystemResult, thresholds: dict) -> list[str]:
    failures = []
    for kind in KINDS:
        c = result.kinds[kind]
        for metric in ("precision", "recall"):
            want = thresholds[kind][metric]
            got = getattr(c, metric)()
            if got < want:
                failures.append(f"{kind} {metric} {got:.3f} < {want}")
        if c.rejected > thresholds[kind].get("max_rejected", 0):
            failures.append(f"{kind}: {c.rejected} rejected readings tagged")
    if result.topic_top1() < thresholds["topic_top1"]:
        failures.append(f"topic top-1 {result.topic_top1():.3f} < {thresholds['topic_top1']}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tagwire", default=str(ROOT / "build" / "service" / "tagwire"))
    parser.add_argument(
        "--taxonomy",
        action="append",
        default=None,
        help="taxonomy layers (default: data/default.jsonl.gz)",
    )
    parser.add_argument("--gold", default=str(ROOT / "tests" / "golden"))
    parser.add_argument("--gate", help="thresholds JSON; exit 1 if tagwire is below any")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument(
        "--show-errors", action="store_true", help="list every miss and false positive"
    )
    args = parser.parse_args()
    taxonomy = args.taxonomy or [str(ROOT / "data" / "default.jsonl.gz")]
    articles = load_gold(Path(args.gold))

    parents = topic_parents(taxonomy)
    outputs, seconds = run_tagwire(args.tagwire, taxonomy, articles, naive=False)
    results = [score_tagwire("tagwire", articles, outputs, seconds, parents)]
    outputs, seconds = run_tagwire(args.tagwire, taxonomy, articles, naive=True)
    results.append(
        score_tagwire("naive (same gazetteer, no resolution)", articles, outputs, seconds, parents)
    )
    geotext = score_geotext(articles, taxonomy)
    if geotext is not None:
        results.append(geotext)
    print(table(results, len(articles)))
    if geotext is not None:
        print(
            "\ngeotext is scored on names (it returns no ids), so it is never wrong about "
            "which Paris; it knows only cities and countries."
        )
    if args.show_errors:
        for r in results:
            print(f"\n## {r.name}: {len(r.errors)} errors")
            print("\n".join(r.errors))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    r.name: {
                        "kinds": {
                            k: {
                                "precision": c.precision(),
                                "recall": c.recall(),
                                "f1": c.f1(),
                                "tp": c.tp,
                                "fp": c.fp,
                                "fn": c.fn,
                                "rejected": c.rejected,
                            }
                            for k, c in r.kinds.items()
                        },
                        "topic_top1": r.topic_top1(),
                        "seconds": r.seconds,
                    }
                    for r in results
                },
                indent=2,
            )
            + "\n"
        )
    if args.gate:
        failures = gate(results[0], json.loads(Path(args.gate).read_text()))
        if failures:
            print("\nGATE FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
            for error in results[0].errors:
                print(f"  {error}", file=sys.stderr)
            return 1
        print("\ngate passed:", args.gate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
