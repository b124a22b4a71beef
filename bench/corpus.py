"""Reproducible generator of news-style articles for tagwire's engine benchmarks.

Why: comparing tagging engines (tagwire against peer matchers) needs a corpus that looks
like wire copy: 2-10 KB stories with a headline, datelines, quotes and numbers, where place,
person and organization names and topic keywords occur at a realistic density and mix
(big countries and cities often, a long tail rarely, the story's main names repeated,
surnames and acronyms on repeat, demonyms), about 10% non-English and about 3% of the
English stories in ALL CAPS. The names come from the taxonomy the engines load, so the
generator also records the ground truth of what it inserted.

How: concepts and their aliases are read from the taxonomy (JSON Lines, gzip or plain).
Every story picks a topic area (politics, economy, conflict, ...), a cast (a main place,
country, people, organizations) and fills hand-written sentence templates whose slots
({P}, {PER}, {ORG}, {PCT}, ...) are rendered piece by piece, so the byte offset of every
inserted mention is known after the final casing. Topic keywords of the taxonomy's rules
that occur in the template text are planted too. A surface is only used for a concept
when that concept wins the surface in the taxonomy (largest population, then earliest
concept; a keyword is planted for the first topic that has it, unless it is also an
entity's name), so the ground truth agrees with a gazetteer that maps each text to one
concept. Mentions are always whole words: where a template
puts a name next to a letter (Chinese has no spaces), a space is inserted. Each article
has its own random generator seeded from (seed, index): the same seed gives the same
bytes, and a longer corpus starts with the same articles as a shorter one.

Output (JSON Lines, one article a line, the bench harness's corpus format):
  {"id": "a000001", "title": ..., "body": ..., "lang": "en",
   "planted": [[start, end, concept_id], ...]}
with byte offsets, half-open, into the UTF-8 encoding of title + "\\n" + body.

Run (from the repository root; standard library only, no network):
  python3 bench/corpus.py                       # 10,000 articles of 2-10 KB
  python3 bench/corpus.py --articles 2000 --fixed-bytes 5000 --out bench/out/corpus-5k.jsonl
  python3 bench/corpus.py --check               # then re-read the file and verify every span
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import sys
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TAXONOMY = REPO_ROOT / "data" / "default.jsonl.gz"
DEFAULT_OUT = REPO_ROOT / "bench" / "out" / "corpus.jsonl"
DEFAULT_SEED = 20261124

# Share of articles per language (the rest is English).
LANG_SHARES = {
    "de": 0.02,
    "fr": 0.02,
    "es": 0.02,
    "pt": 0.01,
    "ru": 0.015,
    "zh": 0.0075,
    "ar": 0.0075,
}
CAPS_SHARE = 0.03  # of English articles, written entirely in capitals (wire alerts)
FIXED_TOLERANCE = 0.03  # --fixed-bytes: every article within ±3%

# Names in these scripts are "native" for the ru, zh and ar articles.
SCRIPT_RES = {
    "ru": re.compile(r"[\u0400-\u04ff][\u0400-\u04ff '-]*"),
    "zh": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+"),
    "ar": re.compile(r"[\u0600-\u06ff][\u0600-\u06ff -]*"),
}
UKRAINIAN_LETTERS = re.compile("[ІіЇїЄєҐґ]")

WORD_RE = re.compile(r"\w+")
ACRONYM_RE = re.compile(r"^(?:[A-Z]\.){2,4}$|^[A-Z][A-Za-z]{1,6}$")


def is_word_char(ch: str) -> bool:
    """A word character of the benchmark's shared matching policy: alphanumeric or '_'."""
    return ch.isalnum() or ch == "_"


def fold(text: str) -> str:
    """Case folding used to decide which concept owns a surface text."""
    return text.casefold()


def native_name(surfaces: list[str], lang: str) -> str:
    """The first surface written in lang's script ("" if none); Russian avoids Ukrainian."""
    found = [s for s in surfaces if SCRIPT_RES[lang].fullmatch(s)]
    if lang == "ru":
        found.sort(key=lambda s: bool(UKRAINIAN_LETTERS.search(s)))
    return found[0] if found else ""


def is_acronym(text: str) -> bool:
    """Short capitalised forms used on repeat mentions: "UN", "U.N.", "UAE", "AfDB"."""
    if len(text) > 8 or not ACRONYM_RE.match(text):
        return False
    letters = [ch for ch in text if ch.isalpha()]
    upper = sum(ch.isupper() for ch in letters)
    return upper >= 2 and upper >= len(letters) - 1


# ---------------------------------------------------------------------------------------
# Taxonomy


@dataclass
class Concept:
    """One taxonomy concept with the surfaces the generator may write for it."""

    cid: str
    kind: str
    index: int
    name: str
    feature: str = ""
    population: int = 0
    country_code: str = ""
    admin1: str = ""
    capital: bool = False
    category: str = ""
    role: str = ""
    office: str = ""
    plain: list[str] = field(default_factory=list)  # name and ordinary aliases
    short: list[str] = field(default_factory=list)  # surnames, acronyms (repeat mentions)
    demonyms: list[str] = field(default_factory=list)
    native: dict[str, str] = field(default_factory=dict)  # lang -> native-script name

    @property
    def adjective(self) -> str:
        """Demonym adjective ("French", "Turkish"), or "" when there is none."""
        return self.demonyms[0] if self.demonyms else ""

    @property
    def people(self) -> str:
        """Plural demonym ("Afghans", "Turks"), or "" when there is none."""
        return next((d for d in self.demonyms[1:] if d.endswith("s")), "")


def read_jsonl(path: Path) -> list[dict]:
    """All records of a JSON Lines file, gzip-compressed or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def alias_texts(record: dict) -> list[tuple[str, str]]:
    """(text, type) of the record's aliases; type is "" for an ordinary alias."""
    out = []
    for alias in record.get("aliases", []):
        if isinstance(alias, str):
            out.append((alias, ""))
        else:
            out.append((alias["text"], alias.get("type", "")))
    return out


def make_concept(index: int, record: dict) -> Concept:
    """The Concept of one taxonomy record (all its surfaces, before ownership checks)."""
    attrs = record.get("attributes") or {}
    concept = Concept(
        cid=record["id"],
        kind=record["kind"],
        index=index,
        name=record["name"],
        feature=attrs.get("feature", ""),
        population=int(attrs.get("population") or 0),
        country_code=attrs.get("country_code", ""),
        admin1=attrs.get("admin1", ""),
        capital=attrs.get("capital") == "true",
        category=attrs.get("category", ""),
        role=attrs.get("role", ""),
        office=attrs.get("office", ""),
    )
    concept.plain.append(concept.name)
    for text, kind in alias_texts(record):
        if kind == "demonym":
            concept.demonyms.append(text)
        elif kind == "short" or is_acronym(text):
            concept.short.append(text)
        else:
            concept.plain.append(text)
    return concept


def entity_surfaces(concept: Concept) -> list[str]:
    """Every text of an entity concept: name, aliases and demonyms."""
    return concept.plain + concept.short + concept.demonyms


def topic_keywords(record: dict) -> list[str]:
    """The literal keywords of a topic's rules (regex rules are not literal text)."""
    return [rule["keyword"] for rule in record.get("rules", []) if "keyword" in rule]


class Pool:
    """Items drawn with fixed weights (cumulative sums and a bisection: fast, ordered)."""

    def __init__(self, items: list, weights: list[float]):
        self.items = items
        self.cum: list[float] = []
        total = 0.0
        for weight in weights:
            total += weight
            self.cum.append(total)

    def pick(self, rng: random.Random):
        return self.items[bisect_right(self.cum, rng.random() * self.cum[-1])]


PERSON_GROUPS = (
    ("sport", re.compile(r"player|footballer|athlete|golfer|cricketer|boxer|Formula One|coach")),
    (
        "business",
        re.compile(r"Chief Executive|CEO|Chairman|Founder|founder|Governor of|billionaire|Bank"),
    ),
)


def person_group(concept: Concept) -> str:
    """The person's group from their role: "sport", "business" or "politics"."""
    for group, pattern in PERSON_GROUPS:
        if pattern.search(concept.role):
            return group
    return "politics"


def make_pool(concepts: list[Concept], weight) -> Pool:
    return Pool(concepts, [weight(c) for c in concepts])


def city_weight(c: Concept) -> float:
    """Big cities often, and a long tail: population to the power 0.75."""
    return max(c.population, 1000) ** 0.75


class Taxonomy:
    """Concepts, which concept owns each surface, and weighted pools to draw a cast from."""

    def __init__(self, records: list[dict]):
        self.concepts: dict[str, Concept] = {}
        self.topics: dict[str, list[str]] = {}
        for index, record in enumerate(records):
            if record["kind"] == "TOPIC":
                self.topics[record["id"]] = topic_keywords(record)
            elif (record.get("attributes") or {}).get("status") != "dissolved":
                concept = make_concept(index, record)
                self.concepts[concept.cid] = concept
        self.owner = self._entity_owners()
        self.keyword_owner = self._keyword_owners()
        for concept in self.concepts.values():
            self._keep_owned(concept)
        self._build_pools()

    def _entity_owners(self) -> dict[str, str]:
        """fold(surface) -> id of the most prominent concept with that surface."""
        best: dict[str, tuple[int, int, str]] = {}
        for c in self.concepts.values():
            rank = (-c.population, c.index, c.cid)
            for surface in entity_surfaces(c):
                key = fold(surface)
                if key not in best or rank < best[key]:
                    best[key] = rank
        return {key: rank[2] for key, rank in best.items()}

    def _keyword_owners(self) -> dict[str, str]:
        """fold(keyword) -> first topic with it; keywords that are entity names excluded."""
        owners: dict[str, str] = {}
        for tid, keywords in self.topics.items():
            for keyword in keywords:
                key = fold(keyword)
                if key not in self.owner and key not in owners:
                    owners[key] = tid
        return owners

    def _keep_owned(self, c: Concept) -> None:
        """Drop the surfaces another concept owns; find the native-script names."""
        owned = [s for s in entity_surfaces(c) if self.owner[fold(s)] == c.cid]
        keep = set(owned)
        c.plain = [s for s in c.plain if s in keep]
        c.short = [s for s in c.short if s in keep]
        c.demonyms = [s for s in c.demonyms if s in keep]
        foreign = [s for s in c.plain + c.short if not s.isascii()]
        for lang in SCRIPT_RES if foreign else ():
            native = native_name(foreign, lang)
            if native:
                c.native[lang] = native

    def usable(self, c: Concept) -> bool:
        """A concept can be mentioned when it owns its own name."""
        return bool(c.plain) and c.plain[0] == c.name

    def _select(self, kind: str, feature: str = "") -> list[Concept]:
        """The usable concepts of a kind (and place feature), in taxonomy order."""
        return self.by_kind.get((kind, feature), [])

    def _build_pools(self) -> None:
        self.by_kind: dict[tuple[str, str], list[Concept]] = {}
        for c in self.concepts.values():
            if self.usable(c):
                self.by_kind.setdefault((c.kind, c.feature), []).append(c)
        countries = self._select("LOCATION", "country")
        cities = self._select("LOCATION", "city")
        self.country_by_code = {c.country_code: c for c in countries}
        self.countries = make_pool(countries, lambda c: max(c.population, 1000) ** 0.6)
        self.cities = make_pool(cities, city_weight)
        self.admin1 = make_pool(
            self._select("LOCATION", "admin1"), lambda c: self.country_weight(c) ** 0.5
        )
        self.regions = make_pool(self._select("LOCATION", "region"), lambda c: 1.0)
        self.continents = make_pool(self._select("LOCATION", "continent"), lambda c: 1.0)
        self.capitals = {c.country_code: c for c in cities if c.capital}
        self.admin1_by_key = {
            (c.country_code, c.admin1): c for c in self._select("LOCATION", "admin1")
        }
        self.cities_by_code = self._group_pools(cities, city_weight)
        self._build_people_pools()
        self.native_places = {
            lang: make_pool(
                [c for c in countries + cities if lang in c.native],
                lambda c: max(c.population, 1000) ** 0.6,
            )
            for lang in SCRIPT_RES
        }

    def _build_people_pools(self) -> None:
        people = self._select("PERSON")
        weight = self.person_weight
        self.people = {"all": make_pool(people, weight)}
        for group in ("politics", "business", "sport"):
            members = [c for c in people if person_group(c) == group]
            self.people[group] = make_pool(members, weight)
        self.people_by_code = self._group_pools(
            [c for c in people if person_group(c) == "politics"], weight
        )
        self.orgs = self._select("ORGANIZATION")
        self.org_rank: dict[str, int] = {}  # position among the organizations of its category
        per_category: dict[str, int] = {}
        for c in self.orgs:
            self.org_rank[c.cid] = per_category.get(c.category, 0)
            per_category[c.category] = self.org_rank[c.cid] + 1

    def _group_pools(self, concepts: list[Concept], weight) -> dict[str, Pool]:
        """country code -> Pool of those concepts in that country."""
        groups: dict[str, list[Concept]] = {}
        for c in concepts:
            groups.setdefault(c.country_code, []).append(c)
        return {code: make_pool(members, weight) for code, members in groups.items()}

    def country_weight(self, c: Concept) -> float:
        country = self.country_by_code.get(c.country_code)
        return float(max(country.population if country else 0, 10_000))

    def person_weight(self, c: Concept) -> float:
        """Skew: people of populous countries and heads of state or government more often."""
        return self.country_weight(c) ** 0.35 * (3.0 if c.office else 1.0)

    def org_pool(self, categories: tuple[str, ...]) -> Pool:
        """Organizations of these categories, the first listed of each more often."""
        members = [c for c in self.orgs if c.category in categories]
        return make_pool(members, lambda c: 1.0 / (self.org_rank[c.cid] + 10))

    def country_of(self, c: Concept) -> Concept | None:
        return self.country_by_code.get(c.country_code) if c.country_code else None


