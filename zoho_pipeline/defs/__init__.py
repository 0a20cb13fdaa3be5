"""Dagster definitions by technology (dlt, dbt, partitions, jobs, schedules); assembled in definitions.py."""
