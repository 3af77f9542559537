"""The VAN push's rules, on values: the instance's IDs, the job's body, VAN's answer for each record.

How a results file leads back to the input (an assumption about VAN, checked on every file): its
`BulkUploadDataID` is the record's place among the data rows of the file sent (1 = the first row after
the header), and `PrimaryKey` is that record's VAN ID when `PrimaryKeyType` is VanID. A results file
where one VAN ID differs from the record at that place stops the mapping (`VanResultsUnmappable`):
no row is guessed. The bulk-import file's row map (a working file) gives each record's input row.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence

import polars as pl

from phonebank.config import PipelineConfig, match_key
from phonebank.input_rows import ROW
from phonebank.models.van_api import (
    BulkImportColumn,
    BulkImportFile,
    BulkImportJobRequest,
    ContactType,
    ResultCode,
)
from phonebank.van_api import VanResultsUnmappable

VAN_FILE_LIMIT = 100_000_000
"""VAN takes a zip holding one file of at most 100 MB."""

RESULTS_KEY_COLUMNS = ("BulkUploadDataID", "ULFileID", "PrimaryKey", "PrimaryKeyType")
PROCESSED, REFUSED, MISSING, UNREAD = "processed", "refused", "missing", "unread"
MISSING_MESSAGE = "VAN's results do not list this call: VAN did not say it recorded it"
UNREAD_MESSAGE = "VAN's results file expired before it was read: check in VAN whether this call was recorded"
NO_MESSAGE = "VAN gave no message for this call"
RECORD, KIND, ERRORS, GIVEN_BACK = "record", "kind", "errors", "given_back"


def api_key_from_secret(text: str) -> str:
    """The secret holds the key alone, or `{"api_key": ...}` (the console's key/value form)."""
    key = text.strip()
    if key.startswith("{"):
        try:
            key = str(json.loads(key).get("api_key", "")).strip()
        except (ValueError, AttributeError):
            key = ""
    if not key:
        raise ValueError('the secret holds no API key (the key alone, or {"api_key": ...})')
    if key.endswith(("|0", "|1")):
        raise ValueError(
            "the secret's API key ends in |0 or |1: store the key alone, van_push.database adds the database"
        )
    return key


def id_problems(
    config: PipelineConfig, result_codes: Sequence[ResultCode], contact_types: Sequence[ContactType]
) -> list[str]:
    """Each ID the bulk-import file sends that this VAN does not have under the name it is configured
    for: a result ID of another VAN would record the wrong result, and it cannot be undone."""
    codes = {code.result_code_id: code.name for code in result_codes}
    types = {kind.contact_type_id: kind.name for kind in contact_types}
    problems = []
    for result in config.van_results_in_use:
        number = config.van.result_ids[result]
        problems += _mismatch(f"result ID {number} (van.result_ids.{result})", codes.get(number), result)
    contacts = [("van.contact_type_id", config.van.contact_type_id, config.van.contact_type)]
    if config.van.last_called_at.enabled:
        called = config.van.last_called_at
        contacts.append(("van.last_called_at.contact_type_id", called.contact_type_id, called.contact_type))
    for key, number, name in contacts:
        problems += _mismatch(f"contact type ID {number} ({key})", types.get(number), name)
    return problems


def _mismatch(what: str, found: str | None, wanted: str) -> list[str]:
    if found is None:
        return [f"{what} is not one of this VAN's"]
    if match_key(found) != match_key(wanted):
        return [f"{what} is {found!r} in this VAN, not {wanted!r}"]
    return []


def job_request(
    columns: Sequence[str], file_name: str, source_url: str, description: str
) -> BulkImportJobRequest:
    """Section 6's body: the columns in the file's own order, which is how VAN knows which is which."""
    return BulkImportJobRequest(
        description=description,
        file=BulkImportFile(
            columns=[BulkImportColumn(name=name) for name in columns],
            file_name=file_name,
            source_url=source_url,
        ),
    )


def results_table(data: bytes) -> pl.DataFrame:
    """One results file as text: its four key columns, then one message column per mapping."""
    try:
        table = pl.read_csv(io.BytesIO(data), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise VanResultsUnmappable(
            f"VAN's results file is not a CSV polars can read ({type(exc).__name__})"
        ) from None
    header = [name.strip().casefold() for name in table.columns[:4]]
    if header != [name.casefold() for name in RESULTS_KEY_COLUMNS] or table.width < 5:
        raise VanResultsUnmappable(
            "VAN's results file does not begin with BulkUploadDataID, ULFileID, PrimaryKey, PrimaryKeyType "
            "and a message column"
        )
    return table


def record_answers(
    rows: pl.Series, van_ids: pl.Series, results: Iterable[pl.DataFrame], unread: bool
) -> pl.DataFrame:
    """VAN's answer for each record sent, in the file's order: `record` (1 = the first data row), `row`
    (the input's), `kind` (processed, refused, missing; unread where a results file could not be read)
    and `errors` (VAN's message, or why there is none).

    `rows` and `van_ids` are the row map's and the bulk-import file's columns, one per record."""
    if rows.len() != van_ids.len():
        raise VanResultsUnmappable("the bulk-import file and its row map hold different numbers of records")
    sent = pl.DataFrame(
        {
            RECORD: pl.int_range(1, rows.len() + 1, eager=True, dtype=pl.Int64),
            ROW: rows.cast(pl.Int64),
            "van_id": van_ids.cast(pl.String).str.strip_chars(),
        }
    )
    answered = _answers(list(results), sent)
    absent = (UNREAD, UNREAD_MESSAGE) if unread else (MISSING, MISSING_MESSAGE)
    return (
        sent.join(answered, on=RECORD, how="left", maintain_order="left")
        .with_columns(
            pl.col(KIND).fill_null(absent[0]),
            pl.when(pl.col(KIND).is_null()).then(pl.lit(absent[1])).otherwise(pl.col(ERRORS)).alias(ERRORS),
        )
        .select(RECORD, ROW, KIND, ERRORS)
    )


def _answers(results: list[pl.DataFrame], sent: pl.DataFrame) -> pl.DataFrame:
    """Per record VAN answered for: processed when every message says Processed, else refused with its
    messages. A record named twice (two results files) is refused if either answer refuses it."""
    schema = {RECORD: pl.Int64, KIND: pl.String, ERRORS: pl.String}
    if not results:
        return pl.DataFrame(schema=schema)
    long = pl.concat(
        [
            table.select(
                pl.col(table.columns[0]).str.strip_chars().cast(pl.Int64, strict=False).alias(RECORD),
                pl.col(table.columns[2]).str.strip_chars().alias("primary_key"),
                pl.col(table.columns[3]).str.strip_chars().str.to_lowercase().alias("key_type"),
                pl.concat_list([pl.col(name) for name in table.columns[4:]]).alias("message"),
            )
            for table in results
        ]
    )
    _check_places(long, sent)
    message = pl.col("message")
    refusal = message.is_not_null() & (message != "") & (message.str.to_lowercase() != PROCESSED)
    per_record = (
        long.select(RECORD, "message")
        .explode("message")
        .with_columns(message.str.strip_chars())
        .group_by(RECORD, maintain_order=True)
        .agg(
            message.filter(refusal).unique(maintain_order=True).str.join("; ").alias(ERRORS),
            (message.str.to_lowercase() == PROCESSED).any().alias(PROCESSED),
        )
    )
    refused = pl.col(ERRORS) != ""
    return per_record.select(
        RECORD,
        pl.when(refused | ~pl.col(PROCESSED)).then(pl.lit(REFUSED)).otherwise(pl.lit(PROCESSED)).alias(KIND),
        pl.when(refused)
        .then(pl.col(ERRORS))
        .when(~pl.col(PROCESSED))
        .then(pl.lit(NO_MESSAGE))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias(ERRORS),
    )


def _check_places(long: pl.DataFrame, sent: pl.DataFrame) -> None:
    """Every record VAN names is a place in the file sent, holding the VAN ID VAN gives for it."""
    places = long[RECORD]
    if places.null_count() or not places.is_between(1, sent.height).all():
        raise VanResultsUnmappable(
            "VAN's results name a BulkUploadDataID that is no data row of the file sent: its rows cannot be "
            "told apart"
        )
    named = long.filter(pl.col("key_type") == "vanid").join(sent, on=RECORD, how="left")
    differ = named.filter(
        pl.col("primary_key").cast(pl.Int64, strict=False) != pl.col("van_id").cast(pl.Int64, strict=False)
    )
    if differ.height:
        raise VanResultsUnmappable(
            f"VAN's results give {differ.height} record(s) another VAN ID than the file's row at that "
            "BulkUploadDataID: the results cannot be matched to the rows sent"
        )


def not_recorded_rows(answers: pl.DataFrame) -> pl.DataFrame:
    """One line per input row with a record VAN did not record: `row`, `kind` (its first such record's),
    `errors` (every such record's message, joined by '; ') and `given_back`, in row order.

    `given_back`: VAN refused or left out every record of the row's call, so the export ledger gives the
    call back for VAN. Not a call VAN recorded in part (one of its two records), nor one whose results
    were not read: VAN may hold it, and sent again it would be recorded twice."""
    not_processed = pl.col(KIND) != PROCESSED
    return (
        answers.sort(ROW, RECORD)
        .group_by(ROW, maintain_order=True)
        .agg(
            pl.col(KIND).filter(not_processed).first(),
            pl.col(ERRORS).filter(not_processed).unique(maintain_order=True).str.join("; "),
            pl.col(KIND).is_in([REFUSED, MISSING]).all().alias(GIVEN_BACK),
        )
        .filter(pl.col(KIND).is_not_null())
    )


def answer_counts(answers: pl.DataFrame) -> dict[str, int]:
    """How many records of each kind: processed, refused, missing, unread."""
    found = dict(answers[KIND].value_counts().iter_rows())
    return {kind: int(found.get(kind, 0)) for kind in (PROCESSED, REFUSED, MISSING, UNREAD)}
