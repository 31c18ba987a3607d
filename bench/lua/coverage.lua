-- POST /v1/cases/{id}/coverage-checks (coverage module): a navigator checks
-- an open case against one of the bench payers (not self-pay, one plan each)
-- for one of the plan's seeded members: an active member, the full stub answer.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local reqs
function init(args)
  b.seed()
  reqs = b.requests(b.tsv(b.data_dir(args) .. "/open_cases.tsv"), function(r)
    local body = string.format('{"payer_id":"%s","member_id":"%s"}', r.payer_id, r.member_id)
    return b.post("/v1/cases/" .. r.case_id .. "/coverage-checks", r.token, body)
  end)
end
function request() return b.pick(reqs) end
done = b.done
