"""door2door-etl in Airflow: one DAG run per lake date, one task calling `d2d run --date {{ ds }}`.

Airflow's workers are how the pipeline scales past one machine: each lake date is an independent,
idempotent `d2d run`, so catch-up and backfills (`airflow dags backfill`) run several dates at once
(up to max_active_runs, and at most as many loads as the pool has slots), and a retried task simply
loads its date again.

The worker needs `d2d` on its PATH (or D2D_AIRFLOW_BINARY naming it) and the settings in its
environment: D2D_SOURCE, D2D_LAKE, D2D_WAREHOUSE (and PG*, AWS_* as usual), or in the d2d.toml that
D2D_CONFIG names. Secrets belong in the environment or a secrets backend, never in this file.
Requires Airflow 2.4+ (the `schedule` argument).

What the task does on failure:
- a setting missing (source, lake or warehouse left at d2d's local default, which would load into
  a folder that disappears with the worker's temporary directory) or a configuration error (d2d
  exits 2): the task fails at once, without retries (AirflowFailException): trying again cannot help;
- a run that failed (exit 1: source unreachable, corrupt object, warehouse error, too many
  rejects) or was killed: the task fails and Airflow retries it with backoff.

Before the first run, create the pool that bounds concurrent warehouse loads:
    airflow pools set d2d_warehouse 2 "door2door-etl: lake dates loading into the warehouse at once"
(a task whose pool does not exist is never scheduled).

The failure hook: every failed try calls `on_task_failure(context)`, which logs one line naming
the DAG, the lake date, the try and the error. Replace its body (or set D2D_AIRFLOW_ALERT to the
dotted path of a function taking that line and the context) to page someone or post to a chat.

The decisions (which settings are required, what an exit status means) are plain functions that
import without Airflow, so tests/deploy/airflow_dag_test.py runs them with the real d2d binary.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

log = logging.getLogger(__name__)

# Settings that have a local default in d2d (or none) but must be set on a worker.
REQUIRED_SETTINGS = ("source", "lake", "warehouse")
POOL = "d2d_warehouse"
EXIT_CONFIGURATION = 2  # d2d: usage or configuration error (README, "Exit status")


class ConfigurationError(Exception):
    """Trying again cannot help: the task fails without retries."""


class RunFailed(Exception):
    """The run failed (or was killed); a retry may succeed."""


def d2d_binary(env: Mapping[str, str]) -> str:
    return env.get("D2D_AIRFLOW_BINARY") or "d2d"


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def missing_settings(config_json: str) -> list[str]:
    """The required settings that `d2d config --format json` reports at their default: neither
    a flag nor the environment nor d2d.toml set them."""
    origins = {s["key"]: s["origin"] for s in json.loads(config_json)["settings"]}
    return [key for key in REQUIRED_SETTINGS if origins.get(key, "default") == "default"]


def check_settings(env: Mapping[str, str]) -> None:
    """Asks d2d itself where its settings come from (so D2D_CONFIG's d2d.toml counts, and the
    names are the ones d2d reads); raises ConfigurationError when a required one is unset."""
    try:
        proc = subprocess.run([d2d_binary(env), "config", "--format", "json"], env=dict(env),
                              capture_output=True, text=True, check=False)
    except OSError as error:  # no d2d on this worker: a retry finds none either
        raise ConfigurationError(f"cannot run d2d: {error}") from error
    if proc.returncode != 0:
        raise ConfigurationError(f"d2d config exited {proc.returncode}: {last_line(proc.stderr)}")
    missing = missing_settings(proc.stdout)
    if missing:
        names = ", ".join(f"D2D_{key.upper()}" for key in missing)
        raise ConfigurationError(f"{names} not set on this worker (nor in D2D_CONFIG's d2d.toml): "
                                 "refusing to run with d2d's local default")


def outcome(returncode: int, stderr: str) -> None:
    """Maps d2d's exit status to the task's outcome: 0 succeeds, 2 fails for good, anything else
    (1, or a signal: negative) fails for a retry."""
    if returncode == 0:
        return
    reason = last_line(stderr) or "no error line"
    if returncode == EXIT_CONFIGURATION:
        raise ConfigurationError(f"d2d exited 2 (configuration): {reason}")
    raise RunFailed(f"d2d exited {returncode}: {reason}")


def d2d_run_command(env: Mapping[str, str], lake_date: str) -> list[str]:
    return [d2d_binary(env), "run", "--date", lake_date, "--log-format", "json"]


def run_lake_date(lake_date: str, env: Mapping[str, str] | None = None) -> None:
    """The task: check the settings, then `d2d run --date D`, its stderr (JSON log lines) passed
    to the task log line by line as it comes."""
    env = dict(os.environ if env is None else env)
    check_settings(env)
    tail = ""
    with subprocess.Popen(d2d_run_command(env, lake_date), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:
        try:
            for line in proc.stdout:
                log.info("%s", line.rstrip("\n"))
                if line.strip():
                    tail = line
        except BaseException:
            # The task was stopped (execution_timeout raises in this thread, a kill signal too):
            # stop d2d with it rather than wait for it. SIGTERM lets the run end its transaction;
            # a killed run leaves its etl_run row `running` and the warehouse as it was.
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
    outcome(proc.returncode, tail)


def failure_line(context: Mapping) -> str:
    ti = context.get("task_instance") or context.get("ti")
    try_number = getattr(ti, "try_number", "?")
    dag_id = getattr(context.get("dag"), "dag_id", "door2door_etl")
    return (f"{dag_id}: lake date {context.get('ds', '?')} failed (try {try_number}): "
            f"{context.get('exception', 'unknown error')}")


def on_task_failure(context: Mapping) -> None:
    """on_failure_callback: one line in the scheduler's log; D2D_AIRFLOW_ALERT (module.function)
    receives the same line and the context, e.g. to page someone."""
    line = failure_line(context)
    log.error("%s", line)
    target = os.environ.get("D2D_AIRFLOW_ALERT")
    if target:
        module, _, function = target.rpartition(".")
        getattr(importlib.import_module(module), function)(line, context)


try:
    from airflow import DAG
    from airflow.exceptions import AirflowException, AirflowFailException
    from airflow.operators.python import PythonOperator
except ImportError:  # the decisions above are tested without Airflow
    DAG = None


def d2d_run_task(ds: str, **_) -> None:
    """The Airflow callable: ConfigurationError -> AirflowFailException (no retry), RunFailed ->
    AirflowException (retried)."""
    try:
        run_lake_date(ds)
    except ConfigurationError as error:
        raise AirflowFailException(str(error)) from error
    except RunFailed as error:
        raise AirflowException(str(error)) from error


default_args = {
    "owner": "data-engineering",
    "depends_on_past": False,  # dates are independent: any order gives the same warehouse
    "retries": 4,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,  # about 5, 10, 20, 40 minutes
    "max_retry_delay": timedelta(hours=2),
    "execution_timeout": timedelta(hours=3),
    "on_failure_callback": on_task_failure,
}

if DAG is not None:
    with DAG(
        dag_id="door2door_etl",
        description="Fleet events of one lake date: extract, transform, load, derive (d2d run)",
        # Lake date D is the data interval's start ({{ ds }}); its run starts at 00:30 UTC on D+1,
        # leaving the stream writer half an hour to drop the last files named D. Lake dates are
        # UTC days, so the schedule is in UTC whatever the Airflow installation's default zone.
        schedule="30 0 * * *",
        start_date=datetime(2019, 6, 1, tzinfo=timezone.utc),
        catchup=True,
        max_active_runs=4,
        default_args=default_args,
        tags=["door2door", "etl"],
    ) as dag:
        PythonOperator(
            task_id="d2d_run",
            python_callable=d2d_run_task,
            # Loads into the warehouse at once, across DAG runs: `airflow pools set` (above).
            pool=POOL,
            pool_slots=1,
        )
