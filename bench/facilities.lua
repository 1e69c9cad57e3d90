-- wrk script: facility bookings (POST /api/v1/reservations), see bench/facilities.sh.
--
-- Environment:
--   BENCH_DIR    directory with tokens.txt and rooms.txt from `madoguchi facilities bench-setup`
--   BENCH_MODE   `spread`: every request books a different free slot (no contention), or
--                `contention`: every request asks for the same slot (one 201, then 409 overlap)
--   BENCH_OFFSET days after day0 where this run starts (so runs do not share slots)
--
-- Prints `status CODE COUNT` lines, `created N` and `conflict N` at the end.

local dir = os.getenv("BENCH_DIR") or error("BENCH_DIR is not set")
local mode = os.getenv("BENCH_MODE") or "spread"
local offset = tonumber(os.getenv("BENCH_OFFSET") or "0")

local function lines(path)
  local t = {}
  for l in io.lines(path) do if l ~= "" then table.insert(t, l) end end
  return t
end

local tokens = lines(dir .. "/tokens.txt")
local rooms, day0 = {}, 0
for _, l in ipairs(lines(dir .. "/rooms.txt")) do
  local a, b, c, d = l:match("^(%S+)%s+(%S+)%s*(%S*)%s*(%S*)$")
  if a == "day0" then day0 = tonumber(b)
  else table.insert(rooms, { id = tonumber(a), opens = tonumber(b), slot = tonumber(c), per_day = tonumber(d) }) end
end

local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  counts = {}
  created = 0
  conflict = 0
  reasons = {}
  nthreads = #threads > 0 and #threads or 2
end

local function slot_for(n)
  -- n-th distinct (room, day, slot): rooms vary fastest, then the slot of the day, then days.
  local r = rooms[(n % #rooms) + 1]
  local k = math.floor(n / #rooms)
  local s = k % r.per_day
  local day = offset + math.floor(k / r.per_day)
  local start = day0 + day * 86400000 + (r.opens + s * r.slot) * 60000
  return r.id, start, start + r.slot * 60000
end

function request()
  local n
  if mode == "contention" then n = 0 else n = (tid or 0) + 64 * counter end
  counter = counter + 1
  local room, s, e = slot_for(n)
  local token = tokens[((tid or 0) * 7 + counter) % #tokens + 1]
  local body = string.format('{"room":%d,"start":%d,"end":%d,"purpose":"meeting"}', room, s, e)
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }
  return wrk.format("POST", "/api/v1/reservations", headers, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  if status == 201 then created = created + 1
  elseif status == 409 then
    conflict = conflict + 1
    local code = body:match('"code":"([^"]+)"') or "?"
    reasons[code] = (reasons[code] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total, c, x = {}, 0, 0
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("counts") or {}) do total[code] = (total[code] or 0) + n end
    c = c + (t:get("created") or 0)
    x = x + (t:get("conflict") or 0)
  end
  local why = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("reasons") or {}) do why[code] = (why[code] or 0) + n end
  end
  for code, n in pairs(total) do io.write(string.format("status %d %d\n", code, n)) end
  for code, n in pairs(why) do io.write(string.format("reason %s %d\n", code, n)) end
  io.write(string.format("created %d\nconflict %d\n", c, x))
end
