-- wrk script: registration throughput for Madoguchi (POST /register).
--
-- Each request registers a new resident with a unique e-mail address
-- (bench-RUN-THREAD-COUNTER@example.jp), so each one is a full write path:
-- one durable transaction (user + e-mail token + outbox row + audit event)
-- plus one argon2id password hash.
--
-- Environment (all optional):
--   BENCH_RUN_ID                          makes addresses unique across runs
--   BENCH_CSRF_COOKIE / BENCH_CSRF_FIELD  double-submit token pair
--   BENCH_REGISTER_PATH                   default /register
--
-- A response counts as a success when it is a 303 redirect, or a 2xx page
-- containing 確認メールを送りました ("we sent a confirmation mail"). At the end
-- it prints `status CODE COUNT` lines and `ok N` / `unexpected N`.

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local default_token = "6d61646f677563686962656e63680001"
local cookie = os.getenv("BENCH_CSRF_COOKIE") or default_token
local field = os.getenv("BENCH_CSRF_FIELD") or cookie
local run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local path = os.getenv("BENCH_REGISTER_PATH") or "/register"
local password = "bench-password-2026-x"
local name = urlencode("ベンチ 太郎")
local marker = "確認メールを送りました"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "__Host-csrf=" .. cookie
wrk.headers["Sec-Fetch-Site"] = "same-origin"

local threads = {}

function setup(thread)
  -- sets the global `tid` inside that thread's Lua state
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
  local email = string.format("bench-%s-%d-%d@example.jp", run_id, tid or 0, counter)
  local body = "name=" .. name
    .. "&email=" .. urlencode(email)
    .. "&password=" .. urlencode(password)
    .. "&password_confirm=" .. urlencode(password)
    .. "&csrf=" .. urlencode(field)
  return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 303 or (status >= 200 and status < 300 and body and body:find(marker, 1, true)) then
    ok = ok + 1
  else
    bad = bad + 1
  end
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
