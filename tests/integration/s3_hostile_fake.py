#!/usr/bin/env python3
"""A small S3 fake for one test: it serves object keys a real bucket may hold but s3rver refuses
to store ("..", "." and empty segments, control characters, backslashes). Path-style
ListObjectsV2 and GET only; no authentication. Loopback only; prints its port, then serves until
killed. Usage: s3_hostile_fake.py BUCKET OBJECTS_DIR (each file there: key, NUL, body)."""
import hashlib
import http.server
import os
import sys
import urllib.parse
from xml.sax.saxutils import escape

BUCKET = sys.argv[1]
OBJECTS = {}
for name in sorted(os.listdir(sys.argv[2])):
    with open(os.path.join(sys.argv[2], name), "rb") as f:
        key, body = f.read().split(b"\0", 1)
    OBJECTS[key.decode()] = body


def xml_key(text):
    # XML 1.0 carries a tab but no other control character: such keys are listed URL-encoded
    # by real S3 only on request, so the fake keeps to what the XML can hold.
    return escape(text, {"\t": "&#9;"})


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/xml", etag=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", '"%s"' % etag)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        raw_path, _, query = self.path.partition("?")
        path = urllib.parse.unquote(raw_path)
        params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
        if path in ("/" + BUCKET, "/" + BUCKET + "/") and params.get("list-type") == "2":
            return self.list(params)
        if not path.startswith("/" + BUCKET + "/"):
            return self.send(404, b"<Error><Code>NoSuchBucket</Code></Error>")
        key = path[len(BUCKET) + 2:]
        if key not in OBJECTS:
            return self.send(404, b"<Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>")
        body = OBJECTS[key]
        self.send(200, body, "application/octet-stream", hashlib.md5(body).hexdigest())

    def list(self, params):
        prefix, delimiter = params.get("prefix", ""), params.get("delimiter", "")
        contents, prefixes = [], set()
        for key in sorted(OBJECTS):
            if not key.startswith(prefix):
                continue
            rest = key[len(prefix):]
            if delimiter and delimiter in rest:
                prefixes.add(prefix + rest.split(delimiter, 1)[0] + delimiter)
            else:
                contents.append(key)
        parts = ['<?xml version="1.0" encoding="UTF-8"?>',
                 '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
                 "<Name>%s</Name><Prefix>%s</Prefix><KeyCount>%d</KeyCount><IsTruncated>false</IsTruncated>"
                 % (BUCKET, xml_key(prefix), len(contents) + len(prefixes))]
        for key in contents:
            body = OBJECTS[key]
            parts.append("<Contents><Key>%s</Key><Size>%d</Size><ETag>&quot;%s&quot;</ETag></Contents>"
                         % (xml_key(key), len(body), hashlib.md5(body).hexdigest()))
        for common in sorted(prefixes):
            parts.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % xml_key(common))
        parts.append("</ListBucketResult>")
        self.send(200, "".join(parts).encode())


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
