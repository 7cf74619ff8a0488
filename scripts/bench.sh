#!/usr/bin/env bash
# One command for every performance figure of issue 7 (docs/PERFORMANCE.md):
#   scripts/bench.sh            full run (~4 min on 2 quiet cores)
#   QUICK=1 scripts/bench.sh    fewer repetitions, shorter end-to-end runs (a smoke test)
#   SKIP_E2E=1 / SKIP_BUILD=1   leave out the end-to-end runs / the release build
#   ONLY=decode,correlate,memory,delivery,e2e   run only these parts
#
# Builds the release binaries (scratch path .build-bench, apart from everyone's .build), the C
# references of ../shared/bench into .build/bench, runs each benchmark with its reference in the
# same run, then prints one table of figures and ratios. Every server it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SCRATCH=$ROOT/.build-bench
REFS=$ROOT/.build/bench
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
[ -d "$SHARED" ] || SHARED=/work/shared/bench
CAPTURE=$ROOT/fixtures/ami/17-soak-300-mixed.ami
[ -f "$CAPTURE" ] || CAPTURE=/work/shared/fixtures/ami/17-soak-300-mixed.ami
CONFIG=$ROOT/config/event-publisher.yaml
QUICK=${QUICK:-0}
RUN=$REFS/run-$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$RUN/results.txt
mkdir -p "$RUN"
: > "$RESULTS"

# Ports: a block derived from our PID so parallel runs of other people do not collide.
BASE=$(( 20000 + ($$ % 400) * 10 ))
SINK_PORT=$BASE; AMI_PORT=$((BASE + 1)); ADMIN_PORT=$((BASE + 2))

