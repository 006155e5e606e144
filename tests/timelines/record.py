#!/usr/bin/env python3
"""Run an alert *timeline* against Alertmanager or Herald and record the webhooks.

Usage:
  record.py --server alertmanager|herald --scenario NAME --out FILE.json
  record.py --server herald --scenario all --out-dir DIR     (every scenario)
  record.py --compare A.json B.json [--threshold 0.3]
  record.py --export RECORDING.json DIR   (write DIR/<scenario>.json, the form tests/it/timelines.rs replays)
  record.py --list

To refresh the recordings that `cargo test` replays (needs Debian's prometheus-alertmanager):
  python3 tests/timelines/record.py --server alertmanager --scenario all --out-dir /tmp/am
  for f in /tmp/am/*.json; do python3 tests/timelines/record.py --export $f tests/timelines; done

HERALD_BIN (default target/debug/herald) and AM_BIN choose the binaries. Everything runs on loopback.
Stdlib only.
"""
import argparse
import datetime
import difflib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERALD_BIN = os.environ.get("HERALD_BIN", "target/debug/herald")
AM_BIN = os.environ.get("AM_BIN", "prometheus-alertmanager")
READY_TIMEOUT = 30.0  # seconds

# ---------------------------------------------------------------------------
# Scenarios.
#
# A step is {"at": seconds-from-t0, "alerts": [alert, ...]} where an alert is
#   {"labels": {...}, "startsAt": X, "endsAt": X}
# and X is one of: absent/None (field omitted), "now" (time of the post),
# a number (offset in seconds from t0, may be negative), or "first" (the time
# this label set was first posted by this run).
# A step {"at": t, "repost": "A"} re-sends the exact payload of the alert whose
# step alert carried "name": "A" (unchanged).
# A step {"at": t, "silence": {"name": "s1", "matchers": [{"name", "value", "isRegex", "isEqual"}, ...],
# "duration": seconds}} creates a silence (POST /api/v2/silences, startsAt=now, endsAt=now+duration) and
# remembers its silenceID under "s1"; {"at": t, "expire": "s1"} expires it (DELETE /api/v2/silence/<id>).
#
# Besides "route" and "receivers", a scenario may carry "inhibit_rules" (list of {"source_matchers",
# "target_matchers", "equal"}) and "time_intervals" (list of {"name", "time_intervals": [{...}]});
# routes may carry "mute_time_intervals" / "active_time_intervals" (lists of names).
# ---------------------------------------------------------------------------

def receiver(name, sink, send_resolved=True):
    return {"name": name, "url": f"{sink}/{name}", "send_resolved": send_resolved}


def base_route(**kw):
    r = {"receiver": "hook", "group_by": ["alertname"], "group_wait": "1s",
         "group_interval": "3s", "repeat_interval": "1h"}
    r.update(kw)
    return r


def matcher(name, value, is_regex=False, is_equal=True):
    return {"name": name, "value": value, "isRegex": is_regex, "isEqual": is_equal}


