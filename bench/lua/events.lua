-- GET /v1/events?limit=100&after=<cursor> (events module): staff consumers
-- reading the feed from positions spread over it (events.tsv: cursors the
-- service would have issued, built from the seeded feed's (txid, id)).
-- Positions come from a file rather than from each response, so that wrk
-- does not parse every body in Lua and become the bottleneck.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local rows
function init(args) b.seed(); rows = b.tsv(b.data_dir(args) .. "/events.tsv") end
function request()
  local r = b.pick(rows)
  return b.get("/v1/events?limit=100&after=" .. r.cursor, r.token)
end
done = b.done
