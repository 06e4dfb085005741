#!/usr/bin/python3
"""Loopback download race: one libtorrent seeder (uTP off) serves a SIZE_MB single-file torrent;
each round, libtorrent's own leecher downloads it, then btdownloadheadless does (connecting
with --peer), alternating for ROUNDS rounds. Prints each time, the medians and the ratio
ours/libtorrent (target in issue 4 §8: at most 0.5). Every download is verified byte for byte.

Usage: benches/headless_vs_libtorrent.py [SIZE_MB [ROUNDS]]   (defaults 1024 and 3)
Needs a release build: cargo build --release --bin btdownloadheadless
"""
import hashlib, os, shutil, signal, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OURS = os.path.join(ROOT, "target", "release", "btdownloadheadless")
SETTINGS = {'listen_interfaces': '127.0.0.1:0', 'enable_dht': False, 'enable_lsd': False,
            'enable_upnp': False, 'enable_natpmp': False, 'enable_outgoing_utp': False,
            'enable_incoming_utp': False}
LIMIT = 600  # seconds for any one download


def seed(torrent, save):
    import libtorrent as lt
    ses = lt.session(SETTINGS)
    h = ses.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
    deadline = time.time() + LIMIT
    while time.time() < deadline and not h.status().is_seeding:
        time.sleep(0.05)
    print('PORT %d' % ses.listen_port(), flush=True)
    sys.stdin.read()  # until the parent closes our stdin


def libtorrent_round(torrent, save, port):
    import libtorrent as lt
    ses = lt.session(SETTINGS)
    t0 = time.monotonic()
    h = ses.add_torrent({'ti': lt.torrent_info(torrent), 'save_path': save})
    h.connect_peer(('127.0.0.1', port))
    while not h.status().is_seeding:
        if time.monotonic() - t0 > LIMIT:
            raise SystemExit('libtorrent leecher stuck')
        time.sleep(0.005)
    elapsed = time.monotonic() - t0
    del ses
    return elapsed


def our_round(torrent, target, port):
    t0 = time.monotonic()
    p = subprocess.Popen([OURS, '--peer', '127.0.0.1:%d' % port, '--saveas', target,
                          '--display_interval', '0.05', '--selector_enabled', '0', torrent],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    elapsed = None
    for line in p.stdout:
        if 'Download Succeeded!' in line:
            elapsed = time.monotonic() - t0
            break
        if time.monotonic() - t0 > LIMIT:
            break
    p.send_signal(signal.SIGINT)
    p.stdout.close()
    p.wait(timeout=30)
    if elapsed is None:
        raise SystemExit('btdownloadheadless did not finish')
    return elapsed


def sha1(path):
    h = hashlib.sha1()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def main():
    if len(sys.argv) > 1 and sys.argv[1] == 'seed':
        return seed(sys.argv[2], sys.argv[3])
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if not os.path.exists(OURS):
        raise SystemExit('build first: cargo build --release --bin btdownloadheadless')
    work = tempfile.mkdtemp(prefix='bitgocho-bench-')
    seeder = None
    try:
        os.makedirs(os.path.join(work, 'seed'))
        data = os.path.join(work, 'seed', 'payload.bin')
        with open(data, 'wb') as f:
            for _ in range(size_mb):
                f.write(os.urandom(1 << 20))
        torrent = os.path.join(work, 'payload.torrent')
        subprocess.run(['mktorrent', '-l', '20', '-o', torrent, data], check=True, stdout=subprocess.DEVNULL)
        want = sha1(data)
        seeder = subprocess.Popen([sys.executable, __file__, 'seed', torrent, os.path.join(work, 'seed')],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        port = int(seeder.stdout.readline().split()[1])
        theirs, ours = [], []
        for r in range(rounds):
            lt_dir = os.path.join(work, 'lt')
            theirs.append(libtorrent_round(torrent, lt_dir, port))
            assert sha1(os.path.join(lt_dir, 'payload.bin')) == want, 'libtorrent got wrong bytes'
            shutil.rmtree(lt_dir)
            our_file = os.path.join(work, 'ours', 'payload.bin')
            ours.append(our_round(torrent, our_file, port))
            assert sha1(our_file) == want, 'btdownloadheadless got wrong bytes'
            shutil.rmtree(os.path.dirname(our_file))
            print('round %d: libtorrent %.2f s, btdownloadheadless %.2f s' % (r + 1, theirs[-1], ours[-1]), flush=True)
        a, b = statistics.median(theirs), statistics.median(ours)
        print('%d MiB over loopback, median of %d: libtorrent %.2f s (%.0f MiB/s), btdownloadheadless %.2f s '
              '(%.0f MiB/s)' % (size_mb, rounds, a, size_mb / a, b, size_mb / b))
        print('ratio btdownloadheadless/libtorrent: %.2f (target <= 0.5)' % (b / a))
    finally:
        if seeder:
            seeder.stdin.close()
            seeder.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
