from __future__ import annotations

import json
import sys
from datetime import date

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


def test_fields_read_as_the_dict_they_replace() -> None:
    pairs = [("Customer", "华信银行"), ("Labels", ("feature", "ui")), ("Tier", None)]
    fields = shared.fields(pairs)
    assert fields == dict(pairs) and dict(pairs) == fields
    assert list(fields) == ["Customer", "Labels", "Tier"] and len(fields) == 3
    assert fields.get("Labels") == ("feature", "ui") and fields["Tier"] is None
    assert fields.get("Missing") is None and fields.get("Missing", "x") == "x"
    assert "Customer" in fields and "Missing" not in fields
    assert {**fields, "Tier": "A"} == {**dict(pairs), "Tier": "A"}
    assert repr(fields) == repr(dict(pairs))


def test_a_name_given_twice_keeps_its_last_value_as_a_dict_does() -> None:
    fields = shared.fields([("Customer", "a"), ("Customer", "b")])
    assert fields == {"Customer": "b"} and len(fields) == 1


def test_fields_take_less_than_half_a_dicts_memory() -> None:
    names = [f"Field {n}" for n in range(12)]
    made = [shared.fields((name, str(n)) for name in names) for n in range(200)]
    plain = [{name: str(n) for name in names} for n in range(200)]
    assert made == plain
    one = sys.getsizeof(made[1]) + sys.getsizeof(made[1]._values)
    assert 2 * one < sys.getsizeof(plain[1])


def test_repeated_days_share_one_date() -> None:
    assert shared.day(str(decoded("2026-12-01"))) is shared.day(str(decoded("2026-12-01")))
    assert shared.day("2026-12-01") == date(2026, 12, 1)
