//! Issue 7 bench peer: the `aho-corasick` crate run over the shared gazetteer
//! and corpus (contract: bench peer command line in the issue 7 bench notes).
//!
//! ```text
//! tagwire-peer-aho --gazetteer G.tsv --corpus C.jsonl [--max-seconds S]
//!                  [--spans OUT.tsv] [--spans-articles K] [--threads N]
//!                  [--ac-kind auto|dfa|contiguous-nfa|noncontiguous-nfa]
//! ```
//!
//! Matching policy (shared by every peer):
//! * ASCII case-insensitive (the crate's `ascii_case_insensitive(true)`; non-ASCII
//!   letters must match exactly, which is what the library offers);
//! * `MatchKind::LeftmostLongest`, non-overlapping;
//! * then whole words only: the char just before the match and the char just
//!   after it (when present) must not be `char::is_alphanumeric()` or `'_'`.
//!   aho-corasick has no boundary rule of its own, so this filter is ours.
//!
//! All offsets are byte offsets into `title + "\n" + body`, which is exactly
//! what the crate reports, so no conversion happens anywhere.
//!
//! Only the JSON result line goes to stdout; errors go to stderr with exit 2.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

const ENGINE: &str = "aho-corasick";

/// The Cargo.lock this binary was built from (`--locked` guarantees it is the
/// one in the repository); the reported version is read from it so it can
/// never drift from the crate actually linked.
const CARGO_LOCK: &str = include_str!("../Cargo.lock");

/// Version of the `aho-corasick` package recorded in a Cargo.lock text.
fn locked_version(lock: &str, package: &str) -> Option<String> {
    let want = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == want {
            let next = lines.next()?.trim();
            let v = next.strip_prefix("version = \"")?.strip_suffix('"')?;
            return Some(v.to_string());
        }
    }
    None
}

/// A user-facing error: printed on stderr, exit status 2.
#[derive(Debug)]
struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, Error> {
    Err(Error(msg.into()))
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

#[derive(Debug)]
struct Args {
    gazetteer: String,
    corpus: String,
    max_seconds: Option<f64>,
    spans: Option<String>,
    spans_articles: usize,
    threads: usize,
    kind: Option<AhoCorasickKind>,
}

const USAGE: &str = "usage: tagwire-peer-aho --gazetteer G.tsv --corpus C.jsonl \
[--max-seconds S] [--spans OUT.tsv] [--spans-articles K] [--threads N] \
[--ac-kind auto|dfa|contiguous-nfa|noncontiguous-nfa]";

fn parse_args(argv: &[String]) -> Result<Args, Error> {
    let mut gazetteer = None;
    let mut corpus = None;
    let mut max_seconds = None;
    let mut spans = None;
    let mut spans_articles = 500usize;
    let mut threads = 1usize;
    let mut kind = DEFAULT_KIND;
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        // Accept both "--flag value" and "--flag=value".
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (flag.as_str(), None),
        };
        if name == "-h" || name == "--help" {
            return err(USAGE);
        }
        let mut value = || -> Result<String, Error> {
            match inline.clone().or_else(|| it.next().cloned()) {
                Some(v) => Ok(v),
                None => err(format!("{name} needs a value\n{USAGE}")),
            }
        };
        match name {
            "--gazetteer" => gazetteer = Some(value()?),
            "--corpus" => corpus = Some(value()?),
            "--spans" => spans = Some(value()?),
            "--max-seconds" => {
                let v = value()?;
                match v.parse::<f64>() {
                    Ok(s) if s.is_finite() && s >= 0.0 => max_seconds = Some(s),
                    _ => return err(format!("--max-seconds: not a non-negative number: {v:?}")),
                }
            }
            "--spans-articles" => {
                let v = value()?;
                spans_articles = v
                    .parse()
                    .map_err(|_| Error(format!("--spans-articles: not a count: {v:?}")))?;
            }
            "--threads" => {
                let v = value()?;
                match v.parse::<usize>() {
                    Ok(n) if n >= 1 => threads = n,
                    _ => return err(format!("--threads: not a positive integer: {v:?}")),
                }
            }
            "--ac-kind" => {
                let v = value()?;
                kind = match v.as_str() {
                    "auto" => None,
                    "dfa" => Some(AhoCorasickKind::DFA),
                    "contiguous-nfa" => Some(AhoCorasickKind::ContiguousNFA),
                    "noncontiguous-nfa" => Some(AhoCorasickKind::NoncontiguousNFA),
                    _ => return err(format!("--ac-kind: unknown kind {v:?}\n{USAGE}")),
                };
            }
            _ => return err(format!("unknown argument {flag:?}\n{USAGE}")),
        }
    }
    let Some(gazetteer) = gazetteer else {
        return err(format!("--gazetteer is required\n{USAGE}"));
    };
    let Some(corpus) = corpus else {
        return err(format!("--corpus is required\n{USAGE}"));
    };
    Ok(Args {
        gazetteer,
        corpus,
        max_seconds,
        spans,
        spans_articles,
        threads,
        kind,
    })
}