PIDS=()
cleanup() {
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
start_bg() {  # start_bg LOGFILE CMD...: runs CMD in the background, remembers its PID in BG_PID
    local log=$1; shift
    "$@" >"$log" 2>&1 &
    BG_PID=$!
    PIDS+=("$BG_PID")
}
stop_bg() {  # stop_bg PID: stops it and forgets it (a later cleanup must not hit a reused PID)
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    local kept=() pid
    for pid in "${PIDS[@]:-}"; do [ "$pid" != "$1" ] && kept+=("$pid"); done
    PIDS=("${kept[@]:-}")
}
wait_port() {  # wait_port PORT: until something listens (10 s)
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}
log() { echo "== $*" >&2; }
want() { [ -z "${ONLY:-}" ] || [[ ",$ONLY," == *",$1,"* ]]; }
record() {  # record CMD...: runs a benchmark, keeps its RESULT line; a failure is reported, not fatal
    "$@" | tee -a "$RESULTS" || log "FAILED: ${*:1:2}"
}

# 1. Build.
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "release build (scratch path .build-bench)"
    for attempt in 1 2 3; do
        swift build -c release --scratch-path "$SCRATCH" --product event-publisher-bench 2>&1 | tail -3 && break
        log "build failed (the tree is in flux); retrying in 20 s"; sleep 20
    done
    HAVE_DAEMON=1
    swift build -c release --scratch-path "$SCRATCH" --product event-publisher 2>&1 | tail -3 || HAVE_DAEMON=0
else
    HAVE_DAEMON=1
fi
BIN=$SCRATCH/release
BENCH=$BIN/event-publisher-bench
[ -x "$BENCH" ] || { echo "no $BENCH" >&2; exit 1; }
[ -x "$BIN/event-publisher" ] || HAVE_DAEMON=0

log "C references into .build/bench"
mkdir -p "$REFS"
cc -O2 -o "$REFS/ami-scan-ref" "$SHARED/ami-scan-ref.c"
cc -O2 -o "$REFS/curl-multi-post" "$SHARED/curl-multi-post.c" -lcurl
# Ours, not a reference from ../shared/bench: a durable sender in C (curl-multi-post's loop plus the
# outbox's SQL), the floor any implementation of the outbox can reach (docs/PERFORMANCE.md).
cc -O2 -o "$REFS/durable-post-floor" scripts/durable-post-floor.c -lcurl -lsqlite3

# A stream with > 10,000 concurrent calls for the memory figure (generated once, deterministic).
LIVE=$REFS/live-12k-seed7.ami
if [ ! -s "$LIVE" ]; then
    log "generating $LIVE (gen-ami-stream, ~20 s)"
    "$SHARED/gen-ami-stream" --events 900000 --concurrency 12000 --seed 7 -o "$LIVE.tmp" && mv "$LIVE.tmp" "$LIVE"
fi

if [ "$QUICK" = 1 ]; then REPS=2; DREQ=10000; else REPS=5; DREQ=30000; fi

# 2. In-process benchmarks, each interleaved with its reference.
if want decode; then
    log "decode vs ami-scan-ref --mem"
    record "$BENCH" decode --file "$CAPTURE" --min-events 1000000 --reps "$REPS" --ref-bin "$REFS/ami-scan-ref"
fi
if want correlate; then
    log "decode + correlate vs ami-scan-ref --mem (ids rewritten per pass, as ami-replay-server --loops)"
    record "$BENCH" correlate --file "$CAPTURE" --config "$CONFIG" --min-events 1000000 \
        --reps "$((REPS > 3 ? 3 : REPS))" --ref-bin "$REFS/ami-scan-ref"
fi
if want memory; then
    log "memory with > 10,000 live calls"
    record "$BENCH" memory-live --file "$LIVE" --config "$CONFIG"
fi

# 3. Delivery vs curl-multi-post into the same webhook-sink.
if want delivery; then
log "delivery vs curl-multi-post (webhook-sink on :$SINK_PORT)"
start_bg "$RUN/sink-delivery.log" python3 "$SHARED/webhook-sink" --port "$SINK_PORT" --id-header ''
SINK_PID=$BG_PID
wait_port "$SINK_PORT"
for c in 64 8; do
    record "$BENCH" delivery --url "http://127.0.0.1:$SINK_PORT/hook" --concurrency "$c" --requests "$DREQ" \
        --calls 1000 --reps "$((REPS > 3 ? 3 : REPS))" --ref-bin "$REFS/curl-multi-post" --dir "$RUN/delivery-db" \
        --sink-pid "$SINK_PID"
done
# What a durable sender in C reaches with the same SQL (and with less), against the same reference.
record "$BENCH" delivery-floor --url "http://127.0.0.1:$SINK_PORT/hook" --concurrency 64 --requests "$DREQ" \
    --reps "$((REPS > 3 ? 3 : REPS))" --ref-bin "$REFS/curl-multi-post" --floor-bin "$REFS/durable-post-floor"
stop_bg "$SINK_PID"
# The durable part alone (no HTTP): what the SQLite outbox costs per delivery.
record "$BENCH" delivery-storage --requests "$DREQ" --calls 1000 --reps "$((REPS > 3 ? 3 : REPS))" \
    --dir "$RUN/delivery-storage-db"
fi

# 4. End to end: ami-replay-server → event-publisher run → webhook-sink.
e2e() {  # e2e RATE LOOPS
    local rate=$1 loops=$2 dir=$RUN/e2e-$1
    mkdir -p "$dir"
    cat > "$dir/config.yaml" <<EOF
ami:
  host: 127.0.0.1
  port: $AMI_PORT
  username: bench
  secret: bench
store:
  path: $dir/store.sqlite
admin:
  listen: "127.0.0.1:$ADMIN_PORT"
  token: bench-token
tenants:
  - name: acme
    match: { accountcode: acme }
  - name: globex
    match: { accountcode: globex }
numbers:
  internal: '^[0-9]{2,6}$'
webhooks:
  - name: sink
    tenant: main
    active: true
    all_tenants: true
    url: "http://127.0.0.1:$SINK_PORT/hook"
    auth: { type: none }
    subscribe_all: true
EOF
    start_bg "$dir/sink.log" python3 "$SHARED/webhook-sink" --port "$SINK_PORT" --record "$dir/sink.tsv" \
        --id-header webhook-id
    local sink=$BG_PID
    start_bg "$dir/replay.log" python3 "$SHARED/ami-replay-server" "$CAPTURE" --port "$AMI_PORT" --rate "$rate" \
        --loops "$loops" --log-sent "$dir/sent.tsv" --on-end hold
    local replay=$BG_PID
    wait_port "$SINK_PORT"; wait_port "$AMI_PORT"
    start_bg "$dir/daemon.log" "$BIN/event-publisher" run --config "$dir/config.yaml"
    local daemon=$BG_PID
    # Until the server has sent everything, then until the sink has been quiet for 3 s.
    local messages expected deadline last=-1 quiet=0 hwm=0
    for _ in $(seq 100); do
        messages=$(sed -n 's/^loaded \([0-9]*\) messages.*/\1/p' "$dir/replay.log")
        [ -n "$messages" ] && break; sleep 0.1
    done
    expected=$((messages * loops))
    deadline=$(( $(date +%s) + expected / rate + 120 ))
    while [ "$(wc -l < "$dir/sent.tsv" 2>/dev/null || echo 0)" -lt "$expected" ] && [ "$(date +%s)" -lt "$deadline" ]; do
        kill -0 "$daemon" 2>/dev/null || { log "the daemon exited early (see $dir/daemon.log)"; break; }
        hwm=$(awk '/VmHWM/ {print $2}' "/proc/$daemon/status" 2>/dev/null || echo "$hwm")
        sleep 0.5
    done
    while [ "$quiet" -lt 6 ] && [ "$(date +%s)" -lt "$deadline" ]; do
        local n; n=$(wc -l < "$dir/sink.tsv" 2>/dev/null || echo 0)
        if [ "$n" = "$last" ]; then quiet=$((quiet + 1)); else quiet=0; last=$n; fi
        hwm=$(awk '/VmHWM/ {print $2}' "/proc/$daemon/status" 2>/dev/null || echo "$hwm")
        sleep 0.5
    done
    stop_bg "$daemon"; stop_bg "$replay"; stop_bg "$sink"
    local store_bytes; store_bytes=$(cat "$dir"/store.sqlite* 2>/dev/null | wc -c)
    # Outbox commit and first attempt times per event, for the stage split of the latency. A
    # first-try success has no attempt row: its start is on the delivery row (delivery-003).
    sqlite3 -separator $'\t' "$dir/store.sqlite" "SELECT e.event_id, e.created_at, MIN(COALESCE(
            (SELECT MIN(a.started_at) FROM delivery_attempt a WHERE a.delivery_id = d.id), d.success_started_at)) AS first
        FROM outbox_event e JOIN outbox_delivery d ON d.event_id = e.event_id
        GROUP BY e.event_id HAVING first IS NOT NULL" > "$dir/stages.tsv" 2>/dev/null || true
    record "$BENCH" e2e-report --file "$CAPTURE" --config "$dir/config.yaml" --loops "$loops" --sent "$dir/sent.tsv" \
        --record "$dir/sink.tsv" --label "e2e_$rate" --stages "$dir/stages.tsv" \
        --extra "daemon_hwm_mib=$(awk -v k="${hwm:-0}" 'BEGIN {printf "%.1f", k / 1024}') store_bytes=$store_bytes"
}
if ! want e2e; then
    :
