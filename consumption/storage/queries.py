"""Every SQL statement the project runs, once: the schema, the writes, the reads.

One row per half hour, keyed by its UTC start in Unix seconds. `timestamp` is an
INTEGER PRIMARY KEY, so it is SQLite's rowid: the table is a B-tree ordered by
time and a range query is one seek and a sequential scan, with no extra index.
"""

import functools

SCHEMA_VERSION = 2
# What marks a database as this program's (`PRAGMA application_id`): "Cnsm" in ASCII.
APPLICATION_ID = 0x436E736D
TABLES = ("consumption", "archive", "generation", "refresh")

SCHEMA = """
CREATE TABLE IF NOT EXISTS consumption (
    timestamp      INTEGER PRIMARY KEY,  -- UTC Unix seconds at which the half hour starts
    consumption_mw INTEGER NOT NULL,     -- France's consumption, MW
    nature         INTEGER NOT NULL      -- 1 real time, 2 consolidated, 3 definitive
                   CHECK (nature BETWEEN 1 AND 3),
    CHECK (timestamp % 1800 = 0)
) STRICT;

-- What each downloaded RTE archive was last seen as, written in the transaction
-- that imports it: a refresh asks RTE only for what changed since.
CREATE TABLE IF NOT EXISTS archive (
    name          TEXT PRIMARY KEY,     -- eCO2mix_RTE_En-cours-TR.zip, ...
    url           TEXT NOT NULL,
    etag          TEXT,
    last_modified TEXT,
    size          INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    half_hours    INTEGER NOT NULL,
    imported_at   INTEGER NOT NULL      -- UTC Unix seconds
) STRICT;

-- A number that every import that changes data increments in its transaction, and a random
-- id drawn when the database is created: together they name what the database holds, so
-- two databases built apart never share an ETag.
CREATE TABLE IF NOT EXISTS generation (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    value       INTEGER NOT NULL,
    database_id TEXT NOT NULL
) STRICT;

-- The outcome of the last fetch or refresh, by whichever process ran it.
CREATE TABLE IF NOT EXISTS refresh (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    finished_at INTEGER NOT NULL,       -- UTC Unix seconds
    ok          INTEGER NOT NULL,       -- 1 when every archive was fetched or current
    summary     TEXT NOT NULL           -- one line: what happened to each archive
) STRICT;
"""
# Schema version 1's generation table had no database id (two columns): it is given one
# when the writer first opens it.
IS_VERSION_1 = "SELECT count(*) = 2 FROM pragma_table_info('generation')"
ADD_DATABASE_ID = (
    "ALTER TABLE generation ADD COLUMN database_id TEXT NOT NULL DEFAULT ''",
    "UPDATE generation SET database_id = lower(hex(randomblob(8)))",
)
FIRST_GENERATION = "INSERT OR IGNORE INTO generation VALUES (1, 0, lower(hex(randomblob(8))))"

# The precedence rule of `domain.model.replaces`, as SQL: a better nature replaces
# a worse one; at equal nature the later import wins, and an identical row is left
# alone so that re-importing a file changes nothing. A contract test holds both to
# the same results.
UPSERT_POINT = """
INSERT INTO consumption (timestamp, consumption_mw, nature) VALUES (?, ?, ?)
ON CONFLICT (timestamp) DO UPDATE
SET consumption_mw = excluded.consumption_mw, nature = excluded.nature
WHERE excluded.nature > consumption.nature
   OR (excluded.nature = consumption.nature
       AND excluded.consumption_mw <> consumption.consumption_mw)
"""

# At most the last parameter's rows; all of them when it is -1.
SELECT_RANGE = """SELECT timestamp, consumption_mw, nature FROM consumption
WHERE timestamp BETWEEN ? AND ? ORDER BY timestamp LIMIT ?"""
STORED_SPAN = "SELECT count(*), min(timestamp), max(timestamp) FROM consumption"
# The Paris years holding a stored half hour, a seek each (1 January begins at +01:00).
STORED_YEARS = """
WITH RECURSIVE year (value, last) AS (
    SELECT 0 + strftime('%Y', first + 3600, 'unixepoch'), 0 + strftime('%Y', last + 3600, 'unixepoch')
    FROM (SELECT (SELECT min(timestamp) FROM consumption) AS first, (SELECT max(timestamp) FROM consumption) AS last)
    UNION ALL SELECT value + 1, last FROM year WHERE value < last
)
SELECT value FROM year WHERE EXISTS (SELECT 1 FROM consumption
    WHERE timestamp >= strftime('%s', value || '-01-01') - 3600
    AND timestamp < strftime('%s', (value + 1) || '-01-01') - 3600)"""
