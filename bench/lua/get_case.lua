-- GET /v1/cases/{id}: patients read their own cases, navigators and admins
-- any case, specialists the cases assigned to them (bench/data reads.tsv).
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local reqs
function init(args)
  b.seed()
  reqs = b.requests(b.tsv(b.data_dir(args) .. "/reads.tsv"),
                    function(r) return b.get("/v1/cases/" .. r.case_id, r.token) end)
end
function request() return b.pick(reqs) end
done = b.done
