"""Move a company's Zoho CRM into G-Tateth CRM: dlt extraction, dbt transformation, Dagster orchestration."""
