-- wrk script for bench/serving.py: random paths from BENCH_PATHS (one per line) and, when
-- BENCH_COOKIES names a file, a random reader cookie from it on every request.
-- BENCH_VALIDATE=1 also counts answers that are not 200 (wrk itself lets 3xx pass).
local paths, cookies, threads = {}, {}, {}
local counter = 0
bad, good = 0, 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
  local file = os.getenv("BENCH_COOKIES")
  if file and file ~= "" then
    for line in io.lines(file) do cookies[#cookies + 1] = "dl_reader=" .. line end
  end
  math.randomseed(tid * 7919 + os.time())
end

function request()
  local path = paths[math.random(#paths)]
  if #cookies > 0 then
    return wrk.format("GET", path, { ["Cookie"] = cookies[math.random(#cookies)] })
  end
  return wrk.format("GET", path)
end

if os.getenv("BENCH_VALIDATE") == "1" then
  function response(status, headers, body)
    if status == 200 then good = good + 1 else bad = bad + 1 end
  end
end

function done(summary, latency, requests)
  local not200, ok = 0, 0
  for _, t in ipairs(threads) do
    not200 = not200 + (t:get("bad") or 0)
    ok = ok + (t:get("good") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"non_2xx_3xx":%d,"timeouts":%d,' ..
    '"validated_200":%d,"validated_not_200":%d,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, ok, not200,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
