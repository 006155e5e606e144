#!/usr/bin/env python3
"""Records what amtool (Alertmanager 0.25, Debian's prometheus-alertmanager) prints for each case in
cases.json, into expected.jsonl. The Rust test `routing_oracle` replays the cases against herald.

Run from anywhere: python3 tests/routing/record.py
"""
import json
import pathlib
import subprocess

HERE = pathlib.Path(__file__).resolve().parent


def amtool_args(config, args):
    command, rest = args[0], args[1:]
    return ["amtool", "config", "routes", command, f"--config.file={config}", *rest]


def main():
    cases = json.loads((HERE / "cases.json").read_text())
    with open(HERE / "expected.jsonl", "w") as out:
        for case in cases:
            config = HERE / "configs" / case["config"]
            run = subprocess.run(amtool_args(config, case["args"]), capture_output=True, text=True)
            record = {**case, "stdout": run.stdout, "status": run.returncode}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"recorded {len(cases)} cases")


if __name__ == "__main__":
    main()
