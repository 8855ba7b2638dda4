#!/usr/bin/env python3
"""Shows when a thread (a kernel thread such as kdamond.0, say) runs, how long each time, and how regularly.

It reads the thread's /proc/<pid>/schedstat every 2 ms and prints each burst of run time: when it started (seconds
from the start), the milliseconds it ran, and the gap since the burst before. A kernel thread that takes a core for
milliseconds at a steady period shows up as latency spikes at that period in a served deployment (docs/serving.md).

    usage: thread-bursts.py <pid or thread name> [seconds, default 5]
"""
import os
import sys
import time


def find(name):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == name:
                    return int(pid)
        except OSError:
            continue
    sys.exit(f"thread-bursts.py: no process named '{name}'")


def read(pid):
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            run, _, _ = map(int, f.read().split())
            return run
    except OSError:
        sys.exit(f"thread-bursts.py: process {pid} is gone")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    who = sys.argv[1]
    pid = int(who) if who.isdigit() else find(who)
    try:
        seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
    except ValueError:
        sys.exit(f"thread-bursts.py: seconds must be a number, not '{sys.argv[2]}'")
    start = time.monotonic()
    last_run = read(pid)
    bursts = []  # [start s, run ms]
    idle_since = start
    while time.monotonic() - start < seconds:
        time.sleep(0.002)
        now = time.monotonic()
        run = read(pid)
        if run != last_run:
            # Run time that came within 20 ms of the last counts to the same burst.
            if bursts and now - idle_since < 0.02:
                bursts[-1][1] += (run - last_run) / 1e6
            else:
                bursts.append([now - start, (run - last_run) / 1e6])
            idle_since = now
            last_run = run
    previous = None
    for at, ms in bursts:
        gap = f", {1000 * (at - previous):.0f} ms after the one before" if previous is not None else ""
        print(f"{at:7.3f} s: ran {ms:.1f} ms{gap}")
        previous = at
    total = sum(ms for _, ms in bursts)
    print(f"{len(bursts)} bursts in {seconds:g} s, {total:.1f} ms in all ({100 * total / (1000 * seconds):.2f}% of one core)")


if __name__ == "__main__":
    main()
