-- GET /v1/cases/{id}: patients read their own cases, navigators and admins
-- any case, specialists the cases assigned to them (bench/data reads.tsv).
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local rows
function init(args) b.seed(); rows = b.tsv(b.data_dir(args) .. "/reads.tsv") end
function request()
  local r = b.pick(rows)
  return b.get("/v1/cases/" .. r.case_id, r.token)
end
done = b.done
