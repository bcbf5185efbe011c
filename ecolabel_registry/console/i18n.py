"""Interface languages: one flat JSON message catalogue per language in `translations/`.

A message that counts something is an object of CLDR plural forms (`{"one": "{count} certificate found",
"other": "{count} certificates found"}`; Chinese has only `other`); Babel's CLDR plural rules pick the
form for the count, and the count is written with the language's number format.

The language comes from `?lang=` (remembered in a cookie), else that cookie, else the browser's
`Accept-Language` (RFC 9110 §12.5.4, q-values honoured), else English. A missing entry falls back to
English and then to the key itself, so a gap shows as English text rather than as an error page;
`tests/console/test_translations.py` keeps the dictionaries complete.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.numbers import format_decimal
from starlette.requests import Request

DEFAULT = "en"
SUPPORTED = ("en", "zh")
# BCP 47 tags for the `lang` attribute: the Chinese dictionary is Simplified Chinese.
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
NATIVE_NAMES = {"en": "English", "zh": "简体中文"}
COOKIE = "console_lang"
_FOLDER = Path(__file__).parent / "translations"


Message = str | dict[str, str]  # a text, or a text per CLDR plural category ("one", "other", …)


@cache
def dictionary(lang: str) -> dict[str, Message]:
    loaded: dict[str, Message] = json.loads((_FOLDER / f"{lang}.json").read_text(encoding="utf-8"))
    return loaded


@cache
def locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_category(lang: str, count: float) -> str:
    """The CLDR plural category of `count` in this language: "one" or "other" in English, "other" in Chinese."""
    category: str = locale(lang).plural_form(count)
    return category


@dataclass(frozen=True)
class Translator:
    lang: str

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.lang]

    def __call__(self, key: str, **values: object) -> str:
        message = dictionary(self.lang).get(key) or dictionary(DEFAULT).get(key) or key
        if isinstance(message, dict):
            count = values.get("count")
            if not isinstance(count, int):
                raise TypeError(f"{key} counts something: give count=")
            text = message.get(plural_category(self.lang, count)) or message["other"]
            values = {**values, "count": format_decimal(count, locale=self.lang)}
        else:
            text = message
        return text.format(**values) if values else text

    def optional(self, prefix: str, code: str) -> str:
        """A translated label for a code (status, reason), or the code itself when none is written."""
        key = f"{prefix}.{code}"
        return self(key) if key in dictionary(DEFAULT) else code

    def name(self, names: dict[str, str]) -> str:
        """A multilingual name in this language, else English, else the first one given."""
        return names.get(self.lang) or names.get(DEFAULT) or (names[min(names)] if names else "")


def from_query(value: str | None) -> str | None:
    return value if value in SUPPORTED else None


def negotiate(request: Request) -> str:
    return (
        from_query(request.query_params.get("lang"))
        or from_query(request.cookies.get(COOKIE))
        or from_accept_language(request.headers.get("accept-language", ""))
    )


def from_accept_language(header: str) -> str:
    """The supported language the browser prefers most; any `zh` tag maps to the Simplified dictionary."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in SUPPORTED and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else DEFAULT
