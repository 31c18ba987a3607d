-- GET /v1/events paging (events module; runs once the route is on main):
-- each connection follows next_cursor from the start of the feed, as a
-- consumer catching up would, and starts over when it runs dry.
package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local b = require("common")
local rows, cursor
function init(args) b.seed(); rows = b.tsv(b.data_dir(args) .. "/lists.tsv") end
function request()
  local path = "/v1/events?limit=100"
  if cursor then path = path .. "&after=" .. cursor end
  return b.get(path, b.pick(rows).token)
end
function response(status, headers, body)
  local more = body:match('"has_more":%s*true')
  cursor = more and body:match('"next_cursor":%s*"([^"]+)"') or nil
end
done = b.done
