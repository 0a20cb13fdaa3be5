{#-
  The only engine-specific SQL of the project: JSON access and building, one adapter.dispatch macro each
  with a duckdb__ and a postgres__ branch. Raw `record` columns are DuckDB JSON / Postgres jsonb; JSON
  columns we build are the same types.
-#}

{#- json_text(col, 'Account_Name', 'id'): the value at that key path as text (null when missing or JSON null). -#}
{% macro json_text(column) -%}
    {{ return(adapter.dispatch('json_text', 'zoho_gtateth')(column, varargs)) }}
{%- endmacro %}

{% macro duckdb__json_text(column, keys) -%}
    json_extract_string({{ column }}, '{{ _duckdb_json_path(keys) }}')
{%- endmacro %}

{% macro postgres__json_text(column, keys) -%}
    ({{ column }} #>> '{{ _postgres_json_path(keys) }}')
{%- endmacro %}


{#- json_value(col, 'Amount'): the value at that key path as JSON (JSON null stays JSON null; missing is null). -#}
{% macro json_value(column) -%}
    {{ return(adapter.dispatch('json_value', 'zoho_gtateth')(column, varargs)) }}
{%- endmacro %}

{% macro duckdb__json_value(column, keys) -%}
    json_extract({{ column }}, '{{ _duckdb_json_path(keys) }}')
{%- endmacro %}

{% macro postgres__json_value(column, keys) -%}
    ({{ column }} #> '{{ _postgres_json_path(keys) }}')
{%- endmacro %}


{#- json_value_at(col, key_expression): the top-level value whose key is a SQL expression (JSON). -#}
{% macro json_value_at(column, key_expression) -%}
    {{ return(adapter.dispatch('json_value_at', 'zoho_gtateth')(column, key_expression)) }}
{%- endmacro %}

{% macro duckdb__json_value_at(column, key_expression) -%}
    json_extract({{ column }}, '$."' || {{ key_expression }} || '"')
{%- endmacro %}

{% macro postgres__json_value_at(column, key_expression) -%}
    ({{ column }} -> {{ key_expression }})
{%- endmacro %}


{#- json_build_object('key', value_expression, ...): a JSON object (values that are JSON stay nested). -#}
{% macro json_build_object() -%}
    {{ return(adapter.dispatch('json_build_object', 'zoho_gtateth')(varargs)) }}
{%- endmacro %}

{% macro duckdb__json_build_object(pairs) -%}
    json_object({{ pairs | join(', ') }})
{%- endmacro %}

{% macro postgres__json_build_object(pairs) -%}
    jsonb_build_object({{ pairs | join(', ') }})
{%- endmacro %}


{#- json_object_agg(key, value): aggregate key/value rows into one JSON object. -#}
{% macro json_object_agg(key_expression, value_expression) -%}
    {{ return(adapter.dispatch('json_object_agg', 'zoho_gtateth')(key_expression, value_expression)) }}
{%- endmacro %}

{% macro duckdb__json_object_agg(key_expression, value_expression) -%}
    {#- Keys sorted, so the same data always gives the same JSON text (jsonb sorts its keys itself). -#}
    to_json(map(
        list({{ key_expression }} order by {{ key_expression }}),
        list({{ value_expression }} order by {{ key_expression }})
    ))
{%- endmacro %}

{% macro postgres__json_object_agg(key_expression, value_expression) -%}
    jsonb_object_agg({{ key_expression }}, {{ value_expression }})
{%- endmacro %}


{#- json_type(): the JSON column type; empty_json_object(): '{}' of that type. -#}
{% macro json_type() -%}
    {{ return(adapter.dispatch('json_type', 'zoho_gtateth')()) }}
{%- endmacro %}

{% macro duckdb__json_type() -%}json{%- endmacro %}

{% macro postgres__json_type() -%}jsonb{%- endmacro %}

{% macro empty_json_object() -%}
    cast('{}' as {{ json_type() }})
{%- endmacro %}


{#- custom_fields_object(records, module, id_column): one row per record of `records` (integration_id,
    <id_column>, record) with its custom fields: (integration_id, zoho_record_id, custom_fields).
    The custom fields are the `is_custom_field` rows of zoho_raw.fields for that Zoho account and module
    (stg_zoho__custom_fields). A field missing from the record is left out; one present with null is
    kept as null ("as Zoho gave it"). Keys: 'zoho_' || lower(api_name). -#}
{% macro custom_fields_object(records, module, id_column='zoho_record_id') -%}
    {{ return(adapter.dispatch('custom_fields_object', 'zoho_gtateth')(records, module, id_column)) }}
{%- endmacro %}

{% macro default__custom_fields_object(records, module, id_column) -%}
    select
        records.integration_id,
        records.{{ id_column }} as zoho_record_id,
        {{ json_object_agg("'zoho_' || lower(custom_fields.api_name)", json_value_at('records.record', 'custom_fields.api_name')) }} as custom_fields
    from {{ records }} as records
    inner join {{ ref('stg_zoho__custom_fields') }} as custom_fields
        on records.integration_id = custom_fields.integration_id
        and custom_fields.module = '{{ module }}'
    where {{ json_value_at('records.record', 'custom_fields.api_name') }} is not null
    group by 1, 2
{%- endmacro %}

{#- DuckDB parses a JSON document once per json_extract call, so reading the custom fields one by one
    parses each record once per field. Instead: read the module's custom field names (over all Zoho
    accounts) when the model runs, extract them all in one pass, then keep those that are custom in
    the record's own account and present in the record. -#}
{% macro duckdb__custom_fields_object(records, module, id_column) -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- set found = run_query(
            "select distinct api_name from " ~ ref('stg_zoho__custom_fields')
            ~ " where module = '" ~ module ~ "' order by api_name") -%}
        {%- set names = found.columns[0].values() | list -%}
    {%- endif -%}
    {%- if names | length == 0 -%}
    select
        cast(null as varchar) as integration_id,
        cast(null as varchar) as zoho_record_id,
        cast(null as json) as custom_fields
    where 1 = 0
    {%- else -%}
    {%- set fields = [] -%}
    {%- for name in names -%}{%- do fields.append((name, [name])) -%}{%- endfor -%}
    select
        extracted.integration_id,
        extracted.zoho_record_id,
        to_json(map_from_entries(list_transform(
            list_filter(
                range(1, {{ names | length + 1 }}),
                lambda position: extracted.field_values[position] is not null
                    and list_contains(account_fields.api_names, extracted.api_names[position])
            ),
            lambda position: {
                'key': 'zoho_' || lower(extracted.api_names[position]),
                'value': extracted.field_values[position]
            }
        ))) as custom_fields
    from (
        select
            integration_id,
            {{ id_column }} as zoho_record_id,
            [{% for name in names %}'{{ name }}'{% if not loop.last %}, {% endif %}{% endfor %}] as api_names,
            {{ duckdb__json_values('record', fields) }} as field_values
        from {{ records }}
    ) as extracted
    inner join (
        select
            integration_id,
            list(api_name) as api_names
        from {{ ref('stg_zoho__custom_fields') }}
        where module = '{{ module }}'
        group by 1
    ) as account_fields
        on extracted.integration_id = account_fields.integration_id
    {%- endif -%}
{%- endmacro %}


{#- Key paths: DuckDB '$."A"."B"', Postgres '{A,B}' (keys may start with $, e.g. $se_module). -#}
{% macro _duckdb_json_path(keys) -%}
    $.{% for key in keys %}"{{ key }}"{% if not loop.last %}.{% endif %}{% endfor %}
{%- endmacro %}

{% macro _postgres_json_path(keys) -%}
    {{ '{' }}{{ keys | join(',') }}{{ '}' }}
{%- endmacro %}


{#- json_texts(col, fields) / json_values(col, fields): every field of `fields` (a list of
    (alias, [key, ...]) pairs) read in ONE pass over the JSON document, as an array of text / of JSON.
    Pick an element with json_field(array_column, fields, alias). DuckDB parses a JSON document
    once per call, so reading fields one by one would parse each record a dozen times. -#}
{% macro json_texts(column, fields) -%}
    {{ return(adapter.dispatch('json_texts', 'zoho_gtateth')(column, fields)) }}
{%- endmacro %}

{% macro duckdb__json_texts(column, fields) -%}
    json_extract_string({{ column }}, [
        {%- for alias, keys in fields %}'{{ _duckdb_json_path(keys) }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    ])
{%- endmacro %}

{% macro postgres__json_texts(column, fields) -%}
    array[
        {%- for alias, keys in fields %}{{ column }} #>> '{{ _postgres_json_path(keys) }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    ]::text[]
{%- endmacro %}

{% macro json_values(column, fields) -%}
    {{ return(adapter.dispatch('json_values', 'zoho_gtateth')(column, fields)) }}
{%- endmacro %}

{% macro duckdb__json_values(column, fields) -%}
    json_extract({{ column }}, [
        {%- for alias, keys in fields %}'{{ _duckdb_json_path(keys) }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    ])
{%- endmacro %}

{% macro postgres__json_values(column, fields) -%}
    array[
        {%- for alias, keys in fields %}{{ column }} #> '{{ _postgres_json_path(keys) }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    ]::jsonb[]
{%- endmacro %}

{#- json_field('zoho_texts', fields, 'email'): the element of that alias (arrays are 1-based in both engines). -#}
{% macro json_field(array_column, fields, alias) -%}
    {%- set found = namespace(index=none) -%}
    {%- for field_alias, keys in fields -%}
        {%- if field_alias == alias and found.index is none -%}{%- set found.index = loop.index -%}{%- endif -%}
    {%- endfor -%}
    {%- if found.index is none -%}
        {{ exceptions.raise_compiler_error("json_field: no field " ~ alias) }}
    {%- endif -%}
    {{ array_column }}[{{ found.index }}]
{%- endmacro %}
