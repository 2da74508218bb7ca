# bench/lib.sh — functions shared by bench/run.sh and bench/compare.sh. Source it after
# setting BENCH_DIR; it defines functions and defaults only, and installs the cleanup trap.
#
# Globals the functions read: BASE_URL and TOKEN (the server under test and the bearer
# token sent to it), WORK_DIR (scratch directory), BENCH_CONCURRENCY, LKN_API,
# BENCH_PG_HOST/PORT/USER/ADMIN_DB, BENCH_KEEP_WORK_DIR.
# Globals the cleanup reads: BENCH_PIDS (processes to stop), PG_DATABASES and PG_ROLES (to
# drop), WORK_DIR (to remove).

REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
DEFAULT_LKN_API=$REPO_DIR/target/release/lkn-api
LKN_API=${LKN_API:-$DEFAULT_LKN_API}
BENCH_PG_HOST=${BENCH_PG_HOST:-127.0.0.1}
BENCH_PG_PORT=${BENCH_PG_PORT:-5432}
BENCH_PG_USER=${BENCH_PG_USER:-postgres}
BENCH_PG_ADMIN_DB=${BENCH_PG_ADMIN_DB:-test}
BENCH_OUT_DIR=${BENCH_OUT_DIR:-$BENCH_DIR/out}
BENCH_KEEP_WORK_DIR=${BENCH_KEEP_WORK_DIR:-0}
BENCH_READY_TIMEOUT=${BENCH_READY_TIMEOUT:-60}
# shellcheck disable=SC2034 # used by the scripts that source this file
SCENARIO_DIR=$BENCH_DIR/scenarios
LUA_SCRIPT=$BENCH_DIR/wrk/post.lua