# ---------------------------------------------------------------------------------------
# Templates
#
# A template is one line of text with slots in braces. Entity slots: {P} the story's main
# place, {C} its country, {CITY} its city (the dateline's), {PX} another place of the story,
# {PER}/{PER2} its people, {ORG}/{ORG2} its organizations, {DEM}/{DEMS} the country's
# demonym ("French", "Afghans"). Other slots: {QUOTE} (a line of the quote block), {KW} (a
# keyword of the story's topics), {N} {NUM} {PCT} {MONEY} {MAG} {SCORE} (numbers), {DAY}
# {DATE} {MONTH} {YEAR}. Topic keywords written in a template are planted as they are.


@dataclass(frozen=True)
class Lang:
    """How one language writes dates, numbers and datelines, and its own templates."""

    code: str
    months: tuple[str, ...]  # {MONTH}: "March", ru "марте" (after "в")
    date_months: tuple[str, ...]  # the month inside {DATE}
    date_format: str  # {DATE}, from {day}, {month} and {m} (month number)
    days: tuple[str, ...]  # {DAY}
    thousands: str
    decimal: str
    percent: tuple[str, ...]  # {PCT}: templates of {X}
    money: tuple[str, ...]  # {MONEY}: templates of {X}
    dateline: str  # opening of the lead paragraph: {DCITY} and {DATE}
    headline: str = ""
    lead: str = ""
    body: str = ""
    quote: str = ""
    filler: str = ""  # short sentences that top an article up to its size


EN = Lang(
    code="en",
    months=(
        "January February March April May June July August September October November December"
    ).split(),
    date_months=("Jan. Feb. March April May June July Aug. Sept. Oct. Nov. Dec.").split(),
    date_format="{month} {day}",
    days="Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    thousands=",",
    decimal=".",
    percent=("{X}%", "{X}%", "{X} percent", "{X} per cent"),
    money=("${X} billion", "${X} million", "€{X} million", "£{X} billion", "{X} billion dollars"),
    dateline="{DCITY}, {DATE} (Tagwire) — ",
    body="""
Officials in {P} declined to comment on the report.
The figures could not be independently verified.
Concerns over {KW} have grown in {C} since {MONTH}.
The debate over {KW} is expected to dominate a meeting in {CITY} on {DAY}.
Local media in {P} focused on {KW}, according to a review of coverage by Tagwire.
{ORG} did not respond to a request for comment.
{PER} is due to visit {PX} next week, according to an official schedule.
The {DEM} government has faced growing criticism over its handling of the issue.
Many {DEMS} say they are worried about the future, according to a survey published in {MONTH}.
A spokesperson for {ORG} said the matter was "under review" and gave no timetable.
The data, released on {DATE}, cover the period up to the end of {MONTH}.
Further talks are planned in {PX} in {MONTH}, two people familiar with the plans said.
"{QUOTE}," {PER} said.
"{QUOTE}," {PER2} said in a post on social media, which was shared more than {NUM} times.
In {PX}, reaction was more muted: officials there said they would "wait and see".
{PER} has been under pressure since {MONTH}, when {ORG2} questioned the plan.
The issue of {KW} is likely to come up again when ministers meet in {PX}.
Experts say {KW} will remain a priority for {C} for years to come.
It was not immediately clear how the decision would affect residents of {P}.
The move follows a similar step by {PX} earlier this year.
The announcement came after weeks of speculation.
It was not the first time the issue had caused friction.
Officials said a final decision would be taken by the end of the month.
Details of the agreement were not made public.
A final report is due in {MONTH}.
The numbers have risen steadily since {YEAR}, official data show.
Some residents said they had not been told about the changes in advance.
Opinion was divided on the streets of {CITY}.
Critics said the measures did not go far enough; supporters said they went too far.
Asked about the timing, a spokesperson said only that work was continuing.
Previous attempts to settle the dispute, in {YEAR} and again last year, ended without agreement.
About {PCT} of those questioned said they supported the decision, while {PCT} were opposed.
The latest figures are expected on {DATE}.
Few expect a quick resolution.
""",
    filler="""
Officials declined to comment.
No further details were given.
The investigation continues.
Details were not disclosed.
The talks continue.
Markets were closed for the holiday.
""",
)

DE = Lang(
    code="de",
    months=(
        "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"
    ).split(),
    date_months=(
        "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"
    ).split(),
    date_format="{day}. {month}",
    days="Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag".split(),
    thousands=".",
    decimal=",",
    percent=("{X} Prozent", "{X} %"),
    money=("{X} Milliarden Euro", "{X} Millionen Euro", "{X} Milliarden Dollar"),
    dateline="{DCITY}, {DATE} (Tagwire) – ",
    headline="""
{PER} kündigt Reformen für {C} an
Inflation in {C} sinkt auf {PCT}
Tausende protestieren in {CITY} gegen die Regierung
{ORG} streicht {NUM} Stellen
Unwetter in {P}: Zahl der Toten steigt auf {N}
{PER} und {PER2} vereinbaren engere Zusammenarbeit
""",
    lead="""
{PER} hat am {DAY} in {CITY} ein umfassendes Reformpaket vorgestellt, das die Wirtschaft von {C} stärken und die Bürokratie abbauen soll.
Die Inflationsrate in {C} ist im {MONTH} auf {PCT} gesunken, wie das Statistikamt am {DAY} mitteilte.
Tausende Menschen sind am {DAY} in {CITY} auf die Straße gegangen, um gegen die Politik von {PER} zu demonstrieren.
Bei schweren Überschwemmungen in {P} sind nach Angaben der Behörden mindestens {N} Menschen ums Leben gekommen.
Der Konzern {ORG} will in den kommenden {N} Jahren rund {NUM} Stellen abbauen, um Kosten zu sparen.
""",
    body="""
„{QUOTE}“, sagte {PER} vor Journalisten in {CITY}.
Die Opposition warf der Regierung vor, die Pläne ohne ausreichende Debatte durch das Parlament zu bringen.
Nach Angaben von {ORG} stieg der Umsatz im dritten Quartal um {PCT} auf {MONEY}.
Experten rechnen damit, dass die Verhandlungen bis in den {MONTH} dauern werden.
Die Polizei nahm {N} Personen fest; mehrere Beamte wurden leicht verletzt.
{PER2} kritisierte das Vorgehen scharf und sprach von einem „schweren Fehler“.
Die Gespräche sollen am {DAY} in {PX} fortgesetzt werden.
Seit {YEAR} hat sich die Zahl der Betroffenen nahezu verdoppelt – auf rund {NUM}.
Ein Sprecher von {ORG} wollte sich zu den Berichten nicht äußern.
Die Rettungskräfte suchen weiter nach Vermissten, darunter auch Kinder.
Auch in {PX} wird die Entwicklung mit Sorge beobachtet.
Die Regierung von {C} kündigte an, bis Ende {MONTH} einen Gesetzentwurf vorzulegen.
Laut einer Umfrage unterstützen nur {PCT} der Befragten den Kurs von {PER}.
Die Börse in {CITY} reagierte mit Kursverlusten von bis zu {PCT}.
Die Entscheidung fiel nach wochenlangen Beratungen.
Beobachter sprechen von einem historischen Schritt.
Ein Abschlussbericht soll im {MONTH} vorliegen.
Kritiker halten die Maßnahmen für unzureichend.
Nach Angaben der Veranstalter nahmen mehr als {NUM} Menschen teil.
Die Zahlen sind seit {YEAR} kontinuierlich gestiegen.
Wie es weitergeht, ist offen.
Am {DAY} wollen die Beteiligten erneut zusammenkommen.
""",
    quote="""
Wir werden alles tun, um die Menschen zu schützen
Das ist ein guter Tag für {C}
Wir lassen uns nicht einschüchtern
Die Lage ist ernst, aber unter Kontrolle
""",
    filler="""
Weitere Einzelheiten wurden nicht bekannt.
Die Ermittlungen dauern an.
Eine Stellungnahme lag zunächst nicht vor.
""",
)

