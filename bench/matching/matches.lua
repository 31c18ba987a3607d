-- wrk script for GET /v1/cases/{id}/matches: each request takes the next
-- case of bench/matching's cases file (round robin from a random start per
-- thread) with a navigator's token, and done() prints one result line.
--
--   wrk ... -s bench/matching/matches.lua http://127.0.0.1:PORT -- CASES_FILE TOKEN_FILE LIMIT

local paths, token = {}, nil
local next_index = 1

local function read_lines(path)
  local lines = {}
  local f = assert(io.open(path, "r"), "cannot open " .. path)
  for line in f:lines() do
    if line ~= "" then lines[#lines + 1] = line end
  end
  f:close()
  return lines
end

function init(args)
  local cases = read_lines(args[1])
  token = read_lines(args[2])[1]
  local limit = args[3] or "10"
  for _, id in ipairs(cases) do
    paths[#paths + 1] = "/v1/cases/" .. id .. "/matches?limit=" .. limit
  end
  assert(#paths > 0 and token, "no cases or no token")
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
  next_index = math.random(#paths)
end

function request()
  local path = paths[next_index]
  next_index = next_index % #paths + 1
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

-- One machine-readable line; latencies in microseconds.
function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'RESULT requests=%d seconds=%.1f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d ' ..
    'non2xx=%d socket_errors=%d\n',
    summary.requests, secs, summary.requests / secs, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.status,
    e.connect + e.read + e.write + e.timeout))
end
