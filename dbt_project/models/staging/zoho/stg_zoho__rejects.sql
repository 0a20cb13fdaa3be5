with

source as (

    select * from {{ zoho_source('rejects') }}

),

renamed as (

    select
        integration_id,
        import_id,
        module,
        record_id as zoho_record_id,
        reason,
        payload,
        rejected_at

    from source

)

select * from renamed
