with

source as (

    select * from {{ zoho_source('deleted_records') }}

),

renamed as (

    select
        integration_id,
        module,
        id as zoho_record_id,
        deletion_type,
        display_name,
        deleted_at

    from source

)

select * from renamed
