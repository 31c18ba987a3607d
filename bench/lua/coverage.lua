-- POST /v1/cases/{id}/coverage-checks (coverage module): a navigator checks
-- an open case against one of the bench payers (not self-pay, one plan each).
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local rows, payers
function init(args)
  b.seed()
  local d = b.data_dir(args)
  rows, payers = b.tsv(d .. "/open_cases.tsv"), b.tsv(d .. "/payers.tsv")
end
function request()
  local r = b.pick(rows)
  local body = string.format('{"payer_id":"%s","member_id":"M%07d"}', b.pick(payers).payer_id,
                             math.random(9999999))
  return b.post("/v1/cases/" .. r.case_id .. "/coverage-checks", r.token, body)
end
done = b.done