def scenarios(sink):
    S = {}
    S["batching"] = {
        "duration": 12.0,
        "route": base_route(),
        "receivers": [receiver("hook", sink)],
        "steps": [
            {"at": 0.0, "alerts": [{"name": "A", "labels": {"alertname": "X", "i": "1"}}]},
            {"at": 0.3, "alerts": [{"labels": {"alertname": "X", "i": "2"}}]},
            {"at": 2.0, "alerts": [{"labels": {"alertname": "X", "i": "3"}}]},
            {"at": 4.5, "repost": "A"},
        ],
    }
    S["resolve"] = {
        "duration": 14.0,
        "route": base_route(),
        "receivers": [receiver("hook", sink)],
        "steps": [
            {"at": 0.0, "alerts": [{"labels": {"alertname": "R"}}]},
            {"at": 0.2, "alerts": [{"labels": {"alertname": "R", "i": "2"}}]},
            {"at": 2.0, "alerts": [{"labels": {"alertname": "R"}, "startsAt": "first", "endsAt": "now"}]},
            {"at": 5.0, "alerts": [{"labels": {"alertname": "R", "i": "2"}, "startsAt": "first", "endsAt": "now"}]},
            {"at": 8.5, "alerts": [{"labels": {"alertname": "R"}, "startsAt": "now"}]},
        ],
    }
    S["repeat"] = {
        "duration": 15.0,
        "route": base_route(repeat_interval="4s"),
        "receivers": [receiver("hook", sink)],
        "steps": [{"at": 0.0, "alerts": [{"labels": {"alertname": "X"}}]}],
    }
    S["groups_and_continue"] = {
        "duration": 5.0,
        "route": base_route(receiver="hook-root", group_by=["alertname", "cluster"], routes=[
            {"receiver": "hook-a", "matchers": ['team="a"'], "continue": True},
            {"receiver": "hook-b", "matchers": ['team="a"']},
        ]),
        "receivers": [receiver("hook-root", sink), receiver("hook-a", sink), receiver("hook-b", sink)],
        "steps": [{"at": 0.0, "alerts": [
            {"labels": {"alertname": "A", "cluster": "c1", "team": "a"}},
            {"labels": {"alertname": "A", "cluster": "c2", "team": "a"}},
            {"labels": {"alertname": "B", "cluster": "c1", "team": "z"}},
        ]}],
    }
    S["old_alert"] = {
        "duration": 13.0,
        "route": base_route(group_wait="10s"),
        "receivers": [receiver("hook", sink)],
        "steps": [{"at": 0.0, "alerts": [{"labels": {"alertname": "Old"}, "startsAt": -3600.0}]}],
    }
    S["send_resolved_false"] = {
        "duration": 8.0,
        "route": base_route(receiver="hook-root", routes=[
            {"receiver": "hook-sr-true", "matchers": ['alertname="X"'], "continue": True},
            {"receiver": "hook-sr-false", "matchers": ['alertname="X"']},
        ]),
        "receivers": [receiver("hook-root", sink), receiver("hook-sr-true", sink),
                      receiver("hook-sr-false", sink, send_resolved=False)],
        "steps": [
            {"at": 0.0, "alerts": [{"labels": {"alertname": "X"}}]},
            {"at": 2.0, "alerts": [{"labels": {"alertname": "X"}, "startsAt": "first", "endsAt": "now"}]},
        ],
    }
    S["silence_mid_group"] = {
        "duration": 11.0,
        "route": base_route(),
        "receivers": [receiver("hook", sink)],
        "steps": [
            {"at": 0.0, "alerts": [{"labels": {"alertname": "S", "i": "1"}},
                                   {"labels": {"alertname": "S", "i": "2"}}]},
            {"at": 1.5, "silence": {"name": "s1", "matchers": [matcher("alertname", "S"), matcher("i", "1")],
                                    "duration": 3600}},
            {"at": 2.0, "alerts": [{"labels": {"alertname": "S", "i": "3"}}]},
            {"at": 4.5, "expire": "s1"},
        ],
    }
    S["inhibition"] = {
        "duration": 9.0,
        "route": base_route(),
        "receivers": [receiver("hook", sink)],
        "inhibit_rules": [{"source_matchers": ['severity="critical"'],
                           "target_matchers": ['severity="warning"'],
                           "equal": ["cluster"]}],
        "steps": [
            {"at": 0.0, "alerts": [
                {"labels": {"alertname": "Down", "severity": "critical", "cluster": "a"}},
                {"labels": {"alertname": "Slow", "severity": "warning", "cluster": "a"}},
                {"labels": {"alertname": "Other", "severity": "warning", "cluster": "b"}},
            ]},
            {"at": 2.0, "alerts": [{"labels": {"alertname": "Down", "severity": "critical", "cluster": "a"},
                                    "startsAt": "first", "endsAt": "now"}]},
        ],
    }
    S["mute_interval"] = {
        "duration": 5.0,
        "route": base_route(receiver="hook-root", routes=[
            {"receiver": "hook-muted", "matchers": ['team="night"'], "mute_time_intervals": ["always"]},
            {"receiver": "hook-active", "matchers": ['team="day"'], "active_time_intervals": ["never"]},
            {"receiver": "hook-ok", "matchers": ['team="ok"'], "active_time_intervals": ["always"]},
        ]),
        "receivers": [receiver("hook-root", sink), receiver("hook-muted", sink),
                      receiver("hook-active", sink), receiver("hook-ok", sink)],
        "time_intervals": [
            {"name": "always", "time_intervals": [{"weekdays": ["sunday:saturday"]}]},
            {"name": "never", "time_intervals": [{"years": ["2000"]}]},
        ],
        "steps": [{"at": 0.0, "alerts": [
            {"labels": {"alertname": "M", "team": "night"}},
            {"labels": {"alertname": "M", "team": "day"}},
            {"labels": {"alertname": "M", "team": "ok"}},
            {"labels": {"alertname": "M"}},
        ]}],
    }
    return S


