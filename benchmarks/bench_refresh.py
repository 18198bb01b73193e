"""Refresh benchmark: N generated feeds of M items served from 127.0.0.1.

    .venv/bin/python benchmarks/bench_refresh.py                      # 50x200 and 100x1000
    .venv/bin/python benchmarks/bench_refresh.py --feeds 50 --items 200
    .venv/bin/python benchmarks/bench_refresh.py --repeat 5          # medians of 5 runs each

Times a refresh into an empty store and a second refresh (everything not modified) for:
refresh_feeds called in a fresh Python process, the real `tuinews refresh` command, and
`newsboat -x reload` (reload-threads 8) when newsboat is installed. Each contender runs
in its own process (peak RSS from wait4) against a feed server in another process, so
nobody shares a GIL with the server. After the command's refreshes, the first search
(which indexes the refresh's articles) and the next one are timed. Prints a table, then
the figures as one JSON object (also written to benchmarks/results/refresh.json).

Two things would otherwise tilt the timings, and are kept out of them:
- the disk: each timed run starts after `sync`, so none pays for writing back the store
  of the run before it (a first refresh leaves about 400 MB to write at 100 x 1000,
  which the kernel writes out half a minute later, in the middle of the next run);
- memory sampling: the peak PSS of the whole process tree (parse workers included) is
  read from /proc every 50 ms, 1.5 ms of CPU per process read, which took 2 to 4% off
  the command's time on 2 cores. So it is sampled in one more, untimed, run of the
  command and of newsboat, after the timed ones. A peak PSS of 0 means the run ended
  before it could be sampled.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "benchmarks" / "results" / "refresh.json"
# Blog-shaped items of this size make the datasets: 50 x 200 is 18 MB of feeds,
# 100 x 1000 about 172 MB.
ITEM_BYTES = 1650

SERVER = """
import sys, time
sys.path.insert(0, {tests!r})
from feedserver import FeedServer, Generated
feeds, items, item_bytes = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
server = FeedServer().start()
size = 0
for n in range(feeds):
    route = Generated(items=items, title=f"Feed {{n}}", item_bytes=item_bytes)
    size += len(route.body())  # built before timing starts
    server.route(f"/feed{{n}}.xml", route)
