from __future__ import annotations

import json

from redmine_sync import shared
from redmine_sync.model import Ref


def decoded(value: object) -> object:
    """A fresh object, as JSON decoding gives for every occurrence of a value."""
    return json.loads(json.dumps(value))


def test_repeated_values_share_one_copy() -> None:
    a = shared.fields([(str(decoded("Customer")), str(decoded("华信银行"))),
                       ("Labels", tuple(decoded(["feature", "strategic"])))])  # type: ignore[arg-type]
    b = shared.fields([(str(decoded("Customer")), str(decoded("华信银行"))),
                       ("Labels", tuple(decoded(["feature", "strategic"])))])  # type: ignore[arg-type]
    assert a == b
    assert a["Customer"] is b["Customer"] and a["Labels"] is b["Labels"]
    assert next(iter(a)) is next(iter(b))
    assert shared.ref(3, str(decoded("Li Na"))) is shared.ref(3, str(decoded("Li Na")))
    assert shared.ref(3, "Li Na") == Ref(3, "Li Na")
    assert shared.value(None) is None


def test_long_texts_are_not_shared() -> None:
    long = "x" * (shared.LONGEST + 1)
    assert shared.text(str(decoded(long))) is not shared.text(str(decoded(long)))
