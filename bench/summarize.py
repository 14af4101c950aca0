#!/usr/bin/env python3
"""Turns the benchmarks' Google Benchmark JSON into results.jsonl and a table.

Usage: summarize.py OUT_DIR

Reads OUT_DIR/{graph,link_throughput,hop_latency,delta_apply,branch_add,audio_chain,scale}_bench.json
(written with --benchmark_out) and OUT_DIR/machine.json (written by run_benchmarks.sh), writes
OUT_DIR/results.jsonl — one JSON object per comparison, one line each:

  {"bench": "link_throughput", "metric": "msgs_per_s", "streamlib": 3.1e7,
   "peer": "boost_spsc", "peer_value": 3.2e8, "higher_is_better": true, "executor": "threads"}

Executors: every StreamLib figure that comes from a running StreamRuntime is measured once per
executor (benchmark names BM_.../threads/... and BM_.../pool/...), so each such comparison
appears twice, with "executor": "threads" and "executor": "pool" (the table shows it in
brackets after the bench). Lines that involve no runtime (graph, the ring/channel rungs, the
futex and DataFrame diagnostics) have no executor. The "executor_pool_vs_threads" lines set
headline figures of the pool against the same figures of the threads executor (peer
"threads_executor").

— and prints a table with the ratio and whether each aim is met. A benchmark that did not
run (or skipped with an error) leaves its lines out and is named on stderr; the exit status
is then 1, so a broken run is not mistaken for a complete one.

Comparisons without an outside peer (graph scaling, delta-apply scaling) compare StreamLib
with itself: the graph lines give ns per processor at 10,000 processors against 1,000 (peer
"streamlib_1k"), so linear growth is a ratio near 1; delta_apply_scaling gives the 1,000-
processor figure against the 10-processor one (peer "streamlib_10"). The absolute delta-apply
aim is a line against peer "aim" with peer_value 1000 (microseconds), measured with a source
that sends one message per 100 us; the delta_apply_busy_source lines repeat it with a source
that pushes as fast as it can (see delta_apply_bench.cc for why that one is erratic).

Diagnostic lines carry no aim: the graph lines at 100k processors (against 10k), those against
"int_index_kahn" (the same topological sort over plain integer adjacency, written in the
benchmark), link_push_pop (one push + pop on a LinkChannel against the bare SpscRing), and
dataframe_cross_thread (ns per DataFrame through the boost queue between two threads, against
acquiring and dropping one on a single thread), link_throughput_slow_sink_block (a slow sink
behind a block link against the same behind drop_newest), and the link_ladder lines: two
busy-spinning threads on StreamLib's SpscRing, then the ring plus Notifier::notify() per push,
then a whole LinkChannel, then the runtime — each against the rung below it; and
futex_wake_1000_sleepers (a raw futex wake-up while 1,000 other threads sleep, against 10).

branch_add (branch_add_bench.cc) compares StreamLib with GStreamer in the same run: one sink
added to a source (one message per 100 us) that already fans out to N = 10, 100, 1000 running
sinks (GStreamer: a tee with N queue ! fakesink branches). All its lines have bench
"branch_add", peer "gstreamer" and the size in the metric: first_message_p50_us_N10 and
first_message_p90_us_N10 (first call -> the new sink's first message, lower is better),
source_rate_hz_N10 (messages per second the source achieved with N sinks running, higher is
better; 10,000 if it keeps its pace), and the diagnostics add_call_p50_us_N10 and
connect_call_p50_us_N10 (the two halves of the wiring; for GStreamer "add" is request pad +
create + add + sync state, "connect" the two pad links), and batched_first_message_p50_us_N10
(StreamLib doing add + connect as one Manual-commit batch). The aim is first_message below
GStreamer's at every N.

audio_chain (audio_chain_bench.cc): 64-frame blocks of 48 kHz stereo from AudioTestSource through
8 stages to NullSink, as fast as possible, against GStreamer's audiotestsrc ! 8 x volume !
fakesink in the same run. All its lines have bench "audio_chain". blocks_per_s_gain8 (8 x Gain)
and blocks_per_s_lv2amp8 (8 x Lv2Effect running eg-amp) against peer "gstreamer" (the volume
chain; aim: ahead of it); overhead_us_per_stage_gain8 / _lv2amp8 — (us per block of the chain -
us per block of the same 8 DSP calls in one plain loop) / 8 — against peer "aim", peer_value 2
(aim: under 2 us); late_blocks_live (the 8 x Gain chain paced in real time for
AUDIO_CHAIN_LIVE_SECONDS, blocks reaching the sink more than one block period, 1,333 us, after
their due time) against peer "aim", peer_value 0. Diagnostics: us_per_block_gain8 / _lv2amp8
against peer "plain_loop" (the two figures the overhead comes from), plain_loop_frames_gain8 /
_lv2amp8 (the plain loop making an AudioFrame per stage from a pool, against the span loop),
blocks_per_s_source_only and cpu_us_per_block_gain8 against "gstreamer", slope_us_per_stage_gain8
((8-stage - 0-stage us per block) / 8, against GStreamer's own slope), and lateness_p99_us_live /
lateness_max_us_live against peer "block_period" (1,333 us), and late_blocks_live /
lateness_max_us_live against peer "raw_timer" (a bare thread sleeping to the same due times
during the same seconds, its wake-ups late by more than a block period / its latest wake-up).

scale (scale_bench.cc): N = 1,000, 10,000, 100,000 processors in chains of 10 (a 10 ms source,
9 pass-through stages). Bench "scale_1k" / "scale_10k" / "scale_100k", executor "pool", against
peer "threads_executor" (the same figure of the threads executor): start_ms, first_message_ms,
cpu_pct (sources sending), cpu_pct_quiet (sources silent: the idle figure), rss_mb, threads,
stop_ms. The issue's aims for the pool, against peer "aim": scale_10k start_ms < 1000,
cpu_pct_quiet < 1 (% of one core), rss_mb < 200; scale_100k threads against peer
"cores_plus_runtime" (cores + the runtime's own threads, taken from the threads executor's
1,000-processor run: its thread count - 1,000; no device threads in this graph). A case the
machine cannot run (the threads executor above what the kernel gives; the pool while it is not
in effect) is printed as skipped with its reason; its lines are left out without counting as
missing. Where one executor is skipped, the other's figures are written against peer "none"
with peer_value 0.
"""

