"""Load: the Gradio app under concurrent simulated users on loopback, for a bounded time.

    .venv/bin/python -m evals.bench_load                       20 users for 60 s
    .venv/bin/python -m evals.bench_load --users 5 --seconds 20
    .venv/bin/python -m evals.bench_load --url http://127.0.0.1:7860/   an app already running
    .venv/bin/python -m evals.bench_load --think 0                   no pause: every user asks again at once

Starts `python app.py` in a subprocess on a free 127.0.0.1 port (GRADIO_SERVER_PORT),
with its index and uploads in a temporary folder (or --index-dir), waits until it
answers, then runs --users threads. Each user holds a conversation: it walks the
questions of evals/croydon_dev.jsonl from its own starting point, and for an item
with history it first asks the earlier user turns, then the follow-up, sending
the conversation so far (its own real answers) as history. Between an answer and its next
question a user reads: --think seconds on average (exponentially distributed, seeded per user,
so runs are comparable; 0 makes every user ask again the moment an answer arrives, which
measures throughput rather than what people wait for). Calls go through
gradio_client to the app's API endpoint "ask" (question, history, collection)
-> Answer.to_dict().

Traffic goes to 127.0.0.1 only, stops at the deadline (requests in flight finish,
each bounded by --timeout), and the app is stopped at the end. Reports requests,
errors, latency p50 / p95 / p99 / max, throughput, the server's own time per
answer (retrieve + compose), and the app's RSS before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "evals" / "croydon_dev.jsonl"
ANSWER_KEYS = {"question", "answer", "abstained", "citations", "query", "collection", "mode", "timings", "confidence"}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def conversations(path: Path) -> list[list[str]]:
    """Each dev item as the user turns that lead to it: earlier questions, then the question."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            turns = [t["content"] for t in item.get("history") or [] if t.get("role") == "user"]
            out.append([*turns, item["question"]])
    return out


def is_loopback(url: str) -> bool:
    from urllib.parse import urlparse

    host = urlparse(url).hostname or ""
    return host in {"localhost", "::1"} or host.startswith("127.")


class App:
    """`python app.py` on 127.0.0.1:<port>, its log in a file; stopped on exit."""

    def __init__(self, port: int, index_dir: Path, uploads_dir: Path, log_path: Path, torch_threads: int):
        env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False",
               "ASSISTANT_INDEX_DIR": str(index_dir), "ASSISTANT_UPLOADS_DIR": str(uploads_dir),
               "HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
        if torch_threads:
            env["OMP_NUM_THREADS"] = str(torch_threads)
        self.url = f"http://127.0.0.1:{port}/"
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                                         stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app.py exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.url, timeout=3).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"app.py did not answer on {self.url} within {timeout:.0f}s:\n{self.log_tail()}")

    def rss_mb(self) -> float | None:
        try:
            import psutil

            return psutil.Process(self.proc.pid).memory_info().rss / 2**20
        except Exception:
            return None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.server: list[float] = []
        self.errors: dict[str, int] = {}
        self.abstained = 0
        self.followups = 0

    def ok(self, latency: float, answer: dict, followup: bool) -> None:
        with self.lock:
            self.latencies.append(latency)
            self.server.append(sum((answer.get("timings") or {}).values()))
            self.abstained += bool(answer.get("abstained"))
            self.followups += followup

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] = self.errors.get(kind, 0) + 1


