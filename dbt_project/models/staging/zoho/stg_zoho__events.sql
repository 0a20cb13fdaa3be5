{{ staging_config('zoho_event_id') }}
{%- set fields = [
    ('zoho_who_id', ['Who_Id', 'id']),
    ('zoho_what_id', ['What_Id', 'id']),
    ('what_module', ['$se_module']),
    ('event_title', ['Event_Title']),
    ('start_datetime', ['Start_DateTime']),
    ('end_datetime', ['End_DateTime']),
    ('description', ['Description']),
] -%}

with

source as (

    select * from {{ zoho_source('events') }}

),

new_versions as (

    select * from source
    {{- only_new_record_versions('source', 'zoho_event_id') }}

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
        id as zoho_event_id,
        {{ json_field('zoho_texts', fields, 'zoho_who_id') }} as zoho_who_id,
        {{ json_field('zoho_texts', fields, 'zoho_what_id') }} as zoho_what_id,
        {{ json_field('zoho_texts', fields, 'what_module') }} as what_module,

        {{ json_field('zoho_texts', fields, 'event_title') }} as event_title,
        cast({{ json_field('zoho_texts', fields, 'start_datetime') }} as timestamp with time zone) as starts_at,
        cast({{ json_field('zoho_texts', fields, 'end_datetime') }} as timestamp with time zone) as ends_at,
        {{ json_field('zoho_texts', fields, 'description') }} as description,

        created_time as created_at,
        modified_time as updated_at,
        _extracted_at

    from extracted

)

select * from renamed