FR = Lang(
    code="fr",
    months=(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    ).split(),
    date_months=(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    ).split(),
    date_format="{day} {month}",
    days="lundi mardi mercredi jeudi vendredi samedi dimanche".split(),
    thousands="\u202f",
    decimal=",",
    percent=("{X} %", "{X} %"),
    money=("{X} milliards d'euros", "{X} millions d'euros", "{X} milliards de dollars"),
    dateline="{DCITY}, {DATE} (Tagwire) – ",
    headline="""
{PER} annonce un plan de relance
{C} : l'inflation ralentit à {PCT} en {MONTH}
{CITY} : des milliers de manifestants contre la réforme
{ORG} va supprimer {NUM} emplois
Inondations : au moins {N} morts, selon les autorités de {C}
{PER} et {PER2} veulent relancer le dialogue
""",
    lead="""
{PER} a présenté {DAY} à {CITY} un plan de relance de {MONEY}, destiné selon le gouvernement à soutenir la croissance et l'emploi.
Des milliers de personnes ont manifesté {DAY} à {CITY} contre la réforme des retraites, à l'appel des syndicats.
Le groupe {ORG} a annoncé {DAY} la suppression de {NUM} postes dans le cadre d'un plan de restructuration.
Au moins {N} personnes sont mortes dans des inondations à {CITY}, ont annoncé {DAY} les autorités.
L'inflation a ralenti à {PCT} sur un an en {MONTH}, selon les chiffres publiés {DAY} par l'institut de statistique de {C}.
""",
    body="""
« {QUOTE} », a déclaré {PER} devant la presse à {CITY}.
L'opposition accuse le gouvernement de vouloir passer en force.
Selon {ORG}, le chiffre d'affaires a progressé de {PCT} au troisième trimestre, à {MONEY}.
Les discussions doivent reprendre la semaine prochaine, selon une source diplomatique.
Les forces de l'ordre ont interpellé {N} personnes, selon la préfecture.
{PER2} a dénoncé « une erreur grave » et appelé au dialogue.
Depuis {YEAR}, le nombre de victimes a presque doublé, pour atteindre environ {NUM}.
Un porte-parole de {ORG} n'a pas souhaité commenter ces informations.
Les secours poursuivent les recherches pour retrouver les disparus.
Le texte doit être examiné par les parlementaires en {MONTH}.
La situation est également suivie de près à {CITY} et au-delà.
Selon un sondage publié {DAY}, {PCT} des personnes interrogées soutiennent {PER}.
La Bourse de {CITY} a reculé de {PCT} à la clôture.
La décision a été prise après plusieurs semaines de consultations.
Les observateurs parlent d'un tournant.
Un rapport final est attendu en {MONTH}.
Pour les critiques, ces mesures restent insuffisantes.
Selon les organisateurs, plus de {NUM} personnes ont participé.
Les chiffres augmentent régulièrement depuis {YEAR}.
La suite reste incertaine.
Une nouvelle réunion est prévue {DAY}.
""",
    quote="""
Nous ferons tout pour protéger la population
C'est une bonne nouvelle pour {C}
Nous ne céderons pas
La situation est grave, mais sous contrôle
""",
    filler="""
Aucun autre détail n'a été communiqué.
L'enquête se poursuit.
Le ministère n'a pas réagi.
""",
)

ES = Lang(
    code="es",
    months=(
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
    ).split(),
    date_months=(
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
    ).split(),
    date_format="{day} de {month}",
    days="lunes martes miércoles jueves viernes sábado domingo".split(),
    thousands=".",
    decimal=",",
    percent=("{X} %", "{X} por ciento"),
    money=("{X} millones de euros", "{X} millones de dólares", "{X} millones de pesos"),
    dateline="{DCITY}, {DATE} (Tagwire) - ",
    headline="""
{PER} anuncia un plan de reformas para {C}
La inflación en {C} baja al {PCT} en {MONTH}
Miles de personas protestan en {CITY} contra el Gobierno
{ORG} recortará {NUM} empleos
Las inundaciones en {P} dejan al menos {N} muertos
{PER} y {PER2} acuerdan reforzar la cooperación
""",
    lead="""
{PER} presentó el {DAY} en {CITY} un paquete de reformas que, según el Gobierno, impulsará la economía de {C} y reducirá la burocracia.
La inflación en {C} se moderó al {PCT} en {MONTH}, según los datos publicados el {DAY} por el instituto de estadística.
Miles de personas salieron el {DAY} a las calles de {CITY} para protestar contra la política de {PER}.
Al menos {N} personas murieron en las inundaciones que afectan a {P}, informaron las autoridades.
La empresa {ORG} anunció el {DAY} que eliminará unos {NUM} puestos de trabajo en los próximos {N} años.
""",
    body="""
"{QUOTE}", dijo {PER} a los periodistas en {CITY}.
La oposición acusó al Gobierno de aprobar el plan sin un debate suficiente.
Según {ORG}, los ingresos aumentaron un {PCT} en el tercer trimestre, hasta {MONEY}.
La policía detuvo a {N} personas y varios agentes resultaron heridos.
{PER2} criticó duramente la decisión y habló de "un grave error".
Las conversaciones continuarán la próxima semana en {PX}.
Desde {YEAR}, el número de afectados casi se ha duplicado, hasta unos {NUM}.
Un portavoz de {ORG} declinó hacer comentarios.
Los equipos de rescate siguen buscando a los desaparecidos.
Los analistas esperan que las negociaciones se prolonguen hasta {MONTH}.
En {PX} también se sigue la situación con preocupación.
Según una encuesta publicada el {DAY}, el {PCT} de los ciudadanos apoya a {PER}.
La bolsa de {CITY} cerró con una caída del {PCT}.
La decisión se tomó tras varias semanas de consultas.
Los observadores hablan de un paso histórico.
Se espera un informe final en {MONTH}.
Los críticos consideran insuficientes las medidas.
Según los organizadores, participaron más de {NUM} personas.
Las cifras han aumentado de forma constante desde {YEAR}.
No está claro qué ocurrirá ahora.
Las partes volverán a reunirse el {DAY}.
""",
    quote="""
Vamos a hacer todo lo posible para proteger a la población
Es un buen día para {C}
No vamos a ceder
La situación es grave, pero está bajo control
""",
    filler="""
No se dieron más detalles.
La investigación continúa.
El ministerio no respondió.
""",
)

PT = Lang(
    code="pt",
    months=(
        "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro"
    ).split(),
    date_months=(
        "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro"
    ).split(),
    date_format="{day} de {month}",
    days=("segunda-feira terça-feira quarta-feira quinta-feira sexta-feira").split(),
    thousands=".",
    decimal=",",
    percent=("{X}%", "{X} por cento"),
    money=("R$ {X} bilhões", "{X} milhões de euros", "US$ {X} milhões"),
    dateline="{DCITY}, {DATE} (Tagwire) - ",
    headline="""
{PER} anuncia pacote de reformas para {C}
{C}: inflação cai para {PCT} em {MONTH}
Milhares protestam em {CITY} contra o governo
{ORG} vai cortar {NUM} empregos
Chuvas em {P} deixam pelo menos {N} mortos
{PER} e {PER2} prometem ampliar cooperação
""",
    lead="""
{PER} apresentou nesta {DAY} em {CITY} um pacote de reformas que, segundo o governo, vai fortalecer a economia e reduzir a burocracia.
Milhares de pessoas foram às ruas de {CITY} nesta {DAY} para protestar contra a política de {PER}.
A inflação em {C} desacelerou para {PCT} em {MONTH}, informou o instituto de estatística.
Pelo menos {N} pessoas morreram nas enchentes que atingem {P}, segundo as autoridades.
A empresa {ORG} anunciou nesta {DAY} que vai eliminar cerca de {NUM} postos de trabalho.
""",
    body="""
"{QUOTE}", disse {PER} a jornalistas em {CITY}.
A oposição acusou o governo de aprovar o plano sem debate suficiente.
Segundo {ORG}, a receita subiu {PCT} no terceiro trimestre, para {MONEY}.
A polícia prendeu {N} pessoas e vários agentes ficaram feridos.
{PER2} criticou duramente a decisão e falou em "um erro grave".
As negociações devem continuar na próxima semana em {PX}.
Desde {YEAR}, o número de afetados quase dobrou, chegando a cerca de {NUM}.
Um porta-voz de {ORG} não quis comentar.
As equipes de resgate continuam procurando os desaparecidos.
Em {PX}, a situação também é acompanhada com preocupação.
Segundo pesquisa divulgada em {DATE}, {PCT} dos eleitores aprovam {PER}.
A bolsa de {CITY} fechou em queda de {PCT}.
A decisão foi tomada após semanas de consultas.
Observadores falam em um passo histórico.
Um relatório final é esperado para {MONTH}.
Críticos consideram as medidas insuficientes.
Segundo os organizadores, mais de {NUM} pessoas participaram.
Os números vêm crescendo desde {YEAR}.
Ainda não está claro o que acontecerá agora.
As partes devem voltar a se reunir na próxima {DAY}.
""",
    quote="""
Vamos fazer tudo para proteger a população
É um bom dia para {C}
Não vamos recuar
A situação é grave, mas está sob controle
""",
    filler="""
Não foram divulgados mais detalhes.
A investigação continua.
O ministério não comentou.
""",
)

RU = Lang(
    code="ru",
    months=(
        "январе феврале марте апреле мае июне июле августе сентябре октябре ноябре декабре"
    ).split(),
    date_months=(
        "января февраля марта апреля мая июня июля августа сентября октября ноября декабря"
    ).split(),
    date_format="{day} {month}",
    days="понедельник вторник среду четверг пятницу субботу воскресенье".split(),
    thousands="\u00a0",
    decimal=",",
    percent=("{X}%", "{X} процента"),
    money=("{X} млрд рублей", "{X} млн долларов", "{X} млрд долларов"),
    dateline="{DCITY}, {DATE} (Tagwire) — ",
    headline="""
{C}: инфляция замедлилась до {PCT}
{CITY}: тысячи человек вышли на акции протеста
{ORG} сокращает {NUM} рабочих мест
{P}: число погибших при наводнении выросло до {N}
{PER}: «{QUOTE}»
{C} и {PX} договорились продолжить консультации
""",
    lead="""
Годовая инфляция замедлилась до {PCT} в {MONTH}, сообщает {ORG}.
Тысячи человек вышли в {DAY} на улицы в городе {CITY}, протестуя против повышения пенсионного возраста.
{ORG} сокращает {NUM} рабочих мест в рамках программы реструктуризации, говорится в сообщении компании.
Число погибших в результате наводнения в регионе {P} выросло до {N}, сообщают местные власти.
{PER} заявляет, что правительство представит новый пакет реформ до конца года.
""",
    body="""
«{QUOTE}», — говорит {PER}.
Оппозиция обвиняет правительство в том, что реформа проходит через парламент без обсуждения.
По данным организации {ORG}, выручка выросла на {PCT}, до {MONEY}.
Полиция задержала {N} человек, несколько сотрудников получили лёгкие ранения.
{PER2} называет это решение «серьёзной ошибкой».
Следующий раунд переговоров пройдёт {DATE}; место встречи — {PX}.
С {YEAR} года число пострадавших почти удвоилось — примерно до {NUM}.
Представитель организации {ORG} отказался от комментариев.
Спасатели продолжают поиски пропавших без вести.
{C} и {PX} договорились продолжить консультации на уровне экспертов.
По данным опроса, курс, который предлагает {PER}, поддерживают {PCT} граждан.
Индексы на бирже снизились на {PCT}; аналитики связывают это с заявлениями, которые сделал {PER2}.
Решение было принято после нескольких недель консультаций.
Наблюдатели называют это историческим шагом.
Итоговый доклад ожидается в {MONTH}.
Критики считают принятые меры недостаточными.
По данным организаторов, в мероприятии приняли участие более {NUM} человек.
С {YEAR} года эти показатели неуклонно растут.
Что будет дальше, пока неясно.
Стороны планируют снова встретиться в {DAY}.
""",
    quote="""
Мы сделаем всё, чтобы защитить людей
Это хороший день для всех нас
Мы не отступим
Ситуация серьёзная, но под контролем
""",
    filler="""
Подробности не сообщаются.
Расследование продолжается.
Комментариев пока нет.
""",
)

