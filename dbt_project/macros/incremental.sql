{#-
  How the incremental marts find what changed, without trusting any clock or load order across
  Zoho accounts: each mart row keeps `_extracted_at` (when dlt read the Zoho record version it was
  built from). An incremental run rebuilds the rows whose record was re-read, whose deletion flag or
  customer changed, and the new ones - a row-by-row comparison with the mart, so imports of several
  accounts may load in any order. `_transformed_at` is the dbt run that wrote the row.
-#}
{% macro transformed_at() -%}
    cast('{{ run_started_at.isoformat() }}' as timestamp with time zone)
{%- endmacro %}

{#- changed_since_last_run('conversations', 'existing', ['conversation_id'], ['customer_id']): the where
    clause selecting rows of `new_rows` that are new or differ from `existing` (the mart's current rows). -#}
{% macro changed_since_last_run(new_rows, existing, keys, compared=[]) -%}
    {%- set first_key = keys[0] -%}
    {{ existing }}.{{ first_key }} is null
    {%- for column in ['_extracted_at', 'is_deleted'] + compared %}
        or {{ new_rows }}.{{ column }} is distinct from {{ existing }}.{{ column }}
    {%- endfor %}
{%- endmacro %}

{% macro existing_join(new_rows, existing, keys) -%}
    {%- for key in keys %}
        {% if not loop.first %}and {% endif %}{{ new_rows }}.{{ key }} = {{ existing }}.{{ key }}
    {%- endfor %}
{%- endmacro %}

{#- The newest _transformed_at in this mart (a date long past when it is empty). -#}
{% macro last_transformed_at() -%}
    (
        select coalesce(max(_transformed_at), cast('1970-01-01T00:00:00+00:00' as timestamp with time zone))
        from {{ this }}
    )
{%- endmacro %}

{#- The staging record models parse the raw JSON; incrementally they parse only record versions not
    staged yet (a new or re-read record has a new _extracted_at). Raw rows are never deleted (dlt merges). -#}
{% macro staging_config(id_column) -%}
    {{ config(
        materialized='incremental',
        unique_key=['integration_id', id_column],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    ) }}
{%- endmacro %}

{#- only_new_record_versions(raw_rows, id_column, added_column): on an incremental run, the raw rows not staged
    yet. `added_column`: a column newer than some staged tables; where {{ this }} lacks it, everything is
    staged again (once), so a warehouse built before it needs no manual full refresh. -#}
{% macro only_new_record_versions(raw_rows, id_column, added_column=none) -%}
    {%- set restage = added_column is not none and is_incremental() and execute
        and added_column not in adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if is_incremental() and not restage %}
    where not exists (
        select 1
        from {{ this }} as staged
        where staged.integration_id = {{ raw_rows }}.integration_id
            and staged.{{ id_column }} = {{ raw_rows }}.id
            and staged._extracted_at = {{ raw_rows }}._extracted_at
    )
    {%- endif %}
{%- endmacro %}

{#- content_hash(['email', ...]): md5 of a row's business columns, so an import can count the rows it
    really changed (zoho_pipeline.transform compares it before and after the run). -#}
{% macro content_hash(columns) -%}
    md5(concat_ws('|'
        {%- for column in columns %}, coalesce(cast({{ column }} as {{ dbt.type_string() }}), '<null>'){% endfor -%}
    ))
{%- endmacro %}

{#- previous_content_hashes('customer_id'): the mart's current (id, _content_hash) (none before its first
    build). Each row a build writes keeps the hash its id had as `_previous_content_hash` (null: a new id),
    so zoho_pipeline.transform counts created and updated rows without copying the mart first. -#}
{% macro previous_content_hashes(id_column) -%}
    {%- if execute and load_relation(this) is not none %}
    select {{ id_column }}, _content_hash from {{ this }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as {{ id_column }},
        cast(null as {{ dbt.type_string() }}) as _content_hash
    where 1 = 0
    {%- endif %}
{%- endmacro %}
