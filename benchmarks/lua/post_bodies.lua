-- POST pre-built JSON bodies, each exactly once: `wrk ... -s post_bodies.lua URL -- PATH FILE`.
-- FILE holds one body per line (made before the clock starts, so the client does no JSON work).
-- Sending a body twice would turn a fresh submission into a cheap duplicate and flatter the figure,
-- so when the lines run out the script asks for a path that answers 404 instead: the harness treats
-- any non-2xx answer as an error, never as a number. Use it with a single wrk thread.

local path, bodies, next_body = nil, {}, 1
local exhausted = nil

function init(args)
  path = args[1]
  for line in io.lines(args[2]) do
    bodies[#bodies + 1] = line
  end
  wrk.headers["Content-Type"] = "application/json"
  exhausted = wrk.format("GET", "/__benchmark_ran_out_of_bodies")
end

function request()
  local body = bodies[next_body]
  if body == nil then
    return exhausted
  end
  bodies[next_body] = nil -- let the memory go: each body is sent once
  next_body = next_body + 1
  return wrk.format("POST", path, nil, body)
end