ZH = Lang(
    code="zh",
    months=tuple(f"{m}月" for m in range(1, 13)),
    date_months=tuple(f"{m}月" for m in range(1, 13)),
    date_format="{month}{day}日",
    days="周一 周二 周三 周四 周五 周六 周日".split(),
    thousands=",",
    decimal=".",
    percent=("{X}%",),
    money=("{X}亿美元", "{X}亿元人民币"),
    dateline="（Tagwire {DCITY} {DATE}电） ",
    headline="""
{C}通胀率降至{PCT}
{CITY}数千人上街抗议
{ORG}宣布裁员{NUM}人
{P}洪灾死亡人数升至{N}人
{PER}：“{QUOTE}”
{PER}与{PER2}同意加强合作
""",
    lead="""
据{ORG}消息，{C}{MONTH}通胀率降至{PCT}，为{YEAR}年以来最低水平。
{DAY}，数千名民众在{CITY}街头集会，抗议政府的养老金改革计划。
{ORG}{DAY}宣布，将在未来{N}年内裁员约{NUM}人，以削减成本。
{P}遭遇强降雨引发的洪灾，当局{DAY}表示，死亡人数已升至{N}人。
{PER}{DAY}在{CITY}表示，政府将在年底前推出新一轮改革措施。
""",
    body="""
{PER}对记者表示：“{QUOTE}。”
反对派指责政府未经充分讨论便推动改革。
{ORG}表示，第三季度营收增长{PCT}，达到{MONEY}。
警方逮捕了{N}人，多名警员受轻伤。
{PER2}批评这一决定是“严重错误”。
双方将于下周在{PX}继续谈判。
自{YEAR}年以来，受影响人数几乎翻了一番，达到约{NUM}人。
{ORG}发言人拒绝置评。
救援人员仍在搜寻失踪者。
分析人士预计，谈判将持续到{MONTH}。
{PX}方面也密切关注事态发展。
{CITY}股市收盘下跌{PCT}。
这一决定是在数周磋商之后作出的。
观察人士称这是历史性的一步。
最终报告预计将于{MONTH}公布。
批评人士认为相关措施力度不够。
据组织者介绍，超过{NUM}人参加了活动。
自{YEAR}年以来，相关数字持续上升。
下一步走向尚不明朗。
各方计划于{DAY}再次会面。
""",
    quote="""
我们将尽一切努力保护民众
这对{C}来说是个好日子
我们不会退让
局势严峻，但总体可控
""",
    filler="""
目前尚无更多细节。
调查仍在进行中。
有关部门未予回应。
""",
)

AR = Lang(
    code="ar",
    months=("يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر").split(),
    date_months=(
        "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر"
    ).split(),
    date_format="{day} {month}",
    days="الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد".split(),
    thousands=",",
    decimal=".",
    percent=("{X}%", "{X} في المئة"),
    money=("{X} مليار دولار", "{X} مليون دولار"),
    dateline="{DCITY} ({DATE}) - Tagwire - ",
    headline="""
{C}: التضخم يتراجع إلى {PCT}
آلاف المتظاهرين في شوارع {CITY}
{ORG} تعلن خفض {NUM} وظيفة
{P}: ارتفاع عدد ضحايا الفيضانات إلى {N}
{PER}: «{QUOTE}»
{PER} و {PER2} يتفقان على تعزيز التعاون
""",
    lead="""
أعلنت {ORG} يوم {DAY} أن معدل التضخم في {C} تراجع إلى {PCT} في {MONTH}، وهو أدنى مستوى منذ عام {YEAR}.
خرج آلاف المتظاهرين يوم {DAY} إلى شوارع {CITY} احتجاجاً على سياسات الحكومة الاقتصادية.
ارتفع عدد ضحايا الفيضانات في {P} إلى {N} شخصاً على الأقل، بحسب ما أعلنت السلطات المحلية.
قالت {ORG} إنها ستخفض نحو {NUM} وظيفة خلال السنوات المقبلة في إطار خطة لإعادة الهيكلة.
""",
    body="""
وقال {PER} للصحفيين في {CITY}: «{QUOTE}».
واتهمت المعارضة الحكومة بتمرير الإصلاحات دون نقاش كافٍ في البرلمان.
وبحسب {ORG}، ارتفعت الإيرادات بنسبة {PCT} في الربع الثالث لتصل إلى {MONEY}.
واعتقلت الشرطة {N} أشخاص، فيما أصيب عدد من عناصرها بجروح طفيفة.
وانتقد {PER2} القرار بشدة، واصفاً إياه بأنه «خطأ جسيم».
ومن المقرر أن تستأنف المحادثات الأسبوع المقبل في {PX}.
ومنذ عام {YEAR}، تضاعف عدد المتضررين تقريباً ليصل إلى نحو {NUM}.
ورفض متحدث باسم {ORG} التعليق.
وتواصل فرق الإنقاذ البحث عن المفقودين.
وتتابع الأوساط في {PX} التطورات باهتمام.
وتراجع مؤشر البورصة في {CITY} بنسبة {PCT} عند الإغلاق.
وجاء القرار بعد أسابيع من المشاورات.
ويصف مراقبون الخطوة بأنها تاريخية.
ومن المتوقع صدور تقرير نهائي في {MONTH}.
ويرى منتقدون أن الإجراءات غير كافية.
وبحسب المنظمين، شارك أكثر من {NUM} شخص.
وتواصل الأرقام ارتفاعها منذ عام {YEAR}.
ولا يزال من غير الواضح ما الذي سيحدث لاحقاً.
ومن المقرر أن تجتمع الأطراف مجدداً يوم {DAY}.
""",
    quote="""
سنبذل كل ما في وسعنا لحماية المواطنين
هذا يوم جيد للجميع
لن نتراجع
الوضع خطير لكنه تحت السيطرة
""",
    filler="""
ولم تُعرف تفاصيل أخرى.
ولا يزال التحقيق جارياً.
ولم تعلق الوزارة على ذلك.
""",
)

LANGS = {lang.code: lang for lang in (EN, DE, FR, ES, PT, RU, ZH, AR)}


@dataclass(frozen=True)
class Area:
    """An English topic area: its IPTC topics, who appears, and its templates."""

    name: str
    weight: float  # share of English stories
    topics: tuple[str, ...]  # medtop codes whose keywords fill {KW}
    people: str  # person group: politics, business, sport, all
    orgs: tuple[str, ...]  # organization categories
    headline: str
    lead: str
    body: str
    quote: str


