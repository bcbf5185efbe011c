"""Interface languages: one flat JSON dictionary per language in `translations/`, no gettext toolchain.

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

from starlette.requests import Request

DEFAULT = "en"
SUPPORTED = ("en", "zh")
# BCP 47 tags for the `lang` attribute: the Chinese dictionary is Simplified Chinese.
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
NATIVE_NAMES = {"en": "English", "zh": "简体中文"}
COOKIE = "console_lang"
_FOLDER = Path(__file__).parent / "translations"


@cache
def dictionary(lang: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((_FOLDER / f"{lang}.json").read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class Translator:
    lang: str

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.lang]

    def __call__(self, key: str, **values: object) -> str:
        text = dictionary(self.lang).get(key) or dictionary(DEFAULT).get(key) or key
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
