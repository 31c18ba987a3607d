-- GET /healthz (no token, no database): the service's HTTP floor. The same
-- script drives nginx answering a fixed JSON body, the machine's ceiling.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
function request() return b.get("/healthz") end
done = b.done
