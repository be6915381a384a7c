-- wrk script for benchmarks/server.py: each request carries the next credential of a list.
--
-- BENCH_TOKENS names a file with one Authorization header value per line ("Bearer agt_…");
-- an empty or missing file sends no Authorization header (the unauthenticated ceiling).
-- Every wrk thread walks the whole list from its own starting point, so with 1,000 tokens
-- consecutive requests (on any connection) carry different tokens.
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
  if #values > 0 then
    index = (start or 0) * 997 % #values
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
