"""The language of a request: the customer's ``lang`` in the customers file, else the one
its text is written in. Notes to the requester are written in it. Pure."""

from __future__ import annotations

LANGS = ("en", "zh")
CJK_SHARE = 0.2   # at least this share of the letters are Chinese: the request is Chinese


def detect(text: str) -> str:
    """zh when Chinese characters make up at least ``CJK_SHARE`` of the letters, else en."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    cjk = sum(1 for c in letters if _cjk(c))
    return "zh" if cjk / len(letters) >= CJK_SHARE else "en"


def _cjk(char: str) -> bool:
    code = ord(char)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FFFF


def request_language(customer_lang: str | None, subject: str, description: str) -> str:
    return customer_lang or detect(f"{subject}\n{description}")
