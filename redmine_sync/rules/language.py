"""The language of a request: the customer's ``lang`` in the customers file, else the one
its text is written in. Notes to the requester are written in it. Pure."""

from __future__ import annotations

import re

LANGS = ("en", "zh")
CJK_SHARE = 0.2   # at least this share of the letters are Chinese: the request is Chinese


def detect(text: str) -> str:
    """zh when Chinese characters make up at least ``CJK_SHARE`` of the letters, else en."""
    letters = sum(map(str.isalpha, text))
    if not letters:
        return "en"
    cjk = sum(map(str.isalpha, "".join(_CJK.findall(text))))
    return "zh" if cjk / letters >= CJK_SHARE else "en"


_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")


def request_language(customer_lang: str | None, subject: str, description: str) -> str:
    return customer_lang or detect(f"{subject}\n{description}")