# The least final nature stored in [?, ?), and how many half hours: a year held whole is definitive when it is 3.
LOWEST_NATURE = "SELECT min(nature), count(*) FROM consumption WHERE timestamp >= ? AND timestamp < ?"

BUMP_GENERATION = "UPDATE generation SET value = value + 1 WHERE id = 1"

SELECT_ARCHIVE = (
    "SELECT name, url, etag, last_modified, size, sha256, half_hours, imported_at FROM archive WHERE name = ?"
)
UPSERT_ARCHIVE = """
INSERT OR REPLACE INTO archive (name, url, etag, last_modified, size, sha256, half_hours, imported_at)
VALUES (:name, :url, :etag, :last_modified, :size, :sha256, :half_hours, :imported_at)"""

ARCHIVE_IMPORTS = "SELECT name, imported_at FROM archive ORDER BY name"

LAST_REFRESH = "SELECT finished_at, ok, summary FROM refresh WHERE id = 1"
UPSERT_REFRESH = "INSERT OR REPLACE INTO refresh (id, finished_at, ok, summary) VALUES (1, ?, ?, ?)"

# --- Read side of the API (consumption/storage/reader.py) -----------------------------
# What says whether stored data may have changed: the stored span (min() and max() of the
# rowid are one B-tree descent each), the generation and database id, the last refresh.
FRESHNESS = """
SELECT (SELECT min(timestamp) FROM consumption), (SELECT max(timestamp) FROM consumption),
       generation.value, generation.database_id, refresh.finished_at, refresh.ok, refresh.summary
FROM generation LEFT JOIN refresh ON refresh.id = 1 WHERE generation.id = 1
"""
# The stored span: min() and max() of the rowid alone are each one B-tree descent.
STORED_BOUNDS = "SELECT (SELECT min(timestamp) FROM consumption), (SELECT max(timestamp) FROM consumption)"
# Buckets of an aggregate, each [start, stop): a seek, then a sequential read of its rows.
# Buckets are computed in Python on the wall clock of the asked zone (UTC-offset aware),
# so that SQL only sums integers; measured faster than one GROUP BY over the same rows.
# Several buckets go in one statement (UNION ALL, each part numbered), which saves a
# statement's round trip per bucket: 2.5x faster on hour buckets.
# The minimum and maximum carry their half hour's timestamp in the low 32 bits (timestamps
# of 2000-2100 fit), so that one min() and one max() give each value and when it was,
# the earliest when tied: no second read of the bucket. Each part unpacks them, and gives
# its bucket's bounds back (parameters ?start and ?stop) unless the bucket is empty.
AGGREGATE_SPAN = (
    "SELECT ?{start}, ?{stop}, n, total, low >> 32, low & 4294967295, high >> 32, 4294967295 - (high & 4294967295)"
    " FROM (SELECT count(*) AS n, sum(consumption_mw) AS total, min(consumption_mw * 4294967296 + timestamp) AS low,"
    " max(consumption_mw * 4294967296 + 4294967295 - timestamp) AS high"
    " FROM consumption WHERE timestamp >= ?{start} AND timestamp < ?{stop}) WHERE n"
)


@functools.cache
def aggregate_spans(buckets: int) -> str:
    """One statement that aggregates `buckets` spans, given as 2 × `buckets` parameters."""
    return " UNION ALL ".join(AGGREGATE_SPAN.format(start=2 * i + 1, stop=2 * i + 2) for i in range(buckets))


RANGE_BOUNDS = (
    "SELECT (SELECT min(timestamp) FROM consumption WHERE timestamp BETWEEN ?1 AND ?2),"
    " (SELECT max(timestamp) FROM consumption WHERE timestamp BETWEEN ?1 AND ?2)"
)
LATEST_POINT = "SELECT timestamp, consumption_mw, nature FROM consumption ORDER BY timestamp DESC LIMIT 1"

# Each stored half hour in [?1, ?2] whose next half hour is missing, with the next stored one
# (NULL after the last): the ends of the gaps inside the range, one rowid lookup per row.
# storage/reader.py adds the gaps at the edges.
GAP_STARTS = """
SELECT timestamp, (SELECT min(timestamp) FROM consumption WHERE timestamp > outer_row.timestamp)
FROM consumption AS outer_row WHERE timestamp BETWEEN ?1 AND ?2
AND NOT EXISTS (SELECT 1 FROM consumption WHERE timestamp = outer_row.timestamp + 1800)
"""
