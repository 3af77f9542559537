"""NGP VAN's API shapes the push sends and reads (spec section 6): camelCase on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

TERMINAL_STATUSES = frozenset({"Completed", "CompletedWithErrors", "Failed"})
"""A job in one of these states changes no more; result files exist for the first two."""

CANVASS_RESULTS = "CanvassResults"
"""The mapping type that records a canvass result (a contact type and a result) on a VAN ID."""


def _none_is_empty(value: Any) -> Any:
    return [] if value is None else value


class _Van(BaseModel):
    """Fields VAN adds later are ignored, so that a new one does not stop a push."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class ResultCode(_Van):
    """One of `GET /canvassResponses/resultCodes`."""

    result_code_id: int
    name: str
    medium_name: str | None = None
    short_name: str | None = None


class ContactType(_Van):
    """One of `GET /canvassResponses/contactTypes`."""

    contact_type_id: int
    name: str
    channel_type_name: str | None = None


class BulkImportColumn(_Van):
    name: str


class BulkImportFile(_Van):
    """The file VAN downloads: a zip at `source_url` holding one csv, its `columns` in the file's order."""

    column_delimiter: Literal["csv"] = "csv"
    columns: list[BulkImportColumn]
    file_name: str
    has_header: bool = True
    has_quotes: bool = True
    source_url: str


class MappingType(_Van):
    name: str


class BulkImportAction(_Van):
    result_file_size_kb_limit: int = 5000
    resource_type: str = "Contacts"
    action_type: str = "loadMappedFile"
    mapping_types: list[MappingType] = [MappingType(name=CANVASS_RESULTS)]


class BulkImportJobRequest(_Van):
    """The body of `POST /bulkImportJobs`, which answers `{"jobId": N}`."""

    description: str
    file: BulkImportFile
    actions: list[BulkImportAction] = [BulkImportAction()]


class CreatedJob(_Van):
    job_id: int


class JobError(_Van):
    reference_code: str | None = None
    text: str | None = None
    code: str | None = None


class ResultFile(_Van):
    url: str
    date_expired: datetime | None = None


class BulkImportJob(_Van):
    """`GET /bulkImportJobs/{id}`."""

    id: int
    status: str
    resource_type: str | None = None
    errors: Annotated[list[JobError], BeforeValidator(_none_is_empty)] = []
    result_files: Annotated[list[ResultFile], BeforeValidator(_none_is_empty)] = []

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES
