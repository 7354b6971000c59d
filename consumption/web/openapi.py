"""The OpenAPI 3 document of the API, served at `/openapi.json`."""

from __future__ import annotations

from typing import Any

from consumption import __version__
from consumption.web.clock import DEFAULT_ZONE, INTERVALS, ZONE_NAMES
from consumption.web.params import BOUND_PATTERN, FORMATS, YEARS

BOUND_DESCRIPTION = (
    f"A date (`2025-01-01`) or date-time (`2025-01-01T06:00`, `2025-01-01T06:00:00.5`, "
    f"`2025-01-01T06:00:00+01:00`, `2025-01-01T05:00Z`) of the years {YEARS}, exactly as the "
    "pattern says. Without an offset it is wall-clock time in `tz`: a time that the clock skips "
    "(spring forward) is refused with a 400; one that it repeats (fall back) is its first "
    "occurrence (summer time in Paris, as in RTE's files). An offset whose `+` arrived as a "
    "space (an unencoded `+` in a URL) is read as `+`; encode it as `%2B` to be plain."
)
HTTP_DESCRIPTION = (
    "Responses are gzip-compressed for clients that send `Accept-Encoding: gzip` (streamed ones "
    "too). Data responses carry a weak `ETag` that changes exactly when the stored data change; "
    "`If-None-Match` with it gets a 304 without the body. `Cache-Control` lets a browser or proxy "
    "reuse a response until the service's next periodic refresh could change the data "
    "(`max-age`), or, without a periodic refresh, once revalidated (`no-cache`). CORS allows GET "
    "from the origins set by `CORS_ORIGINS` (any by default: public open data, no credentials)."
)


def _bound(name: str, date_alone: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": f"{BOUND_DESCRIPTION} {date_alone} Inclusive.",
        "schema": {"type": "string", "pattern": BOUND_PATTERN},
        "examples": {
            "date-time": {"value": "2025-01-01T06:00" if name == "start" else "2025-01-03T17:00"},
            "date": {"value": "2025-01-01"},
        },
    }


TZ_PARAMETER: dict[str, Any] = {
    "name": "tz",
    "in": "query",
    "required": False,
    "description": (
        "The IANA time zone (of the `tzdata` package) whose wall clock reads naive bounds, gives "
        "the offsets of the output, and draws the buckets' boundaries."
    ),
    "schema": {"type": "string", "enum": list(ZONE_NAMES), "default": DEFAULT_ZONE},
}
IF_NONE_MATCH: dict[str, Any] = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The `ETag` of a response already held: a 304, without a body, when it is still current.",
    "schema": {"type": "string"},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _header(description: str, *, required: bool = True) -> dict[str, Any]:
    return {"description": description, "required": required, "schema": {"type": "string"}}


CACHING_HEADERS = {
    "ETag": _header(
        "Weak tag of the stored data's generation and of the request as resolved (absent for a "
        "database written before generations existed).",
        required=False,
    ),
    "Cache-Control": _header("`public, max-age=N` until the next periodic refresh, else `public, no-cache`."),
}
NOT_MODIFIED = {"description": "Not modified: the `If-None-Match` tag is current.", "headers": CACHING_HEADERS}
PAGE_HEADERS = {"ETag": _header("A strong tag of the page's bytes."), "Cache-Control": _header("`no-cache`.")}


def _page(summary: str, operation_id: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "operationId": operation_id,
            "parameters": [IF_NONE_MATCH],
            "responses": {
                "200": {
                    "description": "The page: one HTML file, nothing fetched from elsewhere.",
                    "headers": PAGE_HEADERS,
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
                "304": {"description": "Not modified.", "headers": PAGE_HEADERS},
                "405": _error("A method other than GET."),
            },
        }
    }


