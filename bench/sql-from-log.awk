# sql-from-log.awk — the SQL statements of one marked request, from PostgreSQL's log.
#
#   awk -v m="lkn-bench: SERVER SCENARIO'" -f sql-from-log.awk postgresql.log
#
# Reads log records written with log_statement = 'all' (a record starts with a
# timestamp line; continuation lines start with a tab) and prints, one per line, the
# statements logged after the marker statement containing m and before the next marker
# ("lkn-bench: ..."), with their parameters ($1, $2, ... from the DETAIL record) put in as
# literals, so that they can be EXPLAINed or run by pgbench. Transaction control (begin,
# commit, rollback, set_config) and PostGraphile's per-connection
# `set jit_optimize_above_cost` are left out.
function flush(   out, rest, n) {
    if (sql == "") return
    out = ""
    rest = sql
    while (match(rest, /\$[0-9]+/)) {
        n = substr(rest, RSTART + 1, RLENGTH - 1) + 0
        out = out substr(rest, 1, RSTART - 1) ((n in val) ? val[n] : substr(rest, RSTART, RLENGTH))
        rest = substr(rest, RSTART + RLENGTH)
    }
    out = out rest
    sub(/[ \t;]+$/, "", out)
    print out ";"
    sql = ""
    split("", val)
}
/^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / {
    incont = 0
    if ($0 ~ / DETAIL:  parameters: /) {
        p = $0
        sub(/.* DETAIL:  parameters: /, "", p)
        while (match(p, /\$[0-9]+ = ('([^']|'')*'|NULL)/)) {
            item = substr(p, RSTART, RLENGTH)
            k = item
            sub(/ = .*/, "", k)
            sub(/^\$/, "", k)
            v = item
            sub(/^\$[0-9]+ = /, "", v)
            val[k + 0] = v
            p = substr(p, RSTART + RLENGTH)
        }
        next
    }
    flush()
    if ($0 !~ / LOG:  (statement|execute [^:]*): /) next
    if (index($0, "lkn-bench: ")) {
        on = index($0, m) > 0
        next
    }
    if (!on) next
    s = $0
    sub(/.* LOG:  (statement|execute [^:]*): /, "", s)
    if (s ~ /^(begin|commit|rollback)$/ || s ~ /set_config\(/ || s ~ /^set jit_optimize_above_cost/) next
    sql = s
    incont = 1
    next
}
incont {
    line = $0
    sub(/^\t/, "", line)
    sql = sql " " line
}
END { flush() }
