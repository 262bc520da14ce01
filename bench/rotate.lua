-- wrk script for the benchmark (bench/run.py): rotates over the URLs in the file named by the
-- environment variable BENCH_URLS, one per line. A line "url<TAB>etag" sends If-None-Match: etag.
-- Every request says Accept-Encoding: gzip, deflate, br, as every browser does.
-- Each response's X-Bench-Queries and X-Bench-Ms headers (bench/middleware.py) are collected; at
-- the end one line "BENCH {json}" reports requests, rate, latency percentiles (wrk's, client side),
-- queries per request, server-time percentiles, status counts and how many responses had an ETag.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  urls, etags = {}, {}
  for line in io.lines(os.getenv("BENCH_URLS")) do
    local url, etag = line:match("^([^\t]+)\t?(.*)$")
    if url then
      urls[#urls + 1] = url
      etags[#etags + 1] = etag
    end
  end
  index = 0
  url_count = #urls
  responses, queries, counted, with_etag = 0, 0, 0, 0
  ok, not_modified, other = 0, 0, 0
  server_ms = {}
end

function request()
  index = index % #urls + 1
  local headers = {["Accept-Encoding"] = "gzip, deflate, br"}
  if etags[index] ~= "" then
    headers["If-None-Match"] = etags[index]
  end
  return wrk.format("GET", urls[index], headers)
end

local function header(headers, name)
  return headers[name] or headers[name:lower()]
end

function response(status, headers, body)
  responses = responses + 1
  if status == 304 then
    not_modified = not_modified + 1
  elseif status >= 200 and status < 300 then
    ok = ok + 1
  else
    other = other + 1
  end
  local q = header(headers, "X-Bench-Queries")
  if q then
    queries = queries + tonumber(q)
    counted = counted + 1
  end
  local ms = header(headers, "X-Bench-Ms")
  if ms then
    server_ms[#server_ms + 1] = tonumber(ms)
  end
  if header(headers, "ETag") then
    with_etag = with_etag + 1
  end
end

local function percentile(sorted, p)
  if #sorted == 0 then
    return 0
  end
  local rank = math.max(1, math.ceil(p / 100 * #sorted))
  return sorted[rank]
end

function done(summary, latency, requests)
  local total = {responses = 0, queries = 0, counted = 0, with_etag = 0, ok = 0, not_modified = 0, other = 0}
  local times = {}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(total) do
      total[name] = total[name] + (thread:get(name) or 0)
    end
    local ms = thread:get("server_ms") or {}
    for _, value in ipairs(ms) do
      times[#times + 1] = value
    end
  end
  table.sort(times)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.2f, "p99_ms": %.2f, '
      .. '"queries": %.2f, "server_p50_ms": %.2f, "server_p95_ms": %.2f, "server_p99_ms": %.2f, '
      .. '"ok": %d, "not_modified": %d, "other": %d, "socket_errors": %d, "with_etag": %d, "urls": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    total.counted > 0 and total.queries / total.counted or -1,
    percentile(times, 50), percentile(times, 95), percentile(times, 99),
    total.ok, total.not_modified, total.other, errors, total.with_etag, threads[1]:get("url_count") or 0
  ))
end
