-- wrk script: login throughput for Madoguchi (POST /login with a valid password).
--
-- Every request is the same correct login, so every attempt succeeds and the
-- account lockout (login.max_failures) is never triggered. The double-submit
-- CSRF check needs the `__Host-csrf` cookie to equal the hidden `csrf` field;
-- bench/run.sh passes both through the environment (a fixed 32-hex token by
-- default, or a server-issued pair if the server rejects fixed tokens).
--
-- Environment (all optional):
--   BENCH_CSRF_COOKIE / BENCH_CSRF_FIELD  token pair (default: same fixed token)
--   BENCH_EMAIL / BENCH_PASSWORD          account (default: demo resident)
--   BENCH_LOGIN_PATH                      default /login
--   BENCH_EXPECT                          expected status, default 303
--
-- At the end it prints one `status CODE COUNT` line per HTTP status seen and
-- `ok N` / `unexpected N`, which bench/run.sh parses. wrk's own
-- "Non-2xx or 3xx responses" line does not catch a 200 "wrong password" page,
-- hence the explicit count.

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local default_token = "6d61646f677563686962656e63680001"
local cookie = os.getenv("BENCH_CSRF_COOKIE") or default_token
local field = os.getenv("BENCH_CSRF_FIELD") or cookie
local email = os.getenv("BENCH_EMAIL") or "hanako@example.jp"
local password = os.getenv("BENCH_PASSWORD") or "demo-password-2026"
expect = tonumber(os.getenv("BENCH_EXPECT") or "303")

wrk.method = "POST"
wrk.path = os.getenv("BENCH_LOGIN_PATH") or "/login"
wrk.body = "email=" .. urlencode(email)
  .. "&password=" .. urlencode(password)
  .. "&csrf=" .. urlencode(field)
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "__Host-csrf=" .. cookie
wrk.headers["Sec-Fetch-Site"] = "same-origin"

-- per-thread counters, collected in done()
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  ok = 0
  bad = 0
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == expect then ok = ok + 1 else bad = bad + 1 end
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
