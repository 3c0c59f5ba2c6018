#!/usr/bin/env python3
"""Runs benchmark modules on Wasmtime (the `wasmtime` package from PyPI) and prints JSON.

Each module exports `run(n: i32) -> i64`. For every job the runner compiles the module `reps`
times (timing `wasmtime.Module(engine, bytes)` alone), instantiates it once, then calls `run(n)`
`reps` times, timing only the call. Process start-up and Python imports are outside every timing.
Both clocks are recorded: wall (perf_counter) and process CPU time (process_time, which also
counts Wasmtime's parallel compilation threads).

Usage:
  wasmtime_runner.py MODULE.wasm N [--reps R]      one module, for a quick look
  wasmtime_runner.py --jobs -                      JSON job list on stdin:
      [{"name": "fib", "wasm": "out/bench/build/wasm/fib.wasm", "n": 38, "reps": 5}, ...]

Output (stdout): {"engine": "wasmtime", "version": "50.0.1", "results": [
  {"name": ..., "wasm_bytes": ..., "compile_seconds": [...], "compile_cpu_seconds": [...],
   "seconds": [...], "cpu_seconds": [...], "checksum": "<decimal i64>"} or {"name": ..., "error": "..."}, ...]}
"""
import argparse
import importlib.metadata
import json
import sys
import time

import wasmtime


def run_job(engine, job):
    name = job.get("name", job["wasm"])
    reps = max(1, int(job.get("reps", 1)))
    n = int(job["n"])
    try:
        with open(job["wasm"], "rb") as f:
            data = f.read()
        compile_seconds, compile_cpu_seconds = [], []
        module = None
        for _ in range(reps):
            module = None
            c0, t0 = time.process_time(), time.perf_counter()
            module = wasmtime.Module(engine, data)
            t1, c1 = time.perf_counter(), time.process_time()
            compile_seconds.append(t1 - t0)
            compile_cpu_seconds.append(c1 - c0)
        store = wasmtime.Store(engine)
        instance = wasmtime.Instance(store, module, [])
        run = instance.exports(store)["run"]
        seconds, cpu_seconds = [], []
        checksum = None
        for _ in range(reps):
            c0, t0 = time.process_time(), time.perf_counter()
            result = run(store, n)
            t1, c1 = time.perf_counter(), time.process_time()
            seconds.append(t1 - t0)
            cpu_seconds.append(c1 - c0)
            if checksum is not None and result != checksum:
                raise RuntimeError(f"checksum changed between repetitions: {checksum} vs {result}")
            checksum = result
        return {
            "name": name,
            "wasm_bytes": len(data),
            "compile_seconds": compile_seconds,
            "compile_cpu_seconds": compile_cpu_seconds,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "checksum": str(checksum),
        }
    except Exception as error:  # a trap or a bad module is a result, not a crash of the suite
        return {"name": name, "error": f"{type(error).__name__}: {error}".strip()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("module", nargs="?")
    parser.add_argument("n", nargs="?", type=int)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--jobs", help="read a JSON job list from this file ('-' for stdin)")
    parser.add_argument("--progress", action="store_true", help="name each job on stderr as it starts")
    args = parser.parse_args()

    if args.jobs:
        source = sys.stdin if args.jobs == "-" else open(args.jobs)
        jobs = json.load(source)
    elif args.module is not None and args.n is not None:
        jobs = [{"wasm": args.module, "n": args.n, "reps": args.reps}]
    else:
        parser.error("give MODULE N, or --jobs")

    engine = wasmtime.Engine(wasmtime.Config())  # defaults: Cranelift, optimizing for speed
    results = []
    for job in jobs:
        if args.progress:
            print(f"  wasmtime: {job.get('name', job['wasm'])} n={job['n']}", file=sys.stderr, flush=True)
        results.append(run_job(engine, job))
    json.dump({"engine": "wasmtime", "version": importlib.metadata.version("wasmtime"), "results": results},
              sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
