{{ staging_config('zoho_task_id') }}
{%- set fields = [
    ('zoho_who_id', ['Who_Id', 'id']),
    ('zoho_what_id', ['What_Id', 'id']),
    ('what_module', ['$se_module']),
    ('subject', ['Subject']),
    ('zoho_status', ['Status']),
    ('zoho_priority', ['Priority']),
    ('due_date', ['Due_Date']),
    ('description', ['Description']),
] -%}

with

source as (

    select * from {{ zoho_source('tasks') }}

),

new_versions as (

    select * from source
    {{- only_new_record_versions('source', 'zoho_task_id') }}

),

extracted as (

    select
        *,
        {{ json_texts('record', fields) }} as zoho_texts

    from new_versions

),

renamed as (

    select
        integration_id,
        id as zoho_task_id,
        {{ json_field('zoho_texts', fields, 'zoho_who_id') }} as zoho_who_id,
        {{ json_field('zoho_texts', fields, 'zoho_what_id') }} as zoho_what_id,
        {{ json_field('zoho_texts', fields, 'what_module') }} as what_module,

        {{ json_field('zoho_texts', fields, 'subject') }} as subject,
        {{ json_field('zoho_texts', fields, 'zoho_status') }} as zoho_status,
        {{ json_field('zoho_texts', fields, 'zoho_priority') }} as zoho_priority,
        -- A due date is a day; it is due at the start of that day, UTC.
        cast({{ json_field('zoho_texts', fields, 'due_date') }} || 'T00:00:00+00:00' as timestamp with time zone) as due_at,
        {{ json_field('zoho_texts', fields, 'description') }} as description,

        created_time as created_at,
        modified_time as updated_at,
        _extracted_at

    from extracted

)

select * from renamed
