-- POST /v1/cases/{id}/coverage-checks (coverage module): a navigator checks
-- an open case against one of the bench payers (not self-pay, one plan each)
-- for one of the plan's seeded members: an active member, the full stub answer.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local rows
function init(args)
  b.seed()
  rows = b.tsv(b.data_dir(args) .. "/open_cases.tsv")
end
function request()
  local r = b.pick(rows)
  local body = string.format('{"payer_id":"%s","member_id":"%s"}', r.payer_id, r.member_id)
  return b.post("/v1/cases/" .. r.case_id .. "/coverage-checks", r.token, body)
end
done = b.done
