"""Python peer engines of the side-by-side gazetteer bench (issue 7).

What: runs one of three Python dictionary matchers over a corpus with a gazetteer and prints
one JSON line of build and scan measurements, following the peer contract that every engine
of the bench shares (the Rust peers and tagwire's own bench speak the same one):

  1. load the gazetteer (TSV: text, concept_id, kind) and build the matcher (timed);
  2. load the corpus (JSON Lines; the article text is title + "\\n" + body), untimed;
  3. with --spans, an untimed pass over the first --spans-articles articles writes
     `article_index<TAB>start<TAB>end<TAB>concept_id` (UTF-8 byte offsets) to a TSV;
  4. a timed pass scans the articles in corpus order, listing each article's matches in the
     engine's natural units and counting them, until the end of the corpus or the article
     during which --max-seconds elapsed;
  5. stdout gets exactly one JSON object; everything else goes to stderr.

Why: these are the libraries a Python user would otherwise pick to tag entities and keywords
from a list of names: pyahocorasick (an Aho-Corasick automaton in C), flashtext (a pure
Python trie built for exactly this job) and spaCy's PhraseMatcher (token-level phrase
matching). Each is used the way its documentation shows, with the bench's shared policy
(case-insensitive, leftmost-longest, non-overlapping, whole words) as close as it allows.

How to run (from the repository root, in the bench's own virtualenv):

  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --no-deps -r bench/requirements.txt
  .venv-bench/bin/python bench/peers.py pyahocorasick --gazetteer G.tsv --corpus C.jsonl \\
      [--max-seconds S] [--spans OUT.tsv --spans-articles K]

The engine is one of pyahocorasick, flashtext, spacy. Bad input (a missing file, a malformed
gazetteer line, a corpus line that is not an article) exits with status 2 and names the
file and line on stderr.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import resource
import sys
import time
from collections.abc import Iterator
from itertools import groupby
from typing import Any

ENGINES = ("pyahocorasick", "flashtext", "spacy")
KINDS = ("entity", "keyword")
DEFAULT_SPANS_ARTICLES = 500
# Patterns per batch when spaCy tokenizes the gazetteer.
SPACY_BATCH = 10_000

# A match in code-point offsets of the article text: (start, end, concept_id).
Span = tuple[int, int, str]


class InputError(Exception):
    """Bad input: the message names the file (and line) and is shown as is."""


# ---------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------


def read_lines(path: str) -> Iterator[tuple[int, str]]:
    """Yields (line number from 1, line without its end of line) of a UTF-8 text file."""
    try:
        with open(path, "rb") as f:
            for number, raw in enumerate(f, 1):
                try:
                    yield number, raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError as e:
                    raise InputError(f"{path}:{number}: not UTF-8 ({e.reason})") from None
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None


def parse_gazetteer_line(path: str, number: int, line: str) -> tuple[str, str]:
    """Returns (text, concept_id) of one `text<TAB>concept_id<TAB>kind` line."""
    fields = line.split("\t")
    if len(fields) != 3:
        raise InputError(
            f"{path}:{number}: expected text<TAB>concept_id<TAB>kind, got {len(fields)} field(s)"
        )
    text, concept, kind = fields
    if not text.strip():
        raise InputError(f"{path}:{number}: empty pattern text")
    if not concept:
        raise InputError(f"{path}:{number}: empty concept_id")
    if kind not in KINDS:
        raise InputError(f"{path}:{number}: kind must be entity or keyword, got {kind!r}")
    return text, concept


def load_gazetteer(path: str) -> list[tuple[str, str]]:
    """The unique patterns of a gazetteer as (text, concept_id), in file order.

    Patterns are unique by text.lower(): every engine matches case-insensitively, so a second
    spelling of the same text adds nothing. SPEC.md promises such spellings share a concept;
    where they do not, the first line wins and stderr says how often that happened.
    """
    concept_of: dict[str, str] = {}
    patterns: list[tuple[str, str]] = []
    conflicts = 0
    for number, line in read_lines(path):
        text, concept = parse_gazetteer_line(path, number, line)
        key = text.lower()
        if key in concept_of:
            conflicts += concept_of[key] != concept
            continue
        concept_of[key] = concept
        patterns.append((text, concept))
    if not patterns:
        raise InputError(f"{path}: no patterns")
    if conflicts:
        print(
            f"{path}: {conflicts} line(s) repeat a text (case-insensitively) with another "
            "concept; the first concept is kept",
            file=sys.stderr,
        )
    return patterns


def parse_article(path: str, number: int, line: str) -> str:
    """The article text (title + "\\n" + body) of one corpus line."""
    try:
        article = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{number}: bad JSON ({e.msg} at column {e.colno})") from None
    if not isinstance(article, dict):
        raise InputError(f"{path}:{number}: expected a JSON object")
    title, body = article.get("title"), article.get("body")
    if not isinstance(title, str) or not isinstance(body, str):
        raise InputError(f"{path}:{number}: title and body must be strings")
    return title + "\n" + body


def load_corpus(path: str) -> tuple[list[str], list[int]]:
    """The article texts of a corpus and the UTF-8 size of each. Blank lines are skipped."""
    texts: list[str] = []
    sizes: list[int] = []
    for number, line in read_lines(path):
        if not line.strip():
            continue
        text = parse_article(path, number, line)
        try:
            sizes.append(len(text.encode("utf-8")))
        except UnicodeEncodeError:
            raise InputError(
                f"{path}:{number}: text is not valid Unicode (lone surrogate)"
            ) from None
        texts.append(text)
    return texts, sizes


# ---------------------------------------------------------------------------------------
# Offsets and the shared matching policy
# ---------------------------------------------------------------------------------------


def lower_with_map(text: str) -> tuple[str, list[int] | None]:
    """text.lower(), and where it is longer than text, the way back to text's offsets.

    str.lower() maps one code point to one, except U+0130 'İ' (capital I with dot above)
    which becomes two: 'i' and U+0307 (combining dot above); it is the only such code point
    (Unicode SpecialCasing; final sigma changes a letter, not a length). So when the lengths
    agree every offset is the same in both strings, and the map is None. Otherwise
    back[j] is the offset in text of the code point whose lowercase starts at j in the
    lowered string, back[len(lowered)] == len(text), and back[j] == -1 where j falls between
    the two halves of an expanded code point: a match starting or ending there covers half a
    character of the article and is dropped.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered, None
    back = [-1] * (len(lowered) + 1)
    j = 0
    for i, char in enumerate(text):
        back[j] = i
        j += len(char.lower())
    back[j] = len(text)
    return lowered, back


