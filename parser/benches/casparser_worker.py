"""Worker for the vs_casparser benchmark: parse one statement with casparser N times in this
process and print `median_ns baseline_kb peak_kb` (peak = VmHWM of this whole process, the same
measure the Rust worker reports). Usage: casparser_worker.py FILE PASSWORD N
"""

import statistics
import sys
import time

import casparser


def status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def main() -> None:
    path, password, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    baseline = status_kb("VmRSS")
    casparser.read_cas_pdf(path, password)  # warm-up: lazy imports, ISIN database
    times = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        casparser.read_cas_pdf(path, password)
        times.append(time.perf_counter_ns() - start)
    print(int(statistics.median(times)), baseline, status_kb("VmHWM"))


if __name__ == "__main__":
    main()
