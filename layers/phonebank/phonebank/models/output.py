"""What every import file's row model shares: its fields are the file's cells, as written, in order."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args, get_origin

import annotated_types
import polars as pl
from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo

Cells = tuple[str, ...]
"""One output row, a string a column."""


class OutputRow(BaseModel):
    """One row of an import file. Field order is column order, and each field's type and constraints
    are the column's rules: the model is the format's one definition, row by row or a table at once."""

    model_config = ConfigDict(frozen=True, strict=True)
    HEADER: ClassVar[list[str]]

    def to_cells(self) -> Cells:
        return tuple(getattr(self, name) for name in type(self).model_fields)

    @classmethod
    def check_frame(cls, rows: pl.DataFrame) -> None:
        """Every row of `rows` (the model's fields as columns, in order) by this model's rules, or
        pydantic's ValidationError for the first row that breaks one.

        Each field's type and constraints become a column expression (`column_rule`), asked of each
        column's distinct values where it matches a pattern and its values repeat (`_by_distinct`):
        building a model a row would cost more than writing the files. The first row the expressions
        refuse is built as a model, which raises with pydantic's own words."""
        decorators = cls.__pydantic_decorators__
        if decorators.field_validators or decorators.model_validators:
            raise TypeError(f"{cls.__name__}: a table check would skip its validators; use Annotated ones")
        names = list(cls.model_fields)
        if rows.columns != names:
            raise ValueError(f"{cls.__name__}: columns {rows.columns}, not {names}")
        for name, info in cls.model_fields.items():
            values = (
                rows.select(pl.col(name).unique()) if _by_distinct(rows[name], info) else rows.select(name)
            )
            if not values.select(column_rule(name, info).all()).item():
                first = rows.filter(~column_rule(name, info)).row(0)
                cls.model_validate(dict(zip(names, first, strict=True)))
                raise AssertionError(f"{cls.__name__} accepts a row its column rules refuse: {first}")


_SAMPLE = 4096
"""The first rows whose distinct values say whether a column repeats its values."""


def _by_distinct(column: pl.Series, info: FieldInfo) -> bool:
    """Whether a column's pattern is asked of its distinct values: where its first rows repeat a few
    values (a date, a duration, a country). Finding the distinct phones, IDs or minutes costs more
    than matching them all, and a literal's look-up costs what finding the distinct values does."""
    if not any(hasattr(item, "pattern") for item in info.metadata):
        return False
    sample = column.head(_SAMPLE)
    return sample.n_unique() * 8 <= sample.len()


def column_rule(name: str, info: FieldInfo) -> pl.Expr:
    """A string field's type and constraints as a column expression: true where a cell keeps them.
    A constraint it does not know stops it (TypeError) rather than go unchecked."""
    column = pl.col(name)
    rule = column.is_not_null()
    annotation: Any = info.annotation
    if get_origin(annotation) is Literal:
        rule &= column.is_in(list(get_args(annotation)))
    elif annotation is not str:
        raise TypeError(f"{name}: only str and Literal columns have a column rule, not {annotation}")
    for constraint in info.metadata:
        if isinstance(constraint, annotated_types.MinLen):
            rule &= column.str.len_chars() >= constraint.min_length
        elif (pattern := getattr(constraint, "pattern", None)) is not None:
            # pydantic-core and polars match with the same engine, Rust's regex: the same answers.
            rule &= column.str.contains(pattern)
        else:
            raise TypeError(f"{name}: no column rule for {constraint!r}")
    return rule.fill_null(False)
