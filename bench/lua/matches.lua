-- GET /v1/cases/{id}/matches (matching module; runs once the route is on
-- main): navigators rank specialists for any case.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local rows
function init(args) b.seed(); rows = b.tsv(b.data_dir(args) .. "/lists.tsv") end
function request()
  local r = b.pick(rows)
  return b.get("/v1/cases/" .. r.case_id .. "/matches?limit=10", r.token)
end
done = b.done