log() { printf '%s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# require_positive VAR...: each variable holds a positive integer.
require_positive() {
    local var
    for var in "$@"; do
        [[ ${!var} =~ ^[1-9][0-9]*$ ]] || die "$var must be a positive integer, not '${!var}'"
    done
}

require_loopback_pg() {
    [[ $BENCH_PG_HOST == 127.* || $BENCH_PG_HOST == localhost || $BENCH_PG_HOST == ::1 ]] ||
        die "BENCH_PG_HOST must be a loopback address, not '$BENCH_PG_HOST'"
}

# ---------------------------------------------------------------------------------------
# Cleanup

WORK_DIR=
BENCH_PIDS=()
PG_DATABASES=()
PG_ROLES=()

# stop_pid PID: SIGTERM, up to 10 s for it to go, then SIGKILL. Its children (node:cluster
# workers) are the process's own business: it stops them on SIGTERM.
stop_pid() {
    local pid=$1 i
    [[ -n $pid ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "process $pid still running 10 s after SIGTERM; sending SIGKILL"
            pkill -KILL -P "$pid" 2>/dev/null || true
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

pg_admin() {
    psql -X -q -v ON_ERROR_STOP=1 -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U "$BENCH_PG_USER" \
        -d "$BENCH_PG_ADMIN_DB" "$@"
}

# pg_db DATABASE ARGS...: psql on one of the benchmark's databases, as BENCH_PG_USER.
pg_db() {
    local db=$1
    shift
    psql -X -q -v ON_ERROR_STOP=1 -h "$BENCH_PG_HOST" -p "$BENCH_PG_PORT" -U "$BENCH_PG_USER" -d "$db" "$@"
}

# new_pg_database VAR PREFIX: creates the database PREFIX_<random>, to be dropped at exit,
# and stores its name in VAR (not printed: PG_DATABASES must grow in this shell).
new_pg_database() {
    local name
    name=$2_$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
    pg_admin -c "CREATE DATABASE $name" >/dev/null
    PG_DATABASES+=("$name")
    printf -v "$1" '%s' "$name"
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    local pid db role
    for pid in "${BENCH_PIDS[@]}"; do
        stop_pid "$pid"
    done
    for db in "${PG_DATABASES[@]}"; do
        pg_admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 ||
            pg_admin -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 ||
            log "could not drop PostgreSQL database $db; drop it by hand"
    done
    for role in "${PG_ROLES[@]}"; do
        pg_admin -c "DROP ROLE IF EXISTS \"$role\"" >/dev/null 2>&1 ||
            log "could not drop PostgreSQL role $role; drop it by hand"
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

# ensure_tools [postgres]: wrk, jq and curl, and the PostgreSQL client tools when asked.
ensure_tools() {
    command -v wrk >/dev/null || apt_install wrk
    command -v jq >/dev/null || apt_install jq
    command -v curl >/dev/null || apt_install curl
    if [[ ${1:-} == postgres ]]; then
        command -v psql >/dev/null || apt_install postgresql-client
    fi
}

ensure_lkn_api() {
    if [[ ! -x $LKN_API ]]; then
        [[ $LKN_API == "$DEFAULT_LKN_API" ]] || die "LKN_API=$LKN_API is not an executable file"
        log "$LKN_API is missing; building it"
        (cd "$REPO_DIR" && cargo build --release -p lkn-api) >&2
    fi
}

make_work_dir() {
    WORK_DIR=${BENCH_WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/lkn-bench.XXXXXX")}
    mkdir -p "$WORK_DIR" "$BENCH_OUT_DIR"
}

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

# seed_demo LOGFILE: `lkn-api seed demo --threads $BENCH_THREADS` into $DATABASE_URL;
# prints the seconds it took.
seed_demo() {
    local t0 t1
    t0=$(now)
    "$LKN_API" seed demo --threads "$BENCH_THREADS" >>"$1" 2>&1 ||
        { tail -n 30 "$1" >&2; die "seed demo failed"; }
    t1=$(now)
    elapsed "$t0" "$t1"
}

# member_token LOGFILE: adds the benchmark's member (British Library) to $DATABASE_URL and
# prints its API token.
member_token() {
    local token
    token=$("$LKN_API" member add --partner british-library --email bench@bl.example \
        --name Bench --role member 2>>"$1") || { tail -n 30 "$1" >&2; die "member add failed"; }
    token=$(printf '%s' "$token" | tr -d '[:space:]')
    [[ -n $token ]] || die "member add printed no token"
    printf '%s' "$token"
}

# wait_ready URL PID LOGFILE NAME [EXPECT]: waits until URL answers HTTP EXPECT (200 by
# default; "any" for any answer at all); dies when PID exits first or BENCH_READY_TIMEOUT
# passes.
wait_ready() {
    local url=$1 pid=$2 logfile=$3 name=$4 expect=${5:-200} code
    local deadline=$((SECONDS + BENCH_READY_TIMEOUT))
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
        [[ $code == "$expect" || ($expect == any && $code != 000) ]] && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$logfile" >&2
            die "$name exited before it was ready"
        fi
        ((SECONDS < deadline)) || { tail -n 30 "$logfile" >&2; die "$name: $url not ready after ${BENCH_READY_TIMEOUT}s"; }
        sleep 0.2
    done
}

# graphql BODY OUTFILE -> prints the HTTP status; the response body goes to OUTFILE.
# shellcheck disable=SC2153 # BASE_URL and TOKEN are set by the calling script
graphql() {
    curl -sS --max-time 30 -o "$2" -w '%{http_code}' -X POST "$BASE_URL/graphql" \
        -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
        --data-binary "$1" || printf 'curl-failed'
}

# Sum of all samples of lkn_db_statements_total on $BASE_URL/metrics, or "n/a".
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

# build_bodies QUERYFILE OUTFILE [VARSFILE]: one JSON request body per line, from the
# GraphQL document QUERYFILE (whole-line # comments dropped) and, when present, VARSFILE (one variables object per line;
# default QUERYFILE with .vars.jsonl instead of .graphql).
build_bodies() {
    local file=$1 out=$2 vars=${3:-${1%.graphql}.vars.jsonl}
    local query
    query=$(sed '/^[[:space:]]*#/d' "$file" | tr -s ' \t\n' ' ' | sed 's/^ //; s/ $//')
    if [[ -f $vars ]]; then
        jq -c --arg q "$query" '{query: $q, variables: .}' "$vars" >"$out"
    else
        jq -cn --arg q "$query" '{query: $q}' >"$out"
    fi
    [[ -s $out ]] || die "no request bodies from $file"
}

# Sends every body of BODYFILE once. Prints nothing and succeeds when all responses are
# HTTP 200 with data and no "errors"; otherwise prints the failing body and response to
# stderr, the reason to stdout, and fails. The last response stays in $WORK_DIR/probe-response.json.
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

# run_wrk SECONDS BODYFILE OUTFILE: wrk against $BASE_URL/graphql at BENCH_CONCURRENCY.
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

# The commit of the work tree, marked when it has uncommitted changes.
commit_label() {
    local commit
    commit=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || printf 'unknown')
    if [[ $commit != unknown ]] && ! git -C "$REPO_DIR" diff --quiet HEAD -- 2>/dev/null; then
        commit="$commit (uncommitted changes)"
    fi
    printf '%s' "$commit"
}

machine_label() {
    printf '%s, %s CPUs' \
        "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || printf '?')" "$(nproc)"
}

# start_lkn_api LOGFILE: starts `lkn-api serve` over $DATABASE_URL on a free loopback port
# with limits and metrics on, and waits for GET /readyz = 200; sets LKN_PID and LKN_URL.
# The per-token rate limit and the per-caller pool share are raised so that the load
# generator, one token standing for a crowd, measures the server rather than its own
# budget.
start_lkn_api() {
    local port
    port=$(free_port)
    LKN_URL=http://127.0.0.1:$port
    LKN_RATE_LIMIT_PER_MINUTE=${LKN_RATE_LIMIT_PER_MINUTE:-1000000000} \
        LKN_POOL_SHARE_PER_CALLER=${LKN_POOL_SHARE_PER_CALLER:-1000} RUST_LOG=${RUST_LOG:-warn} \
        "$LKN_API" serve --bind "127.0.0.1:$port" >>"$1" 2>&1 &
    LKN_PID=$!
    BENCH_PIDS+=("$LKN_PID")
    wait_ready "$LKN_URL/readyz" "$LKN_PID" "$1" "lkn-api"
}
