-- 80% reads / 20% writes: 70% GET /v1/cases/{id}, 10% GET /v1/cases?limit=50,
-- 20% POST /v1/cases. bench/run.sh weights the limit's scripts the same way.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local reads, lists, creates
function init(args)
  b.seed()
  local d = b.data_dir(args)
  reads = b.requests(b.tsv(d .. "/reads.tsv"),
                     function(r) return b.get("/v1/cases/" .. r.case_id, r.token) end)
  lists = b.requests(b.tsv(d .. "/lists.tsv"),
                     function(r) return b.get("/v1/cases?limit=50", r.token) end)
  creates = b.requests(b.tsv(d .. "/creates.tsv"),
                       function(r) return b.post("/v1/cases", r.token, r.doc) end)
end
function request()
  local x = math.random(100)
  if x <= 70 then return b.pick(reads) elseif x <= 80 then return b.pick(lists) end
  return b.pick(creates)
end
done = b.done
