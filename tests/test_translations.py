"""Every visible string has its Simplified Chinese translation, and the compiled catalogue
the server loads says the same as the source catalogue."""

import re
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "platform/locale/zh_Hans/LC_MESSAGES/django.po"
# Apps that keep their own catalogue (the verticals, the file store) are held to the same.
CATALOGUES = [
    CATALOGUE,
    *sorted(ROOT.glob("platform/*/locale/zh_Hans/LC_MESSAGES/django.po")),
    *sorted(ROOT.glob("verticals/*/locale/zh_Hans/LC_MESSAGES/django.po")),
    *sorted(ROOT.glob("verticals/*/*/locale/zh_Hans/LC_MESSAGES/django.po")),
]


def _joined(first: str, rest: str) -> str:
    return first + "".join(re.findall(r'^"(.*)"$', rest, re.M))


def _unescape(text: str) -> str:
    return (
        text.encode("latin-1", "backslashreplace").decode("unicode_escape")
        if "\\" in text
        else text
    )


def _entries(catalogues=None) -> list[dict]:
    entries = []
    text = "\n\n".join(c.read_text(encoding="utf-8") for c in catalogues or CATALOGUES)
    for block in re.split(r"\n\s*\n", text):
        msgid = re.search(r'^msgid "(.*)"\n((?:".*"\n?)*)', block, re.M)
        if not msgid or not _joined(*msgid.groups()):
            continue  # the header
        strs = re.findall(r'^msgstr(?:\[\d+\])? "(.*)"\n?((?:".*"\n?)*)', block, re.M)
        entries.append(
            {
                "msgid": _joined(*msgid.groups()),
                "msgstrs": [_joined(a, b) for a, b in strs],
                "fuzzy": re.search(r"^#,.*\bfuzzy\b", block, re.M) is not None,
                "simple": "msgctxt" not in block and "msgid_plural" not in block,
                "obsolete": block.lstrip().startswith("#~"),
            }
        )
    return [e for e in entries if not e["obsolete"]]


def test_the_chinese_catalogue_has_no_untranslated_or_fuzzy_entries():
    entries = _entries()
    assert len(entries) > 200
    missing = [e["msgid"] for e in entries if e["fuzzy"] or not all(e["msgstrs"])]
    assert missing == []


def test_the_compiled_catalogue_matches_the_source():
    with translation.override("zh-hans"):
        stale = [
            e["msgid"]
            for e in _entries()
            if e["simple"]
            and translation.gettext(_unescape(e["msgid"])) != _unescape(e["msgstrs"][0])
        ]
    assert stale == []


@pytest.mark.parametrize(
    ("english", "chinese"),
    [("Sign in", "登录"), ("Dashboard", "工作台"), ("Front desk", "前台")],
)
def test_key_words_are_translated(english, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese
