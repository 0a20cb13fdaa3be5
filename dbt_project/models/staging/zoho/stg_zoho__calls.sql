{{ staging_config('zoho_call_id') }}
{%- set fields = [
    ('zoho_who_id', ['Who_Id', 'id']),
    ('zoho_what_id', ['What_Id', 'id']),
    ('what_module', ['$se_module']),
    ('subject', ['Subject']),
    ('call_type', ['Call_Type']),
    ('call_start_time', ['Call_Start_Time']),
    ('call_duration', ['Call_Duration']),
    ('call_duration_in_seconds', ['Call_Duration_in_seconds']),
    ('description', ['Description']),
] -%}

with

source as (

    select * from {{ zoho_source('calls') }}

),

new_versions as (

    select * from source
    {{- only_new_record_versions('source', 'zoho_call_id') }}

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
        id as zoho_call_id,
        {{ json_field('zoho_texts', fields, 'zoho_who_id') }} as zoho_who_id,
        {{ json_field('zoho_texts', fields, 'zoho_what_id') }} as zoho_what_id,
        {{ json_field('zoho_texts', fields, 'what_module') }} as what_module,

        {{ json_field('zoho_texts', fields, 'subject') }} as subject,
        {{ json_field('zoho_texts', fields, 'call_type') }} as call_type,
        -- Zoho datetimes keep the user's offset; the cast makes them UTC instants.
        cast({{ json_field('zoho_texts', fields, 'call_start_time') }} as timestamp with time zone) as started_at,
        {{ json_field('zoho_texts', fields, 'call_duration') }} as call_duration,
        cast({{ json_field('zoho_texts', fields, 'call_duration_in_seconds') }} as integer) as call_duration_in_seconds,
        {{ json_field('zoho_texts', fields, 'description') }} as description,

        created_time as created_at,
        modified_time as updated_at,
        _extracted_at

    from extracted

)

select * from renamed
