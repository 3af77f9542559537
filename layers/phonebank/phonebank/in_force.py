"""The settings a run's summary reports, each with the layer of configuration that set it, so that a data
manager sees whether the zone, the reject limit and the date order were theirs or the defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from phonebank.config import PipelineConfig


class SettingInForce(BaseModel):
    """A setting a run used, and where it came from: the bundled defaults, a stack parameter, a file."""

    model_config = ConfigDict(frozen=True)
    value: str
    source: str


REPORTED_SETTINGS = ("campaign_timezone", "limits.max_reject_rate", "date_order")
"""The settings a run's summary reports with their source: those a stack parameter may also give, and
the one that decides how every date reads."""

Layers = list[tuple[str, dict[str, Any]]]
"""Each source of configuration values and the values it gave, in the order they are laid over the
bundled defaults: a later one wins."""


def settings_in_force(config: PipelineConfig, layers: Layers) -> dict[str, SettingInForce]:
    """Each reported setting's value and the last layer that gave it, else the bundled defaults."""
    in_force = {}
    for dotted in REPORTED_SETTINGS:
        value: Any = config
        for part in dotted.split("."):
            value = getattr(value, part)
        source = "bundled defaults"
        for name, values in layers:
            if _gives(values, dotted):
                source = name
        in_force[dotted] = SettingInForce(value=str(value), source=source)
    return in_force


def _gives(values: dict[str, Any], dotted: str) -> bool:
    *parents, leaf = dotted.split(".")
    for part in parents:
        inner = values.get(part)
        values = inner if isinstance(inner, dict) else {}
    return leaf in values
