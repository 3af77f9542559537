"""Every accepted and rejected phone, outcome, duration, call type, ID and free text of spec section 1."""

from __future__ import annotations

import pytest
from dialer_row_helpers import cells, context, parse, problems
from pydantic import ValidationError

from phonebank.config import PipelineConfig, build_config
from phonebank.models.dialer import DialerRow

# Phones

PHONE_FORMS = [
    "(202) 201-3344", "202.201.3344", "202-201-3344", "202 201 3344", "2022013344", "+1 202 201 3344",
    "+1 (202) 201-3344", "12022013344", "1-202-201-3344", "  202.201.3344  ",
]  # fmt: skip


@pytest.mark.parametrize("written", PHONE_FORMS)
def test_phone_in_any_common_written_form_becomes_e164(written: str, config: PipelineConfig) -> None:
    # Given a US number written as people write it
    # When the row is validated
    # Then the phone is the one E.164 number
    assert parse(config, phone=written).phone == "+12022013344"


def test_phone_with_a_country_code_keeps_its_country(config: PipelineConfig) -> None:
    # Given a UK number written with + and its country code
    # When the row is validated
    # Then it is not read as a US number
    assert parse(config, phone="+44 20 7946 0958").phone == "+442079460958"


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("555-0100", "is not a valid phone number"),
        ("(555) 201-3344", "is not a valid phone number"),
        ("202 201 334", "is not a valid phone number"),
        ("12345678901234567", "is not a valid phone number"),
        ("abc", "is not a phone number"),
        ("+800 1234 5678", "is a non-geographic number"),
        ("", "is empty"),
        ("   ", "is empty"),
    ],
    ids=[
        "seven-digits",
        "no-such-area-code",
        "nine-digits",
        "too-long",
        "letters",
        "non-geographic",
        "empty",
        "blank",
    ],
)
def test_phone_that_is_not_a_valid_number_is_an_error(
    written: str, says: str, config: PipelineConfig
) -> None:
    # Given a phone that no one could dial
    # When the row is validated
    # Then the phone alone is refused, saying what to write
    refused = problems(config, phone=written)
    assert list(refused) == ["phone"]
    assert refused["phone"].startswith(says)


# Outcomes: through synonyms, ignoring case and spaces; unknown is an error, never a guess

# Spec section 1's table and the two dialers' lists, written out: (dialer value, canonical outcome).
OUTCOMES = [
    ("Completed", "Completed"),
    ("Answered", "Answered"),
    ("No Language in Common", "No Language in Common"),
    ("No language in common", "No Language in Common"),
    ("Language Barrier", "No Language in Common"),
    ("Wrong Number", "Wrong Number"),
    ("Fax", "Wrong Number"),
    ("Refused", "Refused"),
    ("Deceased", "Deceased"),
    ("Moved", "Moved"),
    ("Answering Machine", "Answering Machine"),
    ("Voicemail", "Answering Machine"),
    ("Left Message", "Answering Machine"),
    ("Machine Left Message", "Answering Machine"),
    ("Machine", "Answering Machine"),
    ("No Answer", "No Answer"),
    ("Busy", "Busy"),
    ("Busy Signal", "Busy"),
    ("Line Busy", "Busy"),
    ("User Busy", "Busy"),
    ("Not Home", "Not Home"),
    ("Not Home/No Contact", "Not Home"),
    ("Disconnected", "Disconnected"),
    ("Number Disconnected", "Disconnected"),
    ("Opt Out", "Opt Out"),
    ("Do Not Call", "Opt Out"),
    ("Deliverability Error", "Deliverability Error"),
    ("Failed", "Failed"),
    ("Dropped", "Dropped"),
    ("Not Dialed", "Not Dialed"),
    ("Talking to Correct Person", "Completed"),
]


def outcome_spellings(value: str) -> list[str]:
    return [
        value,
        value.upper(),
        value.lower(),
        f"  {value}  ",
        value.replace(" ", ""),
        value.replace(" ", "   "),
        value.upper().replace(" ", "_"),
        value.lower().replace(" ", "-"),
        f"{value}.",
    ]


@pytest.mark.parametrize(("written", "canonical"), OUTCOMES, ids=[w for w, _ in OUTCOMES])
def test_outcome_synonyms_match_ignoring_case_spaces_and_punctuation(
    written: str, canonical: str, config: PipelineConfig
) -> None:
    for spelling in outcome_spellings(written):
        # Given the dialer's outcome written in another case, spacing or punctuation (NO_ANSWER)
        # When the row is validated
        # Then it is the canonical outcome of the spec's table
        assert parse(config, outcome=spelling).outcome == canonical, spelling


