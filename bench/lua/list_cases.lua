-- GET /v1/cases?limit=50: the hotline's navigators list the newest cases.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local reqs
function init(args)
  b.seed()
  reqs = b.requests(b.tsv(b.data_dir(args) .. "/lists.tsv"),
                    function(r) return b.get("/v1/cases?limit=50", r.token) end)
end
function request() return b.pick(reqs) end
done = b.done