AREAS = (
    Area(
        name="politics",
        weight=0.2,
        topics=("11000000", "20000574", "20000593", "20000621", "20000638"),
        people="politics",
        orgs=("party", "government", "legislature", "international", "regional"),
        headline="""
{PER} wins confidence vote as {C} coalition wobbles
{C} opposition demands snap election after budget defeat
{DEM} lawmakers back reform bill by {N} votes
{PER} reshuffles cabinet ahead of {MONTH} polls
Voters in {P} head to the polls in tight race
{PER} and {PER2} agree to deepen ties at {CITY} summit
{ORG} support slips to {PCT} as campaign heats up
""",
        lead="""
{PER} survived a confidence vote in parliament on {DAY}, winning {N} more votes than needed and ending weeks of speculation about the future of the coalition government in {C}.
Voters in {P} go to the polls on {DATE} in an election that opinion polls suggest is too close to call, with {ORG} and its rivals locked at around {PCT} each.
The {DEM} government unveiled a package of political reforms on {DAY} that it said would cut red tape and restore public trust, a week after {PER} promised "a fresh start".
{PER} met {PER2} in {CITY} on {DAY} for talks that diplomats described as "frank and constructive", the first such meeting since {YEAR}.
Lawmakers in {C} approved a contested electoral reform bill on {DAY} by a margin of {N} votes, handing {PER} a hard-won victory before the summer recess.
""",
        body="""
The bill now goes to the senate, where the ruling coalition holds a slim majority of {N} seats.
Opposition politicians accused the government of rushing the legislation through parliament without proper scrutiny.
"{QUOTE}," {PER} told reporters outside parliament.
According to a poll published on {DAY}, support for {ORG} has fallen to {PCT}, its lowest level since {YEAR}.
{PER2}, who leads the opposition, said the vote was "a turning point" for {C}.
The cabinet is expected to meet again on {DAY} to discuss the budget, which must be approved by the end of {MONTH}.
Turnout in the last election was {PCT}, down from {PCT} four years earlier.
Analysts in {CITY} said the reshuffle was intended to shore up support among younger voters ahead of the campaign.
{DEM} diplomats said the talks had focused on trade, security and migration, but gave few details.
The prime minister's office said {PER} would travel to {PX} later this month for a state visit.
Several ministers have resigned since {MONTH}, and the governing coalition now relies on the votes of {N} independent lawmakers.
Critics say the reform gives the executive too much power over the courts — a charge the government denies.
In a statement, {ORG} said it would "study the proposal carefully" before deciding whether to back it.
{PER} has governed since {YEAR} and faces a general election next year.
The decree, signed on {DATE}, takes effect immediately and applies to all ministries.
Diplomatic sources in {PX} said the sanctions could be extended if the talks fail.
Under the constitution, parliament must approve any change to the electoral law by a two-thirds majority.
Candidates have until {DATE} to register with the electoral commission, which expects to open more than {NUM} polling stations.
"{QUOTE}," said {PER2}, speaking at a rally in {PX}.
The multilateral talks, hosted by {ORG2}, brought together delegations from {N} countries.
{DEMS} will also elect regional assemblies on the same day, a first since {YEAR}.
""",
        quote="""
We will not be lectured by anyone about democracy
This government has lost the confidence of the people
The door to dialogue remains open
Our priority is stability, jobs and security for every family in {C}
Nobody voted for chaos
This is a good day for {C} and for our partners
""",
    ),
    Area(
        name="economy",
        weight=0.18,
        topics=("04000000", "20000344", "20000385", "20000170", "20000209"),
        people="business",
        orgs=("company", "central-bank", "company", "international"),
        headline="""
{ORG} profit jumps {PCT} on strong demand in {P}
{C} inflation slows to {PCT} in {MONTH}
{ORG} shares slide after takeover talks with {ORG2} collapse
{DEM} central bank holds rates as economic growth stalls
{C} economy grows {PCT} in third quarter, beating forecasts
{ORG} to cut {NUM} jobs in restructuring
Stocks in {CITY} hit record as investors bet on rate cut
""",
        lead="""
{ORG} reported a {PCT} rise in quarterly net profit on {DAY}, helped by strong sales in {P} and lower costs, sending its shares up {PCT} in early trading.
Inflation in {C} slowed to {PCT} in {MONTH} from {PCT} a month earlier, official data showed on {DAY}, strengthening the case for an interest rate cut.
The central bank of {C} left its benchmark interest rate unchanged at {PCT} on {DAY}, saying it needed more evidence that consumer prices were under control.
{ORG} agreed to buy {ORG2} for {MONEY} in cash and shares, in one of the largest deals in the sector this year.
The economy of {C} grew {PCT} in the third quarter from the previous three months, faster than economists had expected, as exports to {PX} recovered.
""",
        body="""
Economists polled by Tagwire had expected growth of {PCT}.
Revenue rose to {MONEY} in the three months to {MONTH}, while operating profit climbed {PCT}.
"{QUOTE}," chief executive {PER} said on a call with analysts.
Shares in {ORG} closed {PCT} higher in {CITY}, valuing the company at about {MONEY}.
The merger still needs approval from regulators in {C} and {PX}, which could take up to {N} months.
The stock market in {CITY} fell {PCT}, with banks and energy stocks leading the decline.
Bond yields rose for a third day as investors bet the central bank would keep rates on hold until at least {MONTH}.
Consumer prices rose {PCT} from a year earlier, driven by food and energy costs.
The company said it would cut about {NUM} jobs over the next {N} years as part of a restructuring aimed at saving {MONEY}.
Retail sales fell {PCT} in {MONTH}, the biggest drop since {YEAR}, as households cut back on spending.
The {DEM} currency weakened to its lowest level against the dollar in {N} months.
{ORG2} said the takeover bid "significantly undervalues" the business and urged shareholders to reject it.
Manufacturing output shrank in {MONTH}, according to a survey of purchasing managers published on {DAY}.
The government forecasts GDP growth of {PCT} this year and {PCT} next year, figures many economists regard as optimistic.
Analysts at {ORG2} said the results were "solid but unspectacular".
Trade data showed exports to {PX} rose {PCT} in the first {N} months of the year.
The budget deficit is expected to reach {PCT} of gross domestic product.
{PER} said the group would invest {MONEY} in new factories in {P} and {PX} by {YEAR}.
The dividend was raised to {N} cents a share, above market expectations.
Oil prices rose {PCT} to about ${N} a barrel, adding to pressure on importers such as {C}.
""",
        quote="""
We delivered another quarter of strong growth despite a challenging environment
Demand in {P} remains robust
We see no need to rush into a rate cut
The deal creates a stronger, more competitive business
Inflation is coming down, but the job is not done
We are confident about the outlook for the second half
""",
    ),
    Area(
        name="conflict",
        weight=0.14,
        topics=("16000000", "20000056", "20000073", "20000065", "20001377", "20000053"),
        people="politics",
        orgs=("military", "international", "un-agency", "regional"),
        headline="""
Shelling kills {N} civilians in {P}, officials say
{C} and rebels agree to ceasefire after talks in {PX}
Protesters clash with riot police in {CITY}
{DEM} troops advance near {PX} as fighting intensifies
{PER} rejects peace plan, vows to keep fighting
Thousands displaced as clashes spread in {P}
{ORG} warns of humanitarian catastrophe in {P}
""",
        lead="""
At least {N} civilians were killed and dozens wounded when artillery shells hit a market in {P} on {DAY}, local officials said, in one of the deadliest attacks since the conflict began in {YEAR}.
Troops loyal to the government in {C} launched a ground operation against insurgents near {PX} on {DAY}, the army said, as the military sought to retake territory lost in {MONTH}.
Thousands of protesters marched through {CITY} on {DAY} to demand the resignation of {PER}, defying a ban on demonstrations; riot police fired tear gas and water cannon to disperse them.
Delegations from {C} and the rebels signed a ceasefire agreement in {PX} on {DAY} after {N} days of peace talks mediated by {ORG}.
{ORG} warned on {DAY} that more than {NUM} people in {P} faced severe hunger as fighting cut off roads and supply routes.
""",
        body="""
The army said its soldiers had repelled the offensive and killed "dozens of militants", a claim that could not be independently verified.
{ORG} said more than {NUM} people had been displaced by the fighting since {MONTH}.
"{QUOTE}," {PER} said in a televised address.
Witnesses described heavy shelling overnight and said families were sheltering in basements.
The ceasefire is due to take effect at midnight on {DATE}, according to a copy of the agreement seen by Tagwire.
Humanitarian agencies say access to the area remains restricted, and convoys carrying food and medicine have been turned back at checkpoints.
The defence ministry in {CITY} said {N} soldiers had been killed and {N} wounded in the past week.
Peacekeepers from {ORG2} have been deployed along the front line since {YEAR}.
{PER2} accused the rebels of violating the truce "within hours", while rebel commanders blamed government troops.
Police arrested {N} people during the protests, and a curfew was imposed from 10 p.m. to 6 a.m.
Satellite images published on {DAY} showed damage to roads, bridges and at least {N} residential buildings.
{DEM} officials said the attack bore the hallmarks of a group active in the border region.
Mediators hope a prisoner exchange agreed in principle last month can build trust between the two sides.
Neither side has released casualty figures, but local hospitals reported treating more than {N} wounded.
Drone strikes hit a fuel depot near {PX} overnight, regional officials said.
The fighting has forced {NUM} people from their homes, many of them to camps near the border with {PX}.
{PER} is expected to raise the situation in {P} at a summit in {CITY} next week.
""",
        quote="""
We will defend every inch of our land
There can be no military solution to this conflict
Our forces acted in self-defence
Civilians are paying the highest price
We call on all parties to respect the ceasefire
The world cannot look away from {P}
""",
    ),
    Area(
        name="sport",
        weight=0.1,
        topics=("15000000", "20001108", "20001301", "20001323", "20001148"),
        people="sport",
        orgs=("sport",),
        headline="""
{PER} wins in {CITY} to close in on title
{C} stun rivals {SCORE} to reach World Cup quarter-finals
{ORG} sacks head coach after run of defeats
{PER} breaks world record at {CITY} meeting
{DEM} captain ruled out of final with injury
{PER} beats {PER2} in straight sets
""",
        lead="""
{PER} won in {CITY} on {DAY}, beating {PER2} in a tense finish to extend the lead at the top of the standings to {N} points.
{C} beat the defending champions {SCORE} in {CITY} on {DAY} to reach the quarter-finals of the World Cup, with fans celebrating long into the night.
{ORG} parted company with its head coach on {DAY} after a run of {N} defeats left the club near the bottom of the league.
{PER} broke the world record at a meeting in {CITY} on {DAY}, taking {N} hundredths of a second off the previous mark.
""",
        body="""
"{QUOTE}," {PER} said after the match.
The victory was their first away from home since {MONTH}.
The captain scored twice in the second half, and the goalkeeper made a string of saves to protect the lead.
Tickets for the final, to be played in {PX} on {DATE}, sold out within {N} minutes.
{PER2} finished second, {N} seconds behind, with the defending champion third.
The club said an interim manager would take charge of training until a permanent replacement was found.
A crowd of {NUM} packed the stadium in {CITY}, a record for the venue.
The transfer window closes on {DATE}, and the club is expected to sign at least two players.
{ORG} said it would review the match officials' decisions after a penalty was awarded following a VAR check.
The gold medal was the country's first in the event since {YEAR}.
Injury has limited the striker to {N} appearances this season.
"{QUOTE}," the head coach told a news conference in {CITY}.
{DEM} fans travelled in their thousands, and the match was watched by an estimated {NUM} on television.
The sponsorship deal with {ORG2} is worth {MONEY} over {N} years, according to people familiar with the terms.
{PER2} will face a disciplinary hearing on {DAY} after being sent off in the second half.
""",
        quote="""
It was a tough game but the team showed great character
We have to keep our feet on the ground
I'm just so proud of the whole squad
This is what you dream about as a kid
We made too many mistakes and we were punished
The fans in {CITY} were incredible tonight
""",
    ),
    Area(
        name="disaster",
        weight=0.09,
        topics=("03000000", "20000148", "20000168", "20000139", "17000000", "20001129"),
        people="politics",
        orgs=("un-agency", "ngo", "government"),
        headline="""
Death toll from {P} floods rises to {N}
Earthquake of magnitude {MAG} strikes near {CITY}
Wildfires force {NUM} to evacuate in {P}
Rescuers search for survivors after building collapse in {CITY}
{C} declares state of emergency as storm approaches
Train derailment near {CITY} leaves {N} injured
""",
        lead="""
The death toll from flash floods in {P} rose to {N} on {DAY}, officials said, as rescuers searched for dozens of people still missing after days of heavy rain.
An earthquake of magnitude {MAG} struck near {CITY} early on {DAY}, damaging buildings and sending residents into the streets, the national seismological agency said.
Authorities in {C} ordered the evacuation of {NUM} people on {DAY} as wildfires fanned by strong winds spread across {P}.
A passenger train derailed near {CITY} on {DAY}, injuring at least {N} people, {N} of them seriously, the railway operator said.
""",
        body="""
"{QUOTE}," {PER} said after visiting the area.
Emergency services said {N} people had been taken to hospital, {N} of them in serious condition.
The weather service warned that more heavy rain was expected over the weekend, with up to {N} millimetres forecast in some areas.
{ORG} said it had sent relief supplies, including tents, blankets and drinking water, to the worst-hit districts.
Television footage showed cars swept away by muddy water and roofs torn off houses.
More than {NUM} homes were without power on {DAY}, the utility company said.
The government declared a state of emergency in {N} provinces and deployed the army to help with search and rescue.
Survivors described the water rising "in minutes" and said they had no time to save their belongings.
Temperatures reached {N} degrees Celsius in {PX}, the highest since records began.
Firefighters from {PX} and neighbouring regions were sent to help contain the blaze.
Aid workers warned of the risk of disease in crowded evacuation centres.
The cause of the accident is under investigation, the transport ministry said.
Rescue teams from {PX} arrived on {DAY} with sniffer dogs and heavy equipment.
{ORG2} launched an appeal for {MONEY} to help {NUM} people affected by the disaster.
""",
        quote="""
We lost everything in a few minutes
Our priority now is to find the missing and care for the injured
The scale of the devastation is enormous
We have never seen anything like this
Every minute counts
""",
    ),
    Area(
        name="health",
        weight=0.08,
        topics=("07000000", "20000446", "20000461", "20000485", "20001358", "20000464"),
        people="politics",
        orgs=("un-agency", "ngo", "company"),
        headline="""
{C} reports {N} new cases as outbreak spreads
{ORG} warns of rising infections in {P}
Doctors in {C} strike over pay and hospital staffing
New vaccine cuts hospital admissions by {PCT}, study finds
{CITY} hospitals stretched as flu season peaks
""",
        lead="""
Health authorities in {C} reported {N} new cases of the disease on {DAY}, bringing the total since the outbreak began in {MONTH} to {NUM}, and urged residents of {P} to get vaccinated.
Thousands of junior doctors in {C} walked out on {DAY} in a dispute over pay and working hours, forcing hospitals to postpone {NUM} appointments.
A vaccine developed by {ORG} reduced hospital admissions by {PCT} in a large clinical trial, researchers said on {DAY}.
Hospitals in {CITY} were running at full capacity on {DAY} as a wave of respiratory infections filled emergency departments, health officials said.
""",
        body="""
The health ministry said {N} patients were in intensive care.
"{QUOTE}," {PER} told a news conference in {CITY}.
{ORG2} said the risk to the general public remained low, but advised people with symptoms to stay at home.
Hospitals in {P} are operating at {PCT} of capacity, and waiting lists have grown to record levels.
The study, published in a peer-reviewed journal, followed {NUM} patients for {N} months.
Nurses and paramedics joined the strike on its second day, the union said.
Public health officials have launched a vaccination campaign aimed at children and older people.
The government has promised {MONEY} in extra health spending over the next {N} years.
Cases have also been reported in {PX}, where local authorities closed schools for a week.
Doctors say many patients arrive too late for treatment because clinics in rural areas lack staff.
{ORG} said it would seek approval for the drug in {C} and {PX} by the end of {YEAR}.
""",
        quote="""
The situation is serious but under control
Our hospitals are at breaking point
This treatment could change the lives of millions of patients
Vaccination remains the best protection
""",
    ),
    Area(
        name="tech",
        weight=0.07,
        topics=("13000000", "20000735", "20001361", "20000717"),
        people="business",
        orgs=("company",),
        headline="""
{ORG} unveils AI model to rival {ORG2}
{C} blames state-backed hackers for cyberattack on ministries
Scientists in {CITY} report breakthrough in quantum research
{ORG} fined {MONEY} by {DEM} regulator over data breach
""",
        lead="""
{ORG} unveiled a new artificial intelligence system on {DAY} that it said could write software and analyse documents faster than rival products, as competition in the industry intensifies.
Government websites in {C} were knocked offline for several hours on {DAY} by a cyberattack that officials blamed on state-backed hackers.
Researchers at a laboratory in {CITY} said on {DAY} they had kept a quantum system stable for {N} seconds, a result they called a step towards practical machines.
Regulators in {C} fined {ORG} {MONEY} on {DAY} for failing to protect the personal data of {NUM} users.
""",
        body="""
"{QUOTE}," {PER} said at a launch event in {CITY}.
The company said the technology would be available to customers in {P} from {MONTH}.
Security experts said the malware had been designed to steal data from critical infrastructure.
The findings, published in the journal Nature, could help scientists build more reliable machines.
Regulators in {PX} are investigating whether the company broke data protection rules.
The research team tested the system on {NUM} samples over {N} months.
Shares in {ORG} rose {PCT} after the announcement.
The ministry said no personal data had been stolen, but an investigation was under way.
{ORG2} has invested {MONEY} in the technology since {YEAR}.
The chips will be made at a new plant in {PX}, which is due to open in {YEAR}.
""",
        quote="""
This is a big step forward for the whole industry
We take the security of our users extremely seriously
Science needs international cooperation more than ever
""",
    ),
    Area(
        name="culture",
        weight=0.06,
        topics=("01000000", "20000002", "20000038", "20000045"),
        people="all",
        orgs=("media", "other"),
        headline="""
{CITY} film festival opens with {DEM} drama
Museum in {P} to return looted artefacts to {PX}
{ORG} to cut jobs in newsroom overhaul
Ancient tomb discovered near {CITY}, archaeologists say
""",
        lead="""
The film festival in {CITY} opened on {DAY} with a {DEM} drama about a family torn apart by war, the first of {N} films competing for the top prize.
Archaeologists working near {CITY} have uncovered a tomb dating back more than {N} centuries, the culture ministry of {C} said on {DAY}.
A museum in {P} said on {DAY} it would return {N} artefacts taken during the colonial era to {PX}, ending a dispute that lasted decades.
{ORG} said on {DAY} it would cut about {NUM} jobs in its newsroom as it shifts resources to its streaming service.
""",
        body="""
"{QUOTE}," the director said at a news conference in {CITY}.
The exhibition, which opens on {DATE}, brings together more than {N} paintings and sculptures.
Tickets for the premiere sold out within hours.
Officials said the site would be protected and opened to visitors next year.
The festival attracted {NUM} visitors last year, according to organisers.
Journalists' groups condemned the decision, calling it a blow to press freedom in {C}.
{ORG} said the new series would be available on its streaming service from {MONTH}.
The orchestra will tour {PX} and {P} in the autumn.
The novelist, who lives in {PX}, won the prize for a book about her childhood in {CITY}.
""",
        quote="""
Art has the power to bring people together
These objects belong to the people of {PX}
We wanted to tell a story that had never been told
""",
    ),
    Area(
        name="crime",
        weight=0.05,
        topics=("02000000", "20000082", "20000106", "20000129"),
        people="politics",
        orgs=("court", "government"),
        headline="""
Police arrest {N} suspects after {CITY} shooting
Former minister sentenced to {N} years for corruption in {C}
{DEM} court acquits businessman in fraud trial
Manhunt under way after prison break in {P}
""",
        lead="""
Police in {CITY} arrested {N} people on {DAY} in connection with a shooting that left {N} dead, and said they were searching for at least one more suspect.
A court in {CITY} sentenced a former minister to {N} years in prison on {DAY} for taking bribes worth {MONEY}, in the most high-profile corruption case in {C} in a decade.
A judge in {CITY} acquitted a prominent businessman of fraud on {DAY}, ruling that prosecutors had failed to prove he knew about the scheme.
""",
        body="""
"{QUOTE}," the prosecutor told the court.
The suspects, aged between {N} and {N}, are due to appear before a judge on {DAY}.
Lawyers for the defendant said they would appeal against the verdict.
Detectives seized cash, weapons and {N} mobile phones during the raids.
{ORG} ruled that the evidence had been obtained lawfully.
The trial, which began in {MONTH}, heard testimony from {N} witnesses.
Police said the motive for the attack was not yet clear.
The case has drawn attention to organised crime in {P}, where murders have risen {PCT} since {YEAR}.
An arrest warrant was issued for a second suspect believed to have fled to {PX}.
""",
        quote="""
No one is above the law
Justice has finally been done
My client is innocent and will be vindicated
""",
    ),
    Area(
        name="environment",
        weight=0.05,
        topics=("06000000", "20000418", "20000420", "20001374", "20000424"),
        people="politics",
        orgs=("ngo", "un-agency", "international"),
        headline="""
{C} pledges to cut emissions {PCT} by 2035
Drought threatens wildlife in {P}, conservationists warn
{ORG} urges faster shift to renewable energy
Air pollution in {CITY} hits record high
""",
        lead="""
{C} pledged on {DAY} to cut greenhouse gas emissions by {PCT} by 2035 compared with {YEAR} levels, a target environmental groups said fell short of what was needed to tackle climate change.
Conservationists warned on {DAY} that a prolonged drought in {P} was pushing endangered species towards extinction.
Air quality in {CITY} reached hazardous levels for a third consecutive day on {DAY}, prompting authorities to close schools and restrict traffic.
""",
        body="""
"{QUOTE}," {PER} said at the climate summit in {PX}.
Solar power and wind power accounted for {PCT} of electricity generation last year.
Conservationists say fewer than {NUM} of the animals remain in the wild.
{ORG} called on governments to phase out fossil fuels and protect forests.
The plan includes {MONEY} in subsidies for electric vehicles and clean energy.
Scientists say rising temperatures are making droughts and floods more frequent.
Levels of fine particles were {N} times the limit recommended by health experts.
""",
        quote="""
We are running out of time
The transition to clean energy is unstoppable
Nature cannot wait
""",
    ),
)

