#!/usr/bin/env bash
# bench/run.sh — read-path benchmark of lkn-api over loopback HTTP.
#
# For each database in BENCH_DATABASES it creates a fresh database, seeds the demo data set
# (`lkn-api seed demo --threads N`, timed), creates a member token, starts
# `lkn-api serve` on a free 127.0.0.1 port and drives each scenario (a POST /graphql
# query or query mix, bodies built from bench/scenarios/) with wrk at a fixed
# concurrency: a warm-up run, then a measured run. Before any load each scenario's bodies
# are sent once with curl; a body whose response carries GraphQL "errors" is never
# benchmarked. Per scenario it reports requests/s, p50 and p99 latency (wrk --latency),
# SQL statements per request (delta of `lkn_db_statements_total` on GET /metrics divided
# by the requests wrk completed; warm-up excluded) and the peak RSS of the server
# (VmHWM, reset before each scenario). One markdown table per database is printed and
# saved as bench/out/<timestamp>-<database>.md, with wrk's raw output beside it (.log).
# The server is stopped, PostgreSQL databases dropped and the work directory removed on
# exit, whatever happens.
#
# Usage:   bench/run.sh
# Example: BENCH_THREADS=2000 BENCH_SECONDS=3 BENCH_DATABASES=sqlite bench/run.sh
#
# Environment (defaults in brackets):
#   LKN_API               server binary [<repo>/target/release/lkn-api; built with
#                         `cargo build --release -p lkn-api` when it is missing]
#   BENCH_DATABASES       databases to run, in order [sqlite postgres]
#   BENCH_THREADS         demo threads to seed [50000]
#   BENCH_CONCURRENCY     wrk connections, kept open for the whole run [1]
#   BENCH_SECONDS         length of each measured run [10]
#   BENCH_WARMUP_SECONDS  length of the warm-up run before each measured run [2]
#   BENCH_SCENARIOS       scenarios to run [partners thread-feed collaboration-page
#                         thread-page search similarThreads]
#   BENCH_ALLOW_SKIP      1: a scenario whose probe fails is reported as SKIPPED and the run
#                         goes on with exit status 0; otherwise the run stops with status 1 [0]
#   BENCH_PG_HOST, BENCH_PG_PORT, BENCH_PG_USER, BENCH_PG_ADMIN_DB
#                         PostgreSQL server and the database psql connects to in order to
#                         create and drop lkn_bench_<random> [127.0.0.1 5432 postgres test]
#   BENCH_OUT_DIR         where tables and raw wrk output go [bench/out]
#   BENCH_WORK_DIR        scratch directory (SQLite file, server log), removed at the end
#                         unless BENCH_KEEP_WORK_DIR=1 [a new mktemp -d]
#   BENCH_READY_TIMEOUT   seconds to wait for GET /readyz = 200 [60]
#
# Exit status: 0 when every scenario ran without errors; 1 on a failure (a probe failure
# without BENCH_ALLOW_SKIP=1, a server that does not start, ...); 3 when all tables were
# written but some measured requests failed (non-2xx, socket errors or GraphQL errors;
# see the notes under the table).
#
# Only loopback traffic; every load run is bounded by wrk -d and by `timeout`.

set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
DEFAULT_LKN_API=$REPO_DIR/target/release/lkn-api
LKN_API=${LKN_API:-$DEFAULT_LKN_API}
BENCH_DATABASES=${BENCH_DATABASES:-sqlite postgres}
BENCH_THREADS=${BENCH_THREADS:-50000}
BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-1}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-2}
BENCH_SCENARIOS=${BENCH_SCENARIOS:-partners thread-feed collaboration-page thread-page search similarThreads}
BENCH_ALLOW_SKIP=${BENCH_ALLOW_SKIP:-0}
BENCH_PG_HOST=${BENCH_PG_HOST:-127.0.0.1}
BENCH_PG_PORT=${BENCH_PG_PORT:-5432}
BENCH_PG_USER=${BENCH_PG_USER:-postgres}
BENCH_PG_ADMIN_DB=${BENCH_PG_ADMIN_DB:-test}
BENCH_OUT_DIR=${BENCH_OUT_DIR:-$BENCH_DIR/out}
BENCH_KEEP_WORK_DIR=${BENCH_KEEP_WORK_DIR:-0}
BENCH_READY_TIMEOUT=${BENCH_READY_TIMEOUT:-60}
SCENARIO_DIR=$BENCH_DIR/scenarios
LUA_SCRIPT=$BENCH_DIR/wrk/post.lua