import json
import os
import sys

EXECUTORS = ("threads", "pool")
SCALE_SIZES = (1000, 10000, 100000)


def load(out_dir, name):
    """Runs by name (Google Benchmark's run_name). A benchmark repeated several times is
    represented by its median aggregate, with its min and max aggregates attached as
    run["min"] / run["max"] (same keys as the run itself)."""
    path = os.path.join(out_dir, name + ".json")
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"summarize: cannot read {path}: {e}", file=sys.stderr)
        return {}
    runs, spread = {}, {}
    for b in data.get("benchmarks", []):
        if b.get("error_occurred"):
            print(f"summarize: {b['name']}: {b.get('error_message', 'error')}", file=sys.stderr)
            continue
        key = b.get("run_name", b["name"])
        if b.get("run_type", "iteration") == "aggregate":
            if b.get("aggregate_name") == "median":
                runs[key] = b
            elif b.get("aggregate_name") in ("min", "max"):
                spread.setdefault(key, {})[b["aggregate_name"]] = b
        elif key not in runs:
            runs[key] = b
    for key, extra in spread.items():
        if key in runs:
            runs[key] = dict(runs[key], **extra)
    return runs


def find(runs, prefix):
    """The run whose name is `prefix` or starts with `prefix/` (Google Benchmark appends
    /iterations:N/manual_time and the like)."""
    for name, run in runs.items():
        if name == prefix or name.startswith(prefix + "/"):
            return run
    return None