# Reporters for English sign-offs; names that are also taxonomy texts are left out at start.
REPORTERS = (
    "Anna Kowalczyk Marcus Oyelaran Priya Raghunathan Tomasz Wierzbicki Helen Achterberg "
    "Daniel Okonkwo Sofia Marchetti Kenji Watanabe Lucia Ferreyra Omar Haddadin Ingrid Solvang "
    "Ravi Chandrasekar Claire Dufresne Mateus Albuquerque Yelena Sorokina Peter Lindqvist"
).split()
SIGNOFF = "(Reporting by {REP} in {CITY}; Editing by {REP})"
CAPITALIZED_LANGS = ("en", "de", "fr", "es", "pt", "ru")

# ---------------------------------------------------------------------------------------
# Rendering

Piece = tuple[str, str]  # text and the concept id it mentions ("" for plain text)
SLOT_RE = re.compile(r"\{([A-Z0-9]+)\}")
# Slots a story may lack (no second person, no demonym...): templates needing them are skipped.
OPTIONAL_SLOTS = ("PER", "PER2", "ORG", "ORG2", "DEM", "DEMS", "KW", "PX", "CITY")


class KeywordScanner:
    """Finds topic keywords in template text: leftmost-longest, whole words."""

    def __init__(self, owners: dict[str, str]):
        self.owners = owners
        self.max_words = max(len(WORD_RE.findall(key)) for key in owners)

    def pieces(self, text: str) -> list[Piece]:
        words = [m.span() for m in WORD_RE.finditer(text)]
        out: list[Piece] = []
        pos = i = 0
        while i < len(words):
            hit = self._longest_at(text, words, i)
            if hit is None:
                i += 1
                continue
            j, tid = hit
            start, end = words[i][0], words[j][1]
            if start > pos:
                out.append((text[pos:start], ""))
            out.append((text[start:end], tid))
            pos, i = end, j + 1
        if pos < len(text):
            out.append((text[pos:], ""))
        return out

    def _longest_at(self, text: str, words: list, i: int) -> tuple[int, str] | None:
        for j in range(min(len(words), i + self.max_words) - 1, i - 1, -1):
            tid = self.owners.get(fold(text[words[i][0] : words[j][1]]))
            if tid:
                return j, tid
        return None


@dataclass(frozen=True)
class Template:
    tokens: tuple  # slot names (str) and literal pieces (Piece)
    needs: frozenset  # optional slots it uses


def parse_template(line: str, scanner: KeywordScanner) -> Template:
    tokens: list = []
    for i, part in enumerate(SLOT_RE.split(line)):
        if i % 2:
            tokens.append(part)
        elif part:
            tokens.extend(scanner.pieces(part))
    needs = frozenset(t for t in tokens if isinstance(t, str) and t in OPTIONAL_SLOTS)
    return Template(tuple(tokens), needs)


def parse_block(block: str, scanner: KeywordScanner) -> list[Template]:
    return [parse_template(line, scanner) for line in block.strip().splitlines()]


def add_piece(out: list[Piece], piece: Piece) -> None:
    """Appends piece (joining plain text), with a space where a word character would touch
    a mention."""
    text, cid = piece
    if not text:
        return
    if out:
        prev_text, prev_cid = out[-1]
        if not (cid or prev_cid):
            out[-1] = (prev_text + text, "")
            return
        if (cid and is_word_char(prev_text[-1])) or (prev_cid and is_word_char(text[0])):
            out.append((" ", ""))
    out.append(piece)


class Text:
    """An article text built piece by piece, with the byte span of every mention."""

    def __init__(self):
        self.parts: list[str] = []
        self.planted: list[list] = []
        self.size = 0  # bytes

    def add(self, pieces: list[Piece], limit: int) -> bool:
        """Appends the pieces unless the text would grow past limit bytes."""
        size = self.size
        planted = []
        for text, cid in pieces:
            n = len(text.encode())
            if cid:
                planted.append([size, size + n, cid])
            size += n
        if size > limit:
            return False
        self.parts.append("".join(text for text, _ in pieces))
        self.planted += planted
        self.size = size
        return True


@dataclass
class Story:
    """The cast and templates of one article."""

    lang: Lang
    templates: dict[str, list[Template]]  # headline, lead, body, quote, filler
    caps: bool
    place: Concept
    country: Concept
    city: Concept | None
    side: list[Concept]
    people: list[Concept]
    orgs: list[Concept]
    keywords: list[Piece]
    available: frozenset = frozenset()


