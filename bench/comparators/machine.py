"""The machine a benchmark line ran on: CPU model and load average.
Standard library only, so that every script in bench/ can use it."""
import os


def cpu_model():
    """The CPU's model name from /proc/cpuinfo ("unknown" elsewhere)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and ":" in line:
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def load_avg():
    """The 1, 5 and 15 minute load averages, to 2 decimals ([-1, -1, -1] where unknown)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return [-1, -1, -1]