log() { printf '%s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for var in BENCH_THREADS BENCH_CONCURRENCY BENCH_SECONDS BENCH_WARMUP_SECONDS BENCH_READY_TIMEOUT; do
    [[ ${!var} =~ ^[1-9][0-9]*$ ]] || die "$var must be a positive integer, not '${!var}'"
done
[[ $BENCH_PG_HOST == 127.* || $BENCH_PG_HOST == localhost || $BENCH_PG_HOST == ::1 ]] ||
    die "BENCH_PG_HOST must be a loopback address, not '$BENCH_PG_HOST'"

# ---------------------------------------------------------------------------------------
# State for cleanup

WORK_DIR=
SERVER_PID=
PG_DATABASES=()

stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    local pid=$SERVER_PID
    SERVER_PID=
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        local i
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "server $pid still running 10 s after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

pg_admin() {
    psql -X -q -v ON_ERROR_STOP=1 -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U "$BENCH_PG_USER" \
        -d "$BENCH_PG_ADMIN_DB" "$@"
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_server
    local db
    for db in "${PG_DATABASES[@]}"; do
        pg_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 ||
            pg_admin -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 ||
            log "could not drop PostgreSQL database $db; drop it by hand"
    done
    if [[ -n $WORK_DIR && -d $WORK_DIR ]]; then
        if [[ $BENCH_KEEP_WORK_DIR == 1 ]]; then
            log "work directory kept: $WORK_DIR"
        else
            rm -rf -- "$WORK_DIR"
        fi
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------
# Tools

apt_install() {
    local sudo=
    [[ $(id -u) == 0 ]] || sudo=sudo
    log "installing $* with apt-get"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "$@" >&2 ||
        { DEBIAN_FRONTEND=noninteractive $sudo apt-get update >&2 &&
            DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "$@" >&2; }
}

command -v wrk >/dev/null || apt_install wrk
command -v jq >/dev/null || apt_install jq
command -v curl >/dev/null || apt_install curl
for db in $BENCH_DATABASES; do
    case $db in
        sqlite) ;;
        postgres) command -v psql >/dev/null || apt_install postgresql-client ;;
        *) die "unknown database '$db' in BENCH_DATABASES (sqlite, postgres)" ;;
    esac
done

if [[ ! -x $LKN_API ]]; then
    [[ $LKN_API == "$DEFAULT_LKN_API" ]] || die "LKN_API=$LKN_API is not an executable file"
    log "$LKN_API is missing; building it"
    (cd "$REPO_DIR" && cargo build --release -p lkn-api) >&2
fi

for scenario in $BENCH_SCENARIOS; do
    [[ -f $SCENARIO_DIR/$scenario.graphql ]] || die "unknown scenario '$scenario' (no $SCENARIO_DIR/$scenario.graphql)"
done

