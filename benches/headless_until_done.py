"""Times btdownloadheadless from its start to its first `Download Succeeded!` status, then stops it
with SIGINT (it would seed on). Usage: headless_until_done.py LIMIT_SECONDS BTDOWNLOADHEADLESS ARGS...
Prints `headless seconds=S cpu_user=U cpu_sys=Y` (CPU of the whole process, shutdown included)."""
import os
import select
import signal
import subprocess
import sys
import time

limit = float(sys.argv[1])
start = time.monotonic()
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
buf, done = b"", None
while done is None and time.monotonic() - start < limit and child.poll() is None:
    ready, _, _ = select.select([child.stdout], [], [], 0.5)
    if ready:
        chunk = os.read(child.stdout.fileno(), 65536)
        buf = (buf + chunk)[-4096:]
        if b"Download Succeeded!" in buf:
            done = time.monotonic() - start
child.send_signal(signal.SIGINT)
try:
    _, _, usage = os.wait4(child.pid, 0)
except ChildProcessError:
    usage = None
if done is None:
    sys.exit("btdownloadheadless did not finish within %ss" % limit)
print("headless seconds=%.3f cpu_user=%.2f cpu_sys=%.2f" % (done, usage.ru_utime, usage.ru_stime))
