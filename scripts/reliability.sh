#!/usr/bin/env bash
# Long reliability campaign for Event Publisher (not part of CI; the fast versions of these
# guarantees are in Tests/EndToEndTests). Real processes, real sockets, 127.0.0.1 only.
#
#   scripts/reliability.sh [all|drops|kills|endpoints|disk|soak]...
#
# Environment:
#   SHORT=1          shortened run (fewer kills, shorter outages, 200k-event soak) — what fits in an hour
#   EP_BIN=PATH      the event-publisher binary (default .build-rel/debug/event-publisher, built if missing)
#   BENCH=DIR        the independent bench tools (default ../shared/bench)
#   OUT=DIR          where logs and results go (default .build-rel/reliability/<timestamp>)
#   KILLS=N DROPS=N DOWN_SECS=N SOAK_EVENTS=N   override the scenario sizes
#
# Scenarios and what they print (also appended to $OUT/results.txt):
#   drops      AMI connection dropped DROPS (20) times during a paced replay of the 300-call soak
#              capture, events sent while disconnected are lost (as with Asterisk), plus one
#              Shutdown/FullyBooted restart; the server answers CoreShowChannels with the channels
#              really live at that moment. Checks: every leg started once and finished once (finished
#              reconstructed where needed), no event id twice.
#   kills      kill -9 at random moments during a ~10,000-event run (gen-ami-stream, replayed by
#              ami-replay-server which restarts its stream on every login), restarted each time. Lost =
#              event ids committed to the outbox (read from the SQLite file after each kill) or due by
#              `event-publisher replay` that never reached webhook-sink. Must be 0.
#   endpoints  four webhooks: healthy, answering after 5 s, returning 500 (then fixed), down (started
#              after DOWN_SECS). Healthy-endpoint latency (enqueue → first attempt + HTTP time, from the
#              delivery log) compared with a baseline run; all delivered after recovery.
#   disk       the SQLite file on a tiny tmpfs: full disk, then read-only remount; clear errors, no
#              crash, everything delivered once space/write access returns.
#   soak       SOAK_EVENTS (1,000,000) AMI events through the daemon; RSS sampled every 2 s.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SHORT=${SHORT:-0}
BENCH=${BENCH:-$ROOT/../shared/bench}
EP_BIN=${EP_BIN:-$ROOT/.build-rel/debug/event-publisher}
OUT=${OUT:-$ROOT/.build-rel/reliability/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
SCENARIOS=("$@"); [ ${#SCENARIOS[@]} -eq 0 ] && SCENARIOS=(all)
[ "${SCENARIOS[0]}" = all ] && SCENARIOS=(drops kills endpoints disk soak)
if [ "$SHORT" = 1 ]; then
    KILLS=${KILLS:-10}; DROPS=${DROPS:-20}; DOWN_SECS=${DOWN_SECS:-60}; SOAK_EVENTS=${SOAK_EVENTS:-200000}
else
    KILLS=${KILLS:-30}; DROPS=${DROPS:-20}; DOWN_SECS=${DOWN_SECS:-240}; SOAK_EVENTS=${SOAK_EVENTS:-1000000}
fi

if [ ! -x "$EP_BIN" ]; then
    swift build --scratch-path "$ROOT/.build-rel" --product event-publisher >&2 || exit 1
fi

PIDS=()
MOUNTS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    for m in "${MOUNTS[@]}"; do umount "$m" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
result() { echo "$*" | tee -a "$RESULTS"; }
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# wait_until SECONDS CMD...: polls every 0.5 s; returns 1 on timeout.
wait_until() {
    local deadline=$(( $(date +%s) + $1 )); shift
    until "$@"; do [ "$(date +%s)" -ge "$deadline" ] && return 1; sleep 0.5; done
}

# write_config FILE AMI_PORT STORE ADMIN_PORT NAME=URL...
write_config() {
    local file=$1 ami=$2 store=$3 admin=$4; shift 4
    {
        echo "ami: { host: 127.0.0.1, port: $ami, username: gateway, secret: secret }"
        echo "store: { path: \"$store\" }"
        echo "admin: { listen: \"127.0.0.1:$admin\", token: reliability-token }"
        echo "webhooks:"
        for hook in "$@"; do
            echo "  - name: ${hook%%=*}"
            echo "    active: true"
            echo "    all_tenants: true"
            echo "    subscribe_all: true"
            echo "    url: \"${hook#*=}\""
        done
    } > "$file"
    chmod 600 "$file"
}

start_daemon() {  # start_daemon CONFIG LOG → DAEMON_PID
    "$EP_BIN" run --config "$1" --log-format json >>"$2" 2>&1 &
    DAEMON_PID=$!
    PIDS+=("$DAEMON_PID")
}

start_sink() {  # start_sink PORT NAME [flags…] → SINK_PID; records $OUT/NAME.tsv and NAME.bodies
    local port=$1 name=$2; shift 2
    python3 "$BENCH/webhook-sink" --port "$port" --record "$OUT/$name.tsv" --bodies "$OUT/$name.bodies" \
        --id-header webhook-id "$@" >"$OUT/$name.sink.log" 2>&1 &
    SINK_PID=$!
    PIDS+=("$SINK_PID")
    wait_until 10 python3 -c "import socket;socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null
}

stop_pid() {  # stop_pid PID [SIGNAL]: signal, then reap
    kill "-${2:-TERM}" "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    return 0
}

sql() { sqlite3 -cmd ".timeout 5000" "$@"; }
outbox_empty() { [ "$(pending_count "$1")" = 0 ]; }
# Unique webhook-ids a running webhook-sink has seen (its --bodies/--record files are written at exit).
sink_unique() { curl -s "http://127.0.0.1:$1/stats" | python3 -c 'import json,sys;print(json.load(sys.stdin).get("unique_ids",0))' 2>/dev/null || echo 0; }
sink_at_least() { [ "$(sink_unique "$1")" -ge "$2" ]; }
pending_count() { sql "$1" "select count(*) from outbox_delivery where state='pending'" 2>/dev/null || echo "?"; }

TOOLS=$OUT/tools.py
cat > "$TOOLS" <<'PY'
"""Helpers for scripts/reliability.sh: an AMI server that drops connections and resumes where it left
off (answering CoreShowChannels with the channels really live), and analysers of webhook-sink output."""
import json, os, random, socket, sys, threading, time, collections

def messages_of(path):
    data = open(path, 'rb').read()
    first, _, rest = data.partition(b'\r\n')
    if not first.startswith(b'Asterisk Call Manager'):
        rest = data
    out = []
    for chunk in rest.split(b'\r\n\r\n'):
        if not chunk.strip():
            continue
        fields = []
        for line in chunk.split(b'\r\n'):
            k, sep, v = line.partition(b':')
            if sep:
                fields.append((k.decode('latin-1').strip(), v.decode('latin-1').strip()))
        if fields and fields[0][0].lower() == 'response':
            continue
        out.append((chunk + b'\r\n\r\n', dict(fields)))
    return out

SNAP = ['Channel', 'ChannelState', 'ChannelStateDesc', 'CallerIDNum', 'CallerIDName', 'ConnectedLineNum',
        'ConnectedLineName', 'Language', 'AccountCode', 'Context', 'Exten', 'Priority', 'Uniqueid', 'Linkedid']

def drop_server(port, path, rate, drops, gap, restart_at, stats_path):
    """Streams PATH at RATE msg/s, continuing across connections. Drops the connection DROPS times
    (evenly spread); GAP messages are 'processed by Asterisk' but never sent (lost while down). At
    drop number RESTART_AT it sends Shutdown first and forgets every live channel (a PBX restart)."""
    msgs = messages_of(path)
    every = max(1, len(msgs) // (drops + 1))
    live, bridges, dead = {}, {}, set()
    stats = collections.Counter()
    lock = threading.Lock()
    cursor = 0
    drops_done = 0
    down_since = None
    def ids(f):
        return {f.get(k) for k in ('Uniqueid', 'Linkedid', 'DestUniqueid', 'DestLinkedid') if f.get(k)}
    def track(f):
        ev = f.get('Event', '')
        uid = f.get('Uniqueid')
        if uid and f.get('Channel'):
            if ev == 'Hangup':
                live.pop(uid, None); bridges.pop(uid, None)
            else:
                snap = live.setdefault(uid, {})
                for k in SNAP:
                    if k in f: snap[k] = f[k]
                if ev == 'BridgeEnter': bridges[uid] = f.get('BridgeUniqueid', '')
                if ev == 'BridgeLeave': bridges.pop(uid, None)
        dest = f.get('DestUniqueid')
        if dest and f.get('DestChannel') and ev != 'Hangup':
            snap = live.setdefault(dest, {})
            for k in SNAP:
                if 'Dest' + k in f: snap[k] = f['Dest' + k]
    srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(('127.0.0.1', port)); srv.listen(4)
    def write_stats():
        with open(stats_path, 'w') as fh:
            json.dump(dict(stats, cursor=cursor, total=len(msgs), live=len(live)), fh)
    while True:
        conn, _ = srv.accept()
        stats['connections'] += 1
        if down_since is not None and rate:
            # The PBX went on while nobody listened: those events are lost (tracked, never sent).
            # Applied before the client can ask for CoreShowChannels, so the live list reflects
            # them, as a real PBX's would (applied after the answer, the list showed channels whose
            # Hangup was then never sent: legs the client could never finish).
            with lock:
                for _ in range(int((time.time() - down_since) * rate)):
                    if cursor >= len(msgs): break
                    raw, f = msgs[cursor]; cursor += 1
                    if ids(f) & dead: continue
                    track(f); stats['lost_while_down'] += 1
            down_since = None
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sendall(b'Asterisk Call Manager/5.0.1\r\n')
        logged_in = threading.Event(); closed = threading.Event()
        def reader(c=conn, li=logged_in, cl=closed):
            buf = b''
            try:
                while True:
                    d = c.recv(65536)
                    if not d: break
                    buf += d
                    while b'\r\n\r\n' in buf:
                        raw, buf = buf.split(b'\r\n\r\n', 1)
                        f = {}
                        for line in raw.split(b'\r\n'):
                            k, s, v = line.partition(b':')
                            if s: f[k.decode().strip().lower()] = v.decode().strip()
                        act = f.get('action', '').lower(); aid = f.get('actionid', '')
                        head = b'ActionID: ' + aid.encode() + b'\r\n' if aid else b''
                        with lock:
                            if act == 'login':
                                c.sendall(b'Response: Success\r\n' + head + b'Message: Authentication accepted\r\n\r\n'
                                          b'Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n')
                                li.set()
                            elif act == 'coreshowchannels':
                                out = b'Response: Success\r\n' + head + b'EventList: start\r\nMessage: Channels will follow\r\n\r\n'
                                for uid, snap in live.items():
                                    out += b'Event: CoreShowChannel\r\n' + head
                                    for k in SNAP:
                                        if k in snap: out += f'{k}: {snap[k]}\r\n'.encode('latin-1')
                                    out += f'BridgeId: {bridges.get(uid, "")}\r\nApplication: Dial\r\nApplicationData: \r\nDuration: 00:00:05\r\n\r\n'.encode()
                                out += b'Event: CoreShowChannelsComplete\r\n' + head + f'EventList: Complete\r\nListItems: {len(live)}\r\n\r\n'.encode()
                                c.sendall(out); stats['resyncs'] += 1
                            elif act == 'ping':
                                c.sendall(b'Response: Success\r\n' + head + b'Ping: Pong\r\n\r\n')
                            elif act == 'logoff':
                                c.sendall(b'Response: Goodbye\r\n' + head + b'\r\n'); return
                            elif act:
                                c.sendall(b'Response: Success\r\n' + head + b'\r\n')
            except OSError:
                pass
            finally:
                cl.set()
        threading.Thread(target=reader, daemon=True).start()
        if not logged_in.wait(30):
            conn.close(); continue
        time.sleep(0.3)  # let the client's CoreShowChannels go first, as on a real PBX
        try:
            while cursor < len(msgs) and not closed.is_set():
                raw, f = msgs[cursor]
                cursor += 1
                if ids(f) & dead:
                    continue
                track(f)
                with lock:
                    conn.sendall(raw)
                stats['sent'] += 1
                if rate: time.sleep(1.0 / rate)
                if drops_done < drops and cursor % every == 0:
                    drops_done += 1
                    if drops_done == restart_at:
                        with lock:
                            conn.sendall(b'Event: Shutdown\r\nPrivilege: system,all\r\nShutdown: Cleanly\r\nRestart: True\r\n\r\n')
                        for uid, snap in live.items():
                            dead.add(uid); dead.add(snap.get('Linkedid', ''))
                        live.clear(); bridges.clear()
                        stats['restarts'] += 1
                    conn.shutdown(socket.SHUT_RDWR); conn.close()
                    stats['drops'] += 1
                    # Asterisk goes on while we are away: these messages change state but are never sent.
                    for _ in range(gap):
                        if cursor >= len(msgs): break
                        raw, f = msgs[cursor]; cursor += 1
                        if ids(f) & dead: continue
                        track(f); stats['lost_while_down'] += 1
                    break
            write_stats()
            if cursor >= len(msgs):
                closed.wait()  # hold: keep answering pings until the client goes
            elif closed.is_set():
                down_since = time.time()  # the client died (kill -9)
        except OSError:
            down_since = time.time()
        write_stats()

def analyse(bodies_path):
    """Per-leg check of a webhook-sink --bodies file."""
    seen = collections.Counter(); started = collections.Counter(); finished = collections.Counter()
    recon = 0; last = {}; order_violations = 0; calls = set(); calls_finished = set()
    first = {}; conflicting = 0
    for line in open(bodies_path, 'rb'):
        try: e = json.loads(line)
        except ValueError: continue
        seen[e['id']] += 1
        ident = (e['type'], ((e.get('data') or {}).get('leg') or {}).get('id'))
        if seen[e['id']] > 1:
            if first[e['id']] != ident: conflicting += 1
            continue
        first[e['id']] = ident
        d = e.get('data', {}); leg = (d.get('leg') or {}).get('id'); call = d.get('call_id')
        calls.add(call)
        if last.get(call, 0) >= e['sequence']: order_violations += 1
        last[call] = e['sequence']
        if e['type'] == 'call.event_call_started' and leg: started[(call, leg)] += 1
        if e['type'] == 'call.event_call_finished' and leg:
            finished[(call, leg)] += 1; calls_finished.add(call)
            if d.get('reconstructed') or (d.get('leg') or {}).get('reconstructed'): recon += 1
    legs = set(started) | set(finished)
    return dict(events=sum(seen.values()), unique=len(seen), duplicates=sum(seen.values()) - len(seen),
                same_id_different_event=conflicting,
                legs=len(legs), legs_started_not_once=sum(1 for l in legs if started[l] != 1),
                legs_finished_not_once=sum(1 for l in legs if finished[l] != 1),
                reconstructed_finishes=recon, calls=len(calls), calls_without_finish=len(calls - calls_finished),
                order_violations=order_violations)

def ids_of_bodies(path):
    out = set()
    for line in open(path, 'rb'):
        try: out.add(json.loads(line)['id'])
        except ValueError: pass
    return out

def ids_of_jsonl(path):
    return {json.loads(l)['id'] for l in open(path) if l.strip()}

if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'drop-server':
        port, path, rate, drops, gap, restart_at, stats = sys.argv[2:9]
        drop_server(int(port), path, float(rate), int(drops), int(gap), int(restart_at), stats)
    elif cmd == 'analyse':
        print(json.dumps(analyse(sys.argv[2])))
    elif cmd == 'missing':  # missing EXPECTED_JSONL BODIES... → ids expected but never delivered
        want = ids_of_jsonl(sys.argv[2]); got = set()
        for p in sys.argv[3:]: got |= ids_of_bodies(p)
        print(len(want - got)); [print(i, file=sys.stderr) for i in sorted(want - got)[:20]]
    elif cmd == 'missing-ids':  # missing IDS_FILE BODIES...
        want = {l.strip() for l in open(sys.argv[2]) if l.strip()}; got = set()
        for p in sys.argv[3:]: got |= ids_of_bodies(p)
        print(len(want - got)); [print(i, file=sys.stderr) for i in sorted(want - got)[:20]]
    elif cmd == 'count-ids':
        print(len(ids_of_bodies(sys.argv[2])))
    elif cmd == 'percentiles':  # numbers on stdin → p50 p95 p99 max
        xs = sorted(float(x) for x in sys.stdin if x.strip())
        if not xs: print('n=0'); sys.exit()
        p = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]
        print(f'n={len(xs)} p50={p(.5):.0f} p95={p(.95):.0f} p99={p(.99):.0f} max={xs[-1]:.0f}')
PY

# ---------------------------------------------------------------------------------------------
scenario_drops() {
    log "drops: $DROPS drops + 1 Shutdown/FullyBooted restart during the 300-call soak capture"
    local dir=$OUT/drops; mkdir -p "$dir"
    local ami=$(free_port) sink=$(free_port) admin=$(free_port)
    local capture=$ROOT/fixtures/ami/17-soak-300-mixed.ami
    # Paced so each connection lives ~12 s: the client resets its reconnect backoff only after a
    # session proved healthy (first Pong, keepalive 10 s), so faster drops meet growing delays (max 30 s).
    local total; total=$(grep -c '^Event:' "$capture")
    local rate=$(( total / (DROPS + 1) / 12 + 1 ))
    python3 "$TOOLS" drop-server "$ami" "$capture" "$rate" "$DROPS" 15 $(( DROPS / 2 )) "$dir/server.json" \
        >"$dir/server.log" 2>&1 &
    local server=$!; PIDS+=("$server")
    start_sink "$sink" drops-sink
    write_config "$dir/config.yaml" "$ami" "$dir/store.sqlite" "$admin" "sink=http://127.0.0.1:$sink/hook"
    local started=$(date +%s)
    start_daemon "$dir/config.yaml" "$dir/daemon.log"; local daemon=$DAEMON_PID
    # Done when the server sent everything and the outbox is drained.
    wait_until 900 python3 -c "import json,sys;s=json.load(open('$dir/server.json'));sys.exit(0 if s['cursor']>=s['total'] else 1)" 2>/dev/null
    sleep 3
    wait_until 120 outbox_empty "$dir/store.sqlite"
    local alive=no; kill -0 "$daemon" 2>/dev/null && alive=yes
    stop_pid "$daemon"; stop_pid "$SINK_PID" INT; stop_pid "$server" KILL
    local a; a=$(python3 "$TOOLS" analyse "$OUT/drops-sink.bodies")
    result "drops: server=$(cat "$dir/server.json") daemon_alive_at_end=$alive secs=$(( $(date +%s) - started ))"
    result "drops: delivered=$a"
    result "drops: AMI reconnects in daemon log: $(grep -c '"message":"AMI connected"' "$dir/daemon.log")"
}

scenario_kills() {
    # Variant A (bench server): every login restarts the stream from its first event (same ids), so
    #   the last run re-creates everything; checks the outbox (committed rows all delivered) and
    #   duplicates-only-with-the-same-id.
    # Variant B (PBX-like): the server goes on where it was while the gateway is dead (events sent to
    #   a dying process are lost, as with Asterisk) and answers CoreShowChannels with what is live;
    #   checks committed rows all delivered and every leg started once and finished once.
    log "kills: $KILLS × kill -9 at random moments during a ~10,000-event run (2 variants)"
    local dir=$OUT/kills; mkdir -p "$dir"
    python3 "$BENCH/gen-ami-stream" --calls 300 --concurrency 20 --seed 11 -o "$dir/stream.ami" >/dev/null
    local events; events=$(grep -c '^Event:' "$dir/stream.ami")
    local variant
    for variant in A B; do
        local ami=$(free_port) sink=$(free_port) admin=$(free_port)
        local store=$dir/store-$variant.sqlite
        write_config "$dir/config-$variant.yaml" "$ami" "$store" "$admin" "sink=http://127.0.0.1:$sink/hook"
        "$EP_BIN" replay "$dir/stream.ami" --config "$dir/config-$variant.yaml" > "$dir/expected.jsonl"
        if [ $variant = A ]; then
            python3 "$BENCH/ami-replay-server" "$dir/stream.ami" --port "$ami" --rate 1500 --on-end hold \
                >"$dir/server-$variant.log" 2>&1 &
        else
            python3 "$TOOLS" drop-server "$ami" "$dir/stream.ami" 250 0 0 0 "$dir/server-$variant.json" \
                >"$dir/server-$variant.log" 2>&1 &
        fi
        local server=$!; PIDS+=("$server")
        # A slow receiver (100 ms per request) keeps deliveries pending when the kills come.
        start_sink "$sink" "kills-$variant" --slow-rate 1 --slow-ms 100
        : > "$dir/committed-$variant.txt"
        local k pending_at_kill=0
        for (( k = 1; k <= KILLS; k++ )); do
            start_daemon "$dir/config-$variant.yaml" "$dir/daemon-$variant.log"
            sleep "$(python3 -c "import random;print(round(random.uniform(0.5,6.0),2))")"
            kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null
            # What the dead process had committed: every row must reach the sink eventually.
            sql "$store" "select event_id from outbox_delivery" >> "$dir/committed-$variant.txt" 2>/dev/null
            local p; p=$(pending_count "$store"); pending_at_kill=$(( pending_at_kill + ${p//\?/0} ))
            log "kill $variant$k: pending rows at kill $p"
        done
        sort -u -o "$dir/committed-$variant.txt" "$dir/committed-$variant.txt"
        start_daemon "$dir/config-$variant.yaml" "$dir/daemon-$variant.log"; local daemon=$DAEMON_PID
        if [ $variant = A ]; then
            # webhook-sink writes its files when it exits: wait for the full stream, then an empty outbox.
            wait_until 400 grep -q "events=$events " "$dir/server-$variant.log"
        else
            wait_until 400 python3 -c "import json,sys;s=json.load(open('$dir/server-B.json'));sys.exit(0 if s['cursor']>=s['total'] else 1)" 2>/dev/null
        fi
        sleep 2
        wait_until 400 outbox_empty "$store"
        stop_pid "$daemon"
        stop_pid "$SINK_PID" INT; stop_pid "$server" KILL
        result "kills $variant: stream_events=$events replay_call_events=$(wc -l < "$dir/expected.jsonl") kills=$KILLS pending_rows_at_kills=$pending_at_kill final_pending=$(pending_count "$store")"
        result "kills $variant: committed_ids=$(wc -l < "$dir/committed-$variant.txt") lost_committed=$(python3 "$TOOLS" missing-ids "$dir/committed-$variant.txt" "$OUT/kills-$variant.bodies" 2>"$dir/lost-committed-$variant.txt") replay_ids_not_delivered=$(python3 "$TOOLS" missing "$dir/expected.jsonl" "$OUT/kills-$variant.bodies" 2>"$dir/lost-expected-$variant.txt")"
        [ $variant = B ] && result "kills B: server=$(cat "$dir/server-B.json")"
        result "kills $variant: sink=$(tail -1 "$OUT/kills-$variant.sink.log")"
        result "kills $variant: analysis=$(python3 "$TOOLS" analyse "$OUT/kills-$variant.bodies")"
    done
}

latency_of() {  # latency_of DB WEBHOOK_NAME → percentiles of (first attempt start − enqueue) + HTTP ms
    # A first attempt that delivered has no delivery_attempt row: it is kept on the delivery row
    # (success_started_at / success_latency_ms, migration delivery-003).
    sql "$1" "select coalesce(a.started_at, d.success_started_at) - d.created_at + coalesce(a.latency_ms, d.success_latency_ms)
        from outbox_delivery d left join delivery_attempt a on a.delivery_id = d.id and a.attempt = 1
        where d.webhook_name = '$2' and (a.id is not null or (d.attempts = 1 and d.success_started_at is not null))" \
        | python3 "$TOOLS" percentiles
}

scenario_endpoints() {
    log "endpoints: healthy / slow 5 s / 500 / down ${DOWN_SECS}s, and a baseline with the healthy one only"
    local dir=$OUT/endpoints; mkdir -p "$dir"
    local capture=$ROOT/fixtures/ami/17-soak-300-mixed.ami
    local max=5000; [ "$SHORT" = 1 ] || max=26000
    # Baseline.
    local ami=$(free_port) healthy=$(free_port) admin=$(free_port)
    python3 "$BENCH/ami-replay-server" "$capture" --port "$ami" --rate 400 --max-events "$max" --on-end hold \
        >"$dir/server-base.log" 2>&1 & PIDS+=("$!"); local server=$!
    start_sink "$healthy" base-healthy; local s1=$SINK_PID
    write_config "$dir/base.yaml" "$ami" "$dir/base.sqlite" "$admin" "healthy=http://127.0.0.1:$healthy/hook"
    start_daemon "$dir/base.yaml" "$dir/base.log"; local daemon=$DAEMON_PID
    sleep $(( max / 400 + 3 ))
    wait_until 60 outbox_empty "$dir/base.sqlite"
    stop_pid "$daemon"; stop_pid "$s1" INT; stop_pid "$server" KILL
    result "endpoints: baseline healthy latency ms (enqueue→answer) $(latency_of "$dir/base.sqlite" healthy)"
    # Faults.
    ami=$(free_port); healthy=$(free_port); admin=$(free_port)
    local slow=$(free_port) failing=$(free_port) down=$(free_port)
    python3 "$BENCH/ami-replay-server" "$capture" --port "$ami" --rate 400 --max-events "$max" --on-end hold \
        >"$dir/server.log" 2>&1 & PIDS+=("$!"); server=$!
    start_sink "$healthy" ep-healthy; s1=$SINK_PID
    start_sink "$slow" ep-slow --slow-rate 1 --slow-ms 5000; local s2=$SINK_PID
    start_sink "$failing" ep-failing --fail-rate 1 --fail-status 500; local s3=$SINK_PID
    write_config "$dir/faults.yaml" "$ami" "$dir/faults.sqlite" "$admin" "healthy=http://127.0.0.1:$healthy/hook" \
        "slow=http://127.0.0.1:$slow/hook" "failing=http://127.0.0.1:$failing/hook" "down=http://127.0.0.1:$down/hook"
    "$EP_BIN" replay "$capture" --config "$dir/faults.yaml" | head -n 100000 > /dev/null
    local t0=$(date +%s)
    start_daemon "$dir/faults.yaml" "$dir/faults.log"; daemon=$DAEMON_PID
    sleep $(( max / 400 + 3 ))
    result "endpoints: healthy latency ms with faulty neighbours $(latency_of "$dir/faults.sqlite" healthy)"
    # Recovery: the failing one is fixed, the down one comes up after DOWN_SECS.
    local now=$(( $(date +%s) - t0 )); [ "$now" -lt 20 ] && sleep $(( 20 - now ))
    stop_pid "$s3" INT; start_sink "$failing" ep-failing-fixed; s3=$SINK_PID
    now=$(( $(date +%s) - t0 )); [ "$now" -lt "$DOWN_SECS" ] && sleep $(( DOWN_SECS - now ))
    start_sink "$down" ep-down-up; local s4=$SINK_PID
    log "endpoints: all up after $(( $(date +%s) - t0 )) s; waiting for retries (schedule 5 s, 5 min, 30 min…)"
    wait_until 2400 outbox_empty "$dir/faults.sqlite"
    local drained=$(( $(date +%s) - t0 ))
    local counts; counts=$(sql "$dir/faults.sqlite" "select webhook_name || ':' || state || '=' || count(*) from outbox_delivery group by webhook_name, state" | tr '\n' ' ')
    kill -0 "$daemon" 2>/dev/null && alive=yes || alive=no
    stop_pid "$daemon"; for p in $s1 $s2 $s3 $s4; do stop_pid "$p" INT; done; stop_pid "$server" KILL
    result "endpoints: outbox drained after ${drained}s (down endpoint up at ${DOWN_SECS}s) daemon_alive=$alive; rows: $counts"
    result "endpoints: unique ids healthy=$(python3 "$TOOLS" count-ids "$OUT/ep-healthy.bodies") slow=$(python3 "$TOOLS" count-ids "$OUT/ep-slow.bodies") failing-after-fix=$(python3 "$TOOLS" count-ids "$OUT/ep-failing-fixed.bodies") down-after-up=$(python3 "$TOOLS" count-ids "$OUT/ep-down-up.bodies")"
}

scenario_disk() {
    log "disk: SQLite on a 1 MB tmpfs (full), then read-only; recovery"
    local dir=$OUT/disk; mkdir -p "$dir/tmpfs" "$dir/mnt"
    # A 1 MB tmpfs (bind-mounted where the store lives).
    if ! mount -t tmpfs -o size=1m tmpfs "$dir/tmpfs" 2>/dev/null; then
        result "disk: SKIPPED (cannot mount a tmpfs here; run as root or use a loop file)"
        return
    fi
    MOUNTS+=("$dir/tmpfs")
    mount --bind "$dir/tmpfs" "$dir/mnt" && MOUNTS=("$dir/mnt" "${MOUNTS[@]}")  # (a stable path for the store)
    local ami=$(free_port) sink=$(free_port) admin=$(free_port)
    local capture=$ROOT/fixtures/ami/17-soak-300-mixed.ami
    write_config "$dir/config.yaml" "$ami" "$dir/mnt/store.sqlite" "$admin" "sink=http://127.0.0.1:$sink/hook"
    "$EP_BIN" replay "$capture" --config "$dir/config.yaml" > "$dir/expected.jsonl"
    python3 "$BENCH/ami-replay-server" "$capture" --port "$ami" --rate 3000 --on-end hold --once \
        >"$dir/server.log" 2>&1 & PIDS+=("$!"); local server=$!
    start_sink "$sink" disk-sink
    start_daemon "$dir/config.yaml" "$dir/daemon.log"; local daemon=$DAEMON_PID
    sleep 15
    local full_errors; full_errors=$(grep -ci 'full\|cannot store' "$dir/daemon.log")
    local alive_full=no; kill -0 "$daemon" 2>/dev/null && alive_full=yes
    result "disk: full: daemon_alive=$alive_full error_lines=$full_errors df=$(df -k --output=used,avail "$dir/mnt" | tail -1 | tr -s ' ')"
    result "disk: first full-disk error: $(grep -i -m1 'full\|cannot store' "$dir/daemon.log" | cut -c1-300)"
    mount -o remount,size=256m "$dir/tmpfs"
    local n1; n1=$(wc -l < "$dir/expected.jsonl")
    wait_until 180 sink_at_least "$sink" "$n1"
    result "disk: after space returned: sink unique ids=$(sink_unique "$sink") of $n1 expected; daemon_alive=$(kill -0 "$daemon" 2>/dev/null && echo yes || echo no)"
    # Read-only: Linux refuses to remount a file system read-only while a process has a file open for
    # writing (EBUSY, bind mounts too), so the daemon is stopped, the tmpfs made read-only, and the
    # daemon started on it: it must refuse with a clear message (no crash), and start normally and
    # deliver what is pending once the file system is writable again.
    stop_pid "$daemon"
    local pending_before; pending_before=$(pending_count "$dir/mnt/store.sqlite")
    mount -o remount,ro "$dir/tmpfs" || result "disk: read-only remount failed"
    "$EP_BIN" run --config "$dir/config.yaml" --log-format json >"$dir/daemon-ro.log" 2>&1 &
    local ro=$!; PIDS+=("$ro")
    sleep 8
    local ro_state
    if kill -0 "$ro" 2>/dev/null; then ro_state="still running"; stop_pid "$ro"; else wait "$ro"; ro_state="exited with $?"; fi
    result "disk: read-only start: $ro_state; message: $(grep -i -m2 'read\|cannot\|error' "$dir/daemon-ro.log" | cut -c1-300 | tr '\n' ' ')"
    mount -o remount,rw "$dir/tmpfs"
    start_daemon "$dir/config.yaml" "$dir/daemon.log"; daemon=$DAEMON_PID
    stop_pid "$server" KILL  # a second capture arrives after the recovery
    local second=$ROOT/fixtures/ami/16-concurrent-10-mixed.ami
    python3 "$BENCH/ami-replay-server" "$second" --port "$ami" --on-end hold >/dev/null 2>&1 &
    server=$!; PIDS+=("$server")
    "$EP_BIN" replay "$second" --config "$dir/config.yaml" > "$dir/expected2.jsonl"
    wait_until 180 sink_at_least "$sink" $(( n1 + $(wc -l < "$dir/expected2.jsonl") ))
    wait_until 60 outbox_empty "$dir/mnt/store.sqlite"
    stop_pid "$daemon"; stop_pid "$SINK_PID" INT; stop_pid "$server" KILL
    result "disk: pending when stopped before read-only=$pending_before; after rw restart: missing (capture 1, capture 2)=$(python3 "$TOOLS" missing "$dir/expected.jsonl" "$OUT/disk-sink.bodies" 2>/dev/null), $(python3 "$TOOLS" missing "$dir/expected2.jsonl" "$OUT/disk-sink.bodies" 2>/dev/null) of $n1, $(wc -l < "$dir/expected2.jsonl"); analysis: $(python3 "$TOOLS" analyse "$OUT/disk-sink.bodies")"
    umount "$dir/mnt"; umount "$dir/tmpfs"; MOUNTS=()
}

scenario_soak() {
    local capture=$ROOT/fixtures/ami/17-soak-300-mixed.ami
    local per; per=$(grep -c '^Event:' "$capture")
    local loops=$(( (SOAK_EVENTS + per - 1) / per ))
    log "soak: $loops passes × $per events = $(( loops * per )) AMI events, RSS every 2 s"
    local dir=$OUT/soak; mkdir -p "$dir"
    local ami=$(free_port) sink=$(free_port) admin=$(free_port)
    # Paced (SOAK_RATE events/s, default 5000) so RSS shows the working set, not a burst backlog: the
    # AMI reader never blocks (Asterisk must not wait for us), so an unpaced replay at ~40k events/s
    # queues in memory until the correlator catches up.
    local total=$(( loops * per ))
    python3 "$BENCH/ami-replay-server" "$capture" --port "$ami" --loops "$loops" --rate "${SOAK_RATE:-5000}" \
        --on-end hold --once >"$dir/server.log" 2>&1 & PIDS+=("$!"); local server=$!
    python3 "$BENCH/webhook-sink" --port "$sink" --id-header '' >"$dir/sink.log" 2>&1 & PIDS+=("$!"); local s=$!
    wait_until 10 python3 -c "import socket;socket.create_connection(('127.0.0.1',$sink),1)" 2>/dev/null
    write_config "$dir/config.yaml" "$ami" "$dir/store.sqlite" "$admin" "sink=http://127.0.0.1:$sink/hook"
    local t0=$(date +%s)
    start_daemon "$dir/config.yaml" "$dir/daemon.log"; local daemon=$DAEMON_PID
    : > "$dir/rss.tsv"
    local settle=0
    while kill -0 "$daemon" 2>/dev/null; do
        local rss; rss=$(ps -o rss= -p "$daemon" | tr -d ' ')
        local ev; ev=$(curl -s "http://127.0.0.1:$admin/metrics" | awk '/^event_publisher_ami_events_received_total/ {s+=$2} END {print s+0}')
        echo -e "$(( $(date +%s) - t0 ))\t$rss\t$ev" >> "$dir/rss.tsv"
        if [ "${ev:-0}" -ge "$total" ] && [ "$(pending_count "$dir/store.sqlite")" = 0 ]; then
            settle=$(( ${settle:-0} + 1 )); [ "$settle" -ge 5 ] && break   # 10 s more samples after the end
        fi
        [ $(( $(date +%s) - t0 )) -gt 7200 ] && break
        sleep 2
    done
    local secs=$(( $(date +%s) - t0 ))
    stop_pid "$daemon"; stop_pid "$s" INT; stop_pid "$server" KILL
    result "soak: $(grep -m1 'conn=' "$dir/server.log") total_secs=$secs sink=$(tail -1 "$dir/sink.log")"
    result "soak: rss_kb samples (t, rss, ami events) first/25%/50%/75%/last: $(python3 -c "
rows=[l.split() for l in open('$dir/rss.tsv') if l.strip()]
n=len(rows); pick=[rows[0],rows[n//4],rows[n//2],rows[3*n//4],rows[-1]] if n else []
print(' | '.join('t=%s rss=%s ev=%s'%tuple(r) for r in pick), '| max rss', max(int(r[1]) for r in rows) if n else '-')")"
}

log "results go to $RESULTS"
result "# reliability run $(date -u +%FT%TZ) SHORT=$SHORT binary=$EP_BIN"
for scenario in "${SCENARIOS[@]}"; do
    "scenario_$scenario"
done
