"""The Airflow DAG's decisions, run for real without Airflow (Debian has no package for it): the
DAG file imports with its Airflow part switched off, and its task function drives the real d2d
binary. Usage: airflow_dag_test.py DAG_FILE D2D_BINARY"""

import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

DAG_FILE, D2D = sys.argv[1], os.path.abspath(sys.argv[2])
del sys.argv[1:]

spec = importlib.util.spec_from_file_location("door2door_etl", DAG_FILE)
dag = importlib.util.module_from_spec(spec)
spec.loader.exec_module(dag)

DATE = "2019-06-01"


class DagDecisions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.scratch = tempfile.TemporaryDirectory()
        cls.events = os.path.join(cls.scratch.name, "events")
        subprocess.run([D2D, "generate", "--out", cls.events, "--date", DATE, "--vehicles", "3",
                        "--interval-s", "60", "--seed", "3"], check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        cls.scratch.cleanup()

    def setUp(self):
        # Each case in an empty working folder: a run that fell back to d2d's local defaults
        # would leave ./d2d.db or ./d2d-lake there.
        self.cwd = tempfile.mkdtemp(dir=self.scratch.name)
        self.old_cwd = os.getcwd()
        os.chdir(self.cwd)

    def tearDown(self):
        os.chdir(self.old_cwd)

    def env(self, **settings):
        base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "D2D_AIRFLOW_BINARY": D2D,
                "D2D_SOURCE": self.events, "D2D_LAKE": os.path.join(self.cwd, "lake"),
                "D2D_WAREHOUSE": os.path.join(self.cwd, "w.db")}
        base.update(settings)
        return {k: v for k, v in base.items() if v is not None}

    def assert_nothing_written(self):
        self.assertEqual(os.listdir(self.cwd), [])

    def test_airflow_part_is_off_without_airflow(self):
        if importlib.util.find_spec("airflow") is None:
            self.assertIsNone(dag.DAG)

    def test_a_run_with_every_setting_succeeds(self):
        dag.run_lake_date(DATE, self.env())
        self.assertTrue(os.path.isfile(os.path.join(self.cwd, "w.db")))

    def test_missing_warehouse_fails_for_good_before_any_run(self):
        for name in ("D2D_WAREHOUSE", "D2D_SOURCE", "D2D_LAKE"):
            with self.subTest(name), self.assertRaisesRegex(dag.ConfigurationError, name):
                dag.run_lake_date(DATE, self.env(**{name: None}))
            self.assert_nothing_written()
        with self.assertRaisesRegex(dag.ConfigurationError, "D2D_SOURCE, D2D_LAKE, D2D_WAREHOUSE"):
            dag.check_settings(self.env(D2D_SOURCE=None, D2D_LAKE=None, D2D_WAREHOUSE=None))

    def test_an_empty_variable_is_missing(self):
        with self.assertRaisesRegex(dag.ConfigurationError, "D2D_WAREHOUSE"):
            dag.check_settings(self.env(D2D_WAREHOUSE=""))

    def test_settings_from_d2d_toml_count(self):
        toml = os.path.join(self.scratch.name, "d2d.toml")
        with open(toml, "w", encoding="utf-8") as out:
            out.write(f'warehouse = "{os.path.join(self.scratch.name, "toml.db")}"\n')
        dag.check_settings(self.env(D2D_WAREHOUSE=None, D2D_CONFIG=toml))

    def test_configuration_error_is_not_retried(self):
        with self.assertRaisesRegex(dag.ConfigurationError, "D2D_MAX_REJECT_RATIO=abc"):
            dag.run_lake_date(DATE, self.env(D2D_MAX_REJECT_RATIO="abc"))
        # The same exit status from `d2d run` itself (the settings check passed).
        run = subprocess.run(dag.d2d_run_command(self.env(), "2019-13-01"), env=self.env(),
                             capture_output=True, text=True, check=False)
        self.assertEqual(run.returncode, 2, run.stderr)
        with self.assertRaisesRegex(dag.ConfigurationError, "exited 2 .*d2d: error:"):
            dag.outcome(run.returncode, run.stderr)
        with self.assertRaises(dag.ConfigurationError):
            dag.run_lake_date("2019-13-01", self.env())

    def test_failed_run_is_retried_with_d2d_error_line(self):
        missing = os.path.join(self.cwd, "no-such-source")
        with self.assertRaisesRegex(dag.RunFailed, "exited 1: .*no-such-source"):
            dag.run_lake_date(DATE, self.env(D2D_SOURCE=missing))

    def test_killed_run_is_retried(self):
        with self.assertRaisesRegex(dag.RunFailed, "exited -9"):
            dag.outcome(-9, "")
        dag.outcome(0, "")

    def test_no_binary_is_a_configuration_error(self):
        with self.assertRaisesRegex(dag.ConfigurationError, "cannot run d2d"):
            dag.check_settings(self.env(D2D_AIRFLOW_BINARY=os.path.join(self.cwd, "no-d2d")))

    def test_a_stopped_task_stops_its_d2d(self):
        # Airflow's execution_timeout raises in the task's thread while d2d runs: d2d must not
        # go on alone. A d2d that answers `config` for real and hangs in `run` stands for a slow run.
        hanging = os.path.join(self.cwd, "..", "hanging-d2d")
        pid_file = os.path.join(self.scratch.name, "run.pid")
        with open(hanging, "w", encoding="utf-8") as out:
            out.write(f'#!/bin/sh\n[ "$1" = config ] && exec {D2D} "$@"\n'
                      f'echo $$ > {pid_file}\necho started\nexec sleep 60\n')
        os.chmod(hanging, 0o755)

        def timeout(signum, frame):
            raise TimeoutError("execution_timeout")

        old = signal.signal(signal.SIGALRM, timeout)
        signal.alarm(2)
        started = time.monotonic()
        try:
            with self.assertRaises(TimeoutError):
                dag.run_lake_date(DATE, self.env(D2D_AIRFLOW_BINARY=hanging))
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
        # Stopped at once, not waited for (the hanging run would take 60 s).
        self.assertLess(time.monotonic() - started, 20)
        with open(pid_file, encoding="utf-8") as pid:
            with self.assertRaises(ProcessLookupError):
                os.kill(int(pid.read()), 0)

    def test_failure_hook_calls_the_configured_alert(self):
        module_dir = tempfile.mkdtemp(dir=self.scratch.name)
        with open(os.path.join(module_dir, "d2d_test_alert.py"), "w", encoding="utf-8") as out:
            out.write("received = []\ndef alert(line, context):\n    received.append(line)\n")
        sys.path.insert(0, module_dir)
        os.environ["D2D_AIRFLOW_ALERT"] = "d2d_test_alert.alert"
        try:
            ti = type("TI", (), {"try_number": 2})()
            with self.assertLogs(dag.log, "ERROR"):
                dag.on_task_failure({"ds": DATE, "ti": ti, "exception": dag.RunFailed("d2d exited 1: x")})
            import d2d_test_alert
            self.assertEqual(d2d_test_alert.received,
                             [f"door2door_etl: lake date {DATE} failed (try 2): d2d exited 1: x"])
        finally:
            del os.environ["D2D_AIRFLOW_ALERT"]
            sys.path.remove(module_dir)


if __name__ == "__main__":
    unittest.main(verbosity=2)
