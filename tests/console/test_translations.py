"""Every interface text exists in English and Simplified Chinese, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

from ecolabel_registry.console import i18n

CONSOLE = Path(i18n.__file__).parent
# t("key") and t('key') with a literal key, in templates and in the page modules.
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-zA-Z0-9_.]+)["']""")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


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


def test_accept_language_prefers_the_highest_quality_supported_language() -> None:
    assert i18n.from_accept_language("fr-FR, zh-CN;q=0.8, en;q=0.5") == "zh"
    assert i18n.from_accept_language("en-GB, zh;q=0.9") == "en"
    assert i18n.from_accept_language("zh-TW;q=0, de") == "en"
    assert i18n.from_accept_language("") == "en"