def user(n: int, url: str, convs: list[list[str]], clock: dict, timeout: float, collection: str,
         stats: Stats, start_barrier: threading.Barrier, think: float) -> None:
    import random

    import httpx
    from gradio_client import Client

    reading = random.Random(n)

    try:
        client = Client(url, verbose=False, download_files=False, httpx_kwargs={"timeout": timeout})
    except Exception as e:
        stats.error(f"connect: {e.__class__.__name__}: {str(e)[:80]}")
        start_barrier.abort()
        return
    try:
        start_barrier.wait()  # every user connected: the clock starts (set by the barrier's action)
    except threading.BrokenBarrierError:
        return
    deadline = clock["deadline"]
    i = n * len(convs) // clock["users"]  # users start evenly spread over the set
    while time.monotonic() < deadline:
        turns = convs[i % len(convs)]
        i += 1
        history: list[dict] = []
        for k, question in enumerate(turns):
            if think > 0:
                time.sleep(reading.expovariate(1 / think))
            if time.monotonic() >= deadline:
                break
            t0 = time.perf_counter()
            try:
                job = client.submit(question, history, collection, api_name="/ask")
                answer = job.result(timeout=timeout)
                latency = time.perf_counter() - t0
                if not isinstance(answer, dict) or not ANSWER_KEYS <= set(answer) or not answer["answer"]:
                    stats.error(f"bad answer: {str(answer)[:80]}")
                    break
                stats.ok(latency, answer, followup=k > 0)
                history = [*history, {"role": "user", "content": question},
                           {"role": "assistant", "content": answer["answer"]}]
            except (TimeoutError, httpx.TimeoutException) as e:
                stats.error(f"timeout after {timeout:.0f}s ({e.__class__.__name__})")
                break
            except Exception as e:
                stats.error(f"{e.__class__.__name__}: {str(e)[:100]}")
                break
    try:
        client.close()
    except Exception:
        pass


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.bench_load", description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=20, help="concurrent simulated users (default 20)")
    p.add_argument("--seconds", type=float, default=60.0, help="how long users keep asking (default 60)")
    p.add_argument("--think", type=float, default=3.0,
                   help="mean seconds a user reads an answer before the next question (default 3; 0: none)")
    p.add_argument("--timeout", type=float, default=120.0, help="give up on one request after this many seconds")
    p.add_argument("--url", default=None, help="benchmark an app already running on loopback instead of starting one")
    p.add_argument("--index-dir", type=Path, default=None, help="the app's index folder (default: a temporary one)")
    p.add_argument("--collection", default="default")
    p.add_argument("--set", type=Path, default=DEV_SET, help="JSONL with question and history")
    p.add_argument("--startup-timeout", type=float, default=300.0, help="seconds for the app to start and warm up")
    p.add_argument("--torch-threads", type=int, default=0, help="OMP_NUM_THREADS for the app (0: torch's default)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = p.parse_args(argv)

    convs = conversations(args.set)
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    app = None
    try:
        if args.url:
            if not is_loopback(args.url):
                p.error("--url must be a loopback address (127.0.0.0/8, localhost or [::1])")
            url = args.url
        else:
            index_dir = args.index_dir or tmp / "index"
            app = App(free_port(), index_dir, tmp / "uploads", tmp / "app.log", args.torch_threads)
            url = app.url
            print(f"starting app.py on {url} (index {index_dir}, log {app.log_path}) ...", flush=True)
            t0 = time.perf_counter()
            app.wait_ready(args.startup_timeout)
            print(f"app answered after {time.perf_counter() - t0:.1f}s", flush=True)

        # One request before the clock starts: waits for the app's warm-up (index load or build).
        from gradio_client import Client

        t0 = time.perf_counter()
        first = Client(url, verbose=False, download_files=False).predict(
            "What grade did Ofsted give Croydon in 2024?", [], args.collection, api_name="/ask")
        if not isinstance(first, dict) or not first.get("answer"):
            raise RuntimeError(f"the first answer is malformed: {first!r}")
        print(f"first answer after {time.perf_counter() - t0:.1f}s (index loaded)", flush=True)
        rss_start = app.rss_mb() if app else None

        stats = Stats()
        clock: dict[str, float] = {"users": args.users}

        def start_clock() -> None:
            clock["start"] = time.monotonic()
            clock["deadline"] = clock["start"] + args.seconds

        barrier = threading.Barrier(args.users + 1, action=start_clock)
        threads = [threading.Thread(target=user, args=(n, url, convs, clock, args.timeout, args.collection, stats,
                                                       barrier, args.think), daemon=True, name=f"user-{n}")
                   for n in range(args.users)]
        for t in threads:
            t.start()
        try:
            barrier.wait(timeout=args.startup_timeout)
        except threading.BrokenBarrierError:
            raise RuntimeError(f"not every user could connect: {stats.errors}") from None
        for t in threads:
            t.join(timeout=args.seconds + args.timeout + 60)
        elapsed = time.monotonic() - clock["start"]
        rss_end = app.rss_mb() if app else None

        lat = stats.latencies
        n_err = sum(stats.errors.values())
        summary = {
            "users": args.users, "think_s": args.think, "seconds": round(elapsed, 1), "requests": len(lat) + n_err, "ok": len(lat),
            "errors": n_err, "error_kinds": stats.errors, "follow_ups": stats.followups,
            "abstained": stats.abstained,
            "p50_s": round(statistics.median(lat), 3) if lat else None,
            "p95_s": round(percentile(lat, 95), 3) if lat else None,
            "p99_s": round(percentile(lat, 99), 3) if lat else None,
            "max_s": round(max(lat), 3) if lat else None,
            "throughput_rps": round(len(lat) / elapsed, 2) if elapsed else None,
            "server_p50_ms": round(1000 * statistics.median(stats.server), 1) if stats.server else None,
            "server_p95_ms": round(1000 * percentile(stats.server, 95), 1) if stats.server else None,
            "app_rss_start_mb": round(rss_start, 1) if rss_start else None,
            "app_rss_end_mb": round(rss_end, 1) if rss_end else None,
        }
        print()
        print(f"{'users':>6} {'seconds':>8} {'requests':>9} {'errors':>7} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} "
              f"{'max s':>7} {'req/s':>7}")
        print(f"{args.users:>6} {elapsed:>8.1f} {summary['requests']:>9} {n_err:>7} {summary['p50_s'] or 0:>7.2f} "
              f"{summary['p95_s'] or 0:>7.2f} {summary['p99_s'] or 0:>7.2f} {summary['max_s'] or 0:>7.2f} "
              f"{summary['throughput_rps'] or 0:>7.2f}")
        print(f"\nusers read each answer for {args.think:g} s on average; load average "
              f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        print(f"{summary['follow_ups']} of the answered requests were follow-ups, {summary['abstained']} abstained; "
              f"server time per answer (retrieve + compose) p50 {summary['server_p50_ms']} ms, "
              f"p95 {summary['server_p95_ms']} ms")
        if rss_start:
            print(f"app RSS {rss_start:.1f} MB before the load, {rss_end:.1f} MB after")
        for kind, count in stats.errors.items():
            print(f"  error x{count}: {kind}")
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(summary, indent=2))
        return 0 if n_err == 0 and lat else 1
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if app is not None:
            app.stop()
            if app.proc.returncode not in (0, -15, None):
                print(f"app.py exited with {app.proc.returncode}; log tail:\n{app.log_tail(1500)}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)  # an --index-dir outside it is kept


if __name__ == "__main__":
    sys.exit(main())
