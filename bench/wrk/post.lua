-- wrk script: POST GraphQL request bodies to the URL given on wrk's command line.
--
-- Bodies come from a file holding one complete JSON request body per line
-- (`{"query": "...", "variables": {...}}`); blank lines are ignored. The file is named by
-- the first script argument (`wrk ... -s post.lua URL -- bodies.jsonl`) or, failing that,
-- by the environment variable BENCH_BODY_FILE. With several lines each connection
-- rotates through them, so a query mix varies from request to request; each wrk thread
-- starts at a different line.
--
-- BENCH_TOKEN, when set, is sent as `Authorization: Bearer <token>`.
--
-- When the run is over, `done` prints one extra line, `graphql_errors: N`: how many
-- HTTP 200 responses still carried a top-level GraphQL `"errors"` key (wrk itself only
-- counts non-2xx statuses and socket errors).

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

-- Main state: one entry per wrk thread, to add up their counters in `done`.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads)
end

-- Per-thread state.
local bodies = {}
local next_body = 0
graphql_errors = 0

function init(args)
  local path = args[1] or os.getenv("BENCH_BODY_FILE")
  if not path or path == "" then
    error("post.lua: name the bodies file as a script argument or in BENCH_BODY_FILE")
  end
  local file, err = io.open(path, "r")
  if not file then
    error("post.lua: cannot open " .. path .. ": " .. tostring(err))
  end
  for line in file:lines() do
    if line:find("%S") then
      bodies[#bodies + 1] = wrk.format("POST", nil, nil, line)
    end
  end
  file:close()
  if #bodies == 0 then
    error("post.lua: " .. path .. " holds no request bodies")
  end
  next_body = ((thread_index or 1) - 1) % #bodies
end

function request()
  next_body = next_body % #bodies + 1
  return bodies[next_body]
end

function response(status, headers, body)
  if status == 200 and body and body:find('"errors":', 1, true) then
    graphql_errors = graphql_errors + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + (tonumber(thread:get("graphql_errors")) or 0)
  end
  io.write(string.format("graphql_errors: %d\n", total))
end
