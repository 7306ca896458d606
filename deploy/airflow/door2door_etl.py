"""door2door-etl in Airflow: one DAG run per lake date, one task calling `d2d run --date {{ ds }}`.

Airflow's workers are how the pipeline scales past one machine: each lake date is an independent,
idempotent `d2d run`, so catch-up and backfills (`airflow dags backfill`) run several dates at once
(up to max_active_runs), and a retried task simply loads its date again.

The worker needs `d2d` on its PATH and the settings in its environment: D2D_SOURCE, D2D_LAKE,
D2D_WAREHOUSE (and PG*, AWS_* as usual). Secrets belong in the environment or a secrets
backend, never in this file. Requires Airflow 2.4+ (the `schedule` argument).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

default_args = {
    "owner": "data-engineering",
    "depends_on_past": False,  # dates are independent: any order gives the same warehouse
    "retries": 4,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,  # about 5, 10, 20, 40 minutes
    "max_retry_delay": timedelta(hours=2),
    "execution_timeout": timedelta(hours=3),
}

with DAG(
    dag_id="door2door_etl",
    description="Fleet events of one lake date: extract, transform, load, derive (d2d run)",
    # Lake date D is the data interval's start ({{ ds }}); its run starts at 00:30 on D+1,
    # leaving the stream writer half an hour to drop the last files named D.
    schedule="30 0 * * *",
    start_date=datetime(2019, 6, 1),
    catchup=True,
    max_active_runs=4,
    default_args=default_args,
    tags=["door2door", "etl"],
) as dag:
    BashOperator(
        task_id="d2d_run",
        # JSON log lines in the task log; exit status 1 (run failed) or 2 (configuration) fails the task.
        bash_command="d2d run --date {{ ds }} --log-format json",
        append_env=True,
    )
