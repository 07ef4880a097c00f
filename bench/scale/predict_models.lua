-- wrk script for bench/scale/serving.sh: POSTs the body in $BODY_FILE to /v1/models/m<i>/predict, going round
-- the $MODELS models in turn (each wrk thread starts at a different one), and prints one "BENCH ..." line.
local f = assert(io.open(assert(os.getenv("BODY_FILE"), "set BODY_FILE"), "rb"))
local body = f:read("*a")
f:close()
local models = tonumber(os.getenv("MODELS") or "1")
local headers = { ["Content-Type"] = "application/json" }
local next_model = 0

function setup(thread)
   thread:set("first", math.random(0, models - 1))
end

function init(args)
   next_model = first or 0
end

function request()
   local path = "/v1/models/m" .. next_model .. "/predict"
   next_model = (next_model + 1) % models
   return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      "BENCH requests=%d rps=%.2f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f errors=%d\n",
      summary.requests, summary.requests / secs,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      e.connect + e.read + e.write + e.status + e.timeout))
end
