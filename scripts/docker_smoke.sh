#!/usr/bin/env bash
# Build the image; run it with no network at all and check it serves the
# embedded history (2012-2021) within seconds; start the compose project on a
# temporary folder of éCO2mix files (RTE unreachable), wait for healthy, check
# the history's and the files' values, restart and check the database was reused
# (no second build), then tear everything down. Exits non-zero on any failure:
#   PYTHON_IMAGE=local/python:3-bookworm scripts/docker_smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

export PYTHON_IMAGE=${PYTHON_IMAGE:-python:3.12-slim}
project="consumption-smoke-$$"
export CONSUMPTION_IMAGE="consumption:smoke-$$"  # not the tag another build may be using
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
offline=""
cleanup() {
  [ -z "$offline" ] || docker rm -f "$offline" >/dev/null 2>&1 || true
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  docker image rm "$CONSUMPTION_IMAGE" >/dev/null 2>&1 || true
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

say "building $CONSUMPTION_IMAGE with $PYTHON_IMAGE"
compose build

# In the container: the 2019 figure of the embedded history, as the README states it.
check_history='
import json, sys, urllib.request
get = lambda path: json.load(urllib.request.urlopen("http://127.0.0.1:8000" + path, timeout=5))
body = get("/consumption?start=2019-01-01T06:00&end=2019-01-03T17:00")
values = [p["consumption_w"] / 1e6 for p in body["data"]]
assert body["count"] == 119 and round(sum(values) / 119, 1) == 65329.3, (body["count"], sum(values) / 119)
assert get("/health")["years"]["embedded"] == list(range(2012, 2022))
print("docker_smoke: the embedded history: 119 half hours, mean 65,329.3 MW")
'
say "no network at all: the image must serve the embedded history"
started=$(date +%s.%N)
offline=$(docker run -d --network none --read-only --tmpfs /tmp --tmpfs /data:uid=10001,gid=10001 "$CONSUMPTION_IMAGE")
for _ in $(seq 1 300); do
  docker exec "$offline" python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=2)" \
    >/dev/null 2>&1 && break
  sleep 0.1
done
ready=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
docker exec "$offline" python -c "$check_history" || { docker logs "$offline"; fail "offline: the embedded history"; }
say "offline container ready after $ready s"
docker rm -f "$offline" >/dev/null
offline=""

say "starting project $project on port $CONSUMPTION_PORT"
compose up -d

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

docker exec "$(compose ps -q consumption)" python -c "$check_history" || fail "the embedded history under compose"

say "restarting: the database must be reused"
compose restart consumption
wait_healthy
logs=$(compose logs --no-color consumption)
imports=$(grep -c "built the database" <<<"$logs" || true)
reuses=$(grep -c "reusing the database" <<<"$logs" || true)
[ "$imports" = 1 ] || fail "expected one build in the logs, found $imports"
[ "$reuses" = 1 ] || fail "expected the restart to reuse the database, found $reuses reuses"
# 175,324 half hours of history and 144 of the file's.
curl -fsS "$url/health" | grep -q '"half_hours":175468' || fail "/health after the restart"

size=$(docker image inspect "$CONSUMPTION_IMAGE" --format '{{.Size}}')
say "image $CONSUMPTION_IMAGE is $((size / 1000000)) MB on $PYTHON_IMAGE"
say "passed"