# --- /consumption/gaps (issue 20): its path and schema, named in openapi_document ---
GAPS_DESCRIPTION = (
    "The runs of missing half hours whose starts lie in [start, end], within the stored span (nothing "
    "stored before the first stored half hour or after the last is not a gap): on the embedded history, "
    "each autumn clock change's repeated hour, which RTE's files cannot express (48 lines for 50 half "
    "hours). CSV: `first,last,half_hours`. "
)
DATE_TIME = {"type": "string", "format": "date-time"}
RUN = {"first": DATE_TIME, "last": DATE_TIME, "half_hours": {"type": "integer", "minimum": 1}}
GAPS_PATH: dict[str, Any] = {
    "get": {
        "summary": "The runs of missing half hours between two date-times",
        "description": GAPS_DESCRIPTION + HTTP_DESCRIPTION,
        "operationId": "getGaps",
        "parameters": [_bound("start", ""), _bound("end", ""), TZ_PARAMETER, IF_NONE_MATCH]
        + [{"name": "format", "in": "query", "schema": {"type": "string", "enum": list(FORMATS)}}],
        "responses": {
            "200": {
                "description": "The runs, in time order.",
                "headers": CACHING_HEADERS,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Gaps"}}, "text/csv": {}},
            },
            "304": NOT_MODIFIED,
            **{status: _error("As for `/consumption`.") for status in ("400", "405", "503")},
        },
    }
}
GAPS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["start", "end", "stored", "missing_half_hours", "data"],
    "properties": {
        **{"start": DATE_TIME, "end": DATE_TIME, "stored": {"$ref": "#/components/schemas/Stored"}},
        "missing_half_hours": {"type": "integer", "minimum": 0},
        "data": {"type": "array", "items": {"type": "object", "required": list(RUN), "properties": RUN}},
    },
}
# --- end of /consumption/gaps ---
BUCKET_REQUIRED = ["timestamp", "mean_w", "min_w", "min_at", "max_w", "max_at", "energy_wh", "count", "expected"]
AT_DESCRIPTION = "The start of the half hour of that value, with the offset of `tz`; the earliest when tied."


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "France's electricity consumption",
            "version": __version__,
            "description": (
                "France's total electricity consumption, half-hour by half-hour, from RTE's "
                "éCO2mix data. Half hours with no data are absent from responses."
            ),
        },
        "paths": {
            "/": _page("A page that draws the consumption curve of a range", "getPage"),
            "/docs": _page("This document, explorable: every route and parameter, tried from the page", "getDocs"),
            "/openapi.json": {
                "get": {
                    "summary": "This OpenAPI document",
                    "operationId": "getOpenAPI",
                    "responses": {
                        "200": {
                            "description": "The OpenAPI 3.1 document.",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        "405": _error("A method other than GET."),
                    },
                }
            },
            "/consumption": {
                "get": {
                    "summary": "Consumption in watts between two date-times: every half hour, or buckets of them",
                    "description": (
                        "With `interval=half-hour` (the default), every stored half hour whose start lies in "
                        "[start, end], in time order; half hours without data are absent. With another "
                        "interval, buckets on the wall clock of `tz`, each clipped to [start, end]: a day is "
                        "local midnight to local midnight, so in Paris the spring-forward day has 46 half "
                        "hours and the fall-back day 50 (`expected`); RTE's files give that day 48, since "
                        "the repeated hour has one set of lines (`count` 48). A bucket without data is "
                        "absent. Every response carries the stored span, so an empty one says what exists. "
                        + HTTP_DESCRIPTION
                    ),
                    "operationId": "getConsumption",
                    "parameters": [
                        _bound("start", "A date alone means that day's first instant."),
                        _bound("end", "A date alone means that day's last half hour."),
                        {
                            "name": "interval",
                            "in": "query",
                            "required": False,
                            "description": (
                                "`half-hour`: every half hour, as stored. `hour`, `day`, `week` (ISO, from "
                                "Monday), `month`, `year`: buckets on the wall clock of `tz`. `all`: one "
                                "bucket, the whole range."
                            ),
                            "schema": {"type": "string", "enum": list(INTERVALS), "default": "half-hour"},
                        },
                        TZ_PARAMETER,
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "description": (
                                "`json` or `csv`, exactly (lower case, no spaces; an empty value is a 400). "
                                "Without it, an `Accept` header that prefers `text/csv` to `application/json` "
                                "(media types compared case-insensitively) gets CSV; JSON otherwise."
                            ),
                            "schema": {"type": "string", "enum": list(FORMATS)},
                        },
                        IF_NONE_MATCH,
                    ],
                    "responses": {
                        "200": {
                            "description": "The half hours or buckets of the range, in time order.",
                            "headers": {
                                **CACHING_HEADERS,
                                "Content-Disposition": _header(
                                    'For CSV: `attachment; filename="consumption_START_END.csv"`.', required=False
                                ),
                            },
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "oneOf": [
                                            {"$ref": "#/components/schemas/Consumption"},
                                            {"$ref": "#/components/schemas/Aggregates"},
                                        ]
                                    }
                                },
                                "text/csv": {
                                    "schema": {
                                        "type": "string",
                                        "description": (
                                            "A header line, then one CRLF-terminated line per item. Half hours: "
                                            "`timestamp,consumption_w,nature`, e.g. "
                                            "`2025-01-01T06:00:00+01:00,55508000000,real-time`. Buckets: "
                                            "`timestamp,mean_w,min_w,max_w,energy_wh,count,expected,min_at,max_at`."
                                        ),
                                    }
                                },
                            },
                        },
                        "304": NOT_MODIFIED,
                        "400": _error(
                            "A parameter is missing, empty, repeated, unknown or not as documented; a naive "
                            "bound that the clock of `tz` skips; or start after end. Errors are JSON whatever "
                            "the format asked for."
                        ),
                        "405": _error("A method other than GET."),
                        "503": _error("The database does not exist yet or cannot be read."),
                    },
                }
            },
            "/consumption/gaps": GAPS_PATH,
            "/consumption/latest": {
                "get": {
                    "summary": "The most recent stored half hour, and how old it is",
                    "operationId": "getLatest",
                    "parameters": [TZ_PARAMETER],
                    "responses": {
                        "200": {
                            "description": "The last stored half hour.",
                            "headers": {"Cache-Control": _header("`no-cache`: `age_seconds` changes every second.")},
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Latest"}}},
                        },
                        "400": _error("An unknown, repeated or invalid parameter."),
                        "404": _error("No half hour is stored yet."),
                        "405": _error("A method other than GET."),
                        "503": _error("The database does not exist yet or cannot be read."),
                    },
                }
            },
            "/health": {
                "get": {
                    "summary": "Whether the service can read its data, and what it holds",
                    "operationId": "getHealth",
                    "responses": {
                        "200": {
                            "description": "The database is readable.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Health"}}},
                        },
                        "405": _error("A method other than GET."),
                        "503": {
                            "description": "The database does not exist yet or cannot be read.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Unavailable"}}},
                        },
                    },
                }
            },
            "/ready": {
                "get": {
                    "summary": "Whether the service has data to serve (a readiness check)",
                    "operationId": "getReady",
                    "responses": {
                        "200": {
                            "description": "The database holds data.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Ready"}}},
                        },
                        "405": _error("A method other than GET."),
                        "503": _error("No database yet, or it is empty."),
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics: requests by route and status, latency, half hours "
                    "stored, the newest half hour's age, the last refresh and each archive's outcome",
                    "operationId": "getMetrics",
                    "responses": {
                        "200": {
                            "description": "Prometheus text exposition format.",
                            "content": {"text/plain": {"schema": {"type": "string"}}},
                        },
                        "405": _error("A method other than GET."),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Consumption": {
                    "type": "object",
                    "description": "Half hours (`interval=half-hour`).",
                    "required": ["start", "end", "unit", "interval", "stored", "count", "data"],
                    "properties": {
                        "start": {
                            "type": "string",
                            "format": "date-time",
                            "description": "The start as resolved, with the offset of `tz`.",
                        },
                        "end": {
                            "type": "string",
                            "format": "date-time",
                            "description": "The end as resolved, with the offset of `tz`.",
                        },
                        "unit": {"type": "string", "enum": ["W"]},
                        "interval": {"type": "string", "enum": ["half-hour"]},
                        "stored": {"$ref": "#/components/schemas/Stored"},
                        "count": {"type": "integer", "minimum": 0},
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/HalfHour"}},
                    },
                },
                "Aggregates": {
                    "type": "object",
                    "description": (
                        "Buckets (any other interval). `count` follows `data` in the text, since buckets "
                        "are counted as they stream."
                    ),
                    "required": ["start", "end", "unit", "interval", "stored", "count", "data"],
                    "properties": {
                        "start": {"type": "string", "format": "date-time"},
                        "end": {"type": "string", "format": "date-time"},
                        "unit": {"type": "string", "enum": ["W"]},
                        "interval": {"type": "string", "enum": [i for i in INTERVALS if i != "half-hour"]},
                        "stored": {"$ref": "#/components/schemas/Stored"},
                        "count": {"type": "integer", "minimum": 0, "description": "How many buckets."},
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/Bucket"}},
                    },
                },
                "Gaps": GAPS_SCHEMA,
                "Stored": {
                    "type": "object",
                    "description": "The first and last stored half hours of the whole database (null when empty).",
                    "required": ["first", "last"],
                    "properties": {
                        "first": {"type": ["string", "null"], "format": "date-time"},
                        "last": {"type": ["string", "null"], "format": "date-time"},
                    },
                },
                "Bucket": {
                    "type": "object",
                    "required": BUCKET_REQUIRED,
                    "properties": {
                        "timestamp": {
                            "type": "string",
                            "format": "date-time",
                            "description": "The start of the bucket, clipped to the range, with the offset of `tz`.",
                        },
                        "mean_w": {
                            "type": "integer",
                            "description": (
                                "The exact mean of the half hours, in watts, rounded to the nearest watt, ties to even."
                            ),
                        },
                        "min_w": {"type": "integer"},
                        "max_w": {"type": "integer"},
                        "min_at": {"type": "string", "format": "date-time", "description": AT_DESCRIPTION},
                        "max_at": {"type": "string", "format": "date-time", "description": AT_DESCRIPTION},
                        "energy_wh": {
                            "type": "integer",
                            "description": "Each half hour's power × 0.5 h, summed, in watt-hours.",
                        },
                        "count": {"type": "integer", "minimum": 1, "description": "Half hours with data."},
                        "expected": {
                            "type": "integer",
                            "minimum": 1,
                            "description": "Half hours that the clock has in the clipped bucket.",
                        },
                    },
                },
                "HalfHour": {
                    "type": "object",
                    "required": ["timestamp", "consumption_w", "nature"],
                    "properties": {
                        "timestamp": {
                            "type": "string",
                            "format": "date-time",
                            "description": "Start of the half hour, with the offset of `tz` at that instant.",
                        },
                        "consumption_w": {"type": "integer", "description": "France's consumption in watts."},
                        "nature": {"type": "string", "enum": ["real-time", "consolidated", "definitive"]},
                    },
                },
                "Latest": {
                    "type": "object",
                    "required": ["timestamp", "consumption_w", "nature", "age_seconds"],
                    "properties": {
                        "timestamp": {"type": "string", "format": "date-time"},
                        "consumption_w": {"type": "integer"},
                        "nature": {"type": "string", "enum": ["real-time", "consolidated", "definitive"]},
                        "age_seconds": {
                            "type": "integer",
                            "minimum": 0,
                            "description": "Seconds from the start of that half hour to now.",
                        },
                    },
                },
                "Health": {
                    "type": "object",
                    "required": ["status", "half_hours", "first", "last", "refresh"],
                    "properties": {
                        "status": {"type": "string", "enum": ["ok", "empty"]},
                        "half_hours": {"type": "integer", "minimum": 0},
                        "first": {"type": ["string", "null"], "format": "date-time"},
                        "last": {"type": ["string", "null"], "format": "date-time"},
                        "refresh": {
                            "description": "The last fetch or refresh from RTE, if any ran.",
                            "oneOf": [
                                {"type": "null"},
                                {
                                    "type": "object",
                                    "required": ["time", "ok", "summary"],
                                    "properties": {
                                        "time": {"type": "string", "format": "date-time"},
                                        "ok": {"type": "boolean"},
                                        "summary": {"type": "string"},
                                    },
                                },
                            ],
                        },
                        "years": {
                            "description": "Years whose values come from the embedded history, and from RTE.",
                            "type": "object",
                            "properties": {
                                "embedded": {"type": "array", "items": {"type": "integer"}},
                                "rte": {"type": "array", "items": {"type": "integer"}},
                            },
                        },
                        "startup": {
                            "description": "What this process's start-up did: built the database or reused it, "
                            "and the files it skipped, each with its reason.",
                            "oneOf": [
                                {"type": "null"},
                                {
                                    "type": "object",
                                    "properties": {
                                        "built": {"type": "boolean"},
                                        "files_imported": {"type": "integer"},
                                        "skipped": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "properties": {
                                                    "file": {"type": "string"},
                                                    "reason": {"type": "string"},
                                                },
                                            },
                                        },
                                    },
                                },
                            ],
                        },
                    },
                },
                "Ready": {
                    "type": "object",
                    "required": ["ready"],
                    "properties": {"ready": {"type": "boolean", "enum": [True]}},
                },
                "Unavailable": {
                    "type": "object",
                    "required": ["status", "error"],
                    "properties": {
                        "status": {"type": "string", "enum": ["unavailable"]},
                        "error": {"type": "string"},
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string", "description": "What is wrong, naming the parameter."}},
                },
            }
        },
    }
