-- GET /v1/events?limit=100&after=<cursor> (events module): staff consumers
-- reading the feed from positions spread over it (events.tsv: cursors the
-- service would have issued, built from the seeded feed's (txid, id)).
-- Positions come from a file rather than from each response, so that wrk
-- does not parse every body in Lua and become the bottleneck.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local reqs
function init(args)
  b.seed()
  reqs = b.requests(b.tsv(b.data_dir(args) .. "/events.tsv"),
                    function(r) return b.get("/v1/events?limit=100&after=" .. r.cursor, r.token) end)
end
function request() return b.pick(reqs) end
done = b.done
