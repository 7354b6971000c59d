-- France's mean consumption, in MW, from 1 January 2019 06:00 to 3 January 2019
-- 17:00 Paris time, both half hours included (119 half hours): on the embedded
-- history (data/history, 2012-2021) it prints 65329.3.
--
--   sqlite3 data/consumption.sqlite3 < scripts/average_consumption.sql
--
-- Another range: change the two bounds in `bounds` below, each a Paris time with
-- its offset (+01:00 in winter, +02:00 in summer), e.g. '2021-07-14 12:00:00+02:00'.
-- A range with no stored half hour prints a sentence saying so, not an empty line;
-- the years stored: SELECT DISTINCT strftime('%Y', timestamp + 3600, 'unixepoch') FROM consumption;
--
-- Timestamps are UTC Unix seconds, so the bounds are instants: the Paris offset
-- is part of each bound, and the comparison is between integers, not the
-- day-first text that `BETWEEN '01/01/2019 06:00:00' AND ...` would compare
-- character by character.
WITH bounds (first_instant, last_instant) AS (
    SELECT CAST(strftime('%s', '2019-01-01 06:00:00+01:00') AS INTEGER),
           CAST(strftime('%s', '2019-01-03 17:00:00+01:00') AS INTEGER)
)
SELECT coalesce(round(avg(consumption_mw), 1), 'no half hour stored in this range') AS mean_consumption_mw
FROM consumption, bounds
WHERE timestamp BETWEEN first_instant AND last_instant;
