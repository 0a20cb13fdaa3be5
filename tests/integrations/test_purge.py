"""`integrations remove --purge` deletes one integration's rows from raw tables and marts, only."""

from __future__ import annotations

import duckdb
import pytest

from zoho_pipeline import settings
from zoho_pipeline.integrations.purge import purge_integration_data

SETUP = [
    "create schema zoho_raw",
    "create schema gtateth",
    "create schema other",
    "create table zoho_raw.contacts (integration_id text, id text)",
    "create table zoho_raw.deleted_records (integration_id text, module text, id text)",
    "create table zoho_raw.no_integration (id text)",
    "create table gtateth.customers (integration_id text, customer_id text)",
    "create table other.contacts (integration_id text, id text)",
    "create view gtateth.customers_view as select * from gtateth.customers",
    "insert into zoho_raw.contacts values ('zi_a', '1'), ('zi_a', '2'), ('zi_b', '3')",
    "insert into zoho_raw.deleted_records values ('zi_a', 'Contacts', '9')",
    "insert into zoho_raw.no_integration values ('1')",
    "insert into gtateth.customers values ('zi_a', 'c1'), ('zi_b', 'c2')",
    "insert into other.contacts values ('zi_a', '1')",
]
EXPECTED = {"gtateth.customers": 1, "zoho_raw.contacts": 2, "zoho_raw.deleted_records": 1}
REMAINING = (
    "select (select count(*) from zoho_raw.contacts), (select count(*) from gtateth.customers), "
    "(select count(*) from other.contacts), (select count(*) from zoho_raw.no_integration)"
)


def test_purge_duckdb(pipeline_home):
    assert purge_integration_data("zi_a") == {}  # no warehouse yet
    with duckdb.connect(str(settings.duckdb_path())) as connection:
        for statement in SETUP:
            connection.execute(statement)
    assert purge_integration_data("zi_a") == EXPECTED
    with duckdb.connect(str(settings.duckdb_path())) as connection:
        assert connection.execute(REMAINING).fetchone() == (1, 1, 1, 1)


@pytest.mark.postgres
def test_purge_postgres(postgres_home, postgres_url):
    import psycopg2

    assert purge_integration_data("zi_a") == {}  # no schemas yet
    connection = psycopg2.connect(postgres_url)
    try:
        with connection, connection.cursor() as cursor:
            for statement in SETUP:
                cursor.execute(statement)
        assert purge_integration_data("zi_a") == EXPECTED
        with connection.cursor() as cursor:
            cursor.execute(REMAINING)
            assert cursor.fetchone() == (1, 1, 1, 1)
    finally:
        connection.close()