print(server.port, size, flush=True)
sys.stdin.read()
"""


def start_server(
    feeds: int, items: int, item_bytes: int
) -> tuple[subprocess.Popen[str], list[str], int]:
    """The feed server's process, the feeds' URLs and their total size in bytes."""
    code = SERVER.format(tests=str(ROOT / "tests"))
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(feeds), str(items), str(item_bytes)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port, size = (int(word) for word in process.stdout.readline().split())
    return process, [f"http://127.0.0.1:{port}/feed{n}.xml" for n in range(feeds)], size


def spawn_and_wait(
    argv: list[str], env: dict[str, str] | None = None, *, sample_memory: bool = False
) -> tuple[float, int, str, float, int]:
    """Wall time, peak RSS (KB) and CPU seconds of this one child (reaped with wait4),
    its stdout, and with `sample_memory` the peak PSS (KB) of the child and all its
    descendants together (else 0)."""
    os.sync()  # the previous run's writes are not this one's to wait for
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        poller = TreeMemory(process.pid) if sample_memory else None
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        peak_pss = poller.stop() if poller is not None else 0
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            sys.stderr.write(f"{argv[0]} exited {process.returncode}\n")
            sys.stderr.write(err.read().decode(errors="replace")[-2000:])
        cpu = usage.ru_utime + usage.ru_stime
        return elapsed, usage.ru_maxrss, out.read().decode(errors="replace"), cpu, peak_pss


class TreeMemory:
    """Samples, every 50 ms, the proportional set size (PSS) of a process and all its
    descendants, and keeps the largest sum.

    RSS cannot be added up across processes: a forked parse worker shares most of its
    pages with its parent, and each would count them in full. PSS splits a shared page
    between the processes sharing it, so the sum is the memory the whole tree holds,
    comparable with a single process such as newsboat. Sampling misses peaks shorter
    than the interval, the same way for every contender.
    """

    # Fewer samples than this: the run was over before its memory could be seen (a
    # newsboat reload of three tiny feeds takes 30 ms), so no figure, not a wrong one.
    ENOUGH_SAMPLES = 4

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self.samples = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            total = sum(_pss_kb(pid) for pid in _tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)
            self.samples += 1
            self._done.wait(0.05)

    def stop(self) -> int:
        """The peak PSS in KB; 0 when the run was too short to be sampled."""
        self._done.set()
        self._thread.join()
        return self.peak_kb if self.samples >= self.ENOUGH_SAMPLES else 0


def _tree(root: int) -> list[int]:
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    todo.extend(int(child) for child in children.read().split())
        except OSError:
            continue  # gone meanwhile
    return pids


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


# ---- contenders --------------------------------------------------------------------


def worker(urls_file: Path, db: Path) -> None:
    """Run inside a fresh interpreter: two refresh_feeds calls, JSON timings on stdout."""
    from tuinews.config import RefreshSettings
    from tuinews.model import Subscription
    from tuinews.refresh import refresh_feeds

    urls = urls_file.read_text().split()
    subs = [Subscription(url=url) for url in urls]
    settings = RefreshSettings()

    def cpu() -> float:
        # Worker processes (parsing) count too: they are reaped when each refresh ends.
        total = 0.0
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
            usage = resource.getrusage(who)
            total += usage.ru_utime + usage.ru_stime
        return total

    start = cpu()
    first = asyncio.run(refresh_feeds(db, subs, settings))
    middle = cpu()
    second = asyncio.run(refresh_feeds(db, subs, settings))
    end = cpu()
    print(
        json.dumps(
            {
                "first_s": first.seconds,
                "first_new": first.new,
                "first_failed": first.failed,
                "second_s": second.seconds,
                "second_not_modified": second.not_modified,
                "first_cpu_s": middle - start,
                "second_cpu_s": end - middle,
                "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                # The largest worker process (they run alongside the main process).
                "worker_peak_rss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            }
        )
    )


def bench_in_process(urls: list[str], scratch: Path) -> dict[str, Any]:
    urls_file = scratch / "urls.txt"
    urls_file.write_text("\n".join(urls))
    db = scratch / "inproc.db"
    wall, peak, out, cpu, _pss = spawn_and_wait(
        [sys.executable, __file__, "--worker", str(urls_file), str(db)]
    )
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    result["process_peak_rss_kb"] = peak
    result["process_cpu_s"] = cpu
    return result


Command = tuple[list[str], dict[str, str]]


def cli_command(urls: list[str], scratch: Path) -> Command | None:
    """`tuinews refresh` on `urls` into a new store in `scratch`, as argv and environment."""
    tuinews = VENV_BIN / "tuinews"
    if not tuinews.exists():
        return None
    config = scratch / "config.toml"
    config.write_text("".join(f'[[feeds]]\nurl = "{url}"\n\n' for url in urls))
    db = scratch / "cli.db"
    env = dict(os.environ, TUINEWS_CONFIG=str(config), TUINEWS_DB=str(db))
    env.pop("TUINEWS_TESTING", None)
    _with_bytecode(env)
    return [str(tuinews), "refresh"], env


def newsboat_command(urls: list[str], scratch: Path) -> Command | None:
    """`newsboat -x reload` on `urls` into a new cache in `scratch`."""
    newsboat = shutil.which("newsboat")
    if newsboat is None:
        return None
    home = scratch / "nb-home"
    home.mkdir()
    (home / "urls").write_text("\n".join(urls) + "\n")
    (home / "config").write_text("reload-threads 8\nmax-items 0\n")
    argv = [
        newsboat,
        "-u",
        str(home / "urls"),
        "-c",
        str(home / "cache.db"),
        "-C",
        str(home / "config"),
        "-x",
        "reload",
    ]
    return argv, dict(os.environ, HOME=str(home), LANG="C.UTF-8", LC_ALL="C.UTF-8")


def bench_cli(urls: list[str], scratch: Path) -> dict[str, Any] | None:
    command = cli_command(urls, scratch)
    if command is None:
        return None
    argv, env = command
    figures, (first_out, second_out) = _run_twice(argv, env)
    # The refresh leaves new articles out of the search index until a search runs
    # (schema v6): the first search after it pays for indexing them, the next does not.
    search = [argv[0], "list", "--search", "77"]
    figures["first_search_s"], _rss, found, _cpu, _pss = spawn_and_wait(search, env)
    figures["next_search_s"], _rss, _out, _cpu, _pss = spawn_and_wait(search, env)
    figures["search_results"] = len(found.splitlines())
    return {
        **figures,
        "first_output": first_out.strip().splitlines()[-1:],
        "second_output": second_out.strip().splitlines()[-1:],
    }


def _run_twice(argv: list[str], env: dict[str, str]) -> tuple[dict[str, Any], tuple[str, str]]:
    """A first refresh into an empty store and a second one right after: their times,
    CPU and the larger peak RSS, and the two outputs."""
    first, first_rss, first_out, first_cpu, _pss = spawn_and_wait(argv, env)
    second, second_rss, second_out, second_cpu, _pss = spawn_and_wait(argv, env)
    figures = {
        "first_s": first,
        "second_s": second,
        "first_cpu_s": first_cpu,
        "second_cpu_s": second_cpu,
        "peak_rss_kb": max(first_rss, second_rss),
    }
    return figures, (first_out, second_out)


def peak_tree_pss(command: Command) -> int:
    """The peak PSS (KB) of the whole process tree (the command and its parse workers,
    see TreeMemory) during a first refresh into an empty store: an untimed run, since
    sampling costs CPU. A second refresh holds far less."""
    argv, env = command
    return spawn_and_wait(argv, env, sample_memory=True)[4]


def _with_bytecode(env: dict[str, str]) -> None:
    """Run the command as an installed tuinews runs: from compiled bytecode.

    With PYTHONDONTWRITEBYTECODE set (as in some shells here) every start recompiles the
    whole package from source, tens of milliseconds no user pays. The package is compiled
    before timing starts, into its __pycache__ folders (ignored by git). A pycache prefix
    would not do: every standard module would then be recompiled into it on first use.
    """
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "src" / "tuinews")],
        env=env,
        check=True,
    )


def bench_newsboat(urls: list[str], scratch: Path) -> dict[str, Any] | None:
    command = newsboat_command(urls, scratch)
    if command is None:
        return None
    argv, env = command
    figures, _ = _run_twice(argv, env)
    version = subprocess.run([argv[0], "-v"], capture_output=True, text=True, env=env)
    return {
        **figures,
        "version": version.stdout.splitlines()[0] if version.stdout else "",
    }


# ---- report ------------------------------------------------------------------------


def run_case(
    feeds: int,
    items: int,
    *,
    cli: bool,
    newsboat: bool,
    repeat: int = 1,
    item_bytes: int = ITEM_BYTES,
) -> dict[str, Any]:
    """Each contender `repeat` times, taking turns (so a slower spell of a shared machine
    falls on all of them), each time into a fresh store; the figures are medians."""
    server, urls, size = start_server(feeds, items, item_bytes)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
            runs: dict[str, list[dict[str, Any]]] = {"refresh_feeds": [], "cli": [], "nb": []}
            for turn in range(repeat):
                scratch = Path(tmp) / str(turn)
                scratch.mkdir()
                runs["refresh_feeds"].append(bench_in_process(urls, scratch))
                if cli and (figures := bench_cli(urls, scratch)) is not None:
                    runs["cli"].append(figures)
                if newsboat and (figures := bench_newsboat(urls, scratch)) is not None:
                    runs["nb"].append(figures)
            memory = Path(tmp) / "memory"
            memory.mkdir()
            if runs["cli"] and (command := cli_command(urls, memory)):
                runs["cli"][-1]["peak_pss_kb"] = peak_tree_pss(command)
            if runs["nb"] and (command := newsboat_command(urls, memory)):
                runs["nb"][-1]["peak_pss_kb"] = peak_tree_pss(command)
            return {
                "feeds": feeds,
                "items": items,
                "item_bytes": item_bytes,
                "feed_bytes": size,
                "repeat": repeat,
                "refresh_feeds": _medians(runs["refresh_feeds"]),
                "tuinews_cli": _medians(runs["cli"]),
                "newsboat": _medians(runs["nb"]),
            }
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=10)


def _medians(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The median of each number over the runs (other values from the last run)."""
    if not runs:
        return None
    merged = dict(runs[-1])
    spread: dict[str, list[float]] = {}
    for key, value in runs[-1].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            values = [run[key] for run in runs if isinstance(run.get(key), int | float)]
            merged[key] = statistics.median(values)
            if len(values) > 1:
                spread[key] = [min(values), max(values)]
    if spread:
        merged["spread"] = spread
    return merged