SCENARIO_NAMES = ["batching", "resolve", "repeat", "groups_and_continue", "old_alert", "send_resolved_false",
                  "silence_mid_group", "inhibition", "mute_interval"]

# ---------------------------------------------------------------------------
# Config (hand-written YAML; values are quoted JSON strings, which YAML accepts).
# ---------------------------------------------------------------------------

def q(s):
    return json.dumps(s)


def yaml_value(k, v, p):
    """Block YAML for key k with value v (scalars, lists, dicts), indented by the prefix p."""
    if isinstance(v, bool):
        return [f"{p}{k}: {'true' if v else 'false'}"]
    if isinstance(v, dict):
        out = [f"{p}{k}:"]
        for kk, vv in v.items():
            out += yaml_value(kk, vv, p + "  ")
        return out
    if isinstance(v, list):
        if all(not isinstance(x, (dict, list)) for x in v):
            return [f"{p}{k}: [{', '.join(q(x) for x in v)}]"]
        out = [f"{p}{k}:"]
        for x in v:
            out += yaml_item(x, p)
        return out
    return [f"{p}{k}: {q(v)}"]


def yaml_item(x, p):
    """A block-sequence item "- ..." at prefix p (x a dict or scalar)."""
    if not isinstance(x, dict):
        return [f"{p}- {q(x)}"]
    out = []
    for kk, vv in x.items():
        out += yaml_value(kk, vv, p + "  ")
    if not out:
        return [f"{p}- {{}}"]
    out[0] = p + "- " + out[0][len(p) + 2:]
    return out


def route_yaml(r, indent):
    p = " " * indent
    out = []
    for k in ("receiver", "group_by", "group_wait", "group_interval", "repeat_interval", "matchers", "continue",
              "mute_time_intervals", "active_time_intervals"):
        if k not in r:
            continue
        v = r[k]
        if isinstance(v, bool):
            out.append(f"{p}{k}: {'true' if v else 'false'}")
        elif isinstance(v, list):
            out.append(f"{p}{k}: [{', '.join(q(x) for x in v)}]")
        else:
            out.append(f"{p}{k}: {q(v)}")
    if r.get("routes"):
        out.append(f"{p}routes:")
        for child in r["routes"]:
            lines = route_yaml(child, indent + 2)
            lines[0] = p + "- " + lines[0][indent + 2:]
            out.extend(lines)
    return out


def config_yaml(sc):
    lines = ["route:"] + route_yaml(sc["route"], 2) + ["receivers:"]
    for rc in sc["receivers"]:
        lines += [f"- name: {q(rc['name'])}",
                  "  webhook_configs:",
                  f"  - url: {q(rc['url'])}",
                  f"    send_resolved: {'true' if rc['send_resolved'] else 'false'}"]
    if sc.get("inhibit_rules"):
        lines.append("inhibit_rules:")
        for rule in sc["inhibit_rules"]:
            lines += yaml_item({k: rule[k] for k in ("source_matchers", "target_matchers", "equal") if k in rule}, "")
    if sc.get("time_intervals"):
        lines.append("time_intervals:")
        for ti in sc["time_intervals"]:
            lines += yaml_item({"name": ti["name"], "time_intervals": ti["time_intervals"]}, "")
    return "\n".join(lines) + "\n"