def map_back(back: list[int] | None, start: int, end: int) -> tuple[int, int] | None:
    """Offsets in the lowered string -> offsets in the original (None: not on a character)."""
    if back is None:
        return start, end
    start, end = back[start], back[end]
    if start < 0 or end < 0:
        return None
    return start, end


def leftmost_longest(spans: list[tuple[Any, int, int]]) -> list[tuple[Any, int, int]]:
    """Non-overlapping (key, start, end) spans: an earlier start wins, then a longer span.

    spaCy's own spacy.util.filter_spans prefers the longest span anywhere (a later, longer
    span beats an earlier, shorter one it overlaps), which is not the bench's policy.
    Ties (same start and end) keep the library's order: sorted() is stable.
    """
    chosen = []
    reached = 0
    for span in sorted(spans, key=lambda s: (s[1], -s[2])):
        if span[1] >= reached:
            chosen.append(span)
            reached = span[2]
    return chosen


def byte_offsets(text: str) -> list[int] | None:
    """offsets[i] = UTF-8 byte offset of code point i of text (None: ASCII, the same)."""
    if text.isascii():
        return None
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + len(char.encode("utf-8")))
    return offsets


# ---------------------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------------------


class Engine:
    """A matcher built from (text, concept_id) patterns (the constructor is the timed build).

    scan() is the timed call: an article's matches in the engine's natural units.
    char_spans() is the untimed one behind --spans: (start, end, concept_id) in code-point
    offsets of the article text, in text order.
    """

    name = ""  # the engine's name on the command line and in the JSON line
    dist = ""  # its distribution on PyPI, for the version
    module = ""  # the module to import before the build is timed

    def scan(self, text: str) -> list[Any]:
        raise NotImplementedError

    def char_spans(self, text: str) -> list[Span]:
        raise NotImplementedError


