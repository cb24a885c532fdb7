-- wrk driver for benches/gateway.rs: POSTs /graphql with request bodies read from the file
-- named by BENCH_BODIES (one JSON body per line), each thread starting at its own offset and
-- cycling; prints one JSON line of results for the harness to parse.
local bodies = {}
local counter = 0
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    bodies[#bodies + 1] = line
  end
  counter = id * math.floor(#bodies / tonumber(os.getenv("BENCH_THREADS")))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  return wrk.format(nil, "/graphql", nil, bodies[(counter % #bodies) + 1])
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"socket_errors":%d,"non_2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout, errors.status))
end
