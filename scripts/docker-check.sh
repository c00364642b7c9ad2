#!/usr/bin/env bash
# The README's "With Docker" commands and docs/DOCKER.md, run for real against a Docker engine: the image, the
# compose file (Compose v2 if the client has it, else Debian's docker-compose v1), the three
# sites, the harness and race services, signals, the grace period and the report volume.
# Prints one line per check ("ok - ..." or "FAIL - ...") and exits 1 if any failed.
#
# As root on Debian it also installs and starts what is missing (docker.io, docker-compose,
# debootstrap, curl; dockerd in the background, left running for the next builds), and builds
# a local stand-in for the Dockerfile's base image when Docker Hub cannot be reached.
#
#   bash scripts/docker-check.sh        (DOCKER_CHECK_TIMEOUT=15m bounds the whole run)
#
# Uses the host's loopback ports 8000-8002 and 8080 and a compose project of its own
# (flaglabcheck), removed at the end, on failure too. The images stay, for the next build's cache.
set -euo pipefail

# shellcheck source=scripts/docker-common.sh
source "$(dirname "$0")/docker-common.sh"
bounded_rerun DOCKER_CHECK_TIMEOUT 15m "$@"

cd "$(dirname "$0")/.."

PROJECT=flaglabcheck
work=$(mktemp -d)
log="$work/log"
: >"$log"
failures=0
stack_up=0
made_out=0

# The variables docker-compose.yml reads: the user's own must not change what is checked.
unset BIND ADMIN_TOKEN SEED GRACE GRACE_STOP MAX_HUNG PROFILE LATENCY JITTER MAX_LATENCY \
  ERROR_RATE RESET_RATE HANG_RATE SLOW_RATE SLOW_BPS TRUNCATE_RATE STALL_RATE STALL_FOR HARNESS_SERVER \
  COMPOSE_PROFILES COMPOSE_PROJECT_NAME COMPOSE_FILE
# An empty env file: a .env in the project would be read too.
: >"$work/env"

teardown () {
  local status=$?
  trap - EXIT INT TERM
  if [ "$stack_up" = 1 ]; then
    if compose 120 --profile harness --profile race down --remove-orphans --timeout 20 >>"$log" 2>&1; then
      echo "# torn down: compose project $PROJECT (containers, network); images kept"
    else
      echo "FAIL - compose down for $PROJECT (see docker ps -a)"
      status=1
    fi
  fi
  rm -f out/docker-check.html
  if [ "$made_out" = 1 ]; then rmdir out 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$status"
}
trap teardown EXIT
# Bash runs the EXIT trap on exit, not on a signal: turn timeout's SIGTERM and Ctrl-C into one.
trap 'echo "FAIL - interrupted (SIGTERM or SIGINT), after $SECONDS s"; exit 1' INT TERM

# --- Tools and engine ---------------------------------------------------------------------

setup_engine

if compose 60 --profile harness --profile race config -q >>"$log" 2>&1; then
  ok "docker-compose.yml: ${COMPOSE[*]} config accepts it, with the harness and race profiles"
else
  fail "docker-compose.yml: ${COMPOSE[*]} config rejects it (see the log)"
fi

# --- Base image ---------------------------------------------------------------------------

setup_base_image

# --- The project's image ------------------------------------------------------------------

setup_image

# --- The three sites ----------------------------------------------------------------------

for port in 8000 8001 8002 8080; do
  if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
    die "127.0.0.1:$port is taken already: stop what listens there (another docker compose up?)"
  fi
done
server_id () { compose 30 ps -q server; }

# Until the server container reports healthy, at most $1 s.
wait_healthy () {
  local id state
  id=$(server_id)
  for _ in $(seq $(($1 * 2))); do
    state=$(docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null || echo none)
    [ "$state" = healthy ] && return 0
    sleep 0.5
  done
  return 1
}

# up -d with the given settings (NAME=value ...), then wait for healthy.
up_with () {
  local started
  started=$(date +%s.%N)
  stack_up=1
  compose 180 "$@" up -d --no-build server >>"$log" 2>&1 \
    || die "up -d ${*:-(defaults)}"
  wait_healthy 90 || die "server not healthy within 90 s of up -d ${*:-(defaults)}"
  up_seconds=$(elapsed "$started")
}

up_with
ok "up -d: server healthy $up_seconds s after up (the first healthcheck comes one 5 s interval after the start)"