WORK_DIR=${BENCH_WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/lkn-bench.XXXXXX")}
mkdir -p "$WORK_DIR" "$BENCH_OUT_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)

# ---------------------------------------------------------------------------------------
# Helpers

now() { printf '%s' "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# A TCP port on 127.0.0.1 that nothing listens on.
free_port() {
    local port i
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            printf '%s' "$port"
            return 0
        fi
    done
    die "found no free port"
}

# graphql BODY OUTFILE -> prints the HTTP status; the response body goes to OUTFILE.
graphql() {
    curl -sS --max-time 30 -o "$2" -w '%{http_code}' -X POST "$BASE_URL/graphql" \
        -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
        --data-binary "$1" || printf 'curl-failed'
}

# Sum of all samples of lkn_db_statements_total on /metrics, or "n/a".
scrape_statements() {
    local file=$WORK_DIR/metrics.txt code
    code=$(curl -sS --max-time 10 -o "$file" -w '%{http_code}' "$BASE_URL/metrics" 2>/dev/null) || code=000
    if [[ $code != 200 ]]; then
        printf 'n/a'
        return 0
    fi
    awk '
        /^#/ { next }
        {
            line = $0
            sub(/\{[^}]*\}/, "", line)
            n = split(line, f, /[ \t]+/)
            if (f[1] == "lkn_db_statements_total" && n >= 2) { sum += f[2]; found = 1 }
        }
        END { if (found) printf "%.0f", sum; else printf "n/a" }
    ' "$file"
}

peak_rss_mb() {
    awk '/^VmHWM:/ { printf "%.1f", $2 / 1024; found = 1 } END { if (!found) printf "n/a" }' \
        "/proc/$SERVER_PID/status" 2>/dev/null || printf 'n/a'
}

# Resets VmHWM to the current RSS (Linux >= 4.0), so each scenario shows its own peak.
reset_peak_rss() {
    { printf '5' >"/proc/$SERVER_PID/clear_refs"; } 2>/dev/null || true
}

# Writes one JSON request body per line to OUTFILE from SCENARIO.graphql and, when
# present, SCENARIO.vars.jsonl (one variables object per line) or VARS_FILE.
build_bodies() {
    local scenario=$1 out=$2 vars=${3:-$SCENARIO_DIR/$1.vars.jsonl}
    local query
    query=$(tr -s ' \t\n' ' ' <"$SCENARIO_DIR/$scenario.graphql" | sed 's/^ //; s/ $//')
    if [[ -f $vars ]]; then
        jq -c --arg q "$query" '{query: $q, variables: .}' "$vars" >"$out"
    else
        jq -cn --arg q "$query" '{query: $q}' >"$out"
    fi
    [[ -s $out ]] || die "no request bodies for scenario $scenario"
}

# Sends every body of BODYFILE once. Prints nothing and succeeds when all responses are
# HTTP 200 with data and no "errors"; otherwise prints the failing body and response to
# stderr, the reason to stdout, and fails.
probe() {
    local bodies=$1 body code reason resp=$WORK_DIR/probe-response.json
    while IFS= read -r body; do
        [[ -n $body ]] || continue
        code=$(graphql "$body" "$resp")
        if [[ $code == 200 ]] && jq -e '(has("errors") | not) and .data != null' "$resp" >/dev/null 2>&1; then
            continue
        fi
        reason=$(jq -r '.errors[0] | "\(.extensions.code // "error"): \(.message)"' "$resp" 2>/dev/null) ||
            reason="HTTP $code"
        log "probe failed (HTTP $code)"
        log "  body:     $body"
        log "  response: $(head -c 2000 "$resp" 2>/dev/null)"
        printf 'HTTP %s, %s' "$code" "$reason"
        return 1
    done <"$bodies"
}

# The thread with the most replies among the 100 most recently active ones, as a
# variables line for thread-page.
thread_page_vars() {
    local resp=$WORK_DIR/pick-thread.json code id count
    code=$(graphql '{"query":"{ threads(first: 100, orderBy: RECENTLY_ACTIVE) { nodes { id replyCount } } }"}' "$resp")
    [[ $code == 200 ]] || { log "picking a thread: HTTP $code: $(head -c 2000 "$resp")"; return 1; }
    read -r id count < <(jq -r '.data.threads.nodes | max_by(.replyCount) | "\(.id) \(.replyCount)"' "$resp" 2>/dev/null) ||
        { log "picking a thread: $(head -c 2000 "$resp")"; return 1; }
    [[ -n $id && $id != null ]] || { log "picking a thread: no threads"; return 1; }
    log "$1: thread-page: thread $id with $count replies"
    [[ $count -gt 0 ]] || { log "picking a thread: the busiest of 100 threads has no replies"; return 1; }
    jq -cn --arg id "$id" '{id: $id}'
}

# Runs wrk for SECONDS against the bodies in BODYFILE; its output goes to OUTFILE.
run_wrk() {
    local seconds=$1 bodies=$2 out=$3
    local threads=$((BENCH_CONCURRENCY < 2 ? BENCH_CONCURRENCY : 2))
    BENCH_TOKEN=$TOKEN timeout -k 5 $((seconds + 60)) \
        wrk -t"$threads" -c"$BENCH_CONCURRENCY" -d"${seconds}s" --timeout 30s --latency \
        -s "$LUA_SCRIPT" "$BASE_URL/graphql" -- "$bodies" >"$out" 2>&1
}

# Parses wrk --latency output: "requests req_per_s p50_ms p99_ms non2xx socket_errors graphql_errors".
parse_wrk() {
    awk '
        function ms(v,   n, u) {
            n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
            if (u == "us") return n / 1000
            if (u == "ms") return n
            if (u == "s") return n * 1000
            if (u == "m") return n * 60000
            if (u == "h") return n * 3600000
            return -1
        }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        / requests in / { reqs = $1 }
        $1 == "Requests/sec:" { rps = $2 }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        $1 == "Socket" && $2 == "errors:" { sock = $4 + $6 + $8 + $10 }
        $1 == "graphql_errors:" { gql = $2 }
        END {
            if (reqs == "" || rps == "" || p50 == "" || p99 == "") exit 1
            printf "%d %.1f %.2f %.2f %d %d %d\n", reqs, rps, p50, p99, non2xx, sock, gql
        }
    ' "$1"
}

# ---------------------------------------------------------------------------------------
# One database

EXIT_STATUS=0

run_database() {
    local db=$1 url pgname
    case $db in
        sqlite)
            url="sqlite:$WORK_DIR/bench.db"
            rm -f "$WORK_DIR"/bench.db*
            ;;
        postgres)
            pgname=lkn_bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
            pg_admin -c "CREATE DATABASE $pgname" >/dev/null
            PG_DATABASES+=("$pgname")
            url="postgres://$BENCH_PG_USER@$BENCH_PG_HOST:$BENCH_PG_PORT/$pgname"
            ;;
    esac
    export DATABASE_URL=$url
    export RUST_LOG=warn
    local server_log=$WORK_DIR/server-$db.log
    : >"$server_log"

    log ""
    log "== $db: $url"
    local t0 t1 seed_seconds
    t0=$(now)
    "$LKN_API" seed demo --threads "$BENCH_THREADS" >>"$server_log" 2>&1 ||
        { tail -n 30 "$server_log" >&2; die "$db: seed demo failed"; }
    t1=$(now)
    seed_seconds=$(elapsed "$t0" "$t1")
    log "$db: seed demo --threads $BENCH_THREADS took $seed_seconds s"

    TOKEN=$("$LKN_API" member add --partner british-library --email bench@bl.example \
        --name Bench --role member 2>>"$server_log") ||
        { tail -n 30 "$server_log" >&2; die "$db: member add failed"; }
    TOKEN=$(printf '%s' "$TOKEN" | tr -d '[:space:]')
    [[ -n $TOKEN ]] || die "$db: member add printed no token"

    local port
    port=$(free_port)
    BASE_URL=http://127.0.0.1:$port
    # Limits and metrics stay on; the per-token rate limit is raised so that the load
    # generator measures the server rather than its own budget.
    LKN_RATE_LIMIT_PER_MINUTE=${LKN_RATE_LIMIT_PER_MINUTE:-1000000000} \
        "$LKN_API" serve --bind "127.0.0.1:$port" >>"$server_log" 2>&1 &
    SERVER_PID=$!
    local deadline=$((SECONDS + BENCH_READY_TIMEOUT))
    until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE_URL/readyz" || true) == 200 ]]; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            tail -n 30 "$server_log" >&2
            SERVER_PID=
            die "$db: the server exited before it was ready"
        fi
        ((SECONDS < deadline)) || { tail -n 30 "$server_log" >&2; die "$db: /readyz not 200 after ${BENCH_READY_TIMEOUT}s"; }
        sleep 0.2
    done
    log "$db: serving on $BASE_URL (pid $SERVER_PID)"
    [[ $(scrape_statements) != n/a ]] ||
        log "$db: no lkn_db_statements_total on GET /metrics; statements/req will be n/a"

    local table=$WORK_DIR/table-$db.md notes=$WORK_DIR/notes-$db.md raw=$BENCH_OUT_DIR/$STAMP-$db.log
    printf '| scenario | req/s | p50 ms | p99 ms | statements/req | peak RSS MB |\n' >"$table"
    printf '| --- | ---: | ---: | ---: | ---: | ---: |\n' >>"$table"
    : >"$notes"

    # Probe every scenario before any load, so a broken query fails the run at once.
    local scenario bodies vars reason before after stats spr rss
    local reqs rps p50 p99 non2xx sock gql label
    local -a ready=()
    for scenario in $BENCH_SCENARIOS; do
        bodies=$WORK_DIR/$scenario.jsonl
        reason=
        if [[ $scenario == thread-page ]]; then
            vars=$WORK_DIR/thread-page.vars.jsonl
            if thread_page_vars "$db" >"$vars"; then
                build_bodies "$scenario" "$bodies" "$vars"
            else
                reason="could not pick a thread with replies"
            fi
        else
            build_bodies "$scenario" "$bodies"
        fi
        if [[ -z $reason ]]; then
            reason=$(probe "$bodies") || true
        fi
        if [[ -z $reason ]]; then
            ready+=("$scenario")
            continue
        fi
        if [[ $BENCH_ALLOW_SKIP != 1 ]]; then
            die "$db: scenario $scenario: $reason (set BENCH_ALLOW_SKIP=1 to skip it instead)"
        fi
        log "SKIPPED: $db $scenario: $reason"
        printf -- '- %s SKIPPED: %s\n' "$scenario" "$reason" >>"$notes"
    done

    for scenario in $BENCH_SCENARIOS; do
        bodies=$WORK_DIR/$scenario.jsonl
        if [[ " ${ready[*]} " != *" $scenario "* ]]; then
            printf '| %s | SKIPPED | | | | |\n' "$scenario" >>"$table"
            continue
        fi

        log "$db: $scenario: warm-up ${BENCH_WARMUP_SECONDS}s, then ${BENCH_SECONDS}s at concurrency $BENCH_CONCURRENCY ($(wc -l <"$bodies") bodies)"
        reset_peak_rss
        run_wrk "$BENCH_WARMUP_SECONDS" "$bodies" "$WORK_DIR/warmup.txt" ||
            { cat "$WORK_DIR/warmup.txt" >&2; die "$db: $scenario: wrk warm-up failed"; }
        before=$(scrape_statements)
        run_wrk "$BENCH_SECONDS" "$bodies" "$WORK_DIR/wrk.txt" ||
            { cat "$WORK_DIR/wrk.txt" >&2; die "$db: $scenario: wrk failed"; }
        after=$(scrape_statements)
        rss=$(peak_rss_mb)
        { printf '### %s\n' "$scenario"; cat "$WORK_DIR/wrk.txt"; printf '\n'; } >>"$raw"
        stats=$(parse_wrk "$WORK_DIR/wrk.txt") ||
            { cat "$WORK_DIR/wrk.txt" >&2; die "$db: $scenario: could not parse wrk output"; }
        read -r reqs rps p50 p99 non2xx sock gql <<<"$stats"
        if [[ $before == n/a || $after == n/a || $reqs -eq 0 ]]; then
            spr=n/a
        else
            spr=$(awk -v a="$before" -v b="$after" -v n="$reqs" 'BEGIN { printf "%.2f", (b - a) / n }')
        fi
        label=$scenario
        if ((non2xx + sock + gql > 0)); then
            label="$scenario (!)"
            printf -- '- %s: of %d requests, %d non-2xx, %d socket errors, %d with GraphQL errors\n' \
                "$scenario" "$reqs" "$non2xx" "$sock" "$gql" >>"$notes"
            log "WARNING: $db $scenario: $non2xx non-2xx, $sock socket errors, $gql GraphQL errors in $reqs requests"
            EXIT_STATUS=3
        fi
        printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$rps" "$p50" "$p99" "$spr" "$rss" >>"$table"
        log "$db: $scenario: $rps req/s, p50 $p50 ms, p99 $p99 ms, $spr statements/req, peak RSS $rss MB ($reqs requests)"
    done

    stop_server

    local out=$BENCH_OUT_DIR/$STAMP-$db.md commit
    commit=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || printf 'unknown')
    if [[ $commit != unknown ]] && ! git -C "$REPO_DIR" diff --quiet HEAD -- 2>/dev/null; then
        commit="$commit (uncommitted changes)"
    fi
    {
        printf '## lkn-api read benchmark: %s\n\n' "$db"
        printf -- '- date: %s\n' "$(date -Is)"
        printf -- '- commit: %s; binary: %s (built %s)\n' "$commit" "$LKN_API" \
            "$(date -r "$LKN_API" -Is 2>/dev/null || printf '?')"
        printf -- '- demo threads: %s; seed time: %s s\n' "$BENCH_THREADS" "$seed_seconds"
        printf -- '- wrk: %s connection(s), %s s per scenario after a %s s warm-up\n' \
            "$BENCH_CONCURRENCY" "$BENCH_SECONDS" "$BENCH_WARMUP_SECONDS"
        printf -- '- machine: %s, %s CPUs\n\n' \
            "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || printf '?')" "$(nproc)"
        cat "$table"
        if [[ -s $notes ]]; then
            printf '\n'
            cat "$notes"
        fi
    } >"$out"
    printf '\n'
    cat "$out"
    log "saved $out (raw wrk output: $raw)"
}

for db in $BENCH_DATABASES; do
    run_database "$db"
done
exit "$EXIT_STATUS"