class Writer:
    """Renders the templates of one story into an article Text, within a byte budget."""

    def __init__(self, gen: Generator, story: Story, rng: random.Random):
        self.gen = gen
        self.story = story
        self.lang = story.lang
        self.rng = rng
        self.text = Text()
        self.seen: set[str] = set()  # concepts already named in full (membership only)
        self.pending: list[str] = []  # concepts named in the sentence being written
        self.x = ""  # the number of a {PCT} or {MONEY} template
        self.decks: dict[str, list[Template]] = {}  # templates not yet used, per kind
        self.slots = {
            "P": self.slot_place,
            "C": lambda: [self.mention(story.country)],
            "CITY": lambda: [self.mention(story.city)],
            "DCITY": self.slot_dateline_city,
            "PX": lambda: [self.mention(self.pick_side())],
            "PER": lambda: [self.mention(story.people[0])],
            "PER2": lambda: [self.mention(story.people[1])],
            "ORG": lambda: self.slot_org(story.orgs[0]),
            "ORG2": lambda: self.slot_org(story.orgs[1]),
            "DEM": lambda: [self.named(story.country.adjective, story.country.cid)],
            "DEMS": lambda: [self.named(story.country.people, story.country.cid)],
            "KW": lambda: [rng.choice(story.keywords)],
            "QUOTE": lambda: self.render(self.choose("quote")),
            "REP": lambda: [(rng.choice(gen.reporters), "")],
            "X": lambda: [(self.x, "")],
            "N": lambda: [(str(min(2 + int(rng.expovariate(1 / 12)), 90)), "")],
            "NUM": lambda: [(self.integer(rng.randrange(12, 9000) * 100), "")],
            "PCT": lambda: self.number(gen.percent[self.lang.code], 1.0, 0.9),
            "MONEY": lambda: self.number(gen.money[self.lang.code], 2.0, 1.0),
            "MAG": lambda: [(self.decimal(rng.uniform(4.5, 7.9)), "")],
            "SCORE": lambda: [(f"{rng.randint(1, 4)}-{rng.randint(0, 1)}", "")],
            "DAY": lambda: [(rng.choice(self.lang.days), "")],
            "DATE": lambda: [(self.date(), "")],
            "MONTH": lambda: [(rng.choice(self.lang.months), "")],
            "YEAR": lambda: [(str(rng.randint(2008, 2024)), "")],
        }

    # -- slots

    def mention(self, c: Concept) -> Piece:
        """The concept's native name, a short form on repeat, or its name."""
        self.pending.append(c.cid)
        native = c.native.get(self.lang.code)
        if native:
            return native, c.cid
        if c.short and (c.cid in self.seen or c.cid in self.pending[:-1]):
            if self.rng.random() < 0.6:
                return self.rng.choice(c.short), c.cid
        return c.name, c.cid

    def named(self, text: str, cid: str) -> Piece:
        self.pending.append(cid)
        return text, cid

    def slot_place(self) -> list[Piece]:
        """The main place; a city first named in English may add its state or country."""
        place = self.story.place
        first = place.cid not in self.seen and place.cid not in self.pending
        pieces = [self.mention(place)]
        if first and self.lang.code == "en" and place.feature == "city":
            region = self.gen.region_of(place)
            if region and self.rng.random() < 0.5:
                pieces += [(", ", ""), self.mention(region)]
        return pieces

    def slot_org(self, org: Concept) -> list[Piece]:
        """An organization, first named in English sometimes with its acronym in parentheses:
        "World Health Organization (WHO)"."""
        first = org.cid not in self.seen and org.cid not in self.pending
        pieces = [self.mention(org)]
        acronyms = [s for s in org.short if is_acronym(s)]
        if first and acronyms and self.lang.code == "en" and self.rng.random() < 0.4:
            pieces += [(" (", ""), self.named(acronyms[0], org.cid), (")", "")]
        return pieces

    def slot_dateline_city(self) -> list[Piece]:
        """The dateline's city in capitals ("PARIS"), with its state for a US city ("AUSTIN,
        Texas")."""
        city = self.story.city
        name = city.native.get(self.lang.code, city.name)
        if self.lang.code in CAPITALIZED_LANGS:
            name = name.upper()
        pieces = [self.named(name, city.cid)]
        state = self.gen.region_of(city)
        if self.lang.code == "en" and city.country_code == "US" and state:
            pieces += [(", ", ""), self.mention(state)]
        return pieces

    def pick_side(self) -> Concept:
        side = self.story.side
        return side[min(int(self.rng.expovariate(1.0)), len(side) - 1)]

    def integer(self, value: int) -> str:
        return f"{value:,}".replace(",", self.lang.thousands)

    def decimal(self, value: float) -> str:
        return f"{value:.1f}".replace(".", self.lang.decimal)

    def number(self, formats: list[Template], mu: float, sigma: float) -> list[Piece]:
        """A {PCT} or {MONEY}: mostly small numbers, a few large (log-normal, at most 99)."""
        self.x = self.decimal(min(max(self.rng.lognormvariate(mu, sigma), 0.1), 99.0))
        return self.render(self.rng.choice(formats))

    def date(self) -> str:
        month = self.rng.randrange(12)
        return self.lang.date_format.format(
            day=self.rng.randint(1, 28), month=self.lang.date_months[month], m=month + 1
        )

    # -- sentences

    def render(self, template: Template) -> list[Piece]:
        out: list[Piece] = []
        slots = self.slots
        for token in template.tokens:
            if token.__class__ is str:
                for piece in slots[token]():
                    add_piece(out, piece)
            else:
                add_piece(out, token)
        return out

    def sentence(self, template: Template) -> list[Piece]:
        """A rendered sentence: capitalised, and in capitals for an ALL-CAPS story."""
        pieces = self.render(template)
        if self.story.caps:
            return [(text.upper(), cid) for text, cid in pieces]
        text, cid = pieces[0]
        if self.lang.code in CAPITALIZED_LANGS and text[0].islower():
            pieces[0] = (text[0].upper() + text[1:], cid)
        return pieces

    def choose(self, kind: str) -> Template:
        """A template of this kind whose optional slots the story can fill, dealt from a
        shuffled deck so that an article repeats a template only once it used them all."""
        templates = self.story.templates[kind]
        deck = self.decks.get(kind, [])
        for _ in range(2 * len(templates)):
            if not deck:
                deck = self.decks[kind] = list(templates)
                self.rng.shuffle(deck)
            template = deck.pop()
            if template.needs <= self.story.available:
                return template
        return self.rng.choice(self.story.templates["filler"])

    def add(self, pieces: list[Piece], limit: int) -> bool:
        """Adds the pieces if the text stays within limit bytes; commits their mentions."""
        fits = self.text.add(pieces, limit)
        if fits:
            self.seen.update(self.pending)
        self.pending.clear()
        return fits

    def add_sentence(self, kind: str, sep: str, limit: int) -> bool:
        """Adds a sentence of this kind, else a shorter filler; False when none fits."""
        sep_piece = [(sep, "")]
        for _ in range(6):
            if self.add(sep_piece + self.sentence(self.choose(kind)), limit):
                return True
        fillers = list(self.story.templates["filler"])
        self.rng.shuffle(fillers)
        return any(self.add(sep_piece + self.sentence(t), limit) for t in fillers)


# ---------------------------------------------------------------------------------------
# Stories and articles

TEMPLATE_KINDS = ("headline", "lead", "body", "quote", "filler")


def keyword_nouns(tax: Taxonomy, codes: tuple[str, ...]) -> list[Piece]:
    """Keywords of these topics that read as nouns ("inflation", "peace talks") for {KW}."""
    out: list[Piece] = []
    for code in codes:
        for keyword in tax.topics.get(f"topic:medtop:{code}", []):
            owner = tax.keyword_owner.get(fold(keyword))
            words = keyword.split()
            endings = ("ed", "al", "ic", "ive", "ous", "with") + (
                () if words[1:] else ("ing", "ly")
            )
            if owner and not words[-1].endswith(endings):
                out.append((keyword, owner))
    return out


