"""The words of a rejected row's problems, as errors.csv and the email give them.

Each problem names its column by the file's own header and says what to do; none quotes a cell (a
message never holds a person's data). They are put together from a checked chunk's columns: a field's
refusal (`refusal_column`), a cell's bytes that are not UTF-8 (`not_utf8_column`), and the row's
missing ID or effort (NO_ID, NO_EFFORT, with VAN_ID_GIVEN to tell an ignored VAN ID from none).
"""

from __future__ import annotations

from typing import cast

import polars as pl

from phonebank.columns import ALIASES, ColumnMap, Field
from phonebank.models.dialer import FIELD_RULES

FIELDS = cast(tuple[Field, ...], tuple(FIELD_RULES))
"""The model's fields, in the order a row's problems are listed."""
NO_ID, NO_EFFORT, VAN_ID_GIVEN = "no_id", "no_effort", "van_id_given"
_AT, _VALUE = "at", "value"
"""A rejected row's position and a problem's words, as `unpivot` names them."""

NOT_UTF8 = (
    "not valid UTF-8 text: the file is UTF-8 but this cell holds bytes of another encoding "
    "(shown as \ufffd); type those characters again and upload the row"
)


def refusal_column(field: str) -> str:
    return f"{field}_refusal"


def not_utf8_column(column: str) -> str:
    return f"{column}_not_utf8"


class ProblemWords:
    """The problems a file's rows may have, worded with that file's headers."""

    def __init__(self, columns: ColumnMap, names: list[str]) -> None:
        """`names`: the chunk's column names (`reader.column_names`), one a header."""
        self.columns, self._names = columns, names

    def problems(self, not_utf8: list[str]) -> list[pl.Expr]:
        """Each of a row's problems, null where it has not that one: bytes that are not UTF-8 (in the
        `not_utf8` columns), its fields' refusals in the model's order, then a missing ID, then a
        missing effort."""
        undecodable = [
            pl.when(not_utf8_column(name)).then(pl.lit(f"{self._header_of(name)}: {NOT_UTF8}"))
            for name in not_utf8
        ]
        refusals = [
            pl.when(pl.col(refusal_column(field)).is_not_null()).then(
                pl.concat_str(pl.lit(f"{self._label(field)}: "), pl.col(refusal_column(field)))
            )
            for field in FIELDS
        ]
        no_effort = (
            f"{self._label('effort')}: empty, and neither the upload folder (incoming/<effort name>/) "
            "nor the configuration gives an effort, and Organizer needs one"
        )
        return [
            *undecodable,
            *refusals,
            pl.when(NO_ID).then(self._no_id()),
            pl.when(NO_EFFORT).then(pl.lit(no_effort)),
        ]

    def _no_id(self) -> pl.Expr:
        ids = [self._label(field) for field in ("profile_id", "van_id") if field in self.columns.index]
        empty = pl.lit(f"{' / '.join(ids)}: empty, a row needs at least one ID")
        if "voter_id_type" not in self.columns.index or "van_id" not in self.columns.index:
            return empty
        # A VAN ID given but emptied: its Voter ID Type said it is no VAN ID. The type is not quoted: a
        # message never holds a cell's value, and one wording keeps the email's reasons together.
        ignored = pl.lit(
            f"{self._label('van_id')}: is ignored because the row's Voter ID Type is not VAN, and the row "
            "has no other ID (accepted: Voter ID Type VAN, VANID or empty)"
        )
        return pl.when(VAN_ID_GIVEN).then(ignored).otherwise(empty)

    def _header_of(self, name: str) -> str:
        return self.columns.headers[self._names.index(name)]

    def _label(self, field: str) -> str:
        """The column a problem names: the file's own header, else the field's first alias."""
        if field == "called_at" and "date_called" in self.columns.index:
            return self.columns.header_of("date_called")
        known: Field = field  # type: ignore[assignment]
        return self.columns.header_of(known) if known in self.columns.index else ALIASES[known][0]


def row_after_row(rejected: pl.DataFrame, problems: list[str]) -> pl.Series:
    """Each rejected row's problems in turn, each row's in the order of their columns (`problems`, null
    where a row has not that one): what a list of each row's would give exploded, but polars builds
    lists of a dozen text columns several times slower than it stacks them."""
    stacked = rejected.select(problems).with_row_index(_AT).unpivot(index=_AT).drop_nulls(_VALUE)
    # unpivot stacks one column after another: a stable sort by row puts each row's problems back together.
    return stacked.sort(_AT, maintain_order=True)[_VALUE]
