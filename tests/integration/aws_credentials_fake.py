#!/usr/bin/python3
"""Loopback stand-ins for the AWS endpoints that hand out credentials, which cannot run here:
EC2 instance metadata (IMDSv2 only: token first), the container credentials endpoint (ECS, EKS
Pod Identity), STS (AssumeRole, whose SigV4 signature is checked with botocore's signer, and
AssumeRoleWithWebIdentity), plus a one-object S3 that checks each request's signature with
botocore and that the key signing it was issued here and has not expired.

Usage: aws_credentials_fake.py [--listen HOST:PORT]... [--blackhole HOST:PORT]...
The first --listen's port is printed on stdout. A --blackhole never accepts connections (its
queue is full), like a metadata address that does not answer. All listeners share one state:
POST /_control with a JSON object changes it (keys of STATE below); GET /_log returns it."""
import datetime
import json
import secrets
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

LOCK = threading.Lock()
STATE = {
    "imds": "ok",          # ok | hang | no_role | creds_404 | malformed | error_code
    "container": "ok",     # ok | 404 | malformed | hang
    "container_authorization": "",  # the Authorization header the container endpoint requires
    "container_delay_s": 0,  # how long the container endpoint thinks before answering
    "sts": "ok",           # ok | error
    "web_token": "",       # the token AssumeRoleWithWebIdentity accepts
    "lifetime_s": 3600,    # of every credential issued here
    "signers": {},         # access key -> secret allowed to sign AssumeRole (a source profile's)
    "static_keys": {},     # access key -> secret S3 accepts besides the issued ones
    "issued": {},          # access key -> {secret, token, expires, source}
    "log": [],             # what happened, in order
}
IMDS_TOKENS = set()


def log(**event):
    event["at"] = time.time()
    STATE["log"].append(event)


def issue(source):
    with LOCK:
        n = len(STATE["issued"]) + 1
        key = f"ASIA{source.upper()[:6]}{n:06d}"
        expires = time.time() + float(STATE["lifetime_s"])
        STATE["issued"][key] = {"secret": secrets.token_hex(16), "token": secrets.token_hex(24),
                                "expires": expires, "source": source}
        log(issued=key, source=source)
        text = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
        return key, STATE["issued"][key], text[:-3] + "Z"


