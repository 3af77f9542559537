"""What the VAN files write for a call: the records its outcome asks for, and its phone as VAN takes it."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from phonebank.columnar import north_american, us_national
from phonebank.config import PipelineConfig
from phonebank.phones import national_and_country

RESULT = "result"


@dataclass(frozen=True)
class VanInstruction:
    """One VAN record a call produces; the IDs as the bulk file writes them (None: not configured)."""

    contact_type: str
    result: str
    contact_type_id: str
    result_id: str | None


def van_instructions(config: PipelineConfig, outcome: str) -> list[VanInstruction]:
    van = config.van
    named = []
    if result := config.outcomes[outcome].van:
        named.append((van.contact_type, van.contact_type_id, result))
    if van.last_called_at.enabled and van.last_called_at.result:
        named.append(
            (van.last_called_at.contact_type, van.last_called_at.contact_type_id, van.last_called_at.result)
        )
    return [
        VanInstruction(contact_type, result, str(contact_type_id), id_text(van.result_ids.get(result)))
        for contact_type, contact_type_id, result in named
    ]


def id_text(number: int | None) -> str | None:
    return None if number is None else str(number)


def van_records(config: PipelineConfig) -> pl.DataFrame:
    """Every outcome's VAN records, in its instructions' order: (outcome, contact_type, result,
    contact_type_id, result_id)."""
    return pl.DataFrame(
        [
            (outcome, each.contact_type, each.result, each.contact_type_id, each.result_id)
            for outcome in config.outcomes
            for each in van_instructions(config, outcome)
        ],
        schema=dict.fromkeys(["outcome", "contact_type", RESULT, "contact_type_id", "result_id"], pl.String),
        orient="row",
    )


def by_name_phone() -> pl.Expr:
    """`phones.by_name_phone`: a North American number's 10 digits, else nothing."""
    phone = pl.col("phone")
    return pl.when(north_american(phone)).then(phone.str.slice(2)).otherwise(pl.lit(""))


def van_phone_and_country(calls: pl.DataFrame) -> pl.DataFrame:
    """VAN's phone and countrycode columns (`phones.national_and_country`): a US number's by the US's
    own patterns, every other distinct number's by the function itself."""
    phone = pl.col("phone")
    national = phone.str.slice(2)
    us = north_american(phone) & us_national(national)
    calls = calls.with_columns(us.alias("us"))
    others = calls.filter(~pl.col("us"))["phone"].unique(maintain_order=True).to_list()
    answers = [national_and_country(e164) for e164 in others]
    table = pl.DataFrame(
        {
            "phone": others,
            "other_national": [national for national, _ in answers],
            "other_country": [country for _, country in answers],
        },
        schema={"phone": pl.String, "other_national": pl.String, "other_country": pl.String},
    )
    return calls.join(table, on="phone", how="left", maintain_order="left").with_columns(
        pl.when("us").then(national).otherwise("other_national").alias("national"),
        pl.when("us").then(pl.lit("US")).otherwise("other_country").alias("country"),
    )
