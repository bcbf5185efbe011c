"""Every interface text exists in English and Simplified Chinese, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

from ecolabel_registry.console import i18n

CONSOLE = Path(i18n.__file__).parent
# t("key") and t('key') with a literal key, in templates and in the page modules.
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-zA-Z0-9_.]+)["']""")


def _placeholders(message: i18n.Message) -> set[str]:
    texts = message.values() if isinstance(message, dict) else [message]
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_dictionaries_hold_the_same_keys() -> None:
    assert set(i18n.dictionary("en")) == set(i18n.dictionary("zh"))


def test_placeholders_match() -> None:
    english, chinese = i18n.dictionary("en"), i18n.dictionary("zh")
    assert not [key for key in english if _placeholders(english[key]) != _placeholders(chinese.get(key, ""))]


def test_every_key_the_pages_use_is_written() -> None:
    sources = [*CONSOLE.glob("templates/*.html"), *CONSOLE.glob("pages/*.py"), CONSOLE / "catalogue.py"]
    used = {key for path in sources for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))}
    # Keys the page modules pass around as values, e.g. `problem = "search.bad_gtin"`.
    messages = re.compile(r'"((?:catalogue|search|supply|log|error)\.[a-z_.]+)"')
    used |= {key for path in sources for key in messages.findall(path.read_text(encoding="utf-8"))}
    written = i18n.dictionary("en")
    # A key ending in "." is a prefix completed at run time ("nav." ~ page): some key must start with it.
    missing = sorted(
        key
        for key in used
        if not key.endswith(".html")
        and (key not in written if not key.endswith(".") else not any(k.startswith(key) for k in written))
    )
    assert not missing


def test_every_counted_message_has_each_plural_form_its_language_uses() -> None:
    for lang in i18n.SUPPORTED:
        forms = set(i18n.locale(lang).plural_form.tags) | {"other"}
        for key, message in i18n.dictionary(lang).items():
            if isinstance(message, dict):
                assert set(message) == forms, (lang, key)
                assert all("{count}" in text for text in message.values()), (lang, key)


def test_counts_pick_their_plural_form_in_both_languages() -> None:
    english, chinese = i18n.Translator("en"), i18n.Translator("zh")
    assert english("search.results", count=1) == "1 certificate found"
    assert english("search.results", count=2) == "2 certificates found"
    assert english("search.results", count=12000) == "12,000 certificates found"
    assert english("supply.gaps.no_identifier", count=1) == "1 organisation without an identifier"
    assert english("supply.gaps.unconfirmed", count=1) == "1 link not confirmed by the supplier"
    assert english("eligibility.result.summary", eligible=1, count=1) == "1 of 1 item is eligible"
    assert chinese("search.results", count=1) == "找到 1 份证书"
    assert chinese("supply.gaps.unconfirmed", count=3) == "3 条供应关系未经供应商确认"


def test_accept_language_prefers_the_highest_quality_supported_language() -> None:
    assert i18n.from_accept_language("fr-FR, zh-CN;q=0.8, en;q=0.5") == "zh"
    assert i18n.from_accept_language("en-GB, zh;q=0.9") == "en"
    assert i18n.from_accept_language("zh-TW;q=0, de") == "en"
    assert i18n.from_accept_language("") == "en"
