"""Shared helpers for the libtorrent side of the engine benchmarks (Debian's python3-libtorrent)."""
import os
import sys
import time

try:
    import libtorrent as lt
except ImportError:
    sys.exit("libtorrent Python binding missing: apt-get install python3-libtorrent (use /usr/bin/python3)")


def settings(**extra):
    """Loopback TCP only: uTP, DHT, LSD, UPnP and NAT-PMP off; everything else libtorrent's defaults."""
    s = {
        "listen_interfaces": "127.0.0.1:0",
        "enable_outgoing_utp": False,
        "enable_incoming_utp": False,
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "alert_mask": lt.alert.category_t.status_notification | lt.alert.category_t.error_notification,
    }
    if os.environ.get("LT_FORCE_RC4") == "1":  # benches/mse.sh: MSE with RC4 only, both ways
        s.update({"out_enc_policy": int(lt.enc_policy.forced), "in_enc_policy": int(lt.enc_policy.forced),
                  "allowed_enc_level": int(lt.enc_level.rc4), "prefer_rc4": True})
    s.update(extra)
    return s


def session(**extra):
    return lt.session(settings(**extra))


def add(ses, torrent, save):
    p = lt.add_torrent_params()
    p.ti = lt.torrent_info(torrent)
    p.save_path = save
    return ses.add_torrent(p)


def wait_alert(ses, kinds, timeout):
    """Waits for one of the alert types in `kinds`; fails on torrent errors or at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ses.wait_for_alert(100)
        for a in ses.pop_alerts():
            if isinstance(a, kinds):
                return a
            if isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                sys.exit("libtorrent error: " + a.message())
    sys.exit("timed out after %ss waiting for %s" % (timeout, [k.__name__ for k in kinds]))


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def flush_print(*args):
    print(*args)
    sys.stdout.flush()