@pytest.mark.parametrize(
    "written",
    ["Hung Up", "Complete", "Talking to Wrong Person", "Not Homes", "Busy Busy", "", "?!", "Machine 2"],
)
def test_unknown_outcome_is_an_error(written: str, config: PipelineConfig) -> None:
    # Given an outcome that is no canonical name and no configured synonym (nearly-right ones too)
    # When the row is validated
    refused = problems(config, outcome=written)

    # Then it is refused, listing what is accepted with the synonyms in force, rather than guessed
    assert list(refused) == ["outcome"]
    if written.strip():
        assert refused["outcome"].startswith(
            "is not an outcome we know (accepted, with the synonyms in force: "
            "Completed or Talking to Correct Person, Answered, "
        )
    else:
        assert refused["outcome"].startswith("is empty")


def test_an_unknown_outcome_names_the_synonyms_the_configuration_keeps() -> None:
    # Given a configuration whose list of the answering machine's synonyms replaced the default one
    config = build_config({"outcomes": {"Answering Machine": {"synonyms": ["Left Message"]}}})

    # When a Voicemail row is validated
    refused = problems(config, outcome="Voicemail")

    # Then the refusal says what the answering machine's synonyms now are, so the dropped one shows
    assert "Answering Machine or Left Message, No Answer" in refused["outcome"]


def test_a_configured_synonym_is_an_outcome() -> None:
    # Given a campaign that adds "Hung Up" as a synonym of Refused
    config = build_config({"outcomes": {"Refused": {"synonyms": ["Hung Up"]}}})

    # When a row with it is validated, in a dialer's own spelling
    # Then it is Refused
    assert parse(config, outcome="HUNG_UP").outcome == "Refused"


# Duration: whole seconds >= 0, or m:ss


@pytest.mark.parametrize(
    ("written", "seconds"),
    [
        ("75", 75),
        ("75.0", 75),
        ("0", 0),
        (" 75 ", 75),
        ("1:15", 75),
        ("0:45", 45),
        ("01:02:03", 3723),
        ("75.", 75),
        ("0000000000075", 75),
        ("86400", 86_400),
        ("24:00:00", 86_400),
        ("٧٥", 75),
        ("", None),
    ],
)
def test_duration_forms(written: str, seconds: int | None, config: PipelineConfig) -> None:
    # Given a duration in seconds, m:ss, h:mm:ss or empty
    # When the row is validated
    # Then it is whole seconds (None when empty)
    assert parse(config, duration=written).duration == seconds


@pytest.mark.parametrize(
    "written",
    [
        "abc", "-5", "-0:15", "75.5", "1:75", "1:75:00", "75 s", "1,5", "1:15.0", "1:2:3:4", "1::5", ":5",
        "²", "86401", "24:00:01", "9" * 5000, "1:" + "9" * 5000, "5." + "0" * 5000 + "1",
    ],
    ids=lambda written: written if len(written) < 20 else f"{written[:8]}...({len(written)} characters)",
)  # fmt: skip
def test_duration_that_is_not_whole_seconds_up_to_a_day_is_an_error(
    written: str, config: PipelineConfig
) -> None:
    # Given a duration that is no whole number of seconds from zero to a day (thousands of digits too)
    # When the row is validated
    refused = problems(config, duration=written)

    # Then it is refused, saying how to write it
    assert list(refused) == ["duration"]
    assert "75" in refused["duration"]


# Call type: Computer or Phone Dial through synonyms; empty is Computer


@pytest.mark.parametrize(
    ("written", "call_type"),
    [
        ("Computer", "Computer"), ("computer", "Computer"), ("Dialer", "Computer"),
        ("Predictive", "Computer"), ("POWER", "Computer"), ("preview", "Computer"), ("", "Computer"),
        ("   ", "Computer"),
        ("Phone Dial", "Phone Dial"), ("phone  dial", "Phone Dial"), ("Manual", "Phone Dial"),
        ("Personal Phone", "Phone Dial"), ("PERSONALPHONE", "Phone Dial"),
    ],
)  # fmt: skip
def test_call_type_synonyms(written: str, call_type: str, config: PipelineConfig) -> None:
    # Given a call type as a dialer writes it
    # When the row is validated
    # Then it is one of Organizer's two values
    assert parse(config, call_type=written).call_type == call_type


@pytest.mark.parametrize("written", ["Robot", "SMS", "Auto Dial", "Phone"])
def test_unknown_call_type_is_an_error(written: str, config: PipelineConfig) -> None:
    # Given a call type Organizer does not have and no synonym maps
    # When the row is validated
    refused = problems(config, call_type=written)

    # Then it is refused, listing what is accepted
    assert list(refused) == ["call_type"]
    assert "(accepted: Computer, Phone Dial" in refused["call_type"]


# IDs, service and effort as the model reads them

