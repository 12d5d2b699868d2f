"""Name <-> id lookups (statuses, priorities, trackers, custom fields, principals).

Pure data with lazy loading: each kind is fetched the first time it is needed, once per
run, through a loader the backend supplies. Unknown names raise ``UnknownName`` with a
"did you mean" hint.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass

from redmine_sync.errors import UserError
from redmine_sync.model import CustomFieldDef
from redmine_sync.schema import did_you_mean


class UnknownName(UserError):
    """A rule, config or command names something this Redmine does not have."""


@dataclass(frozen=True)
class Named:
    id: int
    name: str
    is_closed: bool = False
    is_default: bool = False
    is_group: bool = False
    login: str = ""


class Lookup:
    """One kind of named object: ``id(name)`` and ``name(id)``; names match case-insensitively."""

    def __init__(self, kind: str, items: Iterable[Named], hint: str = "",
                 more: Callable[[], Iterable[Named]] | None = None) -> None:
        """``more`` supplies extra names (e.g. logins that cost a request each) on a miss."""
        self.kind = kind
        self.items = tuple(items)
        self._hint = hint
        self._more = more
        self._by_name: dict[str, Named] = {}
        for item in self.items:
            for key in (item.name, item.login):
                if key:
                    self._by_name.setdefault(key.casefold(), item)
        self._by_id = {item.id: item for item in self.items}

    def get(self, name: str) -> Named:
        found = self._by_name.get(name.casefold())
        if found is None and self._more is not None:
            more, self._more = self._more, None
            for item in more():
                for key in (item.name, item.login):
                    if key:
                        self._by_name.setdefault(key.casefold(), item)
            found = self._by_name.get(name.casefold())
        if found is None:
            names = tuple(sorted(i.name for i in self.items))
            hint = did_you_mean(name, names) if names else f"this Redmine has no {self.kind}"
            raise UnknownName(f"unknown {self.kind} {name!r}", hint=f"{hint} {self._hint}".strip())
        return found

    def id(self, name: str) -> int:
        return self.get(name).id

    def name(self, item_id: int | str | None) -> str | None:
        if item_id in (None, ""):
            return None
        found = self._by_id.get(int(item_id))
        return found.name if found else f"#{item_id}"

    def names(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.casefold() in self._by_name


class Catalog:
    """The lookups of one Redmine, each loaded on first use."""

    KINDS = ("statuses", "priorities", "trackers", "principals", "versions", "roles")

    def __init__(
        self,
        loaders: Mapping[str, Callable[[], Lookup]],
        custom_fields: Callable[[], tuple[CustomFieldDef, ...]],
    ) -> None:
        self._loaders = dict(loaders)
        self._load_custom_fields = custom_fields
        self._cache: dict[str, Lookup] = {}
        self._custom_fields: dict[str, CustomFieldDef] | None = None
        self._by_id: dict[str, CustomFieldDef] | None = None

    def lookup(self, kind: str) -> Lookup:
        if kind not in self._cache:
            self._cache[kind] = self._loaders[kind]()
        return self._cache[kind]

    @property
    def statuses(self) -> Lookup:
        return self.lookup("statuses")

    @property
    def priorities(self) -> Lookup:
        return self.lookup("priorities")

    @property
    def trackers(self) -> Lookup:
        return self.lookup("trackers")

    @property
    def principals(self) -> Lookup:
        return self.lookup("principals")

    @property
    def versions(self) -> Lookup:
        return self.lookup("versions")

    @property
    def roles(self) -> Lookup:
        """The roles a member can be given (``redmine-sync init --from-redmine`` lists them)."""
        return self.lookup("roles")

    def custom_fields(self) -> dict[str, CustomFieldDef]:
        if self._custom_fields is None:
            self._custom_fields = {cf.name: cf for cf in self._load_custom_fields()}
        return self._custom_fields

    def custom_field(self, name: str) -> CustomFieldDef:
        fields = self.custom_fields()
        if name in fields:
            return fields[name]
        folded = {n.casefold(): f for n, f in fields.items()}
        if name.casefold() in folded:
            return folded[name.casefold()]
        raise UnknownName(
            f"unknown custom field {name!r}",
            hint=did_you_mean(name, tuple(sorted(fields))) if fields else
            "no custom fields are visible to this API key",
        )

    def custom_field_by_id(self, field_id: int | str) -> CustomFieldDef | None:
        if self._by_id is None:
            self._by_id = {str(cf.id): cf for cf in self.custom_fields().values()}
        return self._by_id.get(str(field_id))

    def custom_field_name(self, field_id: int | str) -> str:
        found = self.custom_field_by_id(field_id)
        return found.name if found else f"cf#{field_id}"
