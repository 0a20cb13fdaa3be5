{{
    config(
        materialized='incremental',
        unique_key='call_log_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Zoho Calls. An incremental run rebuilds calls changed since the last run and those whose customer changed.
with

call_logs as (

    select * from {{ ref('int_call_logs_mapped') }}

),

{% if is_incremental() %}
existing as (

    select
        call_log_id,
        customer_id,
        is_deleted,
        _extracted_at

    from {{ this }}

),
{% endif %}

final as (

    select
        call_logs.call_log_id,
        call_logs.integration_id,
        call_logs.zoho_call_id,
        call_logs.customer_id,
        call_logs.conversation_id,
        call_logs.subject,
        call_logs.direction,
        call_logs.started_at,
        call_logs.duration_seconds,
        call_logs.description,
        call_logs.is_deleted,
        call_logs.created_at,
        call_logs.updated_at,
        call_logs._extracted_at,
        {{ transformed_at() }} as _transformed_at

    from call_logs
    {% if is_incremental() -%}
    left join existing
        on call_logs.call_log_id = existing.call_log_id
    where {{ changed_since_last_run('call_logs', 'existing', ['call_log_id'], ['customer_id']) }}
    {%- endif %}

)

select * from final
