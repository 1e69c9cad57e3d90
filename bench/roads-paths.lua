-- wrk script of bench/roads.sh: requests PATH_PREFIX .. line .. PATH_SUFFIX for each line of
-- PATHS_FILE in turn (each thread from its own offset), counts statuses, and prints
-- `ok_per_sec N` (200 and 204 responses per second; martin answers 204 for an empty tile).
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  local prefix = os.getenv("PATH_PREFIX") or ""
  local suffix = os.getenv("PATH_SUFFIX") or ""
  for line in io.lines(os.getenv("PATHS_FILE")) do
    if #line > 0 then
      local q = line:find("?", 1, true)
      if q then
        table.insert(paths, prefix .. line:sub(1, q - 1) .. suffix .. line:sub(q))
      else
        table.insert(paths, prefix .. line .. suffix)
      end
    end
  end
  i = (id * 7919) % #paths
  ok = 0
  other = 0
  statuses = {}
  wrk.headers["Accept"] = os.getenv("ACCEPT") or "*/*"
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function response(status, headers, body)
  if status == 200 or status == 204 then ok = ok + 1 else other = other + 1 end
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total_ok, total_other, hist = 0, 0, {}
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_other = total_other + t:get("other")
    for k, v in pairs(t:get("statuses")) do hist[k] = (hist[k] or 0) + v end
  end
  local secs = summary.duration / 1e6
  io.write(string.format("ok_per_sec %.1f\n", total_ok / secs))
  local parts = {}
  for k, v in pairs(hist) do table.insert(parts, k .. "x" .. v) end
  table.sort(parts)
  io.write("statuses " .. table.concat(parts, " ") .. " not_ok " .. total_other .. "\n")
  io.write(string.format("errors connect %d read %d write %d timeout %d\n",
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
  io.write(string.format("latency_p50_ms %.2f p99_ms %.2f\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
