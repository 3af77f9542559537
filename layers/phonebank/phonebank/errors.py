"""Failures of a whole file or of a step.

Bad rows are data (they go to the error report); these exceptions are for the cases where nothing
can be done with the file. The class names are the error names that the state machine's Retry and
Catch match, so renaming one is a change to `statemachine/pipeline.asl.json` too.
"""


class PhonebankError(Exception):
    """Base of every error this package raises on purpose."""


class InputFileError(PhonebankError):
    """The input file cannot be read as a dialer export: status FAILED, the user must fix the file."""


class EmptyFile(InputFileError):
    pass


class HeaderOnly(InputFileError):
    pass


class NoHeaderRow(InputFileError):
    pass


class MissingColumn(InputFileError):
    pass


class DuplicateColumn(InputFileError):
    pass


class NotText(InputFileError):
    pass


class UndecodableFile(InputFileError):
    pass


class MalformedCsv(InputFileError):
    pass


class FileTooLarge(InputFileError):
    pass


class DateOrderUnclear(InputFileError):
    """A date that is only real read in the other day-month order than `date_order`: every other
    date of the file could be read either way."""


class ConfigurationError(PhonebankError):
    """The pipeline's configuration is invalid: nothing runs until an operator fixes it."""


class StorageUnavailable(PhonebankError):
    """S3 throttled or failed transiently: the state machine retries the step."""


class AccountingMismatch(PhonebankError):
    """The summary's counts do not add up: a bug, never a data problem, so the run stops loudly."""
