-- Deals with their conversation status: the stage seed first (trimmed, case-insensitive), else the
-- forecast type of the stage in the deal's pipeline (Closed Won / Closed Lost -> closed, else open).
with

deals as (

    select * from {{ ref('stg_zoho__deals') }}

),

deal_stage_status as (

    select
        lower(trim(zoho_stage)) as stage_key,
        status

    from {{ ref('deal_stage_status') }}

),

deal_stages as (

    select * from {{ ref('stg_zoho__deal_stages') }}

),

deleted_records as (

    select * from {{ ref('stg_zoho__deleted_records') }}
    where module = 'Deals'

),

-- A stage can appear in several pipelines: prefer the deal's own pipeline, then any pipeline of the
-- same Zoho account that has a closed forecast for it (deterministic, whatever the row order).
stage_forecasts as (

    select
        integration_id,
        pipeline_name,
        lower(trim(stage)) as stage_key,
        forecast_type

    from deal_stages

    union

    select
        integration_id,
        pipeline_name,
        lower(trim(display_value)) as stage_key,
        forecast_type

    from deal_stages

),

deal_forecasts as (

    select
        deals.integration_id,
        deals.zoho_deal_id,
        max(case when stage_forecasts.pipeline_name = deals.pipeline_name then stage_forecasts.forecast_type end)
            as pipeline_forecast_type,
        max(stage_forecasts.forecast_type) as any_forecast_type

    from deals
    inner join stage_forecasts
        on deals.integration_id = stage_forecasts.integration_id
        and lower(trim(deals.stage)) = stage_forecasts.stage_key
    group by 1, 2

),

mapped as (

    select
        deals.integration_id,
        deals.zoho_deal_id,
        deals.zoho_contact_id,
        deals.deal_name,
        deals.stage,
        coalesce(
            deal_stage_status.status,
            case
                when coalesce(deal_forecasts.pipeline_forecast_type, deal_forecasts.any_forecast_type)
                    in ('Closed Won', 'Closed Lost') then 'closed'
                else 'open'
            end
        ) as status,
        deals.amount_json,
        deals.closing_date_json,
        deals.stage_json,
        deals.probability_json,
        deals.description,
        deals.created_by_name,
        deals.created_by_email,
        deleted_records.zoho_record_id is not null as is_deleted,
        deals.created_at,
        deals.updated_at,
        deals._extracted_at

    from deals
    left join deal_stage_status
        on lower(trim(deals.stage)) = deal_stage_status.stage_key
    left join deal_forecasts
        on deals.integration_id = deal_forecasts.integration_id
        and deals.zoho_deal_id = deal_forecasts.zoho_deal_id
    left join deleted_records
        on deals.integration_id = deleted_records.integration_id
        and deals.zoho_deal_id = deleted_records.zoho_record_id

)

select * from mapped
