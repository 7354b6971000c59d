"""The OpenAPI 3 document of the API, served at `/openapi.json`: the spec file beside this
module, with what the code decides filled in (the zones, intervals and formats, the years, the
version) and the bounds' pattern, written once as `components.schemas.Bound`: the document says
exactly what `params.py` accepts (tests/unit/test_params.py holds them to it)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from consumption import __version__
from consumption.domain.clock import DEFAULT_ZONE, INTERVALS, ZONE_NAMES
from consumption.web.params import FORMATS, YEARS

SPEC = Path(__file__).with_name("openapi.json")


def _fill_parameter(parameter: dict[str, Any], bound: str) -> None:
    schema, name = parameter["schema"], parameter["name"]
    if name in ("start", "end"):
        schema["pattern"] = bound
        parameter["description"] = parameter["description"].replace("{years}", YEARS)
    elif name == "interval" and not schema["enum"]:  # /consumption/peaks lists its own
        schema["enum"] = list(INTERVALS)
    elif name == "format":
        schema["enum"] = list(FORMATS)
    elif name == "tz":
        schema["enum"], schema["default"] = list(ZONE_NAMES), DEFAULT_ZONE


@functools.cache
def openapi_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SPEC.read_text(encoding="utf-8"))
    document["info"]["version"] = __version__
    bound = document["components"]["schemas"]["Bound"]["pattern"]
    for path_item in document["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                _fill_parameter(parameter, bound)
    return document