for port in 8000 8001 8002; do
  # The overrides switch off DELAY's latency and ERROR's errors: the bytes are what is checked.
  if timeout 20 curl -sf --max-time 15 -o "$work/br-$port.gif" "http://127.0.0.1:$port/flags/br/br.gif?latency=0ms&error-rate=0" \
      && cmp -s "$work/br-$port.gif" flags/br/br.gif; then
    ok "127.0.0.1:$port/flags/br/br.gif: the same $(stat -c %s flags/br/br.gif) bytes as flags/br/br.gif"
  else
    fail "127.0.0.1:$port/flags/br/br.gif: missing or not the bytes of flags/br/br.gif"
  fi
done

# The server's own process, not the init ahead of it: docker top shows the host's view.
# (docker top needs the pid column.)
uid=$(docker top "$(server_id)" -eo pid,uid,args 2>>"$log" | awk '/dist\/server\/main\.js/ { print $2; exit }' || true)
if [ "$uid" = 1000 ]; then ok "the server runs as uid 1000 (the image's node user), not root"; else fail "the server runs as uid '${uid:-?}', not 1000"; fi

# --- The harness --------------------------------------------------------------------------

# ./out is mounted at /app/out for --report; docker would create a missing one owned by root,
# where the image's node user (uid 1000) cannot write: EACCES.
if [ ! -d out ]; then
  install -d -o 1000 -g 1000 out 2>/dev/null || mkdir out
  made_out=1
fi
out_owner=$(stat -c %u out)
if [ "$out_owner" != 1000 ] && [ "$(id -u)" = 0 ]; then
  echo "# ./out belongs to uid $out_owner: chmod a+w for the check, as docs/DOCKER.md says"
  chmod a+w out
fi

status=0
compose 180 run --rm -T harness --latency 20ms -l 5 --report out/docker-check.html >"$work/harness.txt" 2>&1 || status=$?
cat "$work/harness.txt" >>"$log"
if [ "$status" = 0 ] && grep -qE '^Server: http://server:8001/flags' "$work/harness.txt" \
    && grep -qE '^sequential +1 ' "$work/harness.txt" && grep -qE '^pooled +5 ' "$work/harness.txt" \
    && grep -qE '^async +5 ' "$work/harness.txt"; then
  ok "run --rm harness --latency 20ms -l 5: exit 0, against DELAY (server:8001), a table row for sequential, pooled and async"
else
  fail "run --rm harness --latency 20ms -l 5: exit $status or no table (see below)"
  sed 's/^/#   /' "$work/harness.txt" | tail -n 20
fi
if [ -s out/docker-check.html ] && grep -qi '<html' out/docker-check.html; then
  ok "--report out/docker-check.html: written to the host's ./out by uid $(stat -c %u out/docker-check.html)"
else
  fail "--report out/docker-check.html: no report in the host's ./out"
fi

# Ctrl-C in "run harness": docker sends SIGINT to the init, which passes it to node, once.
# Through npm the report came out once in four; three tries, each must print it.
# The flag answers DELAY (8001) has given, from its /metrics.
flag_answers() {
  curl -s --max-time 2 http://127.0.0.1:8001/metrics \
    | awk '/^flags_requests_total\{route="\/flags\/:cc\/:file"/ { n += $2 } END { print n + 0 }'
}
sigint_ok=0
for try in 1 2 3; do
  name="$PROJECT-sigint-$try"
  before=$(flag_answers)
  compose 60 run -d --name "$name" harness --latency 300ms -l 20 --repeat 2 >>"$log" 2>&1 \
    || { fail "SIGINT try $try: run -d harness"; continue; }
  # Into the second measured run of sequential, whatever the machine's speed: 20 answers for
  # the warm-up, 20 for run 1, then one of run 2's (6 s at 300 ms a flag) under way.
  for _ in $(seq 240); do
    [ $(($(flag_answers) - before)) -ge 41 ] && break
    sleep 0.25
  done
  timeout 20 docker kill -s INT "$name" >>"$log" 2>&1 || true
  code=$(timeout 30 docker wait "$name" 2>>"$log" || echo timeout)
  docker logs "$name" >"$work/sigint-$try.txt" 2>&1 || true
  docker rm -f "$name" >>"$log" 2>&1 || true
  if [ "$code" = 130 ] && grep -q '^INCOMPLETE RUN' "$work/sigint-$try.txt" && grep -qE '^sequential +1 ' "$work/sigint-$try.txt" \
    && tr '\n' ' ' <"$work/sigint-$try.txt" | grep -qE 'left +out'; then
    sigint_ok=$((sigint_ok + 1))
  else
    echo "# SIGINT try $try: exit $code; its output:"
    sed 's/^/#   /' "$work/sigint-$try.txt" | tail -n 15
  fi
