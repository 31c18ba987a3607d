-- GET /v1/cases?limit=50: the hotline's navigators list the newest cases.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local rows
function init(args) b.seed(); rows = b.tsv(b.data_dir(args) .. "/lists.tsv") end
function request() return b.get("/v1/cases?limit=50", b.pick(rows).token) end
done = b.done
