with

source as (

    select * from {{ zoho_source('record_counts') }}

),

renamed as (

    select
        integration_id,
        module,
        record_count,
        counted_at

    from source

)

select * from renamed
