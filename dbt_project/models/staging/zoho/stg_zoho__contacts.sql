{{ staging_config('zoho_contact_id') }}
/* depends_on: {{ ref('stg_zoho__custom_fields') }} (read by custom_fields_object when the model runs) */
{%- set fields = [
    ('zoho_account_id', ['Account_Name', 'id']),
    ('email', ['Email']),
    ('first_name', ['First_Name']),
    ('last_name', ['Last_Name']),
    ('phone', ['Phone']),
    ('mobile', ['Mobile']),
    ('account_name', ['Account_Name', 'name']),
    ('title', ['Title']),
] -%}

with

source as (

    select * from {{ zoho_source('contacts') }}

),

new_versions as (

    select * from source
    {{- only_new_record_versions('source', 'zoho_contact_id', added_column='custom_fields') }}

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

    {{ custom_fields_object('new_versions', 'Contacts', 'id') }}

),

renamed as (

    select
        integration_id,
        id as zoho_contact_id,
        {{ json_field('zoho_texts', fields, 'zoho_account_id') }} as zoho_account_id,

        lower(trim({{ json_field('zoho_texts', fields, 'email') }})) as email,
        {{ json_field('zoho_texts', fields, 'first_name') }} as first_name,
        {{ json_field('zoho_texts', fields, 'last_name') }} as last_name,
        {{ json_field('zoho_texts', fields, 'phone') }} as phone,
        {{ json_field('zoho_texts', fields, 'mobile') }} as mobile,
        {{ json_field('zoho_texts', fields, 'account_name') }} as account_name,
        {{ json_field('zoho_texts', fields, 'title') }} as title,

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
        and renamed.zoho_contact_id = custom_fields.zoho_record_id

)

select * from final
