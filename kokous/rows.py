"""Model instances from one hand-written joined SELECT, for the few hottest queries.

The ORM compiles a query anew on every call: for a vote with its meeting, body and item
(`select_related`) that is several milliseconds of CPU, paid by each of 85 or 300 ballots that
arrive in the same second (docs/performance-live.md). `Columns` builds a model's column list
once from its metadata and turns the matching slice of a row back into an instance the way the
ORM does: the backend's and the field's database converters, then `Model.from_db`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import models

Converter = Callable[[Any, Any, Any], Any]


class Columns:
    """The concrete columns of `model` under the SQL alias `alias`."""

    def __init__(self, model: type[models.Model], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.cols = [f.get_col(alias) for f in self.fields]
        self._converters: dict[str, list[list[Converter]]] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def sql(self, connection: Any) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{self.alias}.{quote(f.column)}" for f in self.fields)

    def converters(self, connection: Any) -> list[list[Converter]]:
        found = self._converters.get(connection.vendor)
        if found is None:
            found = []
            for f, col in zip(self.fields, self.cols, strict=True):
                found.append(
                    list(connection.ops.get_db_converters(col)) + f.get_db_converters(connection)
                )
            self._converters[connection.vendor] = found
        return found

    def load(self, connection: Any, row: Sequence[Any], start: int = 0) -> models.Model:
        """The instance from `row[start:start + len(self)]`."""
        values = list(row[start:start + len(self.fields)])
        for i, convs in enumerate(self.converters(connection)):
            for convert in convs:
                values[i] = convert(values[i], self.cols[i], connection)
        return self.model.from_db(connection.alias, self.attnames, values)
