{{ staging_config('zoho_case_id') }}
/* depends_on: {{ ref('stg_zoho__custom_fields') }} (read by custom_fields_object when the model runs) */
{%- set fields = [
    ('zoho_contact_id', ['Related_To', 'id']),
    ('zoho_account_id', ['Account_Name', 'id']),
    ('subject', ['Subject']),
    ('zoho_status', ['Status']),
    ('zoho_priority', ['Priority']),
    ('case_number', ['Case_Number']),
    ('case_origin', ['Case_Origin']),
    ('email', ['Email']),
    ('description', ['Description']),
    ('created_by_name', ['Created_By', 'name']),
    ('created_by_email', ['Created_By', 'email']),
] -%}

with

source as (

    select * from {{ zoho_source('cases') }}

),

new_versions as (

    select * from source
    {{- only_new_record_versions('source', 'zoho_case_id', added_column='custom_fields') }}

),

extracted as (

    select
        *,
        {{ json_texts('record', fields) }} as zoho_texts

    from new_versions

),

-- Custom fields parsed here, with the other fields, once per record version: the marts read this
-- small column instead of every record's JSON.
custom_fields as (

    {{ custom_fields_object('new_versions', 'Cases', 'id') }}

),

renamed as (

    select
        integration_id,
        id as zoho_case_id,
        {{ json_field('zoho_texts', fields, 'zoho_contact_id') }} as zoho_contact_id,
        {{ json_field('zoho_texts', fields, 'zoho_account_id') }} as zoho_account_id,

        {{ json_field('zoho_texts', fields, 'subject') }} as subject,
        {{ json_field('zoho_texts', fields, 'zoho_status') }} as zoho_status,
        {{ json_field('zoho_texts', fields, 'zoho_priority') }} as zoho_priority,
        {{ json_field('zoho_texts', fields, 'case_number') }} as case_number,
        {{ json_field('zoho_texts', fields, 'case_origin') }} as case_origin,
        lower(trim({{ json_field('zoho_texts', fields, 'email') }})) as email,
        {{ json_field('zoho_texts', fields, 'description') }} as description,
        {{ json_field('zoho_texts', fields, 'created_by_name') }} as created_by_name,
        {{ json_field('zoho_texts', fields, 'created_by_email') }} as created_by_email,

        created_time as created_at,
        modified_time as updated_at,
        _extracted_at

    from extracted

),

final as (

    select
        renamed.*,
        custom_fields.custom_fields

    from renamed
    left join custom_fields
        on renamed.integration_id = custom_fields.integration_id
        and renamed.zoho_case_id = custom_fields.zoho_record_id

)

select * from final
