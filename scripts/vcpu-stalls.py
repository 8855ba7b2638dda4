#!/usr/bin/env python3
"""Measures how often and how long this machine stops running a thread that wants to run.

A loop sleeps 1 ms at a time and records every gap between wake-ups over 2 ms. Run it at real-time priority
(`sudo chrt -f 50 python3 scripts/vcpu-stalls.py 30`), so that no ordinary process can delay it: the gaps it still
sees are the virtual machine's (the hypervisor running something else on this virtual CPU) or the kernel's. Every
process on that CPU stops for as long, so a gap of d ms adds up to d ms to the latency of whatever is in flight.

    usage: vcpu-stalls.py [seconds, default 30] [--list]   (--list also prints each gap: wall time, length in ms)
"""
import sys
import time


def main():
    args = [a for a in sys.argv[1:] if a != "--list"]
    listing = "--list" in sys.argv[1:]
    try:
        seconds = float(args[0]) if args else 30.0
    except ValueError:
        sys.exit(f"vcpu-stalls.py: seconds must be a number, not '{args[0]}'")
    if seconds <= 0:
        sys.exit("vcpu-stalls.py: seconds must be positive")
    gaps = []
    end = time.monotonic() + seconds
    last = time.monotonic()
    while last < end:
        time.sleep(0.001)
        now = time.monotonic()
        if now - last > 0.002:
            gaps.append((time.time(), (now - last) * 1e3))
            if listing:
                print(f"{gaps[-1][0]:.3f} {gaps[-1][1]:.2f}", flush=True)
        last = now
    lengths = sorted(g for _, g in gaps)
    total = sum(lengths)
    print(f"{seconds:g} s: {len(lengths)} gaps over 2 ms ({len(lengths) / seconds:.1f}/s), "
          f"{sum(g > 5 for g in lengths)} over 5 ms, longest {lengths[-1] if lengths else 0:.1f} ms, "
          f"{total:.0f} ms in all ({100 * total / (seconds * 1e3):.2f}% of the time)")


if __name__ == "__main__":
    main()
