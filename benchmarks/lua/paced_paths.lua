-- GET PREFIX .. a random line of FILE at an offered RATE requests/s in all:
-- `wrk -t1 ... -s paced_paths.lua URL -- PREFIX FILE RATE` (one wrk thread: RATE is the whole offer).
--
-- Pacing, not closed-loop think time: every request claims the next slot of one fixed schedule, a slot
-- every 1/RATE s, and waits until that slot (wrk's `delay`, in whole milliseconds, so a request leaves
-- up to 1 ms early and the mean rate stays RATE). A request whose connection was busy past its slot
-- goes at once, so the schedule does not slip when the server is slow (up to one request per
-- connection in flight). wrk's latency is measured from the moment each request is written.

local ffi = require("ffi")
ffi.cdef([[
  typedef struct { long tv_sec; long tv_nsec; } paced_timespec;
  int clock_gettime(int clock_id, paced_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local now_buffer = ffi.new("paced_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now_buffer)
  return tonumber(now_buffer.tv_sec) * 1000 + tonumber(now_buffer.tv_nsec) / 1e6
end

local prefix, ids, interval_ms, next_slot = nil, {}, nil, nil

function init(args)
  prefix = args[1]
  for line in io.lines(args[2]) do
    ids[#ids + 1] = line
  end
  interval_ms = 1000 / tonumber(args[3])
  math.randomseed(os.time())
end

function delay()
  local now = now_ms()
  if next_slot == nil then
    next_slot = now
  end
  local slot = next_slot
  next_slot = next_slot + interval_ms
  if slot <= now then
    return 0
  end
  return math.floor(slot - now)
end

function request()
  return wrk.format("GET", prefix .. ids[math.random(#ids)])
end
