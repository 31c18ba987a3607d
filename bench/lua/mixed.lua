-- 80% reads / 20% writes: 70% GET /v1/cases/{id}, 10% GET /v1/cases?limit=50,
-- 20% POST /v1/cases. bench/run.sh weights the limit's scripts the same way.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local reads, lists, creates
function init(args)
  b.seed()
  local d = b.data_dir(args)
  reads, lists, creates = b.tsv(d .. "/reads.tsv"), b.tsv(d .. "/lists.tsv"), b.tsv(d .. "/creates.tsv")
end
function request()
  local x = math.random(100)
  if x <= 70 then
    local r = b.pick(reads)
    return b.get("/v1/cases/" .. r.case_id, r.token)
  elseif x <= 80 then
    return b.get("/v1/cases?limit=50", b.pick(lists).token)
  end
  local r = b.pick(creates)
  return b.post("/v1/cases", r.token, r.doc)
end
done = b.done
