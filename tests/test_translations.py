"""The translation catalogues: complete, not fuzzy, compiled, and used by the pages.

The .po files are parsed here with a few lines of code (no polib), so that the test runs on a
bare install. Refresh the catalogues with `make messages`.
"""

import gettext
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["nl", "en"]

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b"}
_ESCAPES.update({"f": "\f", "v": "\v"})
_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|\{\{\s*\w+\s*\}\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}" + (
            f" (context {self.msgctxt!r})" if self.msgctxt else ""
        )


def _unquote(quoted: str) -> str:
    """One PO string literal ("...") with C escapes to text."""
    body = quoted.strip()
    assert body.startswith('"') and body.endswith('"'), quoted
    body = body[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file: multi-line strings joined, plural forms by index.

    Obsolete entries (#~) are left out; they are not compiled.
    """
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # which string the continuation lines extend

    def start_entry(lineno: int) -> Entry:
        new = Entry(line=lineno)
        entries.append(new)
        return new

    pending_flags: set[str] = set()
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            target = None
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            assert entry is not None and target is not None, f"{path}:{lineno}: stray string"
            value = _unquote(line)
            kind, index = target
            if kind == "msgstr":
                entry.msgstr[index] += value
            else:
                setattr(entry, kind, getattr(entry, kind) + value)
            continue
        match = _KEYWORD.match(line)
        assert match, f"{path}:{lineno}: cannot parse {raw!r}"
        keyword, index, quoted = match.groups()
        value = _unquote(quoted)
        if keyword in ("msgctxt", "msgid"):
            # A new entry starts at msgctxt, or at msgid when no msgctxt came just before.
            if keyword == "msgctxt" or entry is None or target is None or target[0] != "msgctxt":
                entry = start_entry(lineno)
                entry.flags, pending_flags = pending_flags, set()
            setattr(entry, keyword, value)
            target = (keyword, 0)
        elif keyword == "msgid_plural":
            entry.msgid_plural = value
            target = ("msgid_plural", 0)
        else:
            n = int(index) if index is not None else 0
            entry.msgstr[n] = value
            target = ("msgstr", n)
    return entries


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"


def mo_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"


def nplurals(entries: list[Entry]) -> int:
    header = next(e for e in entries if e.is_header).msgstr.get(0, "")
    match = re.search(r"nplurals\s*=\s*(\d+)", header)
    assert match, "the header has no Plural-Forms"
    return int(match.group(1))


def test_the_parser_reads_multiline_strings_plurals_and_flags(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        '#: a.py:1\n#, fuzzy, python-format\nmsgid ""\n"Hello %(name)s, "\n"\\"world\\""\n'
        'msgstr "Hallo"\n\n'
        'msgctxt "verb"\nmsgid "Link"\nmsgstr "Koppelen"\n\n'
        'msgid "one"\nmsgid_plural "many"\nmsgstr[0] "een"\nmsgstr[1] ""\n"veel"\n\n'
        '#~ msgid "old"\n#~ msgstr "oud"\n',
        encoding="utf-8",
    )
    header, fuzzy, ctxt, plural = parse_po(po)
    assert nplurals([header]) == 2
    assert fuzzy.msgid == 'Hello %(name)s, "world"' and fuzzy.flags == {"fuzzy", "python-format"}
    assert (ctxt.msgctxt, ctxt.msgid, ctxt.msgstr) == ("verb", "Link", {0: "Koppelen"})
    assert plural.msgid_plural == "many" and plural.msgstr == {0: "een", 1: "veel"}
    assert not header.flags and not plural.flags


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_not_fuzzy(lang):
    entries = parse_po(po_path(lang))
    forms = nplurals(entries)
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.label}")
        if entry.is_header:
            continue
        wanted = range(forms) if entry.msgid_plural is not None else range(1)
        empty = [n for n in wanted if not entry.msgstr.get(n)]
        if empty:
            which = "" if entry.msgid_plural is None else f" msgstr{empty}"
            problems.append(f"untranslated{which}: {entry.label}")
    assert len(entries) > 1, f"{po_path(lang)} has no messages"
    assert not problems, f"locale/{lang}: {len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_the_placeholders(lang):
    problems = []
    for entry in parse_po(po_path(lang)):
        if entry.is_header:
            continue
        for n, text in entry.msgstr.items():
            source = entry.msgid if n == 0 or entry.msgid_plural is None else entry.msgid_plural
            want, got = sorted(_PLACEHOLDER.findall(source)), sorted(_PLACEHOLDER.findall(text))
            if text and want != got:
                problems.append(f"{entry.label}: msgstr[{n}] has {got}, the source has {want}")
    assert not problems, f"locale/{lang}:\n" + "\n".join(problems)


def _without_dates(catalog: dict) -> dict:
    """The catalogue minus the creation and revision dates in the header, which makemessages
    bumps on every run without changing any message."""
    header = re.sub(
        r"^(POT-Creation-Date|PO-Revision-Date):.*\n", "", catalog.get("", ""), flags=re.M
    )
    return {**catalog, "": header}


def _load_mo(path: Path) -> dict:
    with path.open("rb") as fp:
        return _without_dates(gettext.GNUTranslations(fp)._catalog)


def _expected_catalog(entries: list[Entry]) -> dict:
    """What msgfmt puts in the .mo for these entries: translated, non-fuzzy messages."""
    catalog: dict = {}
    for entry in entries:
        if "fuzzy" in entry.flags and not entry.is_header:
            continue
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            if entry.msgstr.get(0):
                catalog[key] = entry.msgstr[0]
        elif any(entry.msgstr.values()):
            for n, text in sorted(entry.msgstr.items()):
                catalog[(key, n)] = text
    return _without_dates(catalog)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_the_po_file(lang):
    """Checked without gettext tools, so it also holds on a machine without msgfmt."""
    assert mo_path(lang).exists(), f"{mo_path(lang)} is missing: run `make messages`"
    assert _load_mo(mo_path(lang)) == _expected_catalog(parse_po(po_path(lang))), (
        f"locale/{lang}/LC_MESSAGES/django.mo is out of date: run `make messages`"
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_matches_msgfmt(lang, tmp_path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        if os.environ.get("CI") == "true":
            pytest.fail("msgfmt (gettext) is needed in CI")
        pytest.skip("msgfmt (gettext) is not installed")
    fresh = tmp_path / "django.mo"
    result = subprocess.run(
        [msgfmt, "--check-format", "-o", str(fresh), str(po_path(lang))],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"msgfmt rejects locale/{lang}:\n{result.stderr}"
    assert _load_mo(mo_path(lang)) == _load_mo(fresh), (
        f"locale/{lang}/LC_MESSAGES/django.mo is out of date: run `make messages`"
    )


@pytest.mark.django_db
def test_pages_are_dutch_by_default(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="nl">' in html
    assert "Inloggen" in html and "Log in" not in html
    assert "Stap 2" in html and "Belangen en inbreng" in html


@pytest.mark.django_db
def test_pages_are_english_on_request(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "Log in" in html and "Inloggen" not in html
    assert "Interests and contributions" in html


@pytest.mark.django_db
def test_the_language_can_be_switched(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert "Log in" in response.content.decode()
    response = client.post("/i18n/setlang/", {"language": "nl", "next": "/"}, follow=True)
    assert "Inloggen" in response.content.decode()
