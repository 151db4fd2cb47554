#!/usr/bin/env python3
"""Before and after: the SQLite load of two versions of provenance, alternated in one run.

    .venv/bin/python scripts/benchab.py --before DIR [--after DIR] --rows 100000 --repeat 3

``DIR`` is a source tree of provenance (``git archive COMMIT | tar -x -C DIR``; ``--after``
defaults to the package this interpreter imports). Each round times, on the same generated file
(scripts/benchgen.py, as scripts/bench does): the floor (scripts/bench's ``floor_sqlite``:
csv.reader + executemany), then a load of each version into a fresh SQLite database, each in a
fresh interpreter (only ``load_files`` is timed, not the imports), the order of the two versions
swapped every round so that neither always runs on a warmer or quieter machine. The result is
the median of each step and its ratio to the floor's median, in wall time and in CPU time
(the process's: less moved by other work on a shared machine); the two versions' counts must be
the generator's, or the run fails. ``--profile FILE`` also writes a cProfile of one more load of
the after version (``python -m pstats FILE``). See docs/bench/README.md.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

_CHILD = """
import json, sys, time
from pathlib import Path
from provenance.db import make_engine
from provenance.reference import install
from provenance.ingest.loader import LoadOptions, load_files
csv_path, db, profile = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
db.unlink(missing_ok=True)
engine = make_engine(f"sqlite:///{db}")
install.upgrade(engine)
profiler = None
if profile:
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
start, cpu = time.perf_counter(), time.process_time()
s = load_files(engine, [csv_path], options=LoadOptions())[0]
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
if profiler is not None:
    profiler.disable()
    profiler.dump_stats(profile)
engine.dispose()
db.unlink(missing_ok=True)
import provenance
print(json.dumps({
    "seconds": seconds,
    "cpu": cpu,
    "package": provenance.__file__,
    "components": s.components_added,
    "citations": s.citations_added,
    "manufacturers": s.manufacturers_created,
    "weapon_systems": s.weapon_systems_created,
    "specimens": s.specimens_created,
    "sources": s.sources_created,
    "duplicate_rows": s.duplicate_rows,
}))
"""


def _script_module(name: str) -> Any:
    loader = importlib.machinery.SourceFileLoader(name, str(HERE / name))
    spec = importlib.util.spec_from_loader(name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def _load(tree: Path | None, csv_path: Path, db: Path, profile: str = "") -> dict[str, Any]:
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(tree), env.get("PYTHONPATH", "")]).rstrip(
            os.pathsep
        )
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(csv_path), str(db), profile],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/benchab.py", description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="source tree of the before")
    parser.add_argument("--after", type=Path, help="source tree of the after (default: this one)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (median)")
    parser.add_argument("--workdir", type=Path, help="keep the files here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="write the results as JSON to this file")
    parser.add_argument("--profile", type=Path, help="cProfile of one more load of the after")
    args = parser.parse_args(argv)
    bench = _script_module("bench")  # the floor and the generator, as scripts/bench has them
    with tempfile.TemporaryDirectory(prefix="provenance-benchab-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        csv_path = work / f"findings-{args.rows}-{args.seed}.csv"
        expected = bench.benchgen.generate(csv_path, args.rows, args.seed).as_dict()
        runs: dict[str, list[float]] = {"floor": [], "before": [], "after": []}
        cpu: dict[str, list[float]] = {"floor": [], "before": [], "after": []}
        counts: dict[str, dict[str, Any]] = {}
        trees = {"before": args.before.resolve(), "after": args.after}
        for i in range(args.repeat):
            start = time.process_time()
            runs["floor"].append(bench.timed(lambda: bench.floor_sqlite(csv_path, work / "f.db")))
            cpu["floor"].append(time.process_time() - start)
            for name in ("before", "after") if i % 2 == 0 else ("after", "before"):
                got = _load(trees[name], csv_path, work / f"{name}.db")
                runs[name].append(got.pop("seconds"))
                cpu[name].append(got.pop("cpu"))
                counts[name] = got
            print(
                f"round {i + 1}/{args.repeat}: "
                + ", ".join(f"{k} {v[-1]:.2f} s ({cpu[k][-1]:.2f} s CPU)" for k, v in runs.items()),
                file=sys.stderr,
                flush=True,
            )
        if args.profile is not None:
            _load(trees["after"], csv_path, work / "profile.db", str(args.profile))
    medians = {k: statistics.median(v) for k, v in runs.items()}
    cpu_medians = {k: statistics.median(v) for k, v in cpu.items()}
    wrong = {
        name: {k: (got[k], v) for k, v in expected.items() if k in got and got[k] != v}
        for name, got in counts.items()
    }
    result = {
        "rows": args.rows,
        "seed": args.seed,
        "repeat": args.repeat,
        "before": str(args.before),
        "after": str(args.after or counts["after"]["package"]),
        "expected": expected,
        "count_mismatches": {k: v for k, v in wrong.items() if v},
        "runs_s": runs,
        "median_s": medians,
        "ratio_to_floor": {k: v / medians["floor"] for k, v in medians.items()},
        "after_vs_before": medians["after"] / medians["before"],
        # CPU seconds of the process (the floor's: this one's): less moved by a busy machine
        "cpu_runs_s": cpu,
        "cpu_median_s": cpu_medians,
        "cpu_ratio_to_floor": {k: v / cpu_medians["floor"] for k, v in cpu_medians.items()},
        "cpu_after_vs_before": cpu_medians["after"] / cpu_medians["before"],
    }
    text = json.dumps(result, indent=2)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 1 if result["count_mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
