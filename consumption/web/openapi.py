"""The OpenAPI 3 document of the API, served at `/openapi.json`."""

from __future__ import annotations

from typing import Any

from consumption import __version__

BOUND_DESCRIPTION = (
    "ISO 8601 date (`2025-01-01`) or date-time (`2025-01-01T06:00`, "
    "`2025-01-01T06:00:00+01:00`, `2025-01-01T05:00Z`); at most 64 characters. "
    "Without an offset it is Paris wall-clock time; a time the clock skips in spring "
    "is refused, one it repeats in autumn is its first (summer-time) occurrence."
)


def _bound(name: str, date_alone: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": f"{BOUND_DESCRIPTION} {date_alone} Inclusive.",
        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
        "examples": {
            "date-time": {"value": "2025-01-01T06:00" if name == "start" else "2025-01-03T17:00"},
            "date": {"value": "2025-01-01"},
        },
    }


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


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
            "/": {
                "get": {
                    "summary": "A page that draws the consumption curve of a range",
                    "operationId": "getPage",
                    "responses": {
                        "200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}},
                        "405": _error("A method other than GET."),
                    },
                }
            },
            "/consumption": {
                "get": {
                    "summary": "Consumption in watts for every stored half hour between two date-times",
                    "operationId": "getConsumption",
                    "parameters": [
                        _bound("start", "A date alone means that day's 00:00."),
                        _bound("end", "A date alone means that day's last half hour."),
                        {
                            "name": "format",
                            "in": "query",
                            "required": False,
                            "description": (
                                "`json` (the default) or `csv`. Without it, an `Accept` header that "
                                "prefers `text/csv` to `application/json` gets CSV."
                            ),
                            "schema": {"type": "string", "enum": ["json", "csv"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "Every stored half hour whose start lies in [start, end], in time order.",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Consumption"}},
                                "text/csv": {
                                    "schema": {
                                        "type": "string",
                                        "description": (
                                            "A header line `timestamp,consumption_w,nature`, then one "
                                            "line per half hour, CRLF-terminated, e.g. "
                                            "`2025-01-01T06:00:00+01:00,55508000000,real-time`."
                                        ),
                                    }
                                },
                            },
                        },
                        "400": _error(
                            "A parameter is missing, repeated, unknown, too long or invalid, or start is "
                            "after end. Errors are JSON whatever the format asked for."
                        ),
                        "404": _error("No such path."),
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
        },
        "components": {
            "schemas": {
                "Consumption": {
                    "type": "object",
                    "required": ["start", "end", "unit", "count", "data"],
                    "properties": {
                        "start": {
                            "type": "string",
                            "format": "date-time",
                            "description": "The start as resolved, with the Paris offset.",
                        },
                        "end": {
                            "type": "string",
                            "format": "date-time",
                            "description": "The end as resolved, with the Paris offset.",
                        },
                        "unit": {"type": "string", "enum": ["W"]},
                        "count": {"type": "integer", "minimum": 0},
                        "data": {"type": "array", "items": {"$ref": "#/components/schemas/HalfHour"}},
                    },
                },
                "HalfHour": {
                    "type": "object",
                    "required": ["timestamp", "consumption_w", "nature"],
                    "properties": {
                        "timestamp": {
                            "type": "string",
                            "format": "date-time",
                            "description": "Start of the half hour, with the Paris offset of that instant.",
                        },
                        "consumption_w": {"type": "integer", "description": "France's consumption in watts."},
                        "nature": {"type": "string", "enum": ["real-time", "consolidated", "definitive"]},
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