# ---------------------------------------------------------------------------
# Webhook sink.
# ---------------------------------------------------------------------------

class Sink:
    def __init__(self):
        self.records = []
        self.lock = threading.Lock()
        self.t0 = None  # monotonic
        self.t0_wall = None
        sink = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                now = time.monotonic()
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n) if n else b""
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
                sink.add(now, self.path, raw)

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def add(self, now, path, raw):
        rec = {"offset": None if self.t0 is None else round(now - self.t0, 3), "path": path}
        try:
            body = json.loads(raw)
            alerts = []
            for a in body.get("alerts", []):
                alerts.append({
                    "labels": dict(sorted((a.get("labels") or {}).items())),
                    "status": a.get("status"),
                    "startsAt": wall_offset(a.get("startsAt"), self.t0_wall),
                    "endsAt": wall_offset(a.get("endsAt"), self.t0_wall),
                })
            alerts.sort(key=lambda a: json.dumps(a["labels"], sort_keys=True))
            rec.update({
                "receiver": body.get("receiver"),
                "status": body.get("status"),
                "groupKey": body.get("groupKey"),
                "groupLabels": dict(sorted((body.get("groupLabels") or {}).items())),
                "commonLabels": dict(sorted((body.get("commonLabels") or {}).items())),
                "truncatedAlerts": body.get("truncatedAlerts"),
                "version": body.get("version"),
                "alerts": alerts,
            })
        except Exception as e:  # keep a raw copy when the body is not the expected JSON
            rec["error"] = f"bad body: {e}"
            rec["raw"] = raw.decode("utf-8", "replace")[:2000]
        with self.lock:
            self.records.append(rec)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()

# ---------------------------------------------------------------------------
# Time helpers.
# ---------------------------------------------------------------------------

