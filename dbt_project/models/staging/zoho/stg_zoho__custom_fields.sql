-- Custom fields straight from Zoho's field metadata (never guessed from names).
with

source as (

    select * from {{ zoho_source('fields') }}

),

custom_fields as (

    select
        integration_id,
        module,
        api_name,
        field_label,
        data_type,
        json_type

    from source
    where is_custom_field

)

select * from custom_fields
