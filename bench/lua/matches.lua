-- GET /v1/cases/{id}/matches (matching module): navigators rank specialists
-- for any case.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local reqs
function init(args)
  b.seed()
  reqs = b.requests(b.tsv(b.data_dir(args) .. "/lists.tsv"),
                    function(r) return b.get("/v1/cases/" .. r.case_id .. "/matches?limit=10", r.token) end)
end
function request() return b.pick(reqs) end
done = b.done