def rfc3339(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_rfc3339(s):
    if not s:
        return None
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    # trim fractional seconds to 6 digits for fromisoformat
    if "." in s:
        head, rest = s.split(".", 1)
        i = 0
        while i < len(rest) and rest[i].isdigit():
            i += 1
        frac, tz = rest[:i], rest[i:]
        s = head + "." + (frac[:6].ljust(6, "0")) + tz
    try:
        return datetime.datetime.fromisoformat(s).timestamp()
    except ValueError:
        return None


def wall_offset(s, t0_wall):
    """Offset (s) of an RFC 3339 time from t0; None for missing; "zero" for Go's zero time."""
    if s is None:
        return None
    if s.startswith("0001-01-01"):
        return "zero"
    ts = parse_rfc3339(s)
    if ts is None or t0_wall is None:
        return s
    return round(ts - t0_wall, 1)

# ---------------------------------------------------------------------------
# Servers.
# ---------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(kind, cfg_path, data_dir, port, log_path):
    if kind == "alertmanager":
        cmd = [AM_BIN, f"--config.file={cfg_path}", f"--storage.path={data_dir}",
               f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"]
    elif kind == "herald":
        cmd = [HERALD_BIN, "serve", "--config", cfg_path, "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir]
    else:
        raise SystemExit(f"unknown server {kind}")
    log = open(log_path, "wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return proc, log, cmd


def wait_ready(base, proc, timeout=READY_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/-/ready", timeout=1) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.05)
    raise RuntimeError("server not ready in time")


def stop_server(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def post_json(url, payload, method="POST"):
    data = None if payload is None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"} if data is not None else {}
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode("utf-8", "replace")[:500]
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")[:500]
    except Exception as e:
        return None, str(e)

# ---------------------------------------------------------------------------
# Running a scenario.
# ---------------------------------------------------------------------------

def resolve_time(spec, key, t0_wall, now_wall, first):
    if spec is None:
        return None
    if spec == "now":
        return rfc3339(now_wall)
    if spec == "first":
        return rfc3339(first.get(key, now_wall))
    return rfc3339(t0_wall + float(spec))


def run_scenario(kind, name, out):
    sink = Sink()
    sc = scenarios(sink.url)[name]
    cfg = config_yaml(sc)
    tmp = tempfile.mkdtemp(prefix=f"timeline-{kind}-{name}-")
    data_dir = os.path.join(tmp, "data")
    os.makedirs(data_dir)
    cfg_path = os.path.join(tmp, "config.yml")
    with open(cfg_path, "w") as f:
        f.write(cfg)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = os.path.join(tmp, "server.log")
    proc, log, cmd = start_server(kind, cfg_path, data_dir, port, log_path)
    posts = []
    try:
        wait_ready(base, proc)
        t0 = time.monotonic()
        t0_wall = time.time()
        sink.t0, sink.t0_wall = t0, t0_wall
        first = {}  # label-set key -> wall time of first post
        named = {}  # name -> payload element
        silences = {}  # silence name -> silenceID
        for step in sorted(sc["steps"], key=lambda s: s["at"]):
            delay = t0 + step["at"] - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            now_wall = time.time()
            if "silence" in step:
                sil = step["silence"]
                payload = {"matchers": sil["matchers"], "startsAt": rfc3339(now_wall),
                           "endsAt": rfc3339(now_wall + float(sil["duration"])),
                           "createdBy": "record.py", "comment": f"timeline {name}: silence {sil['name']}"}
                off = round(time.monotonic() - t0, 3)
                code, body = post_json(base + "/api/v2/silences", payload)
                sid = None
                if code == 200:
                    try:
                        sid = json.loads(body).get("silenceID")
                    except Exception:
                        sid = None
                    if sid:
                        silences[sil["name"]] = sid
                posts.append({"at": step["at"], "offset": off,
                              "silence": {"name": sil["name"], "matchers": sil["matchers"],
                                          "duration": sil["duration"]},
                              "payload": payload, "silenceID": sid, "http_status": code,
                              "response": body if (code != 200 or not sid) else ""})
                continue
            if "expire" in step:
                sid = silences.get(step["expire"])
                off = round(time.monotonic() - t0, 3)
                if sid is None:
                    code, body = None, f"unknown silence name {step['expire']!r}"
                else:
                    code, body = post_json(base + f"/api/v2/silence/{sid}", None, method="DELETE")
                posts.append({"at": step["at"], "offset": off, "expire": step["expire"], "silenceID": sid,
                              "http_status": code, "response": body if code != 200 else ""})
                continue
            if "repost" in step:
                payload = [named[step["repost"]]]
            else:
                payload = []
                for a in step["alerts"]:
                    key = json.dumps(a["labels"], sort_keys=True)
                    first.setdefault(key, now_wall)
                    el = {"labels": a["labels"]}
                    sa = resolve_time(a.get("startsAt"), key, t0_wall, now_wall, first)
                    ea = resolve_time(a.get("endsAt"), key, t0_wall, now_wall, first)
                    if sa:
                        el["startsAt"] = sa
                    if ea:
                        el["endsAt"] = ea
                    if "name" in a:
                        named[a["name"]] = el
                    payload.append(el)
            off = round(time.monotonic() - t0, 3)
            code, body = post_json(base + "/api/v2/alerts", payload)
            posts.append({"at": step["at"], "offset": off, "payload": payload, "http_status": code,
                          "response": body if code != 200 else ""})
        delay = t0 + sc["duration"] - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            with urllib.request.urlopen(base + "/api/v2/alerts/groups", timeout=3) as r:
                final_groups = json.loads(r.read())
        except Exception as e:
            final_groups = f"error: {e}"
    finally:
        stop_server(proc)
        log.close()
        time.sleep(0.2)  # let any in-flight webhook land
        sink.stop()
    with open(log_path, "rb") as f:
        log_tail = f.read().decode("utf-8", "replace").splitlines()[-40:]
    with sink.lock:
        notes = sorted(sink.records, key=lambda r: (r["offset"] if r["offset"] is not None else -1))
    result = {
        "server": kind, "scenario": name, "duration": sc["duration"], "command": cmd,
        "t0_wall": rfc3339(t0_wall), "config": cfg, "posts": posts,
        "notifications": notes,
        "final_groups": final_groups, "server_log_tail": log_tail,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
    shutil.rmtree(tmp, ignore_errors=True)
    return result

# ---------------------------------------------------------------------------
# Printing and comparing.
# ---------------------------------------------------------------------------

def fmt_alerts(n):
    out = []
    for a in n.get("alerts", []):
        lab = dict(a["labels"])
        an = lab.pop("alertname", "?")
        extra = ",".join(f"{k}={v}" for k, v in lab.items())
        out.append(f"{an}{{{extra}}}:{'F' if a['status'] == 'firing' else 'R' if a['status'] == 'resolved' else a['status']}")
    return " ".join(out)


def fmt_note(n):
    return f"{n['offset']:7.3f}  {n.get('receiver')!s:14} {n.get('status')!s:8} [{fmt_alerts(n)}]"


def print_list(res):
    print(f"== {res['server']} / {res['scenario']} ({len(res['notifications'])} notifications)")
    bad = [p for p in res["posts"] if p["http_status"] != 200]
    for p in bad:
        what = "silence" if "silence" in p else "expire" if "expire" in p else "POST"
        print(f"   {what} at {p['at']} -> {p['http_status']} {p['response']}")
    for n in res["notifications"]:
        print("  " + fmt_note(n))


def content(n):
    alerts = tuple(sorted((json.dumps(a["labels"], sort_keys=True), a["status"]) for a in n.get("alerts", [])))
    return (n.get("path"), n.get("receiver"), n.get("status"), n.get("groupKey"),
            json.dumps(n.get("groupLabels"), sort_keys=True), alerts)


def align_key(n):
    # Align on receiver + group labels (not groupKey), so a groupKey mismatch
    # shows as a content difference rather than as two unrelated streams.
    return (n.get("path"), n.get("receiver"), json.dumps(n.get("groupLabels"), sort_keys=True))


def describe_diff(a, b):
    names = ["path", "receiver", "status", "groupKey", "groupLabels", "alerts"]
    ca, cb = content(a), content(b)
    out = []
    for k, x, y in zip(names, ca, cb):
        if x != y:
            if k == "alerts":
                x, y = fmt_alerts(a), fmt_alerts(b)
            out.append(f"{k}: {x!r} != {y!r}")
    return "; ".join(out)


def compare(fa, fb, threshold=0.3):
    A, B = json.load(open(fa)), json.load(open(fb))
    la, lb = A["server"], B["server"]
    print(f"# compare {A['scenario']}: A={la} ({fa})  B={lb} ({fb})")
    keys = []
    for n in A["notifications"] + B["notifications"]:
        k = align_key(n)
        if k not in keys:
            keys.append(k)
    issues = 0
    for k in keys:
        xa = [n for n in A["notifications"] if align_key(n) == k]
        xb = [n for n in B["notifications"] if align_key(n) == k]
        print(f"-- {k[1]} {k[2]}")
        sm = difflib.SequenceMatcher(a=[content(n) for n in xa], b=[content(n) for n in xb], autojunk=False)
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            pairs = []
            if tag == "equal":
                pairs = [(xa[i], xb[j], None) for i, j in zip(range(i1, i2), range(j1, j2))]
            elif tag == "replace":
                m = min(i2 - i1, j2 - j1)
                pairs = [(xa[i1 + t], xb[j1 + t], "CONTENT") for t in range(m)]
                pairs += [(xa[i], None, None) for i in range(i1 + m, i2)]
                pairs += [(None, xb[j], None) for j in range(j1 + m, j2)]
            elif tag == "delete":
                pairs = [(xa[i], None, None) for i in range(i1, i2)]
            elif tag == "insert":
                pairs = [(None, xb[j], None) for j in range(j1, j2)]
            for a, b, flag in pairs:
                if a is not None and b is not None:
                    d = b["offset"] - a["offset"]
                    marks = []
                    if flag:
                        marks.append("CONTENT: " + describe_diff(a, b))
                    if abs(d) > threshold:
                        marks.append("TIMING")
                    if marks:
                        issues += 1
                    print(f"   A={a['offset']:7.3f} B={b['offset']:7.3f} diff={d:+.3f} {a.get('status')} [{fmt_alerts(a)}]"
                          + ("  <-- " + " | ".join(marks) if marks else ""))
                elif a is not None:
                    issues += 1
                    print(f"   ONLY in A ({la}): {fmt_note(a)}")
                else:
                    issues += 1
                    print(f"   ONLY in B ({lb}): {fmt_note(b)}")
    bad = [(s, p) for s, R in (("A", A), ("B", B)) for p in R["posts"] if p["http_status"] != 200]
    for s, p in bad:
        issues += 1
        print(f"   POST failed in {s}: at {p['at']} -> {p['http_status']} {p['response']}")
    print(f"# {issues} difference(s)")
    return issues


def export(recording_path, out_dir):
    """Turns a recording into the replayable form: config with a {sink} placeholder, posts with times as
    offsets from t0, and the notifications (alerts sorted, as label=value lists with their status)."""
    import re

    def seconds(value):
        if isinstance(value, (int, float)):
            return value
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()

    rec = json.load(open(recording_path))
    t0 = seconds(rec["t0_wall"])
    posts = []
    for post in rec["posts"]:
        if "silence" in post:
            sil = post["silence"]
            posts.append({"at": post["at"], "silence": {"name": sil["name"], "matchers": sil["matchers"],
                                                        "duration": sil["duration"]}})
            continue
        if "expire" in post:
            posts.append({"at": post["at"], "expire": post["expire"]})
            continue
        alerts = []
        for alert in post["payload"]:
            out = {"labels": alert["labels"]}
            for key in ("startsAt", "endsAt"):
                if key in alert:
                    out[key] = round(seconds(alert[key]) - t0, 3)
            alerts.append(out)
        posts.append({"at": post["at"], "alerts": alerts})
    notifications = []
    for n in rec["notifications"]:
        alerts = sorted([",".join(f"{k}={v}" for k, v in sorted(a["labels"].items())), a["status"]] for a in n["alerts"])
        notifications.append({"at": n["offset"], "path": n["path"], "status": n["status"], "groupKey": n["groupKey"],
                              "groupLabels": n["groupLabels"], "alerts": alerts})
    doc = {"scenario": rec["scenario"], "recorded_with": rec["server"], "duration": rec["duration"],
           "config": re.sub(r"http://127\.0\.0\.1:\d+", "{sink}", rec["config"]), "posts": posts,
           "notifications": notifications}
    path = os.path.join(out_dir, f"{rec['scenario']}.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {path}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server", choices=["alertmanager", "herald"])
    ap.add_argument("--scenario", help="scenario name or 'all'")
    ap.add_argument("--out", help="output JSON file")
    ap.add_argument("--out-dir", help="with --scenario all: directory for <server>-<scenario>.json")
    ap.add_argument("--compare", nargs=2, metavar=("A.json", "B.json"))
    ap.add_argument("--threshold", type=float, default=0.3, help="timing difference to flag (s)")
    ap.add_argument("--list", action="store_true", help="list scenarios")
    ap.add_argument("--export", nargs=2, metavar=("RECORDING.json", "DIR"), help="write the replayable form")
    ap.add_argument("--print", dest="print_file", help="print the notification list of a recording")
    args = ap.parse_args()
    if args.list:
        print("\n".join(SCENARIO_NAMES))
        return 0
    if args.export:
        export(*args.export)
        return 0
    if args.print_file:
        print_list(json.load(open(args.print_file)))
        return 0
    if args.compare:
        return 1 if compare(*args.compare, threshold=args.threshold) else 0
    if not args.server or not args.scenario:
        ap.error("--server and --scenario are required")
    names = SCENARIO_NAMES if args.scenario == "all" else [args.scenario]
    for n in names:
        if n not in SCENARIO_NAMES:
            ap.error(f"unknown scenario {n}; known: {', '.join(SCENARIO_NAMES)}")
    if args.scenario == "all":
        if not args.out_dir:
            ap.error("--scenario all needs --out-dir")
        outs = [os.path.join(args.out_dir, f"{args.server}-{n}.json") for n in names]
    else:
        if not args.out:
            ap.error("--out is required")
        outs = [args.out]
    for n, o in zip(names, outs):
        res = run_scenario(args.server, n, o)
        print_list(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
