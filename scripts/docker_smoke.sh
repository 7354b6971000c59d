#!/usr/bin/env bash
# Build the image, start the compose project on a temporary folder of éCO2mix
# files, wait for healthy, check a query's values, restart and check the
# database was reused (no second import), then tear everything down.
# Exits non-zero on any failure.
#
#   PYTHON_IMAGE=local/python:3-bookworm scripts/docker_smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export PYTHON_IMAGE=${PYTHON_IMAGE:-python:3.12-slim}
project="consumption-smoke-$$"
files=$(mktemp -d)
chmod 755 "$files"
export CONSUMPTION_FILES="$files"
export CONSUMPTION_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export REFRESH_INTERVAL=0
export RTE_BASE_URL=http://127.0.0.1:9  # never reached: the files are there
url="http://127.0.0.1:$CONSUMPTION_PORT"

if docker compose version >/dev/null 2>&1; then
  compose() { docker compose -p "$project" "$@"; }
else
  compose() { docker-compose -p "$project" "$@"; }
fi

say() { echo "docker_smoke: $*"; }
fail() { say "FAILED: $*"; compose logs --no-color || true; exit 1; }
cleanup() {
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$files"
}
trap cleanup EXIT

say "writing éCO2mix files into $files"
python3 - "$files" <<'PY'
import datetime as dt, sys
from pathlib import Path
sys.path.insert(0, ".")
from tests.eco2mix_files import days, eco2mix_lines, write_eco2mix
write_eco2mix(Path(sys.argv[1]) / "eCO2mix_RTE_En-cours-TR.xls", eco2mix_lines(days(dt.date(2025, 1, 1), dt.date(2025, 1, 3))))
PY
chmod 644 "$files"/*

say "building with $PYTHON_IMAGE and starting project $project on port $CONSUMPTION_PORT"
compose up -d --build

wait_healthy() {
  local container status
  container=$(compose ps -q consumption)
  for _ in $(seq 1 90); do
    status=$(docker inspect --format '{{.State.Health.Status}}' "$container")
    [ "$status" = healthy ] && return 0
    sleep 2
  done
  fail "the container is not healthy after 180 s (last status: $status)"
}

wait_healthy
say "healthy; checking the values of 2025-01-01T06:00 to 2025-01-03T17:00"
curl -fsS "$url/consumption?start=2025-01-01T06:00&end=2025-01-03T17:00" > "$files/answer.json" \
  || fail "the query failed"
python3 - "$files/answer.json" <<'PY' || fail "wrong values"
import datetime as dt, json, sys
sys.path.insert(0, ".")
from tests.eco2mix_files import days, expected_points
body = json.load(open(sys.argv[1]))
expected = expected_points(days(dt.date(2025, 1, 1), dt.date(2025, 1, 3)))
assert body["count"] == 119, body["count"]
for point in body["data"]:
    instant = int(dt.datetime.fromisoformat(point["timestamp"]).timestamp())
    assert point["consumption_w"] == expected[instant] * 1_000_000, point
print(f"docker_smoke: {body['count']} half hours, values as in the file")
PY

say "restarting: the database must be reused"
compose restart consumption
wait_healthy
logs=$(compose logs --no-color consumption)
imports=$(grep -c "éCO2mix files in" <<<"$logs" || true)
reuses=$(grep -c "reusing the database" <<<"$logs" || true)
[ "$imports" = 1 ] || fail "expected one import in the logs, found $imports"
[ "$reuses" = 1 ] || fail "expected the restart to reuse the database, found $reuses reuses"
curl -fsS "$url/health" | grep -q '"half_hours":144' || fail "/health after the restart"

size=$(docker image inspect consumption:latest --format '{{.Size}}')
say "image consumption:latest is $((size / 1000000)) MB on $PYTHON_IMAGE"
say "passed"
