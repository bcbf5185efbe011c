-- GET PREFIX .. a random line of FILE on every request: `wrk ... -s random_paths.lua URL -- PREFIX FILE`.
-- Random ids (not a fixed one) so that the database and its caches see the spread of a real workload.

local prefix, ids = nil, {}

function init(args)
  prefix = args[1]
  for line in io.lines(args[2]) do
    ids[#ids + 1] = line
  end
  math.randomseed(os.time())
end

function request()
  return wrk.format("GET", prefix .. ids[math.random(#ids)])
end
