-- GET PREFIX .. every line of FILE in turn, PASSES times over, then end the run:
-- `wrk ... -s sequential_paths.lua URL -- PREFIX FILE PASSES` (the duration is only an upper bound).
-- A warm-up that asks for every id, so that each process's per-id caches hold them all before a
-- measured run, whatever the random draws of `random_paths.lua` would have reached.

local prefix, ids, next_id, passes, answered = nil, {}, 0, 1, 0

function init(args)
  prefix = args[1]
  for line in io.lines(args[2]) do
    ids[#ids + 1] = line
  end
  passes = tonumber(args[3])
end

function request()
  next_id = next_id % #ids + 1
  return wrk.format("GET", prefix .. ids[next_id])
end

-- `wrk.thread:stop()` stops this thread's requests, but wrk's main thread sleeps out the whole duration;
-- SIGINT, as at a terminal, wakes it and wrk reports the run so far. /proc/self is wrk itself; `io.popen`,
-- not `os.execute`, whose system(3) ignores SIGINT in wrk until the command has ended. The signal is sent
-- again every 0.1 s until wrk has gone: one that this thread takes instead of the main one only sets
-- wrk's stop flag (2 of 15 runs slept out their duration with a single signal).
function response(status, headers, body)
  answered = answered + 1
  if answered == passes * #ids then
    wrk.thread:stop()
    local stat = io.open("/proc/self/stat")
    local pid = stat:read("*n")
    stat:close()
    io.popen("(while kill -INT " .. pid .. " 2>/dev/null; do sleep 0.1; done) >/dev/null 2>&1 &"):close()
  end
end
