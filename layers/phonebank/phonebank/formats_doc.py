"""docs/formats.md, written from the code and the bundled defaults so that it cannot drift from them.

`python -m phonebank.formats_doc docs/formats.md` writes it; `tests/unit/test_formats_doc.py` fails
when the committed file differs from what this module writes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from phonebank.columns import ALIASES, Field
from phonebank.config import FORMULA_LEADS, PipelineConfig, load_config
from phonebank.exported import ALREADY_EXPORTED_FILE
from phonebank.ledger import BY_INPUT, BY_RUN, ROW, SYSTEM
from phonebank.models.dialer import LONGEST_CALL
from phonebank.models.interaction import Interaction
from phonebank.models.organizer import OrganizerRow
from phonebank.models.report import DuplicateRow, ErrorRow
from phonebank.models.van import VanBulkRow, VanNamesRow
from phonebank.models.van_push import VAN_ERRORS_FILE, VAN_RESULTS_FILE
from phonebank.organizer_files import ORGANIZER_FILE
from phonebank.pipeline import SUMMARY_FILE
from phonebank.problems import NOT_UTF8
from phonebank.times import DATE_FORMS, US_LABELS, UTC_LABELS
from phonebank.transform import VAN_BULK_FILE, VAN_BULK_ROWS_FILE, VAN_NAMES_FILE
from phonebank.validate import DUPLICATES_FILE, ERRORS_FILE, VALIDATED_PART

_FIELDS: dict[Field, str] = {
    "profile_id": "Organizer's Profile ID (one ID of the two is required)",
    "van_id": "NGP VAN's VANID, digits only (one ID of the two is required)",
    "voter_id_type": "ThruTalk's type of the Voter ID: the Voter ID is a VAN ID when it is empty or contains "
    '"van" in any case',
    "phone": "the number called (required)",
    "called_at": "the call's date and time (required, or Date Called)",
    "date_called": "ThruTalk's date of the call, with Time Called beside it",
    "time_called": "ThruTalk's time of the call, US Eastern (America/New_York)",
    "outcome": "the call's outcome (required)",
    "effort": "Organizer's Effort Name (required for Organizer rows: from the row, the upload folder "
    "`incoming/<effort name>/`, or `default_effort`)",
    "service": "the service that placed the call (else the dialer's name)",
    "call_type": "Computer or Phone Dial (empty: Computer)",
    "duration": "the call's duration",
    "caller": "who called (read, not sent)",
}
_LEADS = {"=": "`=`", "+": "`+`", "-": "`-`", "@": "`@`", "\t": "a tab", "\r": "a carriage return"}


def _table(header: list[str], rows: Iterable[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _either(choices: Iterable[str]) -> str:
    *others, last = choices
    return f"{', '.join(others)} or {last}"


def _columns() -> list[str]:
    return [
        "## 1. Input columns",
        "",
        "Columns are found by their header, compared ignoring case, spaces and punctuation "
        "(`VAN ID` = `vanid` = `Van_Id`). Unknown columns are ignored; two columns that give one field, "
        "or two headers that are one name, fail the file.",
        "",
        *_table(
            ["field", "what it holds", "header names"],
            ([field, _FIELDS[field], _names(aliases)] for field, aliases in ALIASES.items()),
        ),
        "",
        "A campaign adds its own names to a field in the configuration, beside the built-in ones "
        "(`columns: {phone: [Mobile Dialed]}`); a name that two fields would claim (a built-in name of "
        "another field included) stops the run when the configuration loads.",
        "",
        'A file is UTF-8 (with or without a byte order mark) or Windows-1252, what Excel\'s plain "CSV" '
        "writes: it is read as Windows-1252 only when it holds no valid UTF-8 multi-byte sequence. A UTF-8 "
        "file with a few bytes of another encoding stays UTF-8, and each row holding one is rejected "
        f"(`<column>: {NOT_UTF8}`), rather than the whole file read as the other encoding.",
        "",
    ]


def _dates(config: PipelineConfig) -> list[str]:
    labels = [[_names(UTC_LABELS), "UTC"]]
    zones: dict[str, list[str]] = {}
    for label, zone in US_LABELS.items():
        zones.setdefault(zone, []).append(label)
    labels += [[_names(names), f"{zone}, daylight saving included"] for zone, names in zones.items()]
    return [
        "## 2. Values",
        "",
        "### Dates and times",
        "",
        *(f"- {form}" for form in DATE_FORMS),
        "",
        f"`date_order` (`{config.date_order}` by default, or `DMY`) says whether a date with the year last "
        "is month first or day first. It is never guessed: a file holding a date that is only real read "
        "the other way (`14/10/2024` under `MDY`) fails whole, naming the row and the date. Two-digit "
        "years are 20YY, with slashes only. A date alone is at "
        f"`{config.default_time:%H:%M}` (`default_time`), so that no time zone moves it. A time without "
        "an offset or a label is in the source time zone (the campaign's, ThruTalk's New York). A call "
        "in the future, or before "
        f"`{config.earliest_call_date.isoformat()}` (`earliest_call_date`), is an error for the row.",
        "",
        "Zone labels after a time (`07:05 PM EST`, `2024-10-14 23:45:00 UTC`): a US label is its "
        "region's clock whatever the season, since dialers write EST on summer times too. Any other "
        "label is an error for the row.",
        "",
        *_table(["label", "clock"], labels),
        "",
    ]


def _outcomes(config: PipelineConfig) -> list[str]:
    def system(value: str | None, rule_not_dialed: bool) -> str:
        if rule_not_dialed:
            return "(skip: no call happened)"
        return value or "(none: not sent)"

    rows = (
        [
            name,
            _names(rule.synonyms),
            system(rule.organizer, rule.not_dialed),
            system(rule.van, rule.not_dialed),
        ]
        for name, rule in config.outcomes.items()
    )
    return [
        "### Outcomes",
        "",
        "Matched ignoring case, spaces and punctuation (`NO_ANSWER` = `No Answer`) against each "
        "canonical outcome and its synonyms; any other value is an error for the row, never a guess. "
        f"VAN's results are sent with contact type `{config.van.contact_type}` "
        f"({config.van.contact_type_id}). A row whose outcome says no call was placed is counted as not "
        "dialed, whatever else it holds.",
        "",
        *_table(["canonical outcome", "synonyms", "Organizer Call Result", "VAN result"], rows),
        "",
    ]


def _other_values(config: PipelineConfig) -> list[str]:
    call_types = "; ".join(
        f"{_names(spellings)} mean `{name}`" for name, spellings in config.call_types.items()
    )
    return [
        "### Other values",
        "",
        "- **Phone**: any common written form, read with phonenumbers (region "
        f"`{config.phone_region}` when there is no `+`); it must be a valid number of a country.",
        f"- **Duration**: whole seconds from 0 to {LONGEST_CALL:,} (`75`, `75.0`), or `m:ss` / `h:mm:ss`; "
        "empty is allowed.",
        f"- **Call Type**: {call_types}, compared as outcomes are; empty is `Computer`.",
        "- **VAN ID**: digits only.",
        f"- **Profile ID, Effort Name, Service**: free text, except a value beginning with "
        f"{_either(_LEADS[lead] for lead in FORMULA_LEADS)}, which a spreadsheet would run as a "
        "formula: an error for the row (an upload folder's effort too; a `default_effort` so written "
        "stops the run).",
        "",
    ]


def _outputs(config: PipelineConfig) -> list[str]:
    then_the_input = ", then the input's own columns"
    rows = [
        [
            f"`{ERRORS_FILE}`",
            "always: each rejected row with every problem (`Column: what is wrong (what is accepted)`, "
            "joined by `; `), to fix and upload again",
            _names(ErrorRow.header([])) + then_the_input,
        ],
        [
            f"`{DUPLICATES_FILE}`",
            "rows that repeat an accepted row's interaction, sent nowhere",
            _names(DuplicateRow.header([])) + then_the_input,
        ],
        [
            f"`{ALREADY_EXPORTED_FILE}`",
            "with the export ledger (always on AWS, `phonebank run --ledger`): rows whose call an earlier "
            "run already exported, left out of the import files; system `Organizer`, `NGP VAN` or both, "
            "the run's id and its input",
            _names([ROW, SYSTEM, BY_RUN, BY_INPUT]) + then_the_input,
        ],
        [f"`{SUMMARY_FILE}`", "the run's status, counts, top error reasons and files", "(JSON)"],
        [
            f"`{ORGANIZER_FILE.replace('{:02d}', 'NN')}`",
            "Organizer's phone-interaction import: Date/Time `YYYY-MM-DD HH:MM` in the campaign's zone, "
            "10-digit North American phones (E.164 others; `organizer_phone_format`), at most "
            f"{config.limits.organizer_max_efforts_per_file} efforts and "
            f"{config.limits.organizer_max_file_bytes:,} bytes a file",
            _names(OrganizerRow.HEADER),
        ],
        [
            f"`{VAN_NAMES_FILE}`",
            "for VAN's Bulk Upload wizard: Date Canvassed `MM/DD/YYYY`, the call's date in the campaign's "
            "zone; Phone 10 digits",
            _names(VanNamesRow.HEADER),
        ],
        [
            f"`{VAN_BULK_FILE}`",
            "for VAN's bulk-import API (`CanvassResults` on `Contacts`), only when `van.result_ids` gives "
            "every result's ID: datecanvassed ISO 8601 with the campaign's offset",
            _names(VanBulkRow.HEADER),
        ],
        [
            f"`{VAN_ERRORS_FILE}`",
            "after a push to VAN's bulk-import API (`van_push`): each row whose calls VAN did not record, "
            "with VAN's message or why there is none",
            "`row`, `errors`" + then_the_input,
        ],
        [
            f"`{VAN_RESULTS_FILE.replace('{:02d}', 'NN')}`",
            "after a push: each results file VAN gave, as read (VAN keeps them 24 hours)",
            "VAN's: `BulkUploadDataID`, `ULFileID`, `PrimaryKey`, `PrimaryKeyType`, a message per mapping",
        ],
        [
            f"`{VALIDATED_PART.replace('{:05d}', 'NNNNN')}`",
            "the accepted rows, normalised, handed from the validator to the transformer as Parquet "
            "(on AWS under `work/`, which the bucket expires; `phonebank run` in a temporary folder)",
            _names(list(Interaction.SCHEMA)),
        ],
        [
            f"`{VAN_BULK_ROWS_FILE}`",
            "a working file beside the validated rows, with the bulk-import file: the input's spreadsheet "
            "row of each of its records, in order, which the VAN push maps VAN's answers back with",
            "`row`",
        ],
    ]
    return [
        "## 3. Output files",
        "",
        *_table(["file", "what", "columns"], rows),
        "",
        "VAN's by-name file has no country column: a number outside North America is written there "
        "without its phone, never as 10 digits that would read as a US number.",
    ]


def formats_markdown(config: PipelineConfig | None = None) -> str:
    """The reference of every column name, value form, outcome and output file, as the code reads them."""
    config = config or load_config()
    lines = [
        "# Formats: what phonebank-sync reads and writes",
        "",
        "Written by `python -m phonebank.formats_doc docs/formats.md` from the code and the bundled "
        "defaults (`layers/phonebank/phonebank/defaults.yaml`); a test fails when this file differs. "
        "A campaign's configuration may change the defaults shown here.",
        "",
        *_columns(),
        *_dates(config),
        *_outcomes(config),
        *_other_values(config),
        *_outputs(config),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(formats_markdown(), encoding="utf-8")
