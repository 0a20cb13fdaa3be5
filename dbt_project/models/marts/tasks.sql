{{
    config(
        materialized='incremental',
        unique_key='task_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Zoho Tasks (kind task) and Events (kind meeting). An incremental run rebuilds records changed since
-- the last run and those whose customer changed.
with

tasks as (

    select * from {{ ref('int_tasks_unioned') }}

),

{% if is_incremental() %}
existing as (

    select
        task_id,
        customer_id,
        is_deleted,
        _extracted_at

    from {{ this }}

),
{% endif %}

final as (

    select
        tasks.task_id,
        tasks.integration_id,
        tasks.kind,
        tasks.zoho_record_id,
        tasks.customer_id,
        tasks.conversation_id,
        tasks.subject,
        tasks.status,
        tasks.priority,
        tasks.due_at,
        tasks.ends_at,
        tasks.description,
        tasks.is_deleted,
        tasks.created_at,
        tasks.updated_at,
        tasks._extracted_at,
        {{ transformed_at() }} as _transformed_at

    from tasks
    {% if is_incremental() -%}
    left join existing
        on tasks.task_id = existing.task_id
    where {{ changed_since_last_run('tasks', 'existing', ['task_id'], ['customer_id']) }}
    {%- endif %}

)

select * from final
