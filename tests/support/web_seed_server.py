#!/usr/bin/env python3
"""A small web seed server for tests/web_seed.rs, on 127.0.0.1 at a port the system chooses.

Modes:
  files ROOT               BEP 19: serves the files under ROOT with single Range requests
                           (206 + Content-Range; 416 for unsatisfiable ranges; 404 when missing).
  httpseed ROOT PLEN HASH FILE...
                           BEP 17: GET ?info_hash=..&piece=N[&ranges=a-b,...] answered with the
                           bytes of piece N of the torrent whose files (in torrent order, relative
                           to ROOT) are FILE...; 404 for another info-hash (hex HASH).
Options (before the mode):
  --status N       answer every request with status N and a short body
  --hang           accept requests and never answer
  --corrupt        flip every served byte
  --busy-first N   BEP 17: answer the first request 503 with body N
  --redirect       files: answer 302 to /moved<path>, and serve /moved/<path> as <path>
  --redirect-loop  answer every request 302 to itself
  --drop-idle      close each connection after its reply without saying so (as a server whose
                   keep-alive timeout expired)
  --life S         exit after S seconds (default 120)

Prints `PORT n` once listening, then `REQ <path> <range header or -> <client port>` per request
(flushed).
"""
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

opts = {"status": None, "hang": False, "corrupt": False, "busy": None, "life": 120.0, "redirect": None,
        "drop": False}
args = sys.argv[1:]
while args and args[0].startswith("--"):
    flag = args.pop(0)
    if flag == "--status":
        opts["status"] = int(args.pop(0))
    elif flag == "--hang":
        opts["hang"] = True
    elif flag == "--corrupt":
        opts["corrupt"] = True
    elif flag == "--busy-first":
        opts["busy"] = args.pop(0)
    elif flag == "--redirect":
        opts["redirect"] = "move"
    elif flag == "--redirect-loop":
        opts["redirect"] = "loop"
    elif flag == "--drop-idle":
        opts["drop"] = True
    elif flag == "--life":
        opts["life"] = float(args.pop(0))
    else:
        sys.exit("unknown option " + flag)
mode, root = args[0], os.path.realpath(args[1])
lock = threading.Lock()


def log(line):
    with lock:
        print(line, flush=True)


def flip(data):
    return bytes(b ^ 0xFF for b in data) if opts["corrupt"] else data


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if opts["drop"]:
            self.close_connection = True

    def do_GET(self):
        log("REQ %s %s %d" % (self.path, self.headers.get("Range", "-"), self.client_address[1]))
        if opts["hang"]:
            time.sleep(opts["life"])
            return
        if opts["status"] is not None:
            return self.reply(opts["status"], b"no\n")
        if opts["redirect"] == "loop":
            return self.reply(302, b"", [("Location", self.path)])
        if opts["redirect"] == "move":
            if not self.path.startswith("/moved/"):
                return self.reply(302, b"", [("Location", "/moved" + self.path)])
            self.path = self.path[len("/moved"):]
        if mode == "files":
            return self.serve_file()
        return self.serve_piece()

    def serve_file(self):
        rel = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        path = os.path.realpath(os.path.join(root, rel.lstrip("/")))
        if not path.startswith(root + os.sep) or not os.path.isfile(path):
            return self.reply(404, b"not found\n")
        size = os.path.getsize(path)
        rng = self.headers.get("Range")
        if rng is None:
            with open(path, "rb") as f:
                return self.reply(200, flip(f.read()))
        try:
            unit, spec = rng.split("=", 1)
            first, last = spec.split("-", 1)
            first = int(first)
            last = min(int(last) if last else size - 1, size - 1)
            assert unit.strip() == "bytes" and "," not in spec and first <= last
        except (ValueError, AssertionError):
            return self.reply(416, b"", [("Content-Range", "bytes */%d" % size)])
        with open(path, "rb") as f:
            f.seek(first)
            data = f.read(last - first + 1)
        self.reply(206, flip(data), [("Content-Range", "bytes %d-%d/%d" % (first, last, size))])

    def serve_piece(self):
        plen, want_hash, files = int(args[2]), bytes.fromhex(args[3]), args[4:]
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        info_hash = urllib.parse.unquote_to_bytes(
            urllib.parse.urlsplit(self.path).query.split("info_hash=")[1].split("&")[0])
        if info_hash != want_hash or "piece" not in query:
            return self.reply(404, b"unknown torrent\n")
        if opts["busy"] is not None:
            busy, opts["busy"] = opts["busy"], None
            return self.reply(503, busy.encode())
        data = b"".join(open(os.path.join(root, f), "rb").read() for f in files)
        piece = int(query["piece"][0])
        chunk = data[piece * plen:(piece + 1) * plen]
        if not chunk:
            return self.reply(404, b"no such piece\n")
        if "ranges" in query:
            parts = []
            for r in query["ranges"][0].split(","):
                a, b = r.split("-")
                parts.append(chunk[int(a):int(b) + 1])
            chunk = b"".join(parts)
        self.reply(200, flip(chunk), [("Content-Type", "application/octet-stream")])


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client hanging up mid-reply (a banned or finished download) is not an error here.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


server = Server(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print("PORT", server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
time.sleep(opts["life"])
