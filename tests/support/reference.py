"""The harvest pipeline as it was before the speed work of issue #16, kept as the golden test's reference.

:func:`reference_pipeline` swaps each faster part back for what it replaced, in this process (and in
mapping workers forked from it):

* schema checks answer "valid?" with ``fastjsonschema`` (compiled per schema) instead of ``jsonschema-rs``;
* every date literal and licence lookup is made afresh (no caches);
* a record's graph fills its predicate index on every ``add`` (not on the first lookup that needs it);
* every record walks through the field caps before it is encoded (no short cut for short records).

Delete this module (and the golden test's reference side) once the comparison has stayed clean.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import fastjsonschema
import pytest
from referencing import Registry

from harvesters import datajson
from harvesters.base import canonical_json
from harvesters.fieldcaps import FieldCaps, cap_record
from mappings import dcatus, graphs, licenses, rdfterms, validation
from mappings.model import RecordIssue


class _FastJsonSchema:
    """fastjsonschema behind the ``is_valid`` the checkers call."""

    def __init__(self, check: Callable[[Any], Any]) -> None:
        self.check = check

    def is_valid(self, record: Any) -> bool:
        try:
            self.check(record)
        except fastjsonschema.JsonSchemaException:
            return False
        return True


def _compile(
    schema: dict[str, Any], registry: Registry[Any], formats: Mapping[str, Callable[[object], bool]]
) -> _FastJsonSchema:
    def resolve(uri: str) -> Any:
        return registry.get_or_retrieve(uri.rstrip("#")).value.contents

    if schema.get("$schema", "").endswith("2020-12/schema"):  # fastjsonschema knows draft 7 at most
        schema = json.loads(json.dumps(schema).replace('"dependentSchemas"', '"dependencies"'))
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    compiled = fastjsonschema.compile(schema, handlers={"https": resolve, "http": resolve}, formats=dict(formats))
    return _FastJsonSchema(compiled)


def _capped_json(raw: Mapping[str, Any], caps: FieldCaps) -> tuple[dict[str, Any], list[RecordIssue], bytes]:
    record, cut = cap_record(dict(raw), caps)
    return record, cut, canonical_json(record)


def _eager_init(original: Callable[..., None]) -> Callable[..., None]:
    def init(self: graphs.RecordStore, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._pos_built = True  # every add fills the predicate index, as before

    return init


_CHECKERS = (validation.source_checker, validation.datagov_checker, validation.dcatus3_checker)


@contextmanager
def reference_pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run what is inside with the pre-#16 pipeline (see the module's docstring)."""
    for checker in _CHECKERS:
        checker.cache_clear()
    with monkeypatch.context() as patch:
        patch.setattr(validation, "_compile", _compile)  # the emptied caches fill with reference checkers
        patch.setattr(rdfterms, "date_literal", rdfterms._date_literal)
        patch.setattr(dcatus, "date_literal", rdfterms._date_literal)
        patch.setattr(licenses, "_recognize", licenses._recognize.__wrapped__)
        patch.setattr(graphs.RecordStore, "__init__", _eager_init(graphs.RecordStore.__init__))
        patch.setattr(datajson, "capped_json", _capped_json)
        yield
    for checker in _CHECKERS:
        checker.cache_clear()
