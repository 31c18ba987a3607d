-- Shared by the wrk scenarios: loads the rows bench/tools/prepare.py wrote
-- (tokens minted with build/mint-token for many subjects and roles, with the
-- case ids each may see) and prints one machine-readable result line.
-- wrk runs one Lua state per thread; each loads its own copy.
local M = {}

function M.tsv(path)
  local rows, header = {}, nil
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  for line in f:lines() do
    local cols = {}
    for c in (line .. "\t"):gmatch("([^\t]*)\t") do cols[#cols + 1] = c end
    if not header then
      header = cols
    else
      local row = {}
      for i, name in ipairs(header) do row[name] = cols[i] end
      rows[#rows + 1] = row
    end
  end
  f:close()
  assert(#rows > 0, path .. " has no rows")
  return rows
end

function M.pick(rows)
  return rows[math.random(#rows)]
end

-- Every row's request, formatted once at start-up: formatting it per request
-- (wrk.format, string concatenation) cost wrk about 40 us of CPU per request
-- on the cores the service shares, against about 24 us per transaction for
-- pgbench, the limit's client. request() then only picks one.
function M.requests(rows, build)
  local reqs = {}
  for i, r in ipairs(rows) do reqs[i] = build(r) end
  return reqs
end

function M.data_dir(args)
  return (args and args[1]) or os.getenv("BENCH_DATA") or "."
end

local seeded = false
function M.seed()
  if not seeded then
    -- threads start in the same second: mix in the address of a fresh table
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
    seeded = true
  end
end

function M.get(path, token)
  local h = { ["Accept"] = "application/json" }
  if token then h["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", path, h)
end

function M.post(path, token, body)
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json",
  }, body)
end

-- wrk's done(): one line the runner parses. Latencies in microseconds.
function M.done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_us":%d,"p99_us":%d,"p999_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, secs, summary.requests / secs, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end

return M