elif [ "${SKIP_E2E:-0}" = 1 ]; then
    log "end-to-end skipped (SKIP_E2E=1)"
elif [ "$HAVE_DAEMON" != 1 ]; then
    log "end-to-end skipped: the event-publisher product did not build"
else
    if [ "$QUICK" = 1 ]; then
        log "end-to-end at 1,000 events/s (one pass)"; e2e 1000 1
        log "end-to-end at 10,000 events/s"; e2e 10000 1
    else
        log "end-to-end at 1,000 events/s (one pass, ~26 s)"; e2e 1000 1
        log "end-to-end at 10,000 events/s (four passes, ~10 s)"; e2e 10000 4
    fi
fi

# 4b. The daemon's RSS with 10,000 live calls: the generated stream up to the message at which the
# in-process run counted 10,000 live calls, paced at MEM_RATE events/s (default 20,000: 3.6× the stream's own pace), into `event-publisher run`
# with no webhook (correlation state only; no deliveries), then RSS once the input is processed.
MEM_RATE=${MEM_RATE:-20000}
daemon_memory() {
    local dir=$RUN/daemon-memory upto
    mkdir -p "$dir"
    upto=$(sed -n 's/.*bench=memory_live.* messages_at_target=\([0-9]*\).*/\1/p' "$RESULTS" | tail -1)
    [ -n "$upto" ] && [ "$upto" -gt 0 ] || upto=600000
    cat > "$dir/config.yaml" <<EOF
ami:
  host: 127.0.0.1
  port: $AMI_PORT
  username: bench
  secret: bench
store:
  path: $dir/store.sqlite
admin:
  listen: "127.0.0.1:$ADMIN_PORT"
  token: bench-token
numbers:
  internal: '^[0-9]{2,6}$'
EOF
    start_bg "$dir/replay.log" python3 "$SHARED/ami-replay-server" "$LIVE" --port "$AMI_PORT" --rate "$MEM_RATE" \
        --max-events "$upto" --on-end hold
    local replay=$BG_PID
    wait_port "$AMI_PORT"
    start_bg "$dir/daemon.log" "$BIN/event-publisher" run --config "$dir/config.yaml"
    local daemon=$BG_PID
    local deadline=$(( $(date +%s) + upto / MEM_RATE + 90 )) rss=0 hwm=0 cpu=-1 prev=-2 quiet=0
    # Until the server has sent everything (it prints one line at the end of the stream) ...
    until grep -q '^conn=' "$dir/replay.log" 2>/dev/null || [ "$(date +%s)" -ge "$deadline" ]; do
        kill -0 "$daemon" 2>/dev/null || break
        sleep 0.5
    done
    # ... and the daemon's CPU time has stopped moving for 2 s (its backlog is processed).
    while [ "$quiet" -lt 4 ] && [ "$(date +%s)" -lt "$deadline" ] && kill -0 "$daemon" 2>/dev/null; do
        cpu=$(awk '{print $14 + $15}' "/proc/$daemon/stat" 2>/dev/null || echo -1)
        if [ "$cpu" = "$prev" ]; then quiet=$((quiet + 1)); else quiet=0; prev=$cpu; fi
        sleep 0.5
    done
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status" 2>/dev/null || echo 0)
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$daemon/status" 2>/dev/null || echo 0)
    stop_bg "$daemon"; stop_bg "$replay"
    echo "RESULT bench=memory_daemon messages=$upto rate=$MEM_RATE" \
         "rss_mib=$(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}')" \
         "hwm_mib=$(awk -v k="$hwm" 'BEGIN {printf "%.1f", k / 1024}')" | tee -a "$RESULTS"
}
if want memory && [ "${SKIP_E2E:-0}" != 1 ] && [ "$HAVE_DAEMON" = 1 ]; then
    log "daemon RSS with 10,000 live calls (generated stream at $MEM_RATE events/s, no webhook)"
    daemon_memory
fi

# 5. The table.
echo
echo "event-publisher benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
     "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load $(cut -d' ' -f1-3 /proc/loadavg)," \
     "Swift $(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -1)"
echo "capture: $(basename "$CAPTURE"); raw results: ${RESULTS#"$ROOT"/}"
echo
"$BENCH" table "$RESULTS"
