-- wrk script: durable application submissions (POST /api/v1/applications).
--
-- Each request submits one application with its own Idempotency-Key, so each one is a full
-- write path: one durable transaction (idempotency key + application + timeline entry +
-- outbox mail + audit event) committed before the 201.
--
-- Environment:
--   BENCH_TOKEN      bearer token with the applications:write scope (required)
--   BENCH_BODY       the JSON body (procedure_id + answers) (required)
--   BENCH_RUN_ID     makes idempotency keys unique across runs
--
-- A response counts as a success when it is 201. At the end it prints `status CODE COUNT`
-- lines and `ok N` / `unexpected N`.

local token = os.getenv("BENCH_TOKEN") or error("BENCH_TOKEN is not set")
local body = os.getenv("BENCH_BODY") or error("BENCH_BODY is not set")
local run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  counts = {}
  ok = 0
  bad = 0
end

function request()
  counter = counter + 1
  -- wrk.format replaces wrk.headers with the table it is given, so copy them in.
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", run_id, tid or 0, counter)
  return wrk.format("POST", "/api/v1/applications", headers, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 201 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
  local total, total_ok, total_bad = {}, 0, 0
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("counts") or {}) do
      total[code] = (total[code] or 0) + n
    end
    total_ok = total_ok + (t:get("ok") or 0)
    total_bad = total_bad + (t:get("bad") or 0)
  end
  for code, n in pairs(total) do
    io.write(string.format("status %d %d\n", code, n))
  end
  io.write(string.format("ok %d\nunexpected %d\n", total_ok, total_bad))
end
