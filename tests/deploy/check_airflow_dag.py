"""Checks deploy/airflow/door2door_etl.py without Airflow (Debian has no package for it): the file
compiles, and its DAG(...) and PythonOperator(...) calls say what the README promises. The task's
own logic is run for real by airflow_dag_test.py."""

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
operators = [c for c in calls if c.func.id in ("BashOperator", "PythonOperator")]
if len(dags) != 1:
    problems.append(f"expected one DAG(...), found {len(dags)}")
if len(operators) != 1:
    problems.append(f"expected one operator (one task per lake date), found {len(operators)}")

assigned = {t.id: n.value for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
            if isinstance(t, ast.Name)}

if dags:
    dag = keywords(dags[0])
    if constant(dag.get("catchup")) is not True:
        problems.append("catchup must be True")
    if not isinstance(constant(dag.get("max_active_runs")), int):
        problems.append("max_active_runs must be set")
    if "schedule" not in dag:
        problems.append("schedule must be set")
    # Timezone-aware: datetime(..., tzinfo=...) or pendulum.datetime(..., tz=...). A naive one is
    # read in the installation's default zone, so the same file would schedule differently.
    start = dag.get("start_date")
    if not isinstance(start, ast.Call) or not {k.arg for k in start.keywords} & {"tzinfo", "tz"}:
        problems.append("start_date must be timezone-aware (tzinfo= or pendulum's tz=)")
    args_name = dag.get("default_args")
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
        if not isinstance(entries.get("on_failure_callback"), ast.Name):
            problems.append("default_args needs an on_failure_callback (a function of the file)")

if operators:
    task = keywords(operators[0])
    callable_name = getattr(task.get("python_callable"), "id", None)
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    if operators[0].func.id != "PythonOperator" or callable_name not in functions:
        problems.append("the task must be a PythonOperator calling a function of the file (exit 2: no retry)")
    pool = task.get("pool")
    pool = assigned.get(pool.id) if isinstance(pool, ast.Name) else pool
    if not isinstance(constant(pool), str):
        problems.append("the task must write through a pool (pool=...)")

for problem in problems:
    print(f"{path}: {problem}", file=sys.stderr)
sys.exit(1 if problems else 0)
