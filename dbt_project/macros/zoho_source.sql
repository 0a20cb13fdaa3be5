{#-
  zoho_source('cases'): the raw table, or an empty relation of the contract's columns when dlt has not
  created it (a module not imported, or not available in the org's edition, e.g. Cases). source() is
  always called so the lineage graph stays raw -> staging -> marts.
-#}
{% macro zoho_source(table_name) -%}
    {%- set relation = source('zoho', table_name) -%}
    {%- if execute and relation.schema is not none and relation.identifier is not none and load_relation(relation) is none -%}
        (
            select
            {%- for column_name, column_type in _zoho_raw_columns(table_name) %}
                cast(null as {{ column_type }}) as {{ column_name }}{% if not loop.last %},{% endif %}
            {%- endfor %}
            where 1 = 0
        ) as missing_{{ table_name }}
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{% macro _zoho_raw_columns(table_name) -%}
    {%- set text = dbt.type_string() -%}
    {%- set ts = 'timestamp with time zone' -%}
    {%- set record_columns = [
        ('integration_id', text), ('id', text), ('created_time', ts), ('modified_time', ts),
        ('record', json_type()), ('_extracted_at', ts)] -%}
    {%- set columns = {
        'deleted_records': [('integration_id', text), ('module', text), ('id', text), ('deleted_at', ts),
                            ('deletion_type', text), ('display_name', text)],
        'fields': [('integration_id', text), ('module', text), ('api_name', text), ('field_label', text),
                   ('data_type', text), ('json_type', text), ('is_custom_field', 'boolean'),
                   ('lookup_module', text)],
        'deal_stages': [('integration_id', text), ('pipeline_name', text), ('stage', text),
                        ('display_value', text), ('forecast_type', text), ('forecast_category', text),
                        ('sequence_number', 'bigint')],
        'record_counts': [('integration_id', text), ('module', text), ('record_count', 'bigint'),
                          ('counted_at', ts)],
        'rejects': [('integration_id', text), ('import_id', text), ('module', text), ('record_id', text),
                    ('reason', text), ('payload', text), ('rejected_at', ts)],
    } -%}
    {{ return(columns.get(table_name, record_columns)) }}
{%- endmacro %}
