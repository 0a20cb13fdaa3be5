{{ staging_config('zoho_deal_id') }}
/* depends_on: {{ ref('stg_zoho__custom_fields') }} (read by custom_fields_object when the model runs) */
{%- set fields = [
    ('zoho_contact_id', ['Contact_Name', 'id']),
    ('zoho_account_id', ['Account_Name', 'id']),
    ('deal_name', ['Deal_Name']),
    ('stage', ['Stage']),
    ('pipeline_name', ['Pipeline']),
    ('description', ['Description']),
    ('created_by_name', ['Created_By', 'name']),
    ('created_by_email', ['Created_By', 'email']),
] -%}
{#- Values kept as JSON (metadata keeps Zoho's types: numbers stay numbers). -#}
{%- set json_fields = [
    ('amount', ['Amount']),
    ('closing_date', ['Closing_Date']),
    ('stage', ['Stage']),
    ('probability', ['Probability']),
] -%}

with

source as (

    select * from {{ zoho_source('deals') }}

),

new_versions as (

    select * from source
    {{- only_new_record_versions('source', 'zoho_deal_id', added_column='custom_fields') }}

),

extracted as (

    select
        *,
        {{ json_texts('record', fields) }} as zoho_texts,
        {{ json_values('record', json_fields) }} as zoho_values

    from new_versions

),

-- Custom fields parsed here, with the other fields, once per record version: the marts read this
-- small column instead of every record's JSON.
custom_fields as (

    {{ custom_fields_object('new_versions', 'Deals', 'id') }}

),

renamed as (

    select
        integration_id,
        id as zoho_deal_id,
        {{ json_field('zoho_texts', fields, 'zoho_contact_id') }} as zoho_contact_id,
        {{ json_field('zoho_texts', fields, 'zoho_account_id') }} as zoho_account_id,

        {{ json_field('zoho_texts', fields, 'deal_name') }} as deal_name,
        {{ json_field('zoho_texts', fields, 'stage') }} as stage,
        {{ json_field('zoho_texts', fields, 'pipeline_name') }} as pipeline_name,
        {{ json_field('zoho_values', json_fields, 'amount') }} as amount_json,
        {{ json_field('zoho_values', json_fields, 'closing_date') }} as closing_date_json,
        {{ json_field('zoho_values', json_fields, 'stage') }} as stage_json,
        {{ json_field('zoho_values', json_fields, 'probability') }} as probability_json,
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
        and renamed.zoho_deal_id = custom_fields.zoho_record_id

)

select * from final
