-- POST the bodies of FILE (one per line) in turn, round and round: `wrk ... -s post_cycle.lua URL -- PATH FILE`.
-- For read-only POSTs such as an eligibility check, where sending a body again changes nothing.

local requests, next_request = {}, 0

function init(args)
  wrk.headers["Content-Type"] = "application/json"
  for line in io.lines(args[2]) do
    requests[#requests + 1] = wrk.format("POST", args[1], nil, line)
  end
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
