"""Fixtures for the Dagster tests: a pipeline home with Dagster's home prepared and dbt parsed once."""
from __future__ import annotations

import shutil

import pytest
from dagster import DagsterInstance

from zoho_pipeline.dagster_home import prepare_dagster_home
from zoho_pipeline.defs.dbt import dagster_target_path, zoho_dbt_project


@pytest.fixture(scope="session")
def parsed_dbt_target(tmp_path_factory):
    """dbt's manifest for Dagster, parsed once per session (a parse takes ~10 s)."""
    home = tmp_path_factory.mktemp("dbt-parse-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZOHO_PIPELINE_HOME", str(home))
        patch.setenv("ZOHO_PIPELINE_DESTINATION", "duckdb")
        zoho_dbt_project()
        return dagster_target_path()


@pytest.fixture
def dagster_home(pipeline_home, parsed_dbt_target):
    """`pipeline_home` with dagster.yaml prepared and the session's dbt manifest copied in."""
    shutil.copytree(parsed_dbt_target, dagster_target_path(), dirs_exist_ok=True)
    return prepare_dagster_home()


@pytest.fixture
def dagster_instance(dagster_home):
    """The persistent Dagster instance at the test's DAGSTER_HOME (where the store's hook writes)."""
    instance = DagsterInstance.from_config(str(dagster_home))
    yield instance
    instance.dispose()
