#!/usr/bin/python3
"""A loopback HTTP/1.1 proxy in front of the test S3 server that records every request and
injects faults: throttling (503 SlowDown, 429), 500s, connection resets and stalls in the middle
of a body, and truncated or corrupted bodies. Started by the S3 integration tests.

Each request is logged as one JSON line (method, target, headers, SHA-256 of the body, the
fault applied, the upstream status). A fault applies to every Nth request of the chosen kind,
at most LIMIT times, so a test knows whether the client can recover or must fail.
"""
import argparse
import hashlib
import json
import socket
import struct
import threading
import time

KINDS = {
    "get": lambda m, t: m == "GET" and "list-type=" not in t,
    "list": lambda m, t: m == "GET" and "list-type=" in t,
    "put": lambda m, t: m in ("PUT", "POST"),
    "any": lambda m, t: True,
}


def read_head(sock, buffer):
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None, buffer
        buffer += chunk
    head, rest = buffer.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def parse_headers(head):
    lines = head.split("\r\n")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    return lines[0], headers


def header(headers, name):
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def read_exact(sock, buffer, length):
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
    return buffer[:length], buffer[length:]


def read_chunked(sock, buffer):
    """Returns the raw chunked encoding (kept as is) and what follows it."""
    raw = b""
    while True:
        while b"\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                return raw + buffer, b""
            buffer += chunk
        line, buffer = buffer.split(b"\r\n", 1)
        size = int(line.split(b";")[0], 16)
        data, buffer = read_exact(sock, buffer, size + 2)
        raw += line + b"\r\n" + data
        if size == 0:
            return raw, buffer


class Proxy:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.matching = 0
        self.faults = 0
        self.sequence = 0
        self.log = open(args.log, "a", buffering=1)

    def decide(self, method, target):
        with self.lock:
            self.sequence += 1
            number = self.sequence
            if not self.args.fault or not KINDS[self.args.kind](method, target):
                return number, None
            self.matching += 1
            if self.matching % self.args.every != 0:
                return number, None
            if self.args.limit >= 0 and self.faults >= self.args.limit:
                return number, None
            self.faults += 1
            return number, self.args.fault

    def serve(self, client):
        upstream = None
        buffer = b""
        try:
            while True:
                head, buffer = read_head(client, buffer)
                if head is None:
                    return
                request_line, headers = parse_headers(head)
                method, target, _ = request_line.split(" ", 2)
                length = int(header(headers, "content-length") or 0)
                if (header(headers, "expect") or "").lower() == "100-continue":
                    client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                body, buffer = read_exact(client, buffer, length)
                number, fault = self.decide(method, target)
                record = {"n": number, "method": method, "target": target, "headers": headers,
                          "body_sha256": hashlib.sha256(body).hexdigest(), "body_length": len(body),
                          "fault": fault}
                if fault in ("503", "429", "500"):
                    code = {"503": "SlowDown", "429": "SlowDown", "500": "InternalError"}[fault]
                    text = {"503": "Service Unavailable", "429": "Too Many Requests", "500": "Internal Server Error"}
                    xml = f"<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>injected</Message></Error>".encode()
                    client.sendall(f"HTTP/1.1 {fault} {text[fault]}\r\nContent-Type: application/xml\r\n"
                                   f"Content-Length: {len(xml)}\r\n\r\n".encode() + xml)
                    self.log.write(json.dumps(record) + "\n")
                    continue
                if upstream is None:
                    upstream = socket.create_connection(self.args.upstream_address)
                upstream.sendall(head.encode("latin-1") + b"\r\n\r\n" + body)
                up_rest = b""
                while True:  # an interim 100 Continue is not the answer: the body is already sent
                    up_head, up_rest = read_head(upstream, up_rest)
                    if up_head is None:
                        return
                    status_line, up_headers = parse_headers(up_head)
                    status = int(status_line.split(" ")[1])
                    if not 100 <= status < 200:
                        break
                record["status"] = status
                self.log.write(json.dumps(record) + "\n")
                if method == "HEAD" or status in (204, 304):
                    raw, up_rest = b"", up_rest
                elif (header(up_headers, "transfer-encoding") or "").lower() == "chunked":
                    raw, up_rest = read_chunked(upstream, up_rest)
                else:
                    raw, up_rest = read_exact(upstream, up_rest, int(header(up_headers, "content-length") or 0))
                if fault in ("reset", "stall") and len(raw) > 1:
                    client.sendall(up_head.encode("latin-1") + b"\r\n\r\n" + raw[: len(raw) // 2])
                    if fault == "stall":
                        time.sleep(self.args.stall_s)
                    # An RST, not a FIN: what a dropped connection looks like to the client.
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                if fault == "truncate" and len(raw) > 1:
                    raw = raw[: len(raw) // 2]
                    up_head = "\r\n".join(
                        [status_line] + [f"{k}: {len(raw) if k.lower() == 'content-length' else v}" for k, v in up_headers])
                if fault == "corrupt" and len(raw) > 1:
                    raw = raw[:-1] + bytes([raw[-1] ^ 0x20])
                client.sendall(up_head.encode("latin-1") + b"\r\n\r\n" + raw)
        except (ConnectionError, OSError):
            return
        finally:
            client.close()
            if upstream is not None:
                upstream.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--upstream", required=True, help="host:port of the S3 server")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fault", choices=["503", "429", "500", "reset", "stall", "truncate", "corrupt"])
    parser.add_argument("--kind", choices=sorted(KINDS), default="get")
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--limit", type=int, default=-1, help="-1: no limit")
    parser.add_argument("--stall-s", type=float, default=3.0)
    parser.add_argument("--lifetime-s", type=float, default=600.0, help="stops by itself after this")
    args = parser.parse_args()
    host, port = args.upstream.rsplit(":", 1)
    args.upstream_address = (host, int(port))
    proxy = Proxy(args)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(1.0)
    with open(args.port_file + ".tmp", "w") as out:
        out.write(str(listener.getsockname()[1]))
    import os
    os.rename(args.port_file + ".tmp", args.port_file)
    deadline = time.time() + args.lifetime_s
    while time.time() < deadline:
        try:
            client, _ = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=proxy.serve, args=(client,), daemon=True).start()


if __name__ == "__main__":
    main()
