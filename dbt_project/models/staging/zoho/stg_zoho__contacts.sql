{{ staging_config('zoho_contact_id') }}
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
    {{- only_new_record_versions('source', 'zoho_contact_id') }}

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
        id as zoho_contact_id,
        {{ json_field('zoho_texts', fields, 'zoho_account_id') }} as zoho_account_id,

        lower(trim({{ json_field('zoho_texts', fields, 'email') }})) as email,
        {{ json_field('zoho_texts', fields, 'first_name') }} as first_name,
        {{ json_field('zoho_texts', fields, 'last_name') }} as last_name,
        {{ json_field('zoho_texts', fields, 'phone') }} as phone,
        {{ json_field('zoho_texts', fields, 'mobile') }} as mobile,
        {{ json_field('zoho_texts', fields, 'account_name') }} as account_name,
        {{ json_field('zoho_texts', fields, 'title') }} as title,
        record,

        created_time as created_at,
        modified_time as updated_at,
        _extracted_at

    from extracted

)

select * from renamed
