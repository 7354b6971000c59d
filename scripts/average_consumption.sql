-- France's mean consumption, in MW, from 1 January 2025 06:00 to 3 January 2025
-- 17:00 Paris time, both half hours included.
--
--   sqlite3 data/consumption.sqlite3 < scripts/average_consumption.sql
--
-- Timestamps are UTC Unix seconds, so the bounds are instants: the Paris offset
-- (+01:00 in January) is part of each bound, and the comparison is between
-- integers, not the day-first text that `BETWEEN '01/01/2025 06:00:00' AND ...`
-- would compare character by character.
SELECT round(avg(consumption_mw), 1) AS mean_consumption_mw
FROM consumption
WHERE timestamp BETWEEN CAST(strftime('%s', '2025-01-01 06:00:00+01:00') AS INTEGER)
                    AND CAST(strftime('%s', '2025-01-03 17:00:00+01:00') AS INTEGER);
