-- POST /v1/cases: patients open a case (full, valid document; no
-- Idempotency-Key, so the plain write path: case, history, audit, event).
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local reqs
function init(args)
  b.seed()
  reqs = b.requests(b.tsv(b.data_dir(args) .. "/creates.tsv"),
                    function(r) return b.post("/v1/cases", r.token, r.doc) end)
end
function request() return b.pick(reqs) end
done = b.done
