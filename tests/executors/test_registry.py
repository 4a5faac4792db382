"""The one executor registry: names and ``module:attr`` specs mean the same to the api, the CLI and the worker."""

from __future__ import annotations

import json
import re
import threading

import pytest
from click.testing import CliRunner

import qirrt
from qirrt.cli.app import main
from qirrt.errors import PluginError
from qirrt.executors import registry
from qirrt.executors.distributed.job import JobContext, run_program
from qirrt.executors.local.executor import LocalExecutor
from qirrt.executors.null import NullExecutor
from tests.corpus import ghz


def test_a_name_and_its_module_spec_load_the_same_class():
    assert registry.executor_factory("null") is NullExecutor
    assert registry.executor_factory("qirrt.executors.null:NullExecutor") is NullExecutor


def test_shared_instances_are_made_once_and_new_ones_are_fresh():
    shared = registry.get_executor("null")
    assert registry.get_executor("null") is shared
    assert qirrt.api.run.get_executor("null") is shared  # the api's name for it
    fresh = registry.new_executor("null")
    assert isinstance(fresh, NullExecutor) and fresh is not shared


def test_shared_instance_under_threads():
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(registry.get_executor("null"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(seen) == 8 and all(executor is seen[0] for executor in seen)


def test_options_go_to_the_class():
    executor = registry.new_executor("qirrt.executors.local.executor:LocalExecutor", precision="complex64")
    assert isinstance(executor, LocalExecutor) and executor.options.precision == "complex64"


AN_INSTANCE = NullExecutor()


def test_an_instance_takes_no_options():
    assert registry.new_executor("tests.executors.test_registry:AN_INSTANCE") is AN_INSTANCE
    with pytest.raises(PluginError, match=re.escape("is an instance, not a class, so it takes no options (shots)")):
        registry.new_executor("tests.executors.test_registry:AN_INSTANCE", shots=3)


@pytest.mark.parametrize("spec, message", [
    ("no-such-executor", "no plugin named 'no-such-executor' in group 'qirrt.executors' (known: "),
    ("no_such_module_xyz:Executor", "cannot load executor 'no_such_module_xyz:Executor': No module named"),
    ("qirrt.executors.null:Missing", "cannot load executor 'qirrt.executors.null:Missing': "),
])
def test_unknown_executors_are_plugin_errors(spec, message):
    with pytest.raises(PluginError, match=re.escape(message)):
        registry.new_executor(spec)


def test_the_cli_lists_the_registry_names():
    out = CliRunner().invoke(main, ["targets", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["executors"] == registry.executor_names()
    assert {"local", "null"} <= set(registry.executor_names())


def test_a_worker_job_runs_on_a_spec_loaded_executor():
    executor = registry.new_executor("qirrt.executors.local.executor:LocalExecutor")
    spec = {"id": "j1", "shots": 200, "seed": 7}
    result = run_program(executor, qirrt.load(ghz(3)), spec, JobContext("j1", 1, None, threading.Event()))
    assert result["shots"] == 200 and set(result["counts"]) <= {"000", "111"}