FORMULAS = ["=1+1", "+1 202", "-5", "@SUM(A1)", '=HYPERLINK("x")', "  =1+1"]


@pytest.mark.parametrize("field", ["profile_id", "effort", "service"])
@pytest.mark.parametrize("written", FORMULAS)
def test_free_text_that_a_spreadsheet_would_run_is_an_error(
    field: str, written: str, config: PipelineConfig
) -> None:
    # Given a Profile ID, effort or service that begins like a formula once its spaces are trimmed
    # When the row is validated
    refused = problems(config, **{field: written})

    # Then that field alone is refused, saying why
    assert list(refused) == [field]
    assert refused[field].startswith("begins with =, +, -, @, a tab or a carriage return")


@pytest.mark.parametrize("written", ["OP=1", "GOTV - Weekend", "a@b", "\t OP-1"])
def test_free_text_with_those_characters_elsewhere_is_kept(written: str, config: PipelineConfig) -> None:
    # Given free text that holds =, -, @ inside, or a tab that trimming removes (it is not written)
    # When the row is validated
    row = parse(config, profile_id=written, effort=written, service=written)

    # Then each is kept as it will be written
    assert row.profile_id == row.effort == row.service == written.strip()


@pytest.mark.parametrize("folder", ["=cmd|' /C calc'!A0", "\tGOTV", "\rGOTV", "-GOTV", "@GOTV", "+GOTV"])
def test_an_upload_folder_effort_that_a_spreadsheet_would_run_is_an_error(
    folder: str, config: PipelineConfig
) -> None:
    # Given an upload folder whose name begins like a formula, and a row without an effort
    ctx = context(config, fallback_effort=folder)

    # When the row is validated
    with pytest.raises(ValidationError) as raised:
        DialerRow.model_validate(cells(effort=""), context=ctx)

    # Then the effort is refused, naming the folder rather than quoting it
    [error] = raised.value.errors()
    assert error["loc"] == ("effort",)
    assert "the upload folder (incoming/<effort name>/" in error["msg"]
    assert folder.strip() not in error["msg"]


def test_a_row_effort_wins_over_a_folder_that_would_be_refused(config: PipelineConfig) -> None:
    # Given an upload folder that begins like a formula, and a row with its own effort
    ctx = context(config, fallback_effort="=1+1")

    # When the row is validated
    # Then the row's effort is used and nothing is refused
    assert DialerRow.model_validate(cells(effort="GOTV"), context=ctx).effort == "GOTV"


def test_van_id_is_digits(config: PipelineConfig) -> None:
    # Given VAN IDs, padded or not, and a Profile ID of any text
    # When the rows are validated
    # Then the digits are kept as written and the Profile ID is open text
    assert parse(config, van_id=" 101234567 ").van_id == "101234567"
    assert parse(config, profile_id="OP-48001/b").profile_id == "OP-48001/b"
    assert parse(config, van_id="", profile_id="").van_id is None


@pytest.mark.parametrize("written", ["10123A", "VAN-101234567", "1.01E+08", "-101234567", "12²", "١٢٣"])
def test_van_id_that_is_not_a_whole_number_is_an_error(written: str, config: PipelineConfig) -> None:
    # Given a VAN ID that is not digits (Excel's scientific notation included)
    # When the row is validated
    # Then it is refused
    assert list(problems(config, van_id=written)) == ["van_id"]


def test_service_is_the_rows_else_the_dialers(config: PipelineConfig) -> None:
    # Given the dialer detected as ThruTalk
    ctx = context(config, service="ThruTalk")

    # When rows with and without a Service value are validated
    with_value = DialerRow.model_validate(cells(service="CallHub"), context=ctx)
    without = DialerRow.model_validate(cells(service=" "), context=ctx)

    # Then the row's value wins, else the dialer's name
    assert (with_value.service, without.service) == ("CallHub", "ThruTalk")


def test_effort_is_the_rows_else_the_fallback(config: PipelineConfig) -> None:
    # Given a fallback effort (from the folder or the configuration)
    ctx = context(config, fallback_effort="Folder Effort")

    # When rows with and without an effort are validated
    with_value = DialerRow.model_validate(cells(effort="Row Effort"), context=ctx)
    without = DialerRow.model_validate(cells(effort=""), context=ctx)

    # Then the row's effort wins, else the fallback
    assert (with_value.effort, without.effort) == ("Row Effort", "Folder Effort")


def test_every_field_error_of_a_row_is_reported_by_the_model(config: PipelineConfig) -> None:
    # Given a row wrong in five fields
    # When it is validated
    refused = problems(
        config, phone="abc", called_at="yesterday", outcome="Hung Up", call_type="Robot", duration="-1"
    )

    # Then each of the five is reported
    assert set(refused) == {"phone", "called_at", "outcome", "call_type", "duration"}