class PyAhoCorasick(Engine):
    """pyahocorasick: an automaton over the lowercased texts; iter_long() on text.lower().

    iter_long() reports leftmost-longest, non-overlapping matches; the whole-word rule of
    SPEC.md is then checked on the original text, as a user of the library would. So a
    candidate that fails the rule still hides what it overlaps: "the fa" (an alias of The FA)
    in "The fans" is dropped, and so is "fans" after it (0.06% of the matches on a generated
    news corpus). Offsets of text.lower() are mapped back to the article's (lower_with_map);
    natural units are code points of the article text, so char_spans() is scan().
    Known library issue: iter_long() of 2.3.1 can still miss a match reached through failure
    links, mostly at the end of the input (seen on random small-alphabet tests, not on news
    text).
    """

    name = dist = "pyahocorasick"
    module = "ahocorasick"

    def __init__(self, patterns: list[tuple[str, str]]) -> None:
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        for text, concept in patterns:
            key = text.lower()
            self._automaton.add_word(key, (len(key), concept))
        self._automaton.make_automaton()

    def scan(self, text: str) -> list[Span]:
        lowered, back = lower_with_map(text)
        size = len(text)
        found = []
        for last, (length, concept) in self._automaton.iter_long(lowered):
            end = last + 1
            start = end - length
            if back is not None:
                start, end = back[start], back[end]
                if start < 0 or end < 0:
                    continue  # starts or ends inside an expanded 'İ'
            # SPEC.md's whole-word rule, written out: this loop is the timed hot path and a
            # function call per candidate costs about a fifth of the scan.
            if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                continue
            if end < size and (text[end].isalnum() or text[end] == "_"):
                continue
            found.append((start, end, concept))
        return found

    def char_spans(self, text: str) -> list[Span]:
        return self.scan(text)


class FlashText(Engine):
    """flashtext: KeywordProcessor(case_sensitive=False), extract_keywords(span_info=True).

    flashtext applies its own word-boundary rule, not SPEC.md's: a word character is only
    [A-Za-z0-9_], so a match may start or end next to a non-ASCII letter ("York" in
    "Yorké", "guli" in "régulièrement", pieces of Cyrillic words), and it is
    leftmost-longest word by word. It lowercases the text itself, so its
    offsets are those of text.lower() (natural units: (concept, start, end) tuples); the
    spans pass maps them back to the article text.
    """

    name = dist = module = "flashtext"

    def __init__(self, patterns: list[tuple[str, str]]) -> None:
        from flashtext import KeywordProcessor

        self._processor = KeywordProcessor(case_sensitive=False)
        for text, concept in patterns:
            self._processor.add_keyword(text, concept)

    def scan(self, text: str) -> list[tuple[str, int, int]]:
        return self._processor.extract_keywords(text, span_info=True)

    def char_spans(self, text: str) -> list[Span]:
        _, back = lower_with_map(text)
        spans = []
        for concept, start, end in self.scan(text):
            offsets = map_back(back, start, end)
            if offsets is not None:
                spans.append((offsets[0], offsets[1], concept))
        return spans


class SpacyPhraseMatcher(Engine):
    """spaCy: PhraseMatcher(attr="LOWER") over spacy.blank("en") (the tokenizer alone).

    Patterns are tokenized with nlp.tokenizer.pipe() and added with one match key per
    concept (the key is the concept id), so a match names its concept directly. The build
    includes spacy.blank("en") and tokenizing the patterns. Each article is tokenized with
    nlp.make_doc(); the matcher reports every (overlapping) match and leftmost_longest()
    keeps the bench's non-overlapping choice. spaCy's boundary rule is its tokens: a match
    covers whole tokens, so the tokenizer decides what a word is (no extra check here).
    Natural units: (match key hash, first token, end token) tuples.
    """

    name = dist = module = "spacy"

    def __init__(self, patterns: list[tuple[str, str]]) -> None:
        import spacy
        from spacy.matcher import PhraseMatcher

        self._nlp = spacy.blank("en")
        self._matcher = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        texts_of: dict[str, list[str]] = {}  # insertion-ordered: concepts by first line
        for text, concept in patterns:
            texts_of.setdefault(concept, []).append(text)
        concepts = [concept for concept, texts in texts_of.items() for _ in texts]
        texts = [text for texts in texts_of.values() for text in texts]
        docs = self._nlp.tokenizer.pipe(texts, batch_size=SPACY_BATCH)
        for concept, group in groupby(zip(concepts, docs), key=lambda pair: pair[0]):
            self._matcher.add(concept, [doc for _, doc in group])

    def _match(self, doc: Any) -> list[tuple[int, int, int]]:
        return leftmost_longest(self._matcher(doc))

    def scan(self, text: str) -> list[tuple[int, int, int]]:
        return self._match(self._nlp.make_doc(text))

    def char_spans(self, text: str) -> list[Span]:
        doc = self._nlp.make_doc(text)
        strings = self._nlp.vocab.strings
        spans = []
        for key, start, end in self._match(doc):
            span = doc[start:end]
            spans.append((span.start_char, span.end_char, strings[key]))
        return spans


