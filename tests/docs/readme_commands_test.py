#!/usr/bin/env python3
"""The README's commands, run (issue 15, item 9): every `d2d ...` line of its ```sh blocks that
needs nothing but this machine is run, in order, in one empty folder, and must exit 0; a block
written as a terminal session ($ prompts) must also print the lines the README shows after the
prompt, except timings. Lines that need a remote service (PostgreSQL or S3 URIs, serve, docker,
make, curl, openssl) are skipped and listed; the integration tests run those paths.

Usage: readme_commands_test.py README.md D2D_BINARY SAMPLES_DIR
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

readme, binary, samples = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
NEEDS_A_SERVICE = re.compile(r"postgresql:|postgres://|s3://|\bserve\b|docker|^make\b|curl|openssl|\$URI|AWS_")
# Figures that differ between runs and machines: timings, run ids, dates of today.
VARIES = re.compile(r"\d+(\.\d+)? ?(ms|s)\b|\(run \d+\)|\b\d+\.\d\d\b(?=\s*$)")


def blocks(text):
    for match in re.finditer(r"^```sh\n(.*?)^```", text, re.S | re.M):
        yield text[: match.start()].count("\n") + 1, match.group(1)


def logical_lines(block):
    """Lines joined over trailing backslashes."""
    pending = ""
    for line in block.splitlines():
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield pending + line
        pending = ""


def command_of(line):
    """The shell words of a d2d command line, without a trailing comment."""
    words = shlex.split(line, comments=True)
    return words if words and words[0] == "d2d" else None


def main():
    if not os.path.isdir(samples):
        print("skipped: the operator's sample is not at " + samples)
        return 77
    text = open(readme, encoding="utf-8").read()
    work = tempfile.mkdtemp(prefix="d2d-readme-")
    ran, skipped, failures = 0, [], []
    for start, block in blocks(text):
        session = any(line.startswith("$ ") for line in block.splitlines())
        lines = list(logical_lines(block))
        for i, line in enumerate(lines):
            if session and not line.startswith("$ "):
                continue
            line = line[2:] if session else line
            words = command_of(line)
            if words is None:
                continue
            if NEEDS_A_SERVICE.search(line):
                skipped.append("README.md:%d: %s" % (start, line.strip()))
                continue
            words = [w.replace("../shared/samples", samples).replace("/tmp/", work + "/tmp/") for w in words]
            os.makedirs(os.path.join(work, "tmp"), exist_ok=True)
            result = subprocess.run([binary] + words[1:], cwd=work, capture_output=True, text=True, timeout=600)
            ran += 1
            if result.returncode != 0:
                failures.append("README.md:%d: `%s` exited %d: %s" % (start, line.strip(), result.returncode,
                                                                      result.stderr.strip()[-500:]))
                continue
            if session:  # the README's output lines up to the next prompt
                shown = []
                for out in lines[i + 1:]:
                    if out.startswith("$ "):
                        break
                    shown.append(out)
                printed = (result.stdout + result.stderr).splitlines()
                for out in shown:
                    if VARIES.search(out) or not out.strip():
                        continue
                    if out.rstrip() not in (p.rstrip() for p in printed):
                        failures.append("README.md:%d: `%s` did not print %r; it printed:\n%s" % (
                            start, line.strip(), out, "\n".join(printed[-20:])))
    for line in skipped:
        print("not run here (needs a service): " + line)
    for failure in failures:
        print("FAIL " + failure)
    print("%d README commands run, %d failed, %d skipped" % (ran, len(failures), len(skipped)))
    return 1 if failures or ran == 0 else 0


sys.exit(main())