def signature_matches(handler, body, secret, signer_class, service):
    headers = {k.lower(): v for k, v in handler.headers.items()}
    authorization = headers.get("authorization", "")
    try:
        credential = authorization.split("Credential=")[1].split(",")[0]
        signed = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
        signature = authorization.split("Signature=")[1].strip()
        key, _, region, signed_service, _ = credential.split("/")
    except (IndexError, ValueError):
        return None, False
    if signed_service != service:
        return key, False
    request = AWSRequest(method=handler.command, url="http://" + headers["host"] + handler.path,
                         headers={n: headers.get(n, "") for n in signed}, data=body)
    request.context["timestamp"] = headers.get("x-amz-date", "")
    auth = signer_class(Credentials(key, secret), service, region)
    expected = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    return key, expected == signature


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", content_type="text/plain", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))

    def hang(self):
        time.sleep(60)

    def json_credentials(self, source, token_field="Token"):
        key, issued, expiration = issue(source)
        document = {"AccessKeyId": key, "SecretAccessKey": issued["secret"], token_field: issued["token"],
                    "Expiration": expiration}
        if source == "imds":
            document.update({"Code": "Success", "Type": "AWS-HMAC", "LastUpdated": expiration})
        return json.dumps(document)

    # -- IMDSv2 --
    def imds(self, body):
        mode = STATE["imds"]
        if self.command == "PUT" and self.path == "/latest/api/token":
            if mode == "hang":
                return self.hang()
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.reply(400)
            token = secrets.token_hex(8)
            IMDS_TOKENS.add(token)
            log(imds="token")
            return self.reply(200, token)
        if self.headers.get("X-aws-ec2-metadata-token") not in IMDS_TOKENS:
            log(imds="request without a token (IMDSv1)")
            return self.reply(401)
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self.reply(404) if mode == "no_role" else self.reply(200, "d2d-role\n")
        if self.path == base + "d2d-role":
            if mode == "creds_404":
                return self.reply(404)
            if mode == "malformed":
                return self.reply(200, '{"Code": "Success", "AccessKeyId": ', "application/json")
            if mode == "error_code":
                return self.reply(200, json.dumps({"Code": "AssumeRoleUnauthorizedAccess"}), "application/json")
            return self.reply(200, self.json_credentials("imds"), "application/json")
        return self.reply(404)

    # -- container credentials (ECS relative URI, or a full URI) --
    def container(self):
        mode = STATE["container"]
        log(container=mode)
        if mode == "hang":
            return self.hang()
        expected = STATE["container_authorization"]
        if expected and self.headers.get("Authorization") != expected:
            log(container="wrong authorization")
            return self.reply(401)
        time.sleep(float(STATE["container_delay_s"]))
        if mode == "404":
            return self.reply(404, "Not Found")
        if mode == "malformed":
            return self.reply(200, "<html>not json</html>", "text/html")
        return self.reply(200, self.json_credentials("container"), "application/json")

    # -- STS --
    def sts(self, body):
        form = dict(urllib.parse.parse_qsl(body.decode()))
        action = form.get("Action", "")

        def error(status, code, message):
            log(sts=action, error=code)
            xml = (f"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
                   f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>1</RequestId></ErrorResponse>")
            return self.reply(status, xml, "text/xml")

        if STATE["sts"] == "error":
            return error(403, "AccessDenied", f"User is not authorized to perform: sts:{action}")
        if action == "AssumeRole":
            signers = STATE["signers"]
            claimed = self.headers.get("Authorization", "")
            key = claimed.split("Credential=")[1].split("/")[0] if "Credential=" in claimed else None
            secret = signers.get(key) or STATE["issued"].get(key, {}).get("secret")
            if secret is None:
                return error(403, "InvalidClientTokenId", "The security token included in the request is invalid.")
            key, good = signature_matches(self, body, secret, SigV4Auth, "sts")
            if not good:
                return error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match.")
            log(sts=action, signed_by=key, verified=True, role=form.get("RoleArn"))
        elif action == "AssumeRoleWithWebIdentity":
            if "Authorization" in self.headers:
                return error(400, "InvalidAction", "AssumeRoleWithWebIdentity is not signed")
            if form.get("WebIdentityToken") != STATE["web_token"]:
                return error(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider")
            log(sts=action, role=form.get("RoleArn"))
        else:
            return error(400, "InvalidAction", f"Could not find operation {action}")
        key, issued, expiration = issue("sts")
        xml = (f"<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result>"
               f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{issued['secret']}</SecretAccessKey>"
               f"<SessionToken>{issued['token']}</SessionToken><Expiration>{expiration}</Expiration></Credentials>"
               f"</{action}Result></{action}Response>")
        return self.reply(200, xml, "text/xml")

    # -- one-object S3: /bucket/KEY answers "hello\n" to a valid, unexpired signature, a listing
    # of /bucket is empty --
    def s3(self):
        claimed = self.headers.get("Authorization", "")
        key = claimed.split("Credential=")[1].split("/")[0] if "Credential=" in claimed else None
        issued = STATE["issued"].get(key)
        secret = issued["secret"] if issued else STATE["static_keys"].get(key)
        if secret is None:
            log(s3=key, ok=False, why="unknown key")
            return self.reply(403, "<Error><Code>InvalidAccessKeyId</Code><Message>unknown</Message></Error>")
        _, good = signature_matches(self, b"", secret, S3SigV4Auth, "s3")
        if not good:
            log(s3=key, ok=False, why="bad signature")
            return self.reply(403, "<Error><Code>SignatureDoesNotMatch</Code><Message>no</Message></Error>")
        if issued and self.headers.get("x-amz-security-token") != issued["token"]:
            log(s3=key, ok=False, why="wrong session token")
            return self.reply(403, "<Error><Code>InvalidToken</Code><Message>token</Message></Error>")
        if issued and time.time() >= issued["expires"]:
            log(s3=key, ok=False, why="expired")
            return self.reply(400, "<Error><Code>ExpiredToken</Code><Message>The provided token has expired."
                                   "</Message></Error>")
        log(s3=key, ok=True)
        if "list-type=2" in self.path:
            return self.reply(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>",
                              "application/xml")
        return self.reply(200, "hello\n", "application/octet-stream")

    def handle_any(self):
        body = self.body()
        if self.path == "/_control":
            with LOCK:
                STATE.update(json.loads(body))
            return self.reply(200, "{}", "application/json")
        if self.path == "/_log":
            with LOCK:
                text = json.dumps({k: STATE[k] for k in ("log", "issued")})
            return self.reply(200, text, "application/json")
        if self.path.startswith("/latest/"):
            return self.imds(body)
        if self.path.startswith("/v2/credentials") or self.path.startswith("/container"):
            return self.container()
        if self.command == "POST" and self.path == "/":
            return self.sts(body)
        if self.command in ("GET", "HEAD") and (self.path.startswith("/bucket/") or self.path.startswith("/bucket?")):
            return self.s3()
        return self.reply(404)

    do_GET = do_PUT = do_POST = do_HEAD = handle_any


def main():
    listens, blackholes = [], []
    args = sys.argv[1:]
    while args:
        flag, value = args[0], args[1]
        (listens if flag == "--listen" else blackholes).append(value)
        args = args[2:]
    servers = []
    for address in listens or ["127.0.0.1:0"]:
        host, port = address.rsplit(":", 1)
        server = ThreadingHTTPServer((host, int(port)), Handler)
        server.daemon_threads = True
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    held = []
    for address in blackholes:
        host, port = address.rsplit(":", 1)
        hole = socket.socket()
        hole.bind((host, int(port)))
        hole.listen(0)
        for _ in range(3):  # fill the queue: later SYNs are dropped, so connecting times out
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex((host, int(port)))
            held.append(filler)
        held.append(hole)
    time.sleep(0.2 if blackholes else 0)
    print(servers[0].server_address[1], flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
