#!/usr/bin/python3
"""Recomputes, with Debian's python3-botocore, the SigV4 signature of every request the S3
proxy recorded and compares it with the one d2d (libcurl) sent. Also checks that each
request signs every header S3 relies on and that x-amz-content-sha256 is the body's SHA-256.
Usage: s3_verify_signatures.py LOG ACCESS_KEY SECRET. Prints one line; exit 1 on any mismatch."""
import json
import re
import sys

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                  r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")
MUST_SIGN = {"host", "x-amz-date", "x-amz-content-sha256", "range", "content-md5", "if-match", "content-type"}


def main():
    log, access_key, secret = sys.argv[1:4]
    credentials = Credentials(access_key, secret)
    checked, problems = 0, []
    for line in open(log):
        record = json.loads(line)
        headers = {}
        for name, value in record["headers"]:
            headers.setdefault(name.lower(), []).append(value)
        what = f"{record['method']} {record['target']}"
        authorization = headers.get("authorization", [None])[0]
        if authorization is None:
            problems.append(f"{what}: not signed")
            continue
        match = AUTH.match(authorization)
        if not match:
            problems.append(f"{what}: malformed Authorization")
            continue
        key, _, region, service, signed, signature = match.groups()
        signed_names = signed.split(";")
        unsigned = [n for n in headers if (n in MUST_SIGN or n.startswith("x-amz-")) and n not in signed_names]
        if unsigned:
            problems.append(f"{what}: headers sent but not signed: {unsigned}")
        missing = [n for n in signed_names if n not in headers]
        if missing:
            problems.append(f"{what}: signs headers it does not send: {missing}")
            continue
        payload = headers["x-amz-content-sha256"][0]
        if payload != "UNSIGNED-PAYLOAD" and payload != record["body_sha256"]:
            problems.append(f"{what}: x-amz-content-sha256 is not the body's SHA-256")
        request = AWSRequest(method=record["method"], url="http://" + headers["host"][0] + record["target"],
                             headers={n: ",".join(headers[n]) for n in signed_names})
        request.context["timestamp"] = headers["x-amz-date"][0]
        signer = S3SigV4Auth(credentials, service, region)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        if key != access_key or expected != signature:
            problems.append(f"{what}: signature {signature} but botocore computes {expected}")
        checked += 1
    for problem in problems[:20]:
        print(problem)
    print(f"{checked} requests checked against botocore, {len(problems)} problems")
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
