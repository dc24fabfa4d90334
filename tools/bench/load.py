"""Bounded load on 127.0.0.1: wrk when installed, else threads with keep-alive http.client.

Both take a list of prepared requests (method, path, headers, body) and cycle through them;
write benchmarks hand in enough distinct requests that none repeats within a run.
A paced run (``rate=``) sends at a fixed rate and measures latency from the moment each
request was due, so a slow server cannot hide its queueing (no coordinated omission).
"""

from __future__ import annotations

import http.client
import json
import math
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

USER_AGENT = "civic-bench/1.0"


@dataclass
class Req:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    k = min(len(values) - 1, max(0, math.ceil(q * len(values)) - 1))
    return values[k]


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


# ---- wrk ---------------------------------------------------------------------------------------



def _lua_script(path: Path) -> str:
    # One request per line: METHOD \t PATH \t HEADERS (k\x1fv\x1e…) \t BODY; tabs never occur in values.
    return (
        'local reqs = {}\nlocal i = 0\n'
        'init = function(args)\n'
        f'  for line in io.lines("{path}") do\n'
        '    local parts = {}\n'
        '    for piece in string.gmatch(line .. "\\t", "([^\\t]*)\\t") do table.insert(parts, piece) end\n'
        '    local headers = {}\n'
        '    if parts[3] ~= "" then\n'
        '      for pair in string.gmatch(parts[3], "([^\\30]+)") do\n'
        '        local k, v = string.match(pair, "^([^\\31]*)\\31(.*)$")\n'
        '        headers[k] = v\n'
        '      end\n'
        '    end\n'
        '    local body = nil\n'
        '    if parts[4] ~= "" then body = parts[4] end\n'
        '    table.insert(reqs, wrk.format(parts[1], parts[2], headers, body))\n'
        '  end\n'
        'end\n'
        'request = function()\n  i = i + 1\n  if i > #reqs then i = 1 end\n  return reqs[i]\nend\n'
        'done = function(summary, latency, requests)\n'
        '  io.write(string.format("BENCHJSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"p50_us\\": %d, '
        '\\"p99_us\\": %d, \\"connect\\": %d, \\"read\\": %d, \\"write\\": %d, \\"status\\": %d, \\"timeout\\": %d}\\n",\n'
        '    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),\n'
        '    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,\n'
        '    summary.errors.timeout))\n'
        'end\n'
    )


def _write_requests(reqs: list[Req], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for r in reqs:
            headers = "\x1e".join(f"{k}\x1f{v}" for k, v in r.headers.items())
            for value in (r.path, headers, r.body):
                if "\t" in value or "\n" in value:
                    raise ValueError("tab or newline in a bench request")
            fh.write(f"{r.method}\t{r.path}\t{headers}\t{r.body}\n")


def run_wrk(base: str, reqs: list[Req], seconds: float, connections: int = 4, timeout: float = 10) -> Result:
    with tempfile.TemporaryDirectory(prefix="civic-wrk-") as tmp:
        req_file = Path(tmp) / "requests.tsv"
        _write_requests(reqs, req_file)
        script = Path(tmp) / "script.lua"
        script.write_text(_lua_script(req_file))
        cmd = [
            "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", f"--timeout={int(timeout)}s",
            "-s", str(script), "-H", f"User-Agent: {USER_AGENT}", base,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + timeout + 30, check=False)  # noqa: S603
    match = re.search(r"BENCHJSON (\{.*\})", out.stdout)
    if not match:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    data = json.loads(match.group(1))
    errors = data["connect"] + data["read"] + data["write"] + data["status"] + data["timeout"]
    return Result(
        requests=data["requests"], seconds=data["duration_us"] / 1e6, p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000, errors=errors, tool="wrk",
    )


# ---- Python: threads, keep-alive, optional pacing ------------------------------------------------


def send(conn: http.client.HTTPConnection, r: Req) -> tuple[int, bytes, http.client.HTTPResponse]:
    headers = {"User-Agent": USER_AGENT, **r.headers}
    body = r.body.encode() if r.body else None
    try:
        conn.request(r.method, r.path, body=body, headers=headers)
        resp = conn.getresponse()
    except (http.client.HTTPException, OSError):
        conn.close()  # the server closed a kept-alive connection: try once more on a new one
        conn.request(r.method, r.path, body=body, headers=headers)
        resp = conn.getresponse()
    data = resp.read()
    if resp.getheader("Connection", "").lower() == "close":
        conn.close()
    return resp.status, data, resp


def run_python(base: str, reqs: list[Req], seconds: float, connections: int = 4, rate: float | None = None,
               timeout: float = 10, ok_statuses=range(200, 400)) -> Result:
    """``connections`` threads for ``seconds``; with ``rate``, paced at ``rate`` requests/s in all."""
    url = urlsplit(base)
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = [0]
    counter = [0]
    start = time.monotonic()
    stop_at = start + seconds

    def next_req() -> Req:
        with lock:
            counter[0] += 1
            return reqs[(counter[0] - 1) % len(reqs)]

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
        interval = connections / rate if rate else 0.0
        due = start + (index * interval / connections if rate else 0.0)
        mine: list[float] = []
        while True:
            if rate:
                now = time.monotonic()
                if due > now:
                    time.sleep(due - now)
                t0 = due
                due += interval
            else:
                t0 = time.monotonic()
            if t0 >= stop_at:
                break
            r = next_req()
            try:
                status, _body, _resp = send(conn, r)
            except (http.client.HTTPException, OSError):
                status = 0
                conn.close()
            mine.append((time.monotonic() - t0) * 1000)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status not in ok_statuses:
                    errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(seconds + timeout + 5)
    elapsed = max(time.monotonic() - start, 1e-6)
    return Result(
        requests=len(latencies), seconds=min(elapsed, seconds + timeout), p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99), errors=errors[0], tool="python" + (" paced" if rate else ""),
        statuses=statuses,
    )


def run(base: str, reqs: list[Req], seconds: float, connections: int = 4, use_wrk: bool | None = None) -> Result:
    """Closed-loop maximum throughput: wrk when installed, else the Python generator."""
    if use_wrk is None:
        use_wrk = have_wrk()
    if use_wrk:
        return run_wrk(base, reqs, seconds, connections)
    return run_python(base, reqs, seconds, connections)
