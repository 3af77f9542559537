"""One pydantic model per file format and per step payload."""
