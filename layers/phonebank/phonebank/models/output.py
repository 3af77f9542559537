"""What every import file's row model shares: its fields are the file's cells, as written, in order."""

from __future__ import annotations

import re
from collections.abc import Mapping
from re import _parser as regex_syntax  # type: ignore[attr-defined]  # CPython's parser: typeshed has no stub
from typing import Any, ClassVar, Literal, get_args, get_origin

import annotated_types
import polars as pl
from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo

from phonebank.sinks import QUOTED_CHARACTERS

Cells = tuple[str, ...]
"""One output row, a string a column."""


class OutputRow(BaseModel):
    """One row of an import file. Field order is column order, and each field's type and constraints
    are the column's rules: the model is the format's one definition, row by row or a table at once."""

    model_config = ConfigDict(frozen=True, strict=True)
    HEADER: ClassVar[list[str]]
    PLAIN_COLUMNS: ClassVar[frozenset[str]] = frozenset()
    """The fields whose rules let no cell hold a comma, a quote or a line end: a checked table's cells
    there never need quotes (`sinks.encode_frame`)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.PLAIN_COLUMNS = frozenset(name for name, info in cls.model_fields.items() if _plain(info))

    def to_cells(self) -> Cells:
        return tuple(getattr(self, name) for name in type(self).model_fields)

    @classmethod
    def check_frame(cls, rows: pl.DataFrame, sources: Mapping[str, pl.Series] | None = None) -> None:
        """Every row of `rows` (the model's fields as columns, in order) by this model's rules, or
        pydantic's ValidationError for the first row that breaks one.

        Each field's type and constraints become a column expression (`column_rule`), asked of each
        column's distinct values where it matches a pattern and its values repeat (`_by_distinct`):
        building a model a row would cost more than writing the files. The first row the expressions
        refuse is built as a model, which raises with pydantic's own words.

        `sources`: for a column whose every value is taken from a smaller table (each distinct
        instant's date, the configuration's results), that table's values, asked instead of the
        column's. A bad value there refuses the first row that took it; one no row took, none."""
        decorators = cls.__pydantic_decorators__
        if decorators.field_validators or decorators.model_validators:
            raise TypeError(f"{cls.__name__}: a table check would skip its validators; use Annotated ones")
        names = list(cls.model_fields)
        if rows.columns != names:
            raise ValueError(f"{cls.__name__}: columns {rows.columns}, not {names}")
        sources = sources or {}
        for name, info in cls.model_fields.items():
            rule = column_rule(name, info)
            if name in sources:
                values = sources[name].alias(name).to_frame()
            elif _by_distinct(rows[name], info):
                values = rows.select(pl.col(name).unique())
            else:
                values = rows.select(name)
            if values.select(rule.all()).item():
                continue
            refused = rows.filter(~rule)
            if name in sources and not refused.height:
                continue
            first = refused.row(0)
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


def _plain(info: FieldInfo) -> bool:
    """Whether the field's rules refuse every text holding a comma, a quote or a line end."""
    annotation: Any = info.annotation
    if get_origin(annotation) is Literal:
        return not any(set(value) & set(QUOTED_CHARACTERS) for value in get_args(annotation))
    patterns = [pattern for item in info.metadata if (pattern := getattr(item, "pattern", None)) is not None]
    return any(plain_pattern(pattern) for pattern in patterns)


def plain_pattern(pattern: str) -> bool:
    """Whether a pattern, matched as `column_rule` matches it (a search), refuses every text holding a
    comma, a quote or a line end: anchored at both ends, with no flags, matching none of them."""
    try:
        parsed = regex_syntax.parse(pattern)
    except regex_syntax.error:
        return False
    items = list(parsed)
    anchored = (
        len(items) >= 2
        and items[0] == (regex_syntax.AT, regex_syntax.AT_BEGINNING)
        and items[-1] == (regex_syntax.AT, regex_syntax.AT_END)
    )
    # Without flags, $ is the end of the text to Rust's regex (the engine that checks the column), and
    # no letter's other case is one of these characters.
    return anchored and parsed.state.flags == re.UNICODE and not _may_match(items[1:-1], QUOTED_CHARACTERS)


_PLAIN_CLASSES = {regex_syntax.CATEGORY_DIGIT, regex_syntax.CATEGORY_WORD}
"""Neither a digit nor a word character is a comma, a quote or a line end."""


def _may_match(items: Any, characters: str) -> bool:
    """Whether a parsed pattern (Python's own parse tree) may match one of `characters`: a syntax it
    does not know may."""
    for kind, argument in items:
        if kind == regex_syntax.AT:
            continue
        if kind == regex_syntax.LITERAL:
            found = chr(argument) in characters
        elif kind == regex_syntax.RANGE:
            low, high = argument
            found = any(low <= ord(character) <= high for character in characters)
        elif kind == regex_syntax.CATEGORY:
            found = argument not in _PLAIN_CLASSES
        elif kind == regex_syntax.IN:
            found = _may_match(argument, characters)
        elif kind in (regex_syntax.MAX_REPEAT, regex_syntax.MIN_REPEAT, regex_syntax.POSSESSIVE_REPEAT):
            found = _may_match(argument[2], characters)
        elif kind == regex_syntax.SUBPATTERN:
            _, added_flags, _, inner = argument
            found = bool(added_flags) or _may_match(inner, characters)
        elif kind == regex_syntax.BRANCH:
            found = any(_may_match(branch, characters) for branch in argument[1])
        else:
            found = True
        if found:
            return True
    return False
