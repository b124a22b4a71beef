"""End-to-end tests of the `tagwire` CLI: the examples/ articles are tagged
correctly, bad input gets the documented exit codes and messages, and the
compiled cache makes a warm start. Standard library only; run by ctest as
`python3 tests/cli_test.py --tagwire build/service/tagwire`."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
STARTER = os.path.join(ROOT, "data", "starter.jsonl")
DEFAULT = os.path.join(ROOT, "data", "default.jsonl.gz")
TAGWIRE = None  # set from the command line


def run(*args, stdin=None, env=None):
    return subprocess.run(
        [TAGWIRE, *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        # The starter taxonomy unless a test says otherwise: these tests are
        # about the CLI; DefaultTaxonomyTest covers the default one.
        env={**os.environ, "TAGWIRE_TAXONOMY": STARTER, **(env or {})},
    )


class TempCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.cache = os.path.join(self.tmp.name, "cache")

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, data):
        path = os.path.join(self.tmp.name, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path


class ExamplesTest(TempCase):
    def test_examples_are_tagged_as_expected(self):
        with open(os.path.join(EXAMPLES, "expected.json")) as f:
            expected = json.load(f)
        files = [os.path.join(EXAMPLES, e["file"]) for e in expected]
        result = run("tag", "--cache-dir", self.cache, *files)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        lines = result.stdout.decode().splitlines()
        self.assertEqual(len(lines), len(expected))
        for want, line in zip(expected, lines):
            tagged = json.loads(line)
            with self.subTest(file=want["file"]):
                self.assertEqual(tagged["id"], want["file"])
                self.assertRegex(tagged["taxonomyVersion"], "^[0-9a-f]{16}$")
                found = {t["conceptId"]: t for t in tagged.get("tags", [])}
                topics = {t["conceptId"] for t in tagged.get("topics", [])}
                for concept in want["must_tag"]:
                    self.assertIn(concept, found)
                for concept in want.get("must_not_tag", []):
                    self.assertNotIn(concept, found)
                for topic in want.get("topics", []):
                    self.assertIn(topic, topics)
                for concept, count in want.get("mention_counts", {}).items():
                    self.assertEqual(found[concept]["count"], count, concept)
                for tag in found.values():
                    self.assertGreaterEqual(tag["score"], 0.0)
                    self.assertLessEqual(tag["score"], 1.0)
                    self.assertEqual(tag["count"], len(tag["mentions"]))

    def test_mention_offsets_slice_the_original_text(self):
        path = os.path.join(EXAMPLES, "08-tokyo-athletics-cjk.txt")
        result = run("tag", "--cache-dir", "", "--offsets", "code-points,utf16", path)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        tagged = json.loads(result.stdout)
        with open(path, "rb") as f:
            raw = f.read()
        title, _, rest = raw.partition(b"\n")
        body = rest.lstrip(b"\r\n")
        checked = 0
        for tag in tagged["tags"]:
            for m in tag["mentions"]:
                text = title.strip() if m["field"] == "FIELD_TITLE" else body
                start, end = m.get("byteStart", 0), m["byteEnd"]
                self.assertEqual(text[start:end].decode(), m["text"])
                decoded = text.decode()
                cp_start = m.get("codePointStart", 0)
                self.assertEqual(decoded[cp_start : m["codePointEnd"]], m["text"])
                u16 = decoded.encode("utf-16-le")
                self.assertEqual(
                    u16[2 * m.get("utf16Start", 0) : 2 * m["utf16End"]].decode("utf-16-le"),
                    m["text"],
                )
                checked += 1
        self.assertGreater(checked, 0)

    def test_json_lines_on_stdin_with_filters(self):
        article = {
            "id": "a1",
            "source": "wire",
            "version": 2,
            "title": "NATO LEADERS MEET IN BRUSSELS",
            "body": "Leaders met in Brussels and Kyiv. The weather was nice.",
        }
        result = run(
            "tag",
            "--cache-dir",
            "",
            "--kinds",
            "LOCATION",
            "--explain",
            stdin=(json.dumps(article) + "\n").encode(),
        )
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        tagged = json.loads(result.stdout)
        self.assertEqual(tagged["id"], "a1")
        self.assertEqual(tagged["source"], "wire")
        self.assertEqual(tagged["version"], "2")  # int64 is a string in proto3 JSON
        kinds = {t["kind"] for t in tagged["tags"]}
        self.assertEqual(kinds, {"CONCEPT_KIND_LOCATION"})
        self.assertNotIn("topics", tagged)
        self.assertTrue(all(t["explanation"] for t in tagged["tags"]))


class BadInputTest(TempCase):
    def test_invalid_utf8_article_is_rejected_with_reason(self):
        path = self.write("bad.txt", b"Title\n\nBody with \xff byte in Kyiv")
        good = self.write("good.txt", "Title\n\nBody about Kyiv")
        result = run("tag", "--cache-dir", "", path, good)
        self.assertEqual(result.returncode, 2)
        self.assertIn("BODY_NOT_UTF8", result.stderr.decode())
        self.assertIn("offset 10", result.stderr.decode())
        # The good article after the bad one is still tagged.
        self.assertEqual(len(result.stdout.decode().splitlines()), 1)

    def test_empty_body_and_bad_json_line(self):
        lines = b'{"id":"1","body":"   "}\n{"id":2}\nnot json\n{"id":"4","body":"Kyiv"}\n'
        result = run("tag", "--cache-dir", "", stdin=lines)
        self.assertEqual(result.returncode, 2)
        err = result.stderr.decode()
        self.assertIn("<stdin>:1: EMPTY_BODY", err)
        self.assertIn("<stdin>:2: 'id' must be a string", err)
        self.assertIn("<stdin>:3: invalid JSON", err)
        self.assertEqual(len(result.stdout.decode().splitlines()), 1)

    def test_bad_taxonomy_reports_file_and_line(self):
        path = self.write(
            "bad.jsonl",
            '{"id":"a","kind":"PERSON","name":"A B"}\n{"id":"b","kind":"PLANET","name":"Mars"}\n',
        )
        for command in (["tag", "--cache-dir", ""], ["check-taxonomy"], ["compile"]):
            result = run(*command, "--taxonomy", path, stdin=b"")
            self.assertEqual(result.returncode, 2, command)
            self.assertIn(f"{path}:2: unknown kind 'PLANET'", result.stderr.decode())

    def test_regex_rejected_by_hyperscan_names_its_line(self):
        path = self.write(
            "regex.jsonl",
            '{"id":"t","kind":"TOPIC","name":"t","rules":[{"keyword":"x"}]}\n'
            '{"id":"u","kind":"TOPIC","name":"u","rules":[{"regex":"(a)\\\\1"}]}\n',
        )
        result = run("check-taxonomy", path)
        self.assertEqual(result.returncode, 2)
        self.assertIn(f"{path}:2: regex /(a)\\1/ rejected by Hyperscan", result.stderr.decode())

    def test_json_lines_accept_proto_json_fields_and_a_bom(self):
        path = self.write(
            "articles.jsonl",
            "\ufeff"
            + json.dumps(
                {
                    "id": "x",
                    "version": "3",
                    "published_time": "2026-11-23T15:00:00Z",
                    "body": "Kyiv",
                }
            )
            + "\n",
        )
        result = run("tag", "--cache-dir", "", path)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(json.loads(result.stdout)["version"], "3")
        bad = self.write("bad.jsonl", '{"id":"y","body":"Kyiv","published_time":"yesterday"}\n')
        result = run("tag", "--cache-dir", "", bad)
        self.assertEqual(result.returncode, 2)
        self.assertIn("RFC 3339", result.stderr.decode())

    def test_directories_and_headline_only_files(self):
        directory = os.path.join(self.tmp.name, "d.jsonl")
        os.mkdir(directory)
        result = run("tag", "--cache-dir", "", directory)
        self.assertEqual(result.returncode, 2)
        self.assertIn("Is a directory", result.stderr.decode())
        flash = self.write("flash.txt", "FLASH: EXPLOSIONS HEARD IN KYIV\n")
        result = run("tag", "--cache-dir", "", flash)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        [tag] = [t for t in json.loads(result.stdout)["tags"] if t["conceptId"] == "geo:703448"]
        self.assertTrue(tag["inTitle"])
        self.assertEqual(tag["mentions"][0]["field"], "FIELD_TITLE")

    def test_missing_files_and_usage(self):
        self.assertEqual(run("tag", "--taxonomy", "/nonexistent.jsonl").returncode, 2)
        missing = run("tag", "--cache-dir", "", "/nonexistent.txt")
        self.assertEqual(missing.returncode, 2)
        self.assertIn("/nonexistent.txt", missing.stderr.decode())
        self.assertEqual(run("frobnicate").returncode, 2)
        self.assertEqual(run("tag", "--bogus").returncode, 2)
        self.assertEqual(run("tag", "--min-score", "2").returncode, 2)
        self.assertEqual(run("tag", "--kinds=").returncode, 2)
        self.assertEqual(run("--help").returncode, 2)  # not a command
        self.assertEqual(run("tag", "--help").returncode, 0)


class DefaultTaxonomyTest(unittest.TestCase):
    """`tagwire tag` without --taxonomy or TAGWIRE_TAXONOMY: the default
    taxonomy (data/default.jsonl.gz), with resolution by context. One
    compiled cache for the class: the first test compiles (seconds), the
    others start warm."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def tag(self, title, body, *flags):
        env = {"TAGWIRE_TAXONOMY": "", "XDG_CACHE_HOME": self.tmp.name}
        article = json.dumps({"id": "d", "title": title, "body": body}) + "\n"
        result = run("tag", "--no-mentions", *flags, stdin=article.encode(), env=env)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return json.loads(result.stdout)

    def test_tag_without_taxonomy_uses_the_default_one(self):
        tagged = self.tag(
            "Zelenskyy visits Savannah",
            "SAVANNAH, Ga. (Tagwire News) \u2014 Volodymyr Zelensky toured the port of "
            "Savannah, Georgia, on Monday. Zelensky later flew to Kiev to discuss air defence "
            "against Russian missile and drone attacks.",
        )
        ids = {t["conceptId"] for t in tagged["tags"]}
        # Savannah GA, Georgia the US state (not the country), Kyiv (as
        # "Kiev"), Zelenskyy by a transliteration and his surname.
        self.assertLessEqual(
            {"geo:4221552", "geo:adm1:US.GA", "geo:703448", "per:volodymyr-zelenskyy"}, ids
        )
        self.assertNotIn("geo:614540", ids)  # Georgia the country
        # IPTC "conflict, war and peace" or one of its subtopics comes first.
        self.assertTrue(tagged["topics"][0]["iptcCode"].startswith("medtop:"), tagged["topics"])
        self.assertIn("medtop:16000000", {t["iptcCode"] for t in tagged["topics"]})

    def test_explain_lists_the_candidates(self):
        tagged = self.tag("", "Officials in Atlanta said Georgia would appeal.", "--explain")
        georgia = [t for t in tagged["tags"] if t["conceptId"] == "geo:adm1:US.GA"]
        self.assertEqual(len(georgia), 1, tagged["tags"])
        self.assertIn("geo:614540", georgia[0]["explanation"])

    def test_naive_baseline_ignores_context(self):
        tagged = self.tag("", "Officials in Atlanta said Georgia would appeal.", "--naive")
        ids = {t["conceptId"] for t in tagged["tags"]}
        self.assertIn("geo:614540", ids)


