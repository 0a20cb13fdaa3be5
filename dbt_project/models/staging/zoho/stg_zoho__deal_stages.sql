with

source as (

    select * from {{ zoho_source('deal_stages') }}

),

renamed as (

    select
        integration_id,
        pipeline_name,
        stage,
        display_value,
        forecast_type,
        forecast_category,
        sequence_number

    from source

)

select * from renamed