def _mb(kb: object) -> str:
    return f"{kb / 1024:.0f} MB" if isinstance(kb, int | float) and kb > 0 else "-"


@functools.cache
def _interpreter() -> str:
    """The Python that runs the `tuinews` command: its build counts. Debian's python3
    (built with profile-guided and link-time optimisation, libpython linked into the
    executable) ran the 100 x 1000 refresh 13% quicker than a build from source without
    them (pyenv's, libpython as a shared library) on the same machine."""
    python = VENV_BIN / "python"
    if not python.exists():
        return "-"
    code = "import sys; print(sys.version.replace(chr(10), ' '))"
    version = subprocess.run([python, "-c", code], capture_output=True, text=True).stdout
    return f"Python {version.strip()} at {os.path.realpath(python)}"


def _s(value: object) -> str:
    return f"{value:.2f} s" if isinstance(value, float) else "-"


def print_case(case: dict[str, Any]) -> None:
    repeat = case.get("repeat", 1)
    runs = f", medians of {repeat} runs each" if repeat > 1 else ""
    print(
        f"\n{case['feeds']} feeds x {case['items']} items"
        f" ({case['feed_bytes'] / 1e6:.1f} MB of feeds;"
        f" load average {os.getloadavg()[0]:.1f}{runs})"
    )
    print(f"tuinews under {_interpreter()}")
    header = (
        f"{'':28}{'first':>10}{'second':>10}{'peak RSS':>11}{'tree PSS':>11}"
        f"{'CPU 1st':>10}{'CPU 2nd':>10}"
    )
    print(header)
    rows: list[tuple[str, dict[str, Any] | None]] = [
        ("refresh_feeds (in-process)", case["refresh_feeds"]),
        ("tuinews refresh (command)", case["tuinews_cli"]),
        ("newsboat -x reload", case["newsboat"]),
    ]
    for name, data in rows:
        if data is None:
            print(f"{name:28}{'not run':>10}")
            continue
        print(
            f"{name:28}{_s(data.get('first_s')):>10}{_s(data.get('second_s')):>10}"
            f"{_mb(data.get('peak_rss_kb')):>11}{_mb(data.get('peak_pss_kb')):>11}"
            f"{_s(data.get('first_cpu_s')):>10}{_s(data.get('second_cpu_s')):>10}"
        )
        spread = data.get("spread", {}).get("first_s")
        if spread:
            print(f"{'':28}first refresh ranged {spread[0]:.2f}-{spread[1]:.2f} s")
        if data.get("worker_peak_rss_kb"):
            print(f"{'':28}{'each parsing worker peaked at':>30} {_mb(data['worker_peak_rss_kb'])}")
        if data.get("first_search_s") is not None:
            print(
                f"{'':28}then `list --search 77` ({data['search_results']} lines):"
                f" {_s(data['first_search_s'])} (indexes the refresh's articles),"
                f" again {_s(data['next_search_s'])}"
            )
    newsboat = case["newsboat"]
    if isinstance(newsboat, dict):
        for name, data in rows[:2]:
            if not isinstance(data, dict):
                continue
            ratio_first = float(data["first_s"]) / float(newsboat["first_s"])
            ratio_second = float(data["second_s"]) / float(newsboat["second_s"])
            ratio_rss = int(data["peak_rss_kb"]) / int(newsboat["peak_rss_kb"])
            ratios = {"first": ratio_first, "second": ratio_second, "peak_rss": ratio_rss}
            line = (
                f"  {name} / newsboat: first {ratio_first:.2f}, second {ratio_second:.2f},"
                f" peak RSS {ratio_rss:.2f}"
            )
            if data.get("peak_pss_kb") and newsboat.get("peak_pss_kb"):
                ratios["tree_pss"] = int(data["peak_pss_kb"]) / int(newsboat["peak_pss_kb"])
                line += f", tree PSS {ratios['tree_pss']:.2f}"
            print(line)
            case.setdefault("ratios", {})[name] = ratios


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, action="append")
    parser.add_argument("--items", type=int, action="append")
    parser.add_argument(
        "--item-bytes",
        type=int,
        default=ITEM_BYTES,
        help=f"size of an item (default {ITEM_BYTES}); 0: the tests' small items",
    )
    parser.add_argument("--no-cli", action="store_true")
    parser.add_argument("--no-newsboat", action="store_true")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each contender, in turns (medians)"
    )
    parser.add_argument("--worker", nargs=2, metavar=("URLS", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.worker[0]), Path(args.worker[1]))
        return 0
    feeds = args.feeds or [50, 100]
    items = args.items or [200, 1000]
    if len(feeds) != len(items):
        parser.error("give --feeds and --items the same number of times")
    cases = []
    for n_feeds, n_items in zip(feeds, items, strict=True):
        case = run_case(
            n_feeds,
            n_items,
            cli=not args.no_cli,
            newsboat=not args.no_newsboat,
            repeat=max(1, args.repeat),
            item_bytes=args.item_bytes,
        )
        print_case(case)
        cases.append(case)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "python": _interpreter(),
        "load_average": os.getloadavg(),
        "cases": cases,
    }
    RESULTS.write_text(json.dumps(record, indent=2) + "\n")
    print()
    print(json.dumps(record))
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