_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def real_ns(run):
    """A run's real time per iteration in nanoseconds, or None."""
    return None if run is None else float(run["real_time"]) * _UNIT_NS[run.get("time_unit", "ns")]


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = sys.argv[1]
    lines = []  # (record, aim text, aim check, spread text)
    missing = []

    def add(bench, metric, value, peer, peer_value, higher_is_better, aim=None, check=None, spread="", executor=None):
        if value is None or peer_value is None:
            missing.append(f"{bench}{f'[{executor}]' if executor else ''}/{metric}/{peer}")
            return
        record = {"bench": bench, "metric": metric, "streamlib": value, "peer": peer,
                  "peer_value": peer_value, "higher_is_better": higher_is_better}
        if executor:
            record["executor"] = executor
        lines.append((record, aim, check, spread))

    def value_of(bench, metric, peer, executor):
        for record, *_ in lines:
            if (record["bench"], record["metric"], record["peer"], record.get("executor")) == \
                    (bench, metric, peer, executor):
                return record["streamlib"]
        return None

    def counter(run, key):
        return None if run is None or key not in run else float(run[key])

    def spread(run, key):
        """ "min..max" of a repeated run's counter, or "" if it was not repeated."""
        if run is None or "min" not in run or "max" not in run:
            return ""
        return f"{float(run['min'][key]):.3g}..{float(run['max'][key]):.3g}"

    # --- Graph scaling: ns per processor, 10k against 1k -------------------------------------
    graph = load(out_dir, "graph_bench")
    for op, bench in [("Validate", "graph_validate"), ("TopologicalOrder", "graph_topological_order"),
                      ("Checksum", "graph_checksum"), ("ComputeDelta", "graph_compute_delta")]:
        per = {}
        for n in (1000, 10000, 100000):
            t = real_ns(find(graph, f"BM_{op}/{n}"))
            per[n] = None if t is None else t / n
        add(bench, "ns_per_processor", per[10000], "streamlib_1k", per[1000], False,
            "10k within 1.5x of 1k per processor", lambda v, p: v <= 1.5 * p)
        # Beyond the required sizes: does the per-processor cost keep growing?
        add(bench + "_100k", "ns_per_processor", per[100000], "streamlib_10k", per[10000], False)
    ref = {n: real_ns(find(graph, f"BM_TopologicalOrderIndexReference/{n}")) for n in (1000, 10000, 100000)}
    for n, label in [(1000, "1k"), (10000, "10k"), (100000, "100k")]:
        t = real_ns(find(graph, f"BM_TopologicalOrder/{n}"))
        add(f"graph_topological_order_{label}", "ns_per_processor", None if t is None else t / n, "int_index_kahn",
            None if ref[n] is None else ref[n] / n, False)

    # --- Link throughput --------------------------------------------------------------------
    link = load(out_dir, "link_throughput_bench")
    gst_run = find(link, "BM_GStreamerQueue")
    gst = counter(gst_run, "msgs_per_s")
    # Benchmark arguments: capacity / policy (2 block, 0 drop_newest) / sink spin per message.
    for ex in EXECUTORS:
        for bench, sl, boost in [("link_throughput", f"BM_StreamLib_Tick/{ex}/1024/2/0", "BM_BoostSpsc_Tick/1024"),
                                 ("link_throughput_drop_newest", f"BM_StreamLib_Tick/{ex}/1024/0/0",
                                  "BM_BoostSpsc_Tick/1024"),
                                 ("link_throughput_dataframe", f"BM_StreamLib_DataFrame/{ex}/16",
                                  "BM_BoostSpsc_DataFrame/16"),
                                 ("link_throughput_dataframe_cap1024", f"BM_StreamLib_DataFrame/{ex}/1024",
                                  "BM_BoostSpsc_DataFrame/1024")]:
            sl_run, boost_run = find(link, sl), find(link, boost)
            value = counter(sl_run, "msgs_per_s")
            add(bench, "msgs_per_s", value, "boost_spsc", counter(boost_run, "msgs_per_s"), True,
                ">= 1/4 of the raw queue", lambda v, p: v >= 0.25 * p,
                f"streamlib {spread(sl_run, 'msgs_per_s')}, peer {spread(boost_run, 'msgs_per_s')}", ex)
            add(bench, "msgs_per_s", value, "gstreamer_queue", gst, True, ">= 10x GStreamer",
                lambda v, p: v >= 10 * p,
                f"streamlib {spread(sl_run, 'msgs_per_s')}, peer {spread(gst_run, 'msgs_per_s')}", ex)
        # The full-link handshake: the same slow sink behind a block and a drop_newest link. Equal
        # rates mean waiting for room costs nothing; the drop_newest rate is the sink's own.
        block_run = find(link, f"BM_StreamLib_Tick/{ex}/1024/2/256")
        drop_run = find(link, f"BM_StreamLib_Tick/{ex}/1024/0/256")
        add("link_throughput_slow_sink_block", "msgs_per_s", counter(block_run, "msgs_per_s"), "streamlib_drop_newest",
            counter(drop_run, "msgs_per_s"), True, spread=f"streamlib {spread(block_run, 'msgs_per_s')}, "
            f"peer {spread(drop_run, 'msgs_per_s')}", executor=ex)
    # The ladder from the raw queue to the runtime, each rung against the one below it; the top
    # rung (the runtime) once per executor.
    rungs = [("boost_spsc", "BM_BoostSpsc_Tick/1024"), ("spsc_ring", "BM_Ring_Tick/1024/0"),
             ("spsc_ring_notify", "BM_Ring_Tick/1024/1"), ("link_channel_block", "BM_LinkChannel_Tick/1024/2")]
    for (below, below_name), (rung, rung_name) in zip(rungs, rungs[1:]):
        rung_run, below_run = find(link, rung_name), find(link, below_name)
        add(f"link_ladder_{rung}", "msgs_per_s", counter(rung_run, "msgs_per_s"), below,
            counter(below_run, "msgs_per_s"), True,
            spread=f"streamlib {spread(rung_run, 'msgs_per_s')}, peer {spread(below_run, 'msgs_per_s')}")
    channel_run = find(link, "BM_LinkChannel_Tick/1024/2")
    for ex in EXECUTORS:
        rung_run = find(link, f"BM_StreamLib_Tick/{ex}/1024/2/0")
        add("link_ladder_runtime_block", "msgs_per_s", counter(rung_run, "msgs_per_s"), "link_channel_block",
            counter(channel_run, "msgs_per_s"), True,
            spread=f"streamlib {spread(rung_run, 'msgs_per_s')}, peer {spread(channel_run, 'msgs_per_s')}",
            executor=ex)
    ring = find(link, "BM_PushPop_SpscRing")
    for policy, arg in [("block", 2), ("drop_newest", 0), ("drop_oldest", 1)]:
        add(f"link_push_pop_{policy}", "ns_per_message", real_ns(find(link, f"BM_PushPop_LinkChannel/{arg}")),
            "spsc_ring", real_ns(ring), False)

    # A pooled DataFrame passed between two threads (the boost pair) against the same frame
    # made and dropped on one thread: what sharing the pool across threads costs per frame.
    df_rate = counter(find(link, "BM_BoostSpsc_DataFrame/16"), "msgs_per_s")
    add("dataframe_cross_thread", "ns_per_message", None if not df_rate else 1e9 / df_rate, "one_thread",
        real_ns(find(link, "BM_DataFrame_AcquireRelease")), False)

    # --- Per-hop wake-up latency ------------------------------------------------------------
    hop = load(out_dir, "hop_latency_bench")
    futex = find(hop, "BM_FutexPingPong")
    for ex in EXECUTORS:
        sl = find(hop, f"BM_StreamLibHop/{ex}")
        for metric, aim, check in [("p50_ns", "p50 within 2x of raw futex", lambda v, p: v <= 2 * p),
                                   ("p99_ns", None, None)]:
            add("hop_latency", metric, counter(sl, metric), "futex_pingpong", counter(futex, metric), False, aim,
                check, f"streamlib {spread(sl, metric)}, peer {spread(futex, metric)}", ex)

    # --- Delta apply ------------------------------------------------------------------------
    delta = load(out_dir, "delta_apply_bench")
    # Second argument: the source's interval in us (100: paced, the headline; 0: a busy source).
    for ex in EXECUTORS:
        for interval, prefix in [(100, "delta_apply"), (0, "delta_apply_busy_source")]:
            runs = {n: find(delta, f"BM_AddAndConnect/{ex}/{n}/{interval}") for n in (10, 100, 1000)}
            p50 = {n: counter(runs[n], "p50_us") for n in runs}
            for n in (10, 100, 1000):
                add(f"{prefix}_{n}", "p50_us_to_first_message", p50[n], "aim", 1000.0, False, "< 1 ms",
                    lambda v, p: v < p, f"streamlib {spread(runs[n], 'p50_us')}", ex)
            add(f"{prefix}_scaling", "p50_us_to_first_message", p50[1000], "streamlib_10", p50[10], False,
                "1000 within 2x of 10", lambda v, p: v <= 2 * p,
                f"streamlib {spread(runs[1000], 'p50_us')}, peer {spread(runs[10], 'p50_us')}", ex)

    # The kernel's own scaling: a raw futex wake-up with 1,000 against 10 sleeping threads.
    fx = {n: find(delta, f"BM_FutexWakeWithSleepers/{n}") for n in (10, 1000)}
    for metric in ("p50_ns", "p90_ns"):
        add("futex_wake_1000_sleepers", metric, counter(fx[1000], metric), "futex_wake_10_sleepers",
            counter(fx[10], metric), False, spread=f"1000: {spread(fx[1000], metric)}, 10: {spread(fx[10], metric)}")

    # --- Branch add: one more sink on a source fanned out to N sinks, against GStreamer --------
    branch = load(out_dir, "branch_add_bench")
    for ex in EXECUTORS:
        for n in (10, 100, 1000):
            sl, gst = find(branch, f"BM_StreamLib_BranchAdd/{ex}/{n}"), find(branch, f"BM_GStreamer_BranchAdd/{n}")
            for metric, key, higher in [(f"first_message_p50_us_N{n}", "first_message_p50_us", False),
                                        (f"first_message_p90_us_N{n}", "first_message_p90_us", False),
                                        (f"source_rate_hz_N{n}", "source_rate_hz", True),
                                        (f"add_call_p50_us_N{n}", "add_p50_us", False),
                                        (f"connect_call_p50_us_N{n}", "connect_p50_us", False)]:
                add("branch_add", metric, counter(sl, key), "gstreamer", counter(gst, key), higher, executor=ex)
            # The same trial as one Manual-commit batch (add + connect + commit): a diagnostic.
            batched = find(branch, f"BM_StreamLib_BranchAddBatched/{ex}/{n}")
            add("branch_add", f"batched_first_message_p50_us_N{n}", counter(batched, "first_message_p50_us"),
                "gstreamer", counter(gst, "first_message_p50_us"), False, executor=ex)

    # --- Audio chain: 64-frame stereo blocks through 8 stages, against GStreamer ----------------
    audio = load(out_dir, "audio_chain_bench")
    stages = 8
    gst8, gst0 = find(audio, f"BM_GStreamer_VolumeChain/{stages}"), find(audio, "BM_GStreamer_VolumeChain/0")
    gst8_us, gst0_us = counter(gst8, "us_per_block"), counter(gst0, "us_per_block")

    def loop_us(name):
        t = real_ns(find(audio, name))
        return None if t is None else t / 1e3

    for ex in EXECUTORS:
        for label, chain, loop in [("gain8", "BM_StreamLib_GainChain", "BM_PlainLoop_Gain"),
                                   ("lv2amp8", "BM_StreamLib_Lv2AmpChain", "BM_PlainLoop_Lv2Amp")]:
            run = find(audio, f"{chain}/{ex}/{stages}")
            add("audio_chain", f"blocks_per_s_{label}", counter(run, "blocks_per_s"), "gstreamer",
                counter(gst8, "blocks_per_s"), True, "ahead of GStreamer", lambda v, p: v > p,
                f"streamlib {spread(run, 'blocks_per_s')}, peer {spread(gst8, 'blocks_per_s')}", ex)
            us, limit = counter(run, "us_per_block"), loop_us(f"{loop}/{stages}/0")
            overhead = None if us is None or limit is None else (us - limit) / stages
            add("audio_chain", f"overhead_us_per_stage_{label}", overhead, "aim", 2.0, False, "< 2 us per stage",
                lambda v, p: v < p, executor=ex)
            # The program's own figure (chain and plain loop timed in the same process), in ns.
            add("audio_chain", f"overhead_ns_per_stage_{label}", counter(run, "overhead_ns_per_stage"), "aim", 2000.0,
                False, "< 2,000 ns per stage", lambda v, p: v < p,
                f"streamlib {spread(run, 'overhead_ns_per_stage')}", ex)
            add("audio_chain", f"us_per_block_{label}", us, "plain_loop", limit, False, executor=ex)
        sl8, sl0 = find(audio, f"BM_StreamLib_GainChain/{ex}/{stages}"), find(audio, f"BM_StreamLib_GainChain/{ex}/0")
        add("audio_chain", "blocks_per_s_source_only", counter(sl0, "blocks_per_s"), "gstreamer",
            counter(gst0, "blocks_per_s"), True, executor=ex)
        add("audio_chain", "cpu_us_per_block_gain8", counter(sl8, "cpu_us_per_block"), "gstreamer",
            counter(gst8, "cpu_us_per_block"), False, executor=ex)
        sl8_us, sl0_us = counter(sl8, "us_per_block"), counter(sl0, "us_per_block")
        add("audio_chain", "slope_us_per_stage_gain8",
            None if sl8_us is None or sl0_us is None else (sl8_us - sl0_us) / stages, "gstreamer",
            None if gst8_us is None or gst0_us is None else (gst8_us - gst0_us) / stages, False, executor=ex)
        live = find(audio, f"BM_StreamLib_GainChainLive/{ex}")
        add("audio_chain", "late_blocks_live", counter(live, "late_blocks"), "aim", 0.0, False, "zero late blocks",
            lambda v, p: v <= p, executor=ex)
        period_us = counter(live, "late_threshold_us")
        for key in ("lateness_p99_us", "lateness_max_us"):
            add("audio_chain", f"{key}_live", counter(live, key), "block_period", period_us, False, executor=ex)
        # A bare thread sleeping to the same due times in the same seconds: what the machine alone does.
        for key, raw in [("late_blocks", "raw_timer_late"), ("lateness_max_us", "raw_timer_max_us")]:
            add("audio_chain", f"{key}_live", counter(live, key), "raw_timer", counter(live, raw), False, executor=ex)
    for label, loop in [("gain8", "BM_PlainLoop_Gain"), ("lv2amp8", "BM_PlainLoop_Lv2Amp")]:
        add("audio_chain", f"plain_loop_frames_{label}", loop_us(f"{loop}/{stages}/1"), "plain_loop",
            loop_us(f"{loop}/{stages}/0"), False)

    # --- Scale: 1k / 10k / 100k processors in chains of 10, pool against threads ----------------
    scale = load(out_dir, "scale_bench")
    notes = []
    scale_runs = {}
    for ex in EXECUTORS:
        for n in SCALE_SIZES:
            run = find(scale, f"BM_Scale/{ex}/{n}")
            if run is not None and counter(run, "skipped"):
                notes.append(f"scale BM_Scale/{ex}/{n}: {run.get('label', 'skipped')}")
                run = None
            elif run is None:
                notes.append(f"scale BM_Scale/{ex}/{n}: did not run (or failed; see above)")
            scale_runs[(ex, n)] = run
    thr_1k = scale_runs.get(("threads", 1000))
    runtime_threads = None if thr_1k is None else counter(thr_1k, "threads") - 1000
    for n in SCALE_SIZES:
        label = f"scale_{n // 1000}k"
        pool_run, thr_run = scale_runs[("pool", n)], scale_runs[("threads", n)]
        for metric, higher in [("start_ms", False), ("first_message_ms", False), ("cpu_pct", False),
                               ("cpu_pct_quiet", False), ("rss_mb", False), ("threads", False), ("stop_ms", False)]:
            if pool_run is not None and thr_run is not None:
                add(label, metric, counter(pool_run, metric), "threads_executor", counter(thr_run, metric), higher,
                    executor="pool")
            else:
                for ex, run in (("pool", pool_run), ("threads", thr_run)):
                    if run is not None:
                        add(label, metric, counter(run, metric), "none", 0.0, higher, executor=ex)
        if pool_run is None:
            continue
        if n == 10000:
            for metric, aim_value, aim in [("start_ms", 1000.0, "< 1 s"), ("cpu_pct_quiet", 1.0, "< 1% of one core"),
                                           ("rss_mb", 200.0, "< 200 MB")]:
                add(label, metric, counter(pool_run, metric), "aim", aim_value, False, aim, lambda v, p: v < p,
                    executor="pool")
        if n == 100000 and runtime_threads is not None:
            add(label, "threads", counter(pool_run, "threads"), "cores_plus_runtime",
                counter(pool_run, "cores") + runtime_threads, False, "cores + the runtime's own",
                lambda v, p: v <= p, executor="pool")

    # --- Headlines: the pool against the threads executor ---------------------------------------
    for bench, metric, peer, higher in [("link_throughput", "msgs_per_s", "boost_spsc", True),
                                        ("link_throughput_dataframe", "msgs_per_s", "boost_spsc", True),
                                        ("hop_latency", "p50_ns", "futex_pingpong", False),
                                        ("hop_latency", "p99_ns", "futex_pingpong", False),
                                        ("delta_apply_1000", "p50_us_to_first_message", "aim", False),
                                        ("branch_add", "first_message_p50_us_N1000", "gstreamer", False),
                                        ("audio_chain", "blocks_per_s_gain8", "gstreamer", True),
                                        ("audio_chain", "overhead_ns_per_stage_gain8", "aim", False),
                                        ("audio_chain", "cpu_us_per_block_gain8", "gstreamer", False),
                                        ("audio_chain", "late_blocks_live", "aim", False)]:
        pool_v, thr_v = value_of(bench, metric, peer, "pool"), value_of(bench, metric, peer, "threads")
        if pool_v is not None and thr_v is not None:
            add("executor_pool_vs_threads", f"{bench}.{metric}", pool_v, "threads_executor", thr_v, higher,
                executor="pool")

    with open(os.path.join(out_dir, "results.jsonl"), "w") as f:
        for record, *_ in lines:
            f.write(json.dumps(record) + "\n")

    machine = {}
    try:
        with open(os.path.join(out_dir, "machine.json")) as f:
            machine = json.load(f)
    except (OSError, ValueError):
        pass
    if machine:
        print(f"machine: {machine.get('cpu', '?')}, nproc {machine.get('nproc', '?')}, "
              f"kernel {machine.get('kernel', '?')}, preset {machine.get('preset', 'release')}")
        for name, load_avg in machine.get("load", {}).items():
            print(f"  1-min load before {name}: {load_avg}")
    header = f"{'bench':44} {'metric':24} {'streamlib':>12} {'peer':21} {'peer_value':>12} {'ratio':>8}  aim"
    print(header)
    print("-" * len(header))
    for record, aim, check, spread_text in lines:
        v, p = record["streamlib"], record["peer_value"]
        ratio = v / p if p else float("inf")
        verdict = "" if check is None else (" [met]" if check(v, p) else " [NOT met]")
        bench = record["bench"] + (f" [{record['executor']}]" if "executor" in record else "")
        print(f"{bench:44} {record['metric']:24} {v:12.4g} {record['peer']:21} {p:12.4g} "
              f"{ratio:8.3g}  {aim or '-'}{verdict}")
        if spread_text:
            print(f"{'':44} {'  min..max of repetitions:':24} {spread_text}")
    for note in notes:
        print(note)
    print(f"\n{len(lines)} comparisons written to {os.path.join(out_dir, 'results.jsonl')}")
    if missing:
        print("missing (benchmark failed or did not run): " + ", ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
