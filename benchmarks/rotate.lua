-- wrk script for benchmarks/server.py: each request carries the next credential of a list.
--
-- BENCH_TOKENS names a file with one Authorization header value per line ("Bearer agt_…");
-- an empty or missing file sends no Authorization header (the unauthenticated ceiling).
-- Arguments after "--": the number of wrk threads and an offset (the driver picks one per
-- run). Thread i walks the whole list from offset + i/threads of it: consecutive requests
-- (on any connection) carry different tokens, and a short run does not use the same few
-- tokens as the run before it.
-- done() prints one JSON line (the driver reads it): requests, duration, latency
-- percentiles (µs) and errors, non-2xx answers included.

local values = {}
local path = os.getenv("BENCH_TOKENS")
if path ~= nil and path ~= "" then
  for line in io.lines(path) do
    if line ~= "" then
      values[#values + 1] = line
    end
  end
end

local threads = 0

function setup(thread)
  thread:set("start", threads)
  threads = threads + 1
end

local index = 0

function init(args)
  local threads = tonumber(args[1]) or 1
  local offset = tonumber(args[2]) or 0
  if #values > 0 then
    index = (offset + math.floor((start or 0) * #values / threads)) % #values
  end
end

function request()
  if #values == 0 then
    return wrk.format("GET")
  end
  index = index + 1
  return wrk.format("GET", nil, { ["Authorization"] = values[(index % #values) + 1] })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, '
      .. '"timeout": %d}}\n',
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