class Generator:
    """Writes article number i of the corpus, the same way for the same seed."""

    def __init__(self, tax: Taxonomy, seed: int, sizes: tuple[int, int, int]):
        self.tax = tax
        self.seed = seed
        self.min_bytes, self.max_bytes, self.fixed_bytes = sizes
        scanner = KeywordScanner(tax.keyword_owner)
        self.percent = {
            c: [parse_template(f, scanner) for f in g.percent] for c, g in LANGS.items()
        }
        self.money = {c: [parse_template(f, scanner) for f in g.money] for c, g in LANGS.items()}
        self.datelines = {c: parse_template(g.dateline, scanner) for c, g in LANGS.items()}
        self.signoff = parse_template(SIGNOFF, scanner)
        self.templates = {
            code: {kind: parse_block(getattr(lang, kind), scanner) for kind in TEMPLATE_KINDS}
            for code, lang in LANGS.items()
            if code != "en"
        }
        self.areas = [self._area(area, scanner) for area in AREAS]
        self.area_pool = Pool(self.areas, [area.weight for area in AREAS])
        self.all_orgs = tax.org_pool(tuple(sorted({c.category for c in tax.orgs})))
        codes = ["en", *LANG_SHARES]
        self.lang_pool = Pool(codes, [1.0 - sum(LANG_SHARES.values()), *LANG_SHARES.values()])
        self.reporters = [
            f"{first} {last}"
            for first, last in zip(REPORTERS[::2], REPORTERS[1::2])
            if fold(first) not in tax.owner and fold(last) not in tax.owner
        ]

    def _area(self, area: Area, scanner: KeywordScanner) -> dict:
        templates = {kind: parse_block(getattr(area, kind), scanner) for kind in TEMPLATE_KINDS[:4]}
        templates["body"] += parse_block(EN.body, scanner)
        templates["filler"] = parse_block(EN.filler, scanner)
        return {
            "templates": templates,
            "people": self.tax.people[area.people],
            "orgs": self.tax.org_pool(area.orgs),
            "keywords": keyword_nouns(self.tax, area.topics),
        }

    # -- cast

    def region_of(self, city: Concept) -> Concept | None:
        """A city's US state, else its country (for "Austin, Texas", "Lyon, France")."""
        if city.country_code == "US":
            return self.tax.admin1_by_key.get(("US", city.admin1))
        return self.tax.country_of(city)

    def pick_place(self, rng: random.Random, lang: str) -> Concept:
        tax = self.tax
        if lang in SCRIPT_RES and rng.random() < 0.75:
            return tax.native_places[lang].pick(rng)
        r = rng.random()
        if r < 0.45:
            return tax.countries.pick(rng)
        if r < 0.85:
            return tax.cities.pick(rng)
        if r < 0.92:
            return tax.admin1.pick(rng)
        return (tax.regions if r < 0.97 else tax.continents).pick(rng)

    def city_in(self, country: Concept, rng: random.Random) -> Concept | None:
        capital = self.tax.capitals.get(country.country_code)
        if capital and rng.random() < 0.8:
            return capital
        pool = self.tax.cities_by_code.get(country.country_code)
        return pool.pick(rng) if pool else capital

    def side_places(self, rng: random.Random, lang: str, taken: list[Concept]) -> list[Concept]:
        """Two to four other places: mostly in the same country, else elsewhere."""
        tax = self.tax
        country = taken[-1]
        local = tax.cities_by_code.get(country.country_code)
        out: list[Concept] = []
        for _ in range(rng.randint(2, 4)):
            r = rng.random()
            if lang in SCRIPT_RES and r < 0.6:
                place = tax.native_places[lang].pick(rng)
            elif local and r < 0.5:
                place = local.pick(rng)
            else:
                place = (tax.countries if r < 0.8 else tax.cities).pick(rng)
            if all(place.cid != c.cid for c in taken + out):
                out.append(place)
        return out

    def cast(self, rng: random.Random, lang: str) -> Story:
        if lang == "en":
            area = self.area_pool.pick(rng)
            templates, people, orgs = area["templates"], area["people"], area["orgs"]
            keywords = area["keywords"]
        else:
            templates, people, orgs = (
                self.templates[lang],
                self.tax.people["politics"],
                self.all_orgs,
            )
            keywords = []
        place = self.pick_place(rng, lang)
        country = self.tax.country_of(place) or self.tax.countries.pick(rng)
        city = place if place.feature == "city" else self.city_in(country, rng)
        # In political stories the main person is often one of the country's own leaders.
        home = self.tax.people_by_code.get(country.country_code)
        lead = (
            home
            if home and people is self.tax.people["politics"] and rng.random() < 0.5
            else people
        )
        story = Story(
            lang=LANGS[lang],
            templates=templates,
            caps=lang == "en" and rng.random() < CAPS_SHARE,
            place=place,
            country=country,
            city=city,
            side=self.side_places(rng, lang, [place, country]),
            people=distinct([lead, people], rng),
            orgs=distinct([orgs, orgs], rng),
            keywords=keywords,
        )
        story.available = available_slots(story)
        return story

    # -- articles

    def bounds(self, rng: random.Random) -> tuple[int, int]:
        """(target, limit) in bytes: write until target, never past limit."""
        if self.fixed_bytes:  # centred on N: from N - 1.5% (plus a sentence) to N + 3%
            target = int(self.fixed_bytes * (1 - FIXED_TOLERANCE / 2))
            return target, int(self.fixed_bytes * (1 + FIXED_TOLERANCE))
        return rng.randint(self.min_bytes, self.max_bytes), self.max_bytes

    def article(self, index: int) -> tuple[dict, bool]:
        """Article number index (0-based) and whether it is in capitals."""
        rng = random.Random(f"{self.seed}:{index}")
        story = self.cast(rng, self.lang_pool.pick(rng))
        w = Writer(self, story, rng)
        target, limit = self.bounds(rng)
        title = w.sentence(w.choose("headline"))
        w.add(title + [("\n", "")], limit)
        lead = []
        if story.city and rng.random() < 0.7:
            lead = w.sentence(self.datelines[story.lang.code])
        w.add(lead + w.sentence(w.choose("lead")), limit)
        left = rng.choice((0, 1, 1))  # sentences still to come in this paragraph
        while w.text.size < target:
            if left:
                sep, left = " ", left - 1
            else:
                sep, left = "\n\n", rng.choice((0, 1, 1, 2, 2, 3))
            if not w.add_sentence("body", sep, limit):
                break
        if story.lang.code == "en" and story.city and rng.random() < 0.4:
            w.add([("\n\n", "")] + w.sentence(self.signoff), limit)
        text = "".join(w.text.parts)
        head = "".join(piece for piece, _ in title)
        record = {
            "id": f"a{index + 1:06d}",
            "title": head,
            "body": text[len(head) + 1 :],
            "lang": story.lang.code,
            "planted": w.text.planted,
        }
        return record, story.caps


def distinct(pools: list[Pool], rng: random.Random) -> list[Concept]:
    """One concept from each pool, all different (a pool too small gives fewer)."""
    out: list[Concept] = []
    for pool in pools:
        for _ in range(10):
            c = pool.pick(rng)
            if all(c.cid != o.cid for o in out):
                out.append(c)
                break
    return out


def available_slots(story: Story) -> frozenset:
    """The optional slots this story can fill."""
    english = story.lang.code == "en"
    have = {
        "PER": len(story.people) >= 1,
        "PER2": len(story.people) >= 2,
        "ORG": len(story.orgs) >= 1,
        "ORG2": len(story.orgs) >= 2,
        "DEM": english and bool(story.country.adjective),
        "DEMS": english and bool(story.country.people),
        "KW": bool(story.keywords),
        "PX": bool(story.side),
        "CITY": story.city is not None,
    }
    return frozenset(slot for slot, ok in have.items() if ok)


# ---------------------------------------------------------------------------------------
# Output, check and command line


@dataclass
class Stats:
    articles: int = 0
    bytes: int = 0
    smallest: int = 0
    largest: int = 0
    entity_mentions: int = 0
    keyword_mentions: int = 0
    english_words: int = 0
    english_entity_mentions: int = 0
    caps: int = 0
    langs: dict[str, int] = field(default_factory=dict)

    def add(self, record: dict, size: int, caps: bool) -> None:
        self.articles += 1
        self.bytes += size
        self.smallest = min(self.smallest or size, size)
        self.largest = max(self.largest, size)
        entities = sum(not cid.startswith("topic:") for _, _, cid in record["planted"])
        self.entity_mentions += entities
        self.keyword_mentions += len(record["planted"]) - entities
        self.caps += caps
        lang = record["lang"]
        self.langs[lang] = self.langs.get(lang, 0) + 1
        if lang == "en":
            self.english_words += len(record["title"].split()) + len(record["body"].split())
            self.english_entity_mentions += entities

    def summary(self, seconds: float, out: Path) -> str:
        kb = self.bytes / 1024
        mix = " ".join(
            f"{lang} {100 * n / self.articles:.1f}%"
            for lang, n in sorted(self.langs.items(), key=lambda item: (-item[1], item[0]))
        )
        return (
            f"corpus: {self.articles} articles, {self.bytes / 1e6:.1f} MB, "
            f"mean {self.bytes // self.articles} B ({self.smallest}-{self.largest}), "
            f"{(self.entity_mentions + self.keyword_mentions) / kb:.1f} planted/KB "
            f"({self.entity_mentions / kb:.1f} entity + {self.keyword_mentions / kb:.1f} "
            f"keyword), {100 * self.english_entity_mentions / max(self.english_words, 1):.1f} "
            f"entities/100 words (en), ALL-CAPS {100 * self.caps / self.articles:.1f}%, "
            f"lang {mix}; {seconds:.1f} s -> {out}"
        )


def write_corpus(gen: Generator, articles: int, out: Path) -> Stats:
    """Writes the corpus to out atomically (a temporary file, then a rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    stats = Stats()
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            for index in range(articles):
                record, caps = gen.article(index)
                size = len(record["title"].encode()) + 1 + len(record["body"].encode())
                stats.add(record, size, caps)
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return stats


def char_before(data: bytes, start: int) -> str:
    """The character that ends just before byte start ("" at the beginning)."""
    i = start - 1
    while i > 0 and data[i] & 0xC0 == 0x80:
        i -= 1
    return data[max(i, 0) : start].decode()


def char_after(data: bytes, end: int) -> str:
    """The character that starts at byte end ("" at the end)."""
    if end >= len(data):
        return ""
    lead = data[end]
    n = 1 if lead < 0x80 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    return data[end : end + n].decode()


class SpanChecker:
    """Knows every text the generator may write for a concept, case-insensitively."""

    def __init__(self, tax: Taxonomy):
        self.tax = tax
        self.forms: dict[str, set[str]] = {}

    def surfaces(self, cid: str) -> set[str]:
        if cid not in self.forms:
            if cid in self.tax.topics:
                texts = [k for k in self.tax.topics[cid] if self.tax.keyword_owner.get(fold(k))]
            else:
                texts = entity_surfaces(self.tax.concepts[cid])
            self.forms[cid] = {fold(t) for t in texts} | {fold(t.upper()) for t in texts}
        return self.forms[cid]

    def problems(self, record: dict) -> list[str]:
        """What is wrong with one article's planted spans (empty when all is well)."""
        data = (record["title"] + "\n" + record["body"]).encode()
        out = []
        previous_end = 0
        for start, end, cid in record["planted"]:
            where = f"[{start}, {end}, {cid}]"
            if not previous_end <= start < end <= len(data):
                out.append(f"{where}: out of order or out of range")
                continue
            previous_end = end
            try:
                text = data[start:end].decode()
                around = char_before(data, start) + char_after(data, end)
            except UnicodeDecodeError:
                out.append(f"{where}: not on character boundaries")
                continue
            if fold(text) not in self.surfaces(cid):
                out.append(f"{where}: {text!r} is not a name of the concept")
            if any(is_word_char(ch) for ch in around):
                out.append(f"{where}: {text!r} is not a whole word ({around!r} around it)")
        return out


def check_corpus(path: Path, tax: Taxonomy, size_range: tuple[int, int]) -> int:
    """Re-reads the corpus and verifies every planted span and article size; spans checked."""
    checker = SpanChecker(tax)
    spans = 0
    errors: list[str] = []
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            record = json.loads(line)
            size = len(record["title"].encode()) + 1 + len(record["body"].encode())
            found = checker.problems(record)
            if "\n" in record["title"]:
                found.append("newline in title")
            if not size_range[0] <= size <= size_range[1]:
                found.append(f"{size} bytes, outside {size_range[0]}-{size_range[1]}")
            errors += [f"{path}:{line_no}: {problem}" for problem in found]
            spans += len(record["planted"])
    if errors:
        sys.exit("check failed:\n" + "\n".join(errors[:20]) + f"\n({len(errors)} problems)")
    return spans


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--min-bytes", type=int, default=2000)
    parser.add_argument("--max-bytes", type=int, default=10_000)
    parser.add_argument(
        "--fixed-bytes", type=int, default=0, help="every article N bytes (within ±3%%)"
    )
    parser.add_argument(
        "--check", action="store_true", help="re-read the output and verify every planted span"
    )
    args = parser.parse_args(argv)
    if args.articles < 1:
        parser.error("--articles must be at least 1")
    if args.fixed_bytes and args.fixed_bytes < 1000:
        parser.error("--fixed-bytes must be at least 1000")
    if not args.fixed_bytes and not 1000 <= args.min_bytes < args.max_bytes:
        parser.error("need 1000 <= --min-bytes < --max-bytes")
    if not args.taxonomy.is_file():
        parser.error(f"taxonomy not found: {args.taxonomy}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.monotonic()
    tax = Taxonomy(read_jsonl(args.taxonomy))
    gen = Generator(tax, args.seed, (args.min_bytes, args.max_bytes, args.fixed_bytes))
    stats = write_corpus(gen, args.articles, args.out)
    print(stats.summary(time.monotonic() - started, args.out), file=sys.stderr)
    if args.check:
        if args.fixed_bytes:
            fixed = args.fixed_bytes
            size_range = (int(fixed * (1 - FIXED_TOLERANCE)), int(fixed * (1 + FIXED_TOLERANCE)))
        else:
            size_range = (args.min_bytes, args.max_bytes)
        spans = check_corpus(args.out, tax, size_range)
        print(f"check: {stats.articles} articles, {spans} planted spans OK", file=sys.stderr)


if __name__ == "__main__":
    main()