ENGINE_CLASSES: dict[str, type[Engine]] = {
    cls.name: cls for cls in (PyAhoCorasick, FlashText, SpacyPhraseMatcher)
}


# ---------------------------------------------------------------------------------------
# The run: build, spans pass, timed pass, one JSON line
# ---------------------------------------------------------------------------------------


def build(engine_class: type[Engine], patterns: list[tuple[str, str]]) -> tuple[Engine, float]:
    """The engine and its build time (the library's import is not part of it)."""
    importlib.import_module(engine_class.module)
    start = time.perf_counter()
    engine = engine_class(patterns)
    return engine, time.perf_counter() - start


def write_spans(engine: Engine, texts: list[str], path: str) -> None:
    """`article_index<TAB>start<TAB>end<TAB>concept_id` per match, UTF-8 byte offsets."""
    try:
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            for index, text in enumerate(texts):
                offsets = byte_offsets(text)
                for start, end, concept in engine.char_spans(text):
                    if offsets is not None:
                        start, end = offsets[start], offsets[end]
                    out.write(f"{index}\t{start}\t{end}\t{concept}\n")
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None


def timed_scan(engine: Engine, texts: list[str], max_seconds: float) -> tuple[int, int, float]:
    """(articles scanned, matches, seconds): in corpus order, until the end of the corpus or
    the article during which max_seconds elapsed."""
    scan = engine.scan
    articles = matches = 0
    elapsed = 0.0
    start = time.perf_counter()
    for text in texts:
        matches += len(scan(text))
        articles += 1
        elapsed = time.perf_counter() - start
        if elapsed >= max_seconds:
            break
    return articles, matches, elapsed


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run(args: argparse.Namespace) -> dict[str, Any]:
    engine_class = ENGINE_CLASSES[args.engine]
    patterns = load_gazetteer(args.gazetteer)
    engine, build_seconds = build(engine_class, patterns)
    texts, sizes = load_corpus(args.corpus)
    if args.spans is not None:
        write_spans(engine, texts[: args.spans_articles], args.spans)
    articles, matches, scan_seconds = timed_scan(engine, texts, args.max_seconds)
    return {
        "engine": engine_class.name,
        "version": importlib.metadata.version(engine_class.dist),
        "patterns": len(patterns),
        "build_seconds": round(build_seconds, 6),
        "articles": articles,
        "bytes": sum(sizes[:articles]),
        "scan_seconds": round(scan_seconds, 6),
        "matches": matches,
        "threads": 1,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def positive_float(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {value}")
    return number


def non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return number


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run a Python peer engine of the gazetteer bench; prints one JSON line."
    )
    parser.add_argument("engine", choices=ENGINES)
    parser.add_argument("--gazetteer", required=True, help="TSV: text, concept_id, kind")
    parser.add_argument("--corpus", required=True, help="JSON Lines articles")
    parser.add_argument(
        "--max-seconds",
        type=positive_float,
        default=float("inf"),
        help="stop the timed pass after the article during which this much time elapsed",
    )
    parser.add_argument("--spans", help="write the matches of the first articles to this TSV")
    parser.add_argument(
        "--spans-articles",
        type=non_negative_int,
        default=DEFAULT_SPANS_ARTICLES,
        help=f"articles in the --spans pass (default {DEFAULT_SPANS_ARTICLES})",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse_args(argv)  # exits with status 2 on a bad command line
    try:
        result = run(args)
    except InputError as e:
        print(f"peers.py {args.engine}: {e}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
