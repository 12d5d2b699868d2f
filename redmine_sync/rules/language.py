"""The language of a request: the customer's ``lang`` in the customers file, else the one
its text is written in. Notes to the requester are written in it. Pure."""

from __future__ import annotations

import re
from functools import lru_cache

LANGS = ("en", "zh")
CJK_SHARE = 0.2   # at least this share of the letters are Chinese: the request is Chinese


def detect(text: str) -> str:
    """zh when Chinese characters make up at least ``CJK_SHARE`` of the letters, else en."""
    return _language(*_letters(text))


def _language(letters: int, cjk: int) -> str:
    if not letters:
        return "en"
    return "zh" if cjk / letters >= CJK_SHARE else "en"


def _letters(text: str) -> tuple[int, int]:
    """The letters of a text, and how many of them are Chinese."""
    return sum(map(str.isalpha, text)), sum(map(str.isalpha, "".join(_CJK.findall(text))))


_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
_counted = lru_cache(maxsize=4096)(_letters)   # descriptions repeat (templates, forms)


def request_language(customer_lang: str | None, subject: str, description: str) -> str:
    """detect(subject + newline + description): the counts add up (no run of Chinese
    characters crosses the line break), so a description's are counted once."""
    if customer_lang:
        return customer_lang
    letters, cjk = _letters(subject)
    more, more_cjk = _counted(description)
    return _language(letters + more, cjk + more_cjk)
