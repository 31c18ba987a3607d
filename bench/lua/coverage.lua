-- POST /v1/cases/{id}/coverage-checks (coverage module; runs once the route
-- is on main): a navigator checks a case against one of the 1,000 payers.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local rows, payers
function init(args)
  b.seed()
  local d = b.data_dir(args)
  rows, payers = b.tsv(d .. "/lists.tsv"), b.tsv(d .. "/payers.tsv")
end
function request()
  local r = b.pick(rows)
  local body = string.format('{"payer_id":"%s","member_id":"M%07d"}', b.pick(payers).payer_id,
                             math.random(9999999))
  return b.post("/v1/cases/" .. r.case_id .. "/coverage-checks", r.token, body)
end
done = b.done