// ---------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------

/// The deduplicated gazetteer: pattern `i` is `patterns[i]`, whose concept is
/// `concepts[pattern_concept[i]]`.
#[derive(Debug, Default)]
struct Gazetteer {
    patterns: Vec<String>,
    pattern_concept: Vec<u32>,
    concepts: Vec<String>,
}

/// Parse gazetteer TSV text (`text<TAB>concept_id<TAB>kind`, kind `entity` or
/// `keyword`). Texts equal up to ASCII case are one pattern (the matcher is
/// ASCII case-insensitive, so keeping both would only add ambiguity); the
/// first line's concept wins. Empty lines are skipped; `\r\n` is accepted.
fn parse_gazetteer(data: &[u8], path: &str) -> Result<Gazetteer, Error> {
    use std::collections::hash_map::Entry;
    use std::collections::{HashMap, HashSet};

    let mut g = Gazetteer::default();
    let mut concept_ids: HashMap<String, u32> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (i, raw) in data.split(|&b| b == b'\n').enumerate() {
        let lineno = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.is_empty() {
            continue;
        }
        let Ok(line) = std::str::from_utf8(raw) else {
            return err(format!(
                "{path}:{lineno}: malformed gazetteer line: not valid UTF-8"
            ));
        };
        let fields: Vec<&str> = line.split('\t').collect();
        let [text, concept, kind] = fields[..] else {
            return err(format!(
                "{path}:{lineno}: malformed gazetteer line: expected 3 tab-separated \
                 fields (text, concept_id, kind), got {}",
                fields.len()
            ));
        };
        if text.is_empty() {
            return err(format!(
                "{path}:{lineno}: malformed gazetteer line: empty text"
            ));
        }
        if concept.is_empty() {
            return err(format!(
                "{path}:{lineno}: malformed gazetteer line: empty concept_id"
            ));
        }
        if kind != "entity" && kind != "keyword" {
            return err(format!(
                "{path}:{lineno}: malformed gazetteer line: kind must be entity or keyword, \
                 got {kind:?}"
            ));
        }
        if !seen.insert(text.to_ascii_lowercase()) {
            continue;
        }
        let next = g.concepts.len();
        let cid = match concept_ids.entry(concept.to_string()) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let id =
                    u32::try_from(next).map_err(|_| Error(format!("{path}: too many concepts")))?;
                g.concepts.push(concept.to_string());
                *e.insert(id)
            }
        };
        g.patterns.push(text.to_string());
        g.pattern_concept.push(cid);
    }
    if g.patterns.is_empty() {
        return err(format!("{path}: gazetteer has no patterns"));
    }
    Ok(g)
}

fn read_file(path: &str, what: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error(format!("{path}: cannot read {what}: {e}")))
}

/// The fields of a corpus line this peer uses; others ("id", "lang",
/// "planted", ...) are ignored.
#[derive(serde::Deserialize)]
struct ArticleIn {
    title: String,
    body: String,
}

