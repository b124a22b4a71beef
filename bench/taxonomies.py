"""The taxonomies of the engine sweep (bench/run), derived from the default one.

    python3 bench/taxonomies.py --out bench/out/taxonomies [--synthetic build/bench/synthetic-taxonomy]

Writes, with a fixed seed:
  * ``10k.jsonl`` and ``100k.jsonl``: every topic of data/default.jsonl.gz (its
    keyword and regex rules) plus entity concepts drawn at random, whole, until
    the taxonomy has 10,000 or 100,000 aliases (names, aliases and keyword rules
    counted alike). Subsets of the real gazetteer, so the corpus's mentions
    still find some of them.
  * ``1m-extra.jsonl``: synthetic people, organizations and places (ids
    ``syn:N``, from bench/synthetic.h) with as many aliases as take the
    default taxonomy to 1,000,000; it is layered after the default one.
    Its topics are left out: they would redefine the default's.
Prints one JSON object per taxonomy (name, files, aliases) on stdout.
"""

import argparse
import gzip
import json
import pathlib
import random
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT = ROOT / "data" / "default.jsonl.gz"
SEED = 20261124


def alias_count(concept: dict) -> int:
    if concept["kind"] == "TOPIC":
        return sum(1 for rule in concept.get("rules", []) if "keyword" in rule)
    return 1 + len(concept.get("aliases", []))


def write_subset(lines: list[str], target: int, path: pathlib.Path) -> int:
    concepts = [json.loads(line) for line in lines]
    index_of = {c["id"]: i for i, c in enumerate(concepts)}
    chosen: dict[int, None] = {}  # ordered
    total = 0

    def take(i: int) -> None:
        nonlocal total
        while i not in chosen:  # with its broader concepts, which must exist
            chosen[i] = None
            total += alias_count(concepts[i])
            broader = concepts[i].get("broader")
            if broader not in index_of:
                return
            i = index_of[broader]

    for i, c in enumerate(concepts):
        if c["kind"] == "TOPIC":
            take(i)
    entities = [i for i, c in enumerate(concepts) if c["kind"] != "TOPIC"]
    random.Random(SEED).shuffle(entities)
    for i in entities:
        if total >= target:
            break
        take(i)
    path.write_text("".join(lines[i] for i in sorted(chosen)), encoding="utf-8")
    return total


def write_synthetic(tool: str, aliases: int, path: pathlib.Path) -> int:
    jsonl = subprocess.run([tool, str(aliases)], check=True, capture_output=True, text=True).stdout
    kept = [line + "\n" for line in jsonl.splitlines() if '"kind":"TOPIC"' not in line]
    path.write_text("".join(kept), encoding="utf-8")
    return sum(alias_count(json.loads(line)) for line in kept)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "taxonomies"))
    parser.add_argument("--synthetic", default=str(ROOT / "build" / "bench" / "synthetic-taxonomy"))
    parser.add_argument("--sizes", default="10000,100000", help="subset sizes, in aliases")
    parser.add_argument("--large", type=int, default=1_000_000, help="0: no synthetic taxonomy")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(DEFAULT, "rt", encoding="utf-8") as f:
        lines = f.readlines()
    default_aliases = sum(alias_count(json.loads(line)) for line in lines)
    for size in (int(s) for s in args.sizes.split(",") if s):
        path = out / f"{size // 1000}k.jsonl"
        total = write_subset(lines, size, path)
        print(json.dumps({"name": f"{size // 1000}k", "files": [str(path)], "aliases": total}))
    print(json.dumps({"name": "default", "files": [str(DEFAULT)], "aliases": default_aliases}))
    if args.large > default_aliases:
        path = out / "1m-extra.jsonl"
        extra = write_synthetic(args.synthetic, args.large - default_aliases, path)
        name = (
            f"{args.large // 1_000_000}M" if args.large >= 1_000_000 else f"{args.large // 1000}k"
        )
        files = [str(DEFAULT), str(path)]
        print(json.dumps({"name": name, "files": files, "aliases": default_aliases + extra}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
