"""Checks deploy/airflow/door2door_etl.py without Airflow (Debian has no package for it): the file
compiles, and its DAG(...) and BashOperator(...) calls say what the README promises."""

import ast
import os
import py_compile
import sys
import tempfile

path = sys.argv[1]
with tempfile.TemporaryDirectory() as scratch:  # no __pycache__ in the source tree
    py_compile.compile(path, cfile=os.path.join(scratch, "dag.pyc"), doraise=True)
tree = ast.parse(open(path, encoding="utf-8").read(), path)

problems = []


def keywords(call):
    return {k.arg: k.value for k in call.keywords if k.arg}


def constant(node):
    return ast.literal_eval(node) if node is not None else None


calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
dags = [c for c in calls if c.func.id == "DAG"]
operators = [c for c in calls if c.func.id == "BashOperator"]
if len(dags) != 1:
    problems.append(f"expected one DAG(...), found {len(dags)}")
if len(operators) != 1:
    problems.append(f"expected one BashOperator(...) (one task per lake date), found {len(operators)}")

if dags:
    dag = keywords(dags[0])
    if constant(dag.get("catchup")) is not True:
        problems.append("catchup must be True")
    if not isinstance(constant(dag.get("max_active_runs")), int):
        problems.append("max_active_runs must be set")
    if "schedule" not in dag:
        problems.append("schedule must be set")
    args_name = dag.get("default_args")
    assigned = {t.id: n.value for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
                if isinstance(t, ast.Name)}
    default_args = None if args_name is None else assigned.get(getattr(args_name, "id", ""))
    if not isinstance(default_args, ast.Dict):
        problems.append("default_args must be a dict literal")
    else:
        entries = {constant(k): v for k, v in zip(default_args.keys, default_args.values)}
        if not isinstance(constant(entries.get("retries")), int) or constant(entries.get("retries")) < 1:
            problems.append("default_args needs retries >= 1")
        if constant(entries.get("retry_exponential_backoff")) is not True:
            problems.append("default_args needs retry_exponential_backoff=True")
        if "retry_delay" not in entries or "max_retry_delay" not in entries:
            problems.append("default_args needs retry_delay and max_retry_delay")

if operators:
    command = constant(keywords(operators[0]).get("bash_command"))
    if not isinstance(command, str) or not command.startswith("d2d run --date {{ ds }}"):
        problems.append(f"the task must run `d2d run --date {{{{ ds }}}} ...`, not {command!r}")

for problem in problems:
    print(f"{path}: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
