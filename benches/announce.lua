-- wrk script: HTTP announces from random peers spread over many torrents.
-- Info-hash i (1..TORRENTS) is the 20 bytes whose hex is string.format("%08x", i) repeated
-- five times; benches/tracker_http.sh writes the same hashes into the trackers' whitelist.
-- Every request has a fresh random peer id and port, compact=1, numwant=30, and a quarter
-- of the peers are seeds (left=0). Responses other than 200 or carrying "failure" are counted.

local torrents = tonumber(os.getenv("TORRENTS") or "1000")
local hashes = {}
local errors = 0
local threads = {}
local alnum = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
   for i = 1, torrents do
      local hex = string.rep(string.format("%08x", i), 5)
      hashes[i] = hex:gsub("..", "%%%0")
   end
end

local function peer_id()
   local t = {}
   for i = 1, 12 do
      local k = math.random(1, #alnum)
      t[i] = alnum:sub(k, k)
   end
   return "-WR0001-" .. table.concat(t)
end

function request()
   local h = hashes[math.random(1, torrents)]
   local left = (math.random(1, 4) == 1) and 0 or 1000
   local path = "/announce?info_hash=" .. h .. "&peer_id=" .. peer_id() ..
      "&port=" .. math.random(1024, 65535) .. "&uploaded=0&downloaded=0&left=" .. left ..
      "&compact=1&numwant=30"
   return wrk.format("GET", path)
end

function response(status, headers, body)
   if status ~= 200 or body:find("failure", 1, true) then
      errors = errors + 1
   end
end

function done(summary, latency, requests)
   local e = 0
   for _, t in ipairs(threads) do
      e = e + (t:get("errors") or 0)
   end
   io.write(string.format("ANNOUNCE_ERRORS %d\n", e))
end
