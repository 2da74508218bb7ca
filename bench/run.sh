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
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$BENCH_DIR/lib.sh"
BENCH_DATABASES=${BENCH_DATABASES:-sqlite postgres}
BENCH_THREADS=${BENCH_THREADS:-50000}
BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-1}
BENCH_SECONDS=${BENCH_SECONDS:-10}
BENCH_WARMUP_SECONDS=${BENCH_WARMUP_SECONDS:-2}
BENCH_SCENARIOS=${BENCH_SCENARIOS:-partners thread-feed collaboration-page thread-page search similarThreads}
BENCH_ALLOW_SKIP=${BENCH_ALLOW_SKIP:-0}

require_positive BENCH_THREADS BENCH_CONCURRENCY BENCH_SECONDS BENCH_WARMUP_SECONDS BENCH_READY_TIMEOUT
require_loopback_pg

SERVER_PID=

stop_server() {
    local pid=$SERVER_PID
    SERVER_PID=
    stop_pid "$pid"
}

# ---------------------------------------------------------------------------------------
# Tools

needs_psql=
for db in $BENCH_DATABASES; do
    case $db in
        sqlite) ;;
        postgres) needs_psql=postgres ;;
        *) die "unknown database '$db' in BENCH_DATABASES (sqlite, postgres)" ;;
    esac
done
ensure_tools $needs_psql
ensure_lkn_api

for scenario in $BENCH_SCENARIOS; do
    [[ -f $SCENARIO_DIR/$scenario.graphql ]] || die "unknown scenario '$scenario' (no $SCENARIO_DIR/$scenario.graphql)"
done

make_work_dir
STAMP=$(date +%Y%m%d-%H%M%S)

# ---------------------------------------------------------------------------------------
# Helpers

peak_rss_mb() {
    awk '/^VmHWM:/ { printf "%.1f", $2 / 1024; found = 1 } END { if (!found) printf "n/a" }' \
        "/proc/$SERVER_PID/status" 2>/dev/null || printf 'n/a'
}

# Resets VmHWM to the current RSS (Linux >= 4.0), so each scenario shows its own peak.
reset_peak_rss() {
    { printf '5' >"/proc/$SERVER_PID/clear_refs"; } 2>/dev/null || true
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
            new_pg_database pgname lkn_bench
            url="postgres://$BENCH_PG_USER@$BENCH_PG_HOST:$BENCH_PG_PORT/$pgname"
            ;;
    esac
    export DATABASE_URL=$url
    export RUST_LOG=warn
    local server_log=$WORK_DIR/server-$db.log
    : >"$server_log"

    log ""
    log "== $db: $url"
    local seed_seconds
    seed_seconds=$(seed_demo "$server_log")
    log "$db: seed demo --threads $BENCH_THREADS took $seed_seconds s"
    TOKEN=$(member_token "$server_log")

    start_lkn_api "$server_log"
    SERVER_PID=$LKN_PID
    BASE_URL=$LKN_URL
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
                build_bodies "$SCENARIO_DIR/$scenario.graphql" "$bodies" "$vars"
            else
                reason="could not pick a thread with replies"
            fi
        else
            build_bodies "$SCENARIO_DIR/$scenario.graphql" "$bodies"
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

    local out=$BENCH_OUT_DIR/$STAMP-$db.md
    {
        printf '## lkn-api read benchmark: %s\n\n' "$db"
        printf -- '- date: %s\n' "$(date -Is)"
        printf -- '- commit: %s; binary: %s (built %s)\n' "$(commit_label)" "$LKN_API" \
            "$(date -r "$LKN_API" -Is 2>/dev/null || printf '?')"
        printf -- '- demo threads: %s; seed time: %s s\n' "$BENCH_THREADS" "$seed_seconds"
        printf -- '- wrk: %s connection(s), %s s per scenario after a %s s warm-up\n' \
            "$BENCH_CONCURRENCY" "$BENCH_SECONDS" "$BENCH_WARMUP_SECONDS"
        printf -- '- machine: %s\n\n' "$(machine_label)"
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