/// Read a corpus JSONL stream into article texts (`title + "\n" + body`).
/// Empty lines are skipped; any other line must be a JSON object with string
/// fields "title" and "body".
fn parse_corpus(reader: impl BufRead, path: &str) -> Result<Vec<String>, Error> {
    let mut reader = reader;
    let mut texts = Vec::new();
    let mut buf = Vec::new();
    let mut lineno = 0usize;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Error(format!("{path}: read error: {e}")))?;
        if n == 0 {
            break;
        }
        lineno += 1;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let a: ArticleIn = serde_json::from_slice(line).map_err(|e| {
            // serde_json appends "at line 1 column C" (of this one line);
            // report the file's line and the column instead.
            let msg = e.to_string();
            let msg = msg.rfind(" at line ").map_or(msg.as_str(), |i| &msg[..i]);
            Error(format!(
                "{path}:{lineno}: bad corpus JSON (column {}): {msg}",
                e.column()
            ))
        })?;
        let mut text = String::with_capacity(a.title.len() + 1 + a.body.len());
        text.push_str(&a.title);
        text.push('\n');
        text.push_str(&a.body);
        texts.push(text);
    }
    Ok(texts)
}

fn open_corpus(path: &str) -> Result<File, Error> {
    File::open(path).map_err(|e| Error(format!("{path}: cannot read corpus: {e}")))
}

// ---------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------

/// Which automaton the builder makes: `None`, the crate's default, which
/// picks a DFA only for <= 100 patterns and otherwise a contiguous NFA. We
/// keep the default because it is both what a normal user gets and the
/// fastest choice on a real gazetteer. Measured on the default taxonomy
/// (148,521 patterns) over a 50 MB synthetic corpus, one thread:
///   contiguous NFA (= auto):  build 1.2 s,  15.6 MiB,  scan 1.7 s
///   noncontiguous NFA:        build 1.2 s,  36.6 MiB,  scan 4.4 s
///   DFA:                      build 5.9 s, 773.0 MiB,  scan 2.8 s
/// (the DFA's table no longer fits in cache, so it loses to the NFA).
/// `--ac-kind` (not part of the peer contract) overrides it for such checks.
const DEFAULT_KIND: Option<AhoCorasickKind> = None;

fn build_matcher(patterns: &[String], kind: Option<AhoCorasickKind>) -> Result<AhoCorasick, Error> {
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostLongest)
        .ascii_case_insensitive(true)
        .kind(kind)
        // Prefilter: left at the default (on). With many thousands of
        // patterns the crate builds none (its start-byte / rare-byte / packed
        // prefilters only apply to a few patterns or to a few distinct
        // bytes), so it costs nothing here; a small gazetteer still gets it,
        // as any user of the crate would.
        .prefilter(true)
        .build(patterns)
        .map_err(|e| Error(format!("cannot build the aho-corasick matcher: {e}")))
}

/// One reported match: byte offsets into the article text (half-open) and the
/// index of the concept in `Gazetteer::concepts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    concept: u32,
}

/// The shared policy's word characters.
#[inline]
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `text[start..end]` is a whole word: the char just before and the
/// char just after (when present) are not word characters. `start` and `end`
/// must be char boundaries, which every match is: the patterns are valid
/// UTF-8 and ASCII case folding maps ASCII bytes to ASCII bytes only.
#[inline]
fn is_whole_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
}

/// Scan one article: leftmost-longest non-overlapping matches, then the
/// whole-word filter. `out` is cleared first and reused across calls, so the
/// steady state allocates nothing.
#[inline]
fn scan_article(ac: &AhoCorasick, pattern_concept: &[u32], text: &str, out: &mut Vec<Span>) {
    out.clear();
    for m in ac.find_iter(text) {
        let (start, end) = (m.start(), m.end());
        if is_whole_word(text, start, end) {
            out.push(Span {
                start,
                end,
                concept: pattern_concept[m.pattern().as_usize()],
            });
        }
    }
}

/// Sums over the articles one worker scanned.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    articles: u64,
    bytes: u64,
    matches: u64,
}

