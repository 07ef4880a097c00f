#!/usr/bin/env python3
"""profile_top.py TRACE.speedscope.json [N]: top frames of a dotnet-trace sampled-thread-time trace, CPU only.

The sampled-thread-time profile samples every managed thread, running or not. Time whose stack shows the thread
waiting (thread-pool semaphore, epoll, sleeps, timers) is dropped, so what remains is time threads spent working.
Only stacks doing connection work count (Kestrel's request loop, socket sends and receives: FOCUS below), which
also leaves out idle thread-pool workers, whose native wait the sampler cannot tell from work.
Prints two markdown tables: exclusive (the leaf frame) and inclusive (any frame on the stack), in % of that time.
"""
import json, re, sys
from collections import Counter

WAITING = re.compile(
    r"LowLevelLifoSemaphore|WaitHandle\.Wait|WaitOneNoCheck|Monitor\.Wait|Thread\.Sleep|SocketAsyncEngine\.EventLoop"
    r"|ManualResetEventSlim\.Wait|SemaphoreSlim\.Wait|GateThread|TimerQueue\.TimerThread|WaitForSignal|Interop\+Sys\.WaitFor"
    r"|PollGC|LowLevelMonitor|ThreadPoolWorkQueue.+Dispatch.+WaitForWork|Task\.SpinThenBlockingWait|Thread\.Join"
    r"|PeriodicTimer|Console|StreamReader\.ReadLine|Interop\+Sys\.Read\(|Interop\+Sys\.ReadFromNonblocking"
)


FOCUS = re.compile(r"HttpProtocol\+<ProcessRequests>|SocketConnection\+<Do(Send|Receive)>|SocketAsyncEngine.+Execute|IOQueue")


# Where connection work goes, by what it serves: a sample belongs to the innermost frame that matches a group.
GROUPS = [
    ("tracing, hosting Activity and log scope", r"System\.Diagnostics\.Activity|TracerProviderSdk|HttpInListener|DiagnosticListener|BeginScope|ScopeProvider|PredictionService\.StartActivity"),
    ("metrics (OpenTelemetry instruments)", r"OpenTelemetry\.Metrics|System\.Diagnostics\.Metrics|HostingMetrics|RoutingMetrics|KestrelMetrics"),
    ("scoring (tree evaluator)", r"TreeEnsembleEvaluator|LeafMasks|TreeWalk|TreeScorer|ScoringModel\.Predict"),
    ("request parsing (RowParser)", r"RowParser|InputSchema|PlainJsonRows|Utf8Lookup"),
    ("drift sampling", r"DriftWindow"),
    ("response JSON", r"PredictionJson"),
    ("DI scope", r"RequestServices|ServiceProviderEngineScope|ServiceScope"),
    ("socket send/receive (kernel)", r"SocketPal\.TryComplete|Socket\.SendAsync|Socket\.ReceiveAsync"),
]


def simplify(name: str) -> str:
    name = re.sub(r"\(.*\)$", "", name)  # parameters
    name = re.sub(r"^[^!]*!", "", name)  # module!
    return name


def main() -> None:
    path, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25
    doc = json.load(open(path))
    frames = [simplify(f["name"]) for f in doc["shared"]["frames"]]
    exclusive, inclusive, groups = Counter(), Counter(), Counter()
    working = waiting = 0.0

    def account(stack, weight):
        nonlocal working, waiting
        if not stack:
            return
        names = [frames[i] for i in stack]
        if any(WAITING.search(n) for n in names) or not any(FOCUS.search(n) for n in names):
            waiting += weight
            return
        working += weight
        group = next((g for n in reversed(names) for g, rx in GROUPS if re.search(rx, n)), "other (Kestrel, middleware, routing, pipes, GC and JIT helpers)")
        groups[group] += weight
        leaf = names[-1]
        # The sampler marks native time with a pseudo-frame: name the managed frame under it.
        if leaf.upper() in ("UNMANAGED_CODE_TIME", "CPU_TIME") and len(names) > 1:
            leaf = names[-2] + " [native]" if leaf.upper() == "UNMANAGED_CODE_TIME" else names[-2]
        exclusive[leaf] += weight
        for n in set(names[names.index(next(n for n in names if FOCUS.search(n))):]):
            if n.upper() not in ("UNMANAGED_CODE_TIME", "CPU_TIME"):
                inclusive[n] += weight

    for profile in doc["profiles"]:
        if profile["type"] == "sampled":
            for stack, weight in zip(profile["samples"], profile["weights"]):
                account(stack, weight)
        else:  # evented: open/close frame events; time between events belongs to the open stack
            stack, last = [], None
            for e in profile["events"]:
                if last is not None and e["at"] > last:
                    account(stack, e["at"] - last)
                last = e["at"]
                if e["type"] == "O":
                    stack.append(e["frame"])
                elif stack:
                    stack.pop()

    total = working or 1.0
    print(f"working time {working:,.0f} {doc['profiles'][0].get('unit', '')} of connection work ({100 * working / max(1, working + waiting):.0f} % of sampled thread time)\n")
    print("| group | % of connection work |\n|---|---|")
    for g, w in groups.most_common():
        print(f"| {g} | {100 * w / total:.1f} |")
    print()
    for title, counter in (("exclusive (leaf)", exclusive), ("inclusive", inclusive)):
        print(f"| # | frame, {title} | % of connection work |\n|---|---|---|")
        for i, (name, w) in enumerate(counter.most_common(top), 1):
            print(f"| {i} | `{name[:140]}` | {100 * w / total:.1f} |")
        print()


if __name__ == "__main__":
    main()