done
if [ "$sigint_ok" = 3 ]; then
  ok "SIGINT to a running harness container in its second measured run: the partial report (INCOMPLETE RUN, the row of the whole run, the cut one left out) and exit 130, 3 tries of 3"
else
  fail "SIGINT to a running harness container: the partial report and exit 130 in $sigint_ok tries of 3"
fi

# --- The race page ------------------------------------------------------------------------

compose 120 --profile race up -d --no-build race >>"$log" 2>&1 \
  || fail "--profile race up -d race"
race_page=0
for _ in $(seq 40); do
  if timeout 5 curl -sf --max-time 3 -o "$work/race.html" http://127.0.0.1:8080/race; then race_page=1; break; fi
  sleep 0.5
done
if [ "$race_page" = 1 ]; then ok "--profile race: the race page answers on 127.0.0.1:8080/race"; else fail "--profile race: no race page on 127.0.0.1:8080/race within 20 s"; fi
# The race shares the server's network: the book's DELAY is localhost:8001 to it.
# 202 comes once the race has reached the site (an error status if it cannot).
race_start=$(timeout 20 curl -s --max-time 15 -w ' %{http_code}' -H 'content-type: application/json' -d '{"site":"DELAY"}' http://127.0.0.1:8080/race/start || true)
if [[ $race_start == *localhost:8001*' 202' ]]; then
  ok "--profile race: a race against DELAY starts, the server's localhost:8001 reached from the race container"
else
  fail "--profile race: a race against DELAY did not start: ${race_start:-no answer}"
fi
compose 60 --profile race rm -sf race >>"$log" 2>&1 || true

# --- One site: the harness follows it -----------------------------------------------------

for setting in PROFILE=error:8002 LATENCY=50ms:8000; do
  assignment=${setting%:*}
  port=${setting##*:}
  up_with "$assignment"
  status=0
  compose 180 "$assignment" run --rm -T harness -l 3 --latency 10ms \
    >"$work/one-site.txt" 2>&1 || status=$?
  cat "$work/one-site.txt" >>"$log"
  if [ "$status" = 0 ] && grep -qE "^Server: http://server:$port/flags" "$work/one-site.txt"; then
    ok "$assignment: one site on $port, and run harness aims at server:$port (exit 0)"
  else
    fail "$assignment: run harness exit $status, not aimed at server:$port"
    sed 's/^/#   /' "$work/one-site.txt" | tail -n 8
  fi
done

# --- Stop: the grace period ---------------------------------------------------------------

# GRACE=15s with a request in flight for 14 s, the stop a second in: the server waits about
# 13 s for it, past compose's old 10 s default, and exits 0 (137 was that SIGKILL).
up_with GRACE=15s
started=$(date +%s.%N)
timeout 40 curl -s --max-time 35 -o /dev/null -w '%{http_code}' "http://127.0.0.1:8001/flags/br/br.gif?latency=14s" >"$work/inflight" 2>&1 &
curl_pid=$!
sleep 1
id=$(server_id)
stop_started=$(date +%s.%N)
compose 120 GRACE=15s stop server >>"$log" 2>&1 || true
stop_seconds=$(elapsed "$stop_started")
wait "$curl_pid" || true
code=$(docker inspect -f '{{.State.ExitCode}}' "$id")
answered=$(cat "$work/inflight")
if [ "$code" = 0 ] && [ "$answered" = 200 ] && awk -v s="$stop_seconds" 'BEGIN { exit !(s > 11 && s < 16) }'; then
  ok "GRACE=15s, stop with a 14 s request in flight: the request answered 200, the server exited 0 after $stop_seconds s (within GRACE, past compose's default 10 s)"
else
  fail "GRACE=15s, stop with a 14 s request in flight: exit $code after $stop_seconds s, the request got '${answered}' (started $(elapsed "$started") s ago)"
fi

# The defaults: nothing in flight, the server closes at once and exits 0 well within 5 s.
up_with
id=$(server_id)
stop_started=$(date +%s.%N)
compose 120 stop server >>"$log" 2>&1 || true
stop_seconds=$(elapsed "$stop_started")
code=$(docker inspect -f '{{.State.ExitCode}}' "$id")
if [ "$code" = 0 ] && docker logs "$id" 2>&1 | grep -q 'SIGTERM: closing' && awk -v s="$stop_seconds" 'BEGIN { exit !(s < 5) }'; then
  ok "stop: the server got SIGTERM itself and exited 0 after $stop_seconds s (grace 5 s)"
else
  fail "stop: exit $code after $stop_seconds s"
fi

if [ "$failures" = 0 ]; then echo "# every check passed, in $SECONDS s"; else echo "# $failures checks failed, in $SECONDS s"; fi
[ "$failures" = 0 ]