/// The state the timed workers share: the next article to take and the stop
/// flag raised once the deadline has passed.
struct Shared<'a> {
    ac: &'a AhoCorasick,
    pattern_concept: &'a [u32],
    texts: &'a [String],
    next: AtomicUsize,
    stop: AtomicBool,
    deadline: Option<Instant>,
}

/// One worker of the timed pass: take articles in corpus order from the
/// shared counter until the corpus ends or the deadline has passed (the
/// article during which it passed is finished and counted).
fn worker(sh: &Shared<'_>) -> Totals {
    let mut t = Totals::default();
    let mut spans: Vec<Span> = Vec::with_capacity(256);
    while !sh.stop.load(Ordering::Relaxed) {
        let i = sh.next.fetch_add(1, Ordering::Relaxed);
        let Some(text) = sh.texts.get(i) else { break };
        scan_article(sh.ac, sh.pattern_concept, text, &mut spans);
        t.articles += 1;
        t.bytes += text.len() as u64;
        t.matches += spans.len() as u64;
        if let Some(d) = sh.deadline {
            if Instant::now() >= d {
                sh.stop.store(true, Ordering::Relaxed);
            }
        }
    }
    t
}

/// The timed pass over `texts` with `threads` workers; returns the summed
/// totals and the wall time of the pass.
fn timed_pass(
    ac: &AhoCorasick,
    pattern_concept: &[u32],
    texts: &[String],
    threads: usize,
    max_seconds: Option<f64>,
) -> (Totals, Duration) {
    let t0 = Instant::now();
    let sh = Shared {
        ac,
        pattern_concept,
        texts,
        next: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        deadline: max_seconds.map(|s| t0 + Duration::from_secs_f64(s)),
    };
    let parts: Vec<Totals> = if threads == 1 {
        vec![worker(&sh)]
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads).map(|_| s.spawn(|| worker(&sh))).collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("scan worker panicked"))
                .collect()
        })
    };
    let wall = t0.elapsed();
    let mut sum = Totals::default();
    for p in parts {
        sum.articles += p.articles;
        sum.bytes += p.bytes;
        sum.matches += p.matches;
    }
    (sum, wall)
}

/// The untimed spans pass: every reported match of the first `k` articles as
/// `article_index<TAB>start<TAB>end<TAB>concept_id`.
fn write_spans(
    path: &str,
    ac: &AhoCorasick,
    g: &Gazetteer,
    texts: &[String],
    k: usize,
) -> Result<(), Error> {
    let io_err = |e: io::Error| Error(format!("{path}: cannot write spans: {e}"));
    let f = File::create(path).map_err(io_err)?;
    let mut w = BufWriter::new(f);
    let mut spans = Vec::new();
    for (i, text) in texts.iter().take(k).enumerate() {
        scan_article(ac, &g.pattern_concept, text, &mut spans);
        for s in &spans {
            writeln!(
                w,
                "{i}\t{}\t{}\t{}",
                s.start, s.end, g.concepts[s.concept as usize]
            )
            .map_err(io_err)?;
        }
    }
    w.flush().map_err(io_err)
}

/// Peak resident set size in MiB (VmHWM), or 0 if unavailable.
fn peak_rss_mb() -> f64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0.0;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

// ---------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------

/// The one JSON line on stdout, fields in the contract's order.
#[derive(serde::Serialize)]
struct Report {
    engine: &'static str,
    version: String,
    patterns: usize,
    build_seconds: f64,
    articles: u64,
    bytes: u64,
    scan_seconds: f64,
    matches: u64,
    threads: usize,
    peak_rss_mb: f64,
}