class TaxonomyToolsTest(TempCase):
    def test_check_taxonomy_reports_hygiene(self):
        path = self.write(
            "t.jsonl",
            '{"id":"geo:1","kind":"LOCATION","name":"Nice"}\n'
            '{"id":"geo:2","kind":"LOCATION","name":"Georgia"}\n'
            '{"id":"geo:3","kind":"LOCATION","name":"Georgia",'
            '"attributes":{"country_code":"US"}}\n',
        )
        result = run("check-taxonomy", path)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        out = result.stdout.decode()
        self.assertIn('alias "Nice" of geo:1 is also the common word "nice"', out)
        self.assertIn('alias "georgia" is shared by 2 concepts: geo:2 geo:3', out)
        self.assertIn("ok: 3 concepts", out)

    def test_starter_taxonomy_is_valid(self):
        result = run("check-taxonomy", STARTER)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertIn("ok: ", result.stdout.decode())

    def test_default_taxonomy_is_valid(self):
        result = run("check-taxonomy", DEFAULT)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertIn("ok: ", result.stdout.decode())

    def test_compile_writes_cache_and_warm_start_loads_it(self):
        first = run("compile", "--cache-dir", self.cache)
        self.assertEqual(first.returncode, 0, first.stderr.decode())
        self.assertIn("cache written to", first.stdout.decode())
        second = run("compile", "--cache-dir", self.cache)
        self.assertIn("loaded from cache", second.stdout.decode())
        # Corrupt the cache: it is detected, rebuilt, and results do not change.
        [name] = os.listdir(self.cache)
        path = os.path.join(self.cache, name)
        with open(path, "r+b") as f:
            f.seek(os.path.getsize(path) // 2)
            f.write(b"\x00garbage\x00")
        third = run("compile", "--cache-dir", self.cache)
        self.assertIn("checksum mismatch", third.stdout.decode())
        self.assertIn("cache written to", third.stdout.decode())
        article = os.path.join(EXAMPLES, "01-ukraine-grain.txt")
        warm = run("tag", "--cache-dir", self.cache, article)
        cold = run("tag", "--cache-dir", "", article)
        # (Map fields such as attributes.extra print in no fixed order.)
        self.assertEqual(json.loads(warm.stdout), json.loads(cold.stdout))

    def test_unwritable_cache_dir_still_tags(self):
        blocker = self.write("file", "not a directory")
        cache = os.path.join(blocker, "cache")
        article = os.path.join(EXAMPLES, "01-ukraine-grain.txt")
        tagged = run("tag", "--cache-dir", cache, article)
        self.assertEqual(tagged.returncode, 0, tagged.stderr.decode())
        self.assertEqual(len(tagged.stdout.decode().splitlines()), 1)
        # `compile` exists to write the cache: failing to is an error.
        result = run("compile", "--cache-dir", cache)
        self.assertEqual(result.returncode, 1)
        self.assertIn("cache not written", result.stdout.decode())
        self.assertEqual(run("compile", "--cache-dir", "").returncode, 2)

    def test_default_cache_dir_is_created(self):
        home = os.path.join(self.tmp.name, "home")
        os.mkdir(home)
        env = {"HOME": home, "XDG_CACHE_HOME": ""}
        first = run("compile", env=env)
        self.assertEqual(first.returncode, 0, first.stderr.decode())
        self.assertIn(os.path.join(home, ".cache", "tagwire"), first.stdout.decode())
        self.assertIn("loaded from cache", run("compile", env=env).stdout.decode())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--tagwire", required=True)
    args, rest = parser.parse_known_args()
    TAGWIRE = os.path.abspath(args.tagwire)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
