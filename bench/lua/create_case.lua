-- POST /v1/cases: patients open a case (full, valid document; no
-- Idempotency-Key, so the plain write path: case, history, audit, event).
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local rows
function init(args) b.seed(); rows = b.tsv(b.data_dir(args) .. "/creates.tsv") end
function request()
  local r = b.pick(rows)
  return b.post("/v1/cases", r.token, r.doc)
end
done = b.done