fn run(args: &Args) -> Result<Report, Error> {
    let version = locked_version(CARGO_LOCK, "aho-corasick")
        .ok_or_else(|| Error("aho-corasick missing from the embedded Cargo.lock".into()))?;

    // 1. Gazetteer and matcher; build_seconds times the automaton build only
    //    (parsing and deduplicating the TSV is input loading).
    // Open the corpus first so a missing file fails before a long build.
    let corpus = open_corpus(&args.corpus)?;
    let g = parse_gazetteer(&read_file(&args.gazetteer, "gazetteer")?, &args.gazetteer)?;
    let t0 = Instant::now();
    let ac = build_matcher(&g.patterns, args.kind)?;
    let build_seconds = t0.elapsed().as_secs_f64();
    eprintln!(
        "aho-corasick {version}: {} patterns, {} concepts, kind {:?}, {:.1} MiB automaton, \
         built in {build_seconds:.3}s",
        g.patterns.len(),
        g.concepts.len(),
        ac.kind(),
        ac.memory_usage() as f64 / (1024.0 * 1024.0)
    );

    // 2. Corpus (not timed).
    let texts = parse_corpus(BufReader::with_capacity(1 << 20, corpus), &args.corpus)?;

    // 3. Spans (untimed).
    if let Some(path) = &args.spans {
        write_spans(path, &ac, &g, &texts, args.spans_articles)?;
    }

    // 4. Timed pass.
    let (t, wall) = timed_pass(
        &ac,
        &g.pattern_concept,
        &texts,
        args.threads,
        args.max_seconds,
    );

    Ok(Report {
        engine: ENGINE,
        version,
        patterns: g.patterns.len(),
        build_seconds,
        articles: t.articles,
        bytes: t.bytes,
        scan_seconds: wall.as_secs_f64(),
        matches: t.matches,
        threads: args.threads,
        peak_rss_mb: peak_rss_mb(),
    })
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = parse_args(&argv).and_then(|a| run(&a));
    match result {
        Ok(report) => {
            let line = serde_json::to_string(&report).expect("report serializes");
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tagwire-peer-aho: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaz(tsv: &str) -> Gazetteer {
        parse_gazetteer(tsv.as_bytes(), "g.tsv").expect("valid gazetteer")
    }

    /// (matched text, concept id) for every reported match in `text`.
    fn matches(g: &Gazetteer, text: &str) -> Vec<(String, String)> {
        let ac = build_matcher(&g.patterns, DEFAULT_KIND).unwrap();
        let mut out = Vec::new();
        scan_article(&ac, &g.pattern_concept, text, &mut out);
        out.iter()
            .map(|s| {
                (
                    text[s.start..s.end].to_string(),
                    g.concepts[s.concept as usize].clone(),
                )
            })
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn boundary_filter() {
        let t = "York";
        assert!(is_whole_word(t, 0, 4));
        assert!(is_whole_word(" York.", 1, 5));
        assert!(is_whole_word("(York)", 1, 5));
        assert!(is_whole_word("-York'", 1, 5));
        assert!(!is_whole_word("Yorkshire", 0, 4));
        assert!(!is_whole_word("NewYork", 3, 7));
        assert!(!is_whole_word("York2", 0, 4));
        assert!(!is_whole_word("_York", 1, 5));
        assert!(!is_whole_word("York_", 0, 4));
        // Non-ASCII word characters on either side (multi-byte decode).
        assert!(!is_whole_word("éYork", 2, 6));
        assert!(!is_whole_word("Yorkä", 0, 4));
        assert!(!is_whole_word("東York", 3, 7));
        // Non-ASCII non-word characters are boundaries.
        assert!(is_whole_word("«York»", 2, 6));
        assert!(is_whole_word("\u{2014}York\u{2014}", 3, 7));
        // A match that itself ends in a multi-byte char.
        assert!(is_whole_word("in Zürich.", 3, 10));
        assert!(!is_whole_word("Zürichs", 0, 7));
    }

    #[test]
    fn brief_example_new_york() {
        let g = gaz("New York\tc1\tentity\nYork\tc2\tentity\nnew york city\tc3\tentity\n");
        assert_eq!(
            matches(&g, "NEW YORK CITY and Yorkshire and York."),
            pairs(&[("NEW YORK CITY", "c3"), ("York", "c2")])
        );
    }

    #[test]
    fn leftmost_longest_selection() {
        let g = gaz(
            "New York\tc1\tentity\nNew York City\tc3\tentity\nYork City Council\tc4\tentity\n\
             death toll\tt1\tkeyword\ntoll\tt2\tkeyword\n",
        );
        // Same start: the longer wins.
        assert_eq!(
            matches(&g, "New York City."),
            pairs(&[("New York City", "c3")])
        );
        // Earlier start wins over a longer overlapping match starting later.
        assert_eq!(
            matches(&g, "New York City Council"),
            pairs(&[("New York City", "c3")])
        );
        // Non-overlapping: "toll" inside "death toll" is not reported again.
        assert_eq!(
            matches(&g, "The DEATH TOLL rose; a toll road."),
            pairs(&[("DEATH TOLL", "t1"), ("toll", "t2")])
        );
        // The whole-word filter runs after selection: a leftmost-longest
        // match that fails it is dropped, not replaced by a shorter one.
        assert_eq!(matches(&g, "New York Cityscape"), pairs(&[]));
    }

    #[test]
    fn ascii_case_insensitive_only() {
        let g = gaz("Zürich\tz\tentity\nU.S.\tus\tentity\n");
        assert_eq!(
            matches(&g, "ZüRICH, u.s."),
            pairs(&[("ZüRICH", "z"), ("u.s.", "us")])
        );
        // The crate folds ASCII only: Ü does not match ü.
        assert_eq!(matches(&g, "ZÜRICH"), pairs(&[]));
    }

    #[test]
    fn offsets_are_bytes() {
        let g = gaz("München\tm\tentity\n");
        let ac = build_matcher(&g.patterns, DEFAULT_KIND).unwrap();
        let mut out = Vec::new();
        scan_article(&ac, &g.pattern_concept, "Zürich–München", &mut out);
        assert_eq!(
            out,
            vec![Span {
                start: 10,
                end: 18,
                concept: 0
            }]
        );
    }

    #[test]
    fn every_kind_agrees() {
        let g = gaz("New York\tc1\tentity\nYork\tc2\tentity\nnew york city\tc3\tentity\n");
        let text = "NEW YORK CITY and Yorkshire and York. new york";
        let mut want = None;
        for kind in [
            None,
            Some(AhoCorasickKind::DFA),
            Some(AhoCorasickKind::ContiguousNFA),
            Some(AhoCorasickKind::NoncontiguousNFA),
        ] {
            let ac = build_matcher(&g.patterns, kind).unwrap();
            let mut out = Vec::new();
            scan_article(&ac, &g.pattern_concept, text, &mut out);
            match &want {
                None => want = Some(out),
                Some(w) => assert_eq!(w, &out, "{kind:?}"),
            }
        }
        assert_eq!(want.unwrap().len(), 3);
    }

    #[test]
    fn gazetteer_dedupes_ascii_case_keeping_first_concept() {
        let g =
            gaz("Apple\tc1\tentity\n\napple\tc2\tentity\r\nAPPLE\tc1\tentity\nPear\tc2\tkeyword");
        assert_eq!(g.patterns, vec!["Apple", "Pear"]);
        assert_eq!(g.concepts, vec!["c1", "c2"]);
        assert_eq!(g.pattern_concept, vec![0, 1]);
        assert_eq!(
            matches(&g, "an APPLE and a pear"),
            pairs(&[("APPLE", "c1"), ("pear", "c2")])
        );
    }

    #[test]
    fn gazetteer_errors_name_file_and_line() {
        let e = |tsv: &[u8]| parse_gazetteer(tsv, "g.tsv").unwrap_err().0;
        assert!(e(b"ok\tc\tentity\nbad line\tc\n").starts_with("g.tsv:2: malformed"));
        assert!(e(b"ok\tc\tentity\nx\tc\tentity\textra\n").starts_with("g.tsv:2: malformed"));
        assert!(e(b"\n\nx\tc\tregex\n").starts_with("g.tsv:3: malformed"));
        assert!(e(b"\tc\tentity\n").starts_with("g.tsv:1: malformed"));
        assert!(e(b"x\t\tentity\n").starts_with("g.tsv:1: malformed"));
        assert!(e(b"ok\tc\tentity\n\xff\tc\tentity\n").starts_with("g.tsv:2: malformed"));
        assert!(e(b"\n").contains("no patterns"));
    }

    #[test]
    fn corpus_text_and_errors() {
        let ok = b"{\"id\":\"a1\",\"title\":\"T\",\"body\":\"B b\",\"planted\":[[0,1,\"c\"]]}\n\n\
                   {\"title\":\"\",\"body\":\"x\"}";
        let texts = parse_corpus(&ok[..], "c.jsonl").unwrap();
        assert_eq!(texts, vec!["T\nB b", "\nx"]);
        let e = |j: &[u8]| parse_corpus(j, "c.jsonl").unwrap_err().0;
        assert!(
            e(b"{\"title\":\"a\",\"body\":\"b\"}\n{\"title\": 1,\"body\":\"b\"}\n")
                .starts_with("c.jsonl:2: bad corpus JSON")
        );
        let missing = e(b"{\"title\":\"a\"}\n");
        assert!(
            missing.starts_with("c.jsonl:1: bad corpus JSON"),
            "{missing}"
        );
        assert!(missing.contains("missing field `body`"), "{missing}");
        assert!(!missing.contains(" at line "), "{missing}");
        assert!(e(b"\n{\"title\":\"a\",\n").starts_with("c.jsonl:2: bad corpus JSON"));
    }

    #[test]
    fn version_comes_from_cargo_lock() {
        let v = locked_version(CARGO_LOCK, "aho-corasick").unwrap();
        assert!(v.starts_with("1."), "{v}");
        assert_eq!(locked_version(CARGO_LOCK, "no-such-package"), None);
    }

    #[test]
    fn args() {
        let a = |v: &[&str]| parse_args(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let ok = a(&["--gazetteer", "g", "--corpus=c"]).unwrap();
        assert_eq!((ok.gazetteer.as_str(), ok.corpus.as_str()), ("g", "c"));
        assert_eq!(
            (ok.threads, ok.spans_articles, ok.max_seconds),
            (1, 500, None)
        );
        assert!(a(&["--corpus", "c"]).is_err());
        assert!(a(&["--gazetteer", "g", "--corpus", "c", "--threads", "0"]).is_err());
        assert!(a(&["--gazetteer", "g", "--corpus", "c", "--max-seconds", "-1"]).is_err());
        assert!(a(&["--gazetteer", "g", "--corpus", "c", "--bogus"]).is_err());
        assert!(a(&["--gazetteer", "g", "--corpus"]).is_err());
        let t = a(&[
            "--gazetteer",
            "g",
            "--corpus",
            "c",
            "--threads",
            "3",
            "--max-seconds",
            "2.5",
        ])
        .unwrap();
        assert_eq!((t.threads, t.max_seconds), (3, Some(2.5)));
    }

    #[test]
    fn timed_pass_threads_and_deadline() {
        let g = gaz("New York\tc1\tentity\nYork\tc2\tentity\nnew york city\tc3\tentity\n");
        let ac = build_matcher(&g.patterns, DEFAULT_KIND).unwrap();
        let texts: Vec<String> = (0..1000)
            .map(|i| format!("Article {i}\nNew York and York{} and york.", i % 3))
            .collect();
        let (one, _) = timed_pass(&ac, &g.pattern_concept, &texts, 1, None);
        let (four, _) = timed_pass(&ac, &g.pattern_concept, &texts, 4, None);
        assert_eq!(one.articles, 1000);
        assert_eq!(one.matches, 2000);
        let total: usize = texts.iter().map(String::len).sum();
        assert_eq!(one.bytes, total as u64);
        assert_eq!(
            (four.articles, four.bytes, four.matches),
            (one.articles, one.bytes, one.matches)
        );
        // A zero budget stops each worker after its first article.
        let (z, _) = timed_pass(&ac, &g.pattern_concept, &texts, 1, Some(0.0));
        assert_eq!(z.articles, 1);
        let (z4, _) = timed_pass(&ac, &g.pattern_concept, &texts, 4, Some(0.0));
        assert!((1..=4).contains(&z4.articles), "{}", z4.articles);
    }
}
