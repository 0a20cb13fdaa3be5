-- Cases with their conversation status and priority from the seeds (trimmed, case-insensitive):
-- a status not in the seed is open; an empty or unknown priority is medium.
with

cases as (

    select * from {{ ref('stg_zoho__cases') }}

),

case_status_status as (

    select
        lower(trim(zoho_status)) as status_key,
        status

    from {{ ref('case_status_status') }}

),

priority_priority as (

    select
        lower(trim(zoho_priority)) as priority_key,
        priority

    from {{ ref('priority_priority') }}

),

deleted_records as (

    select * from {{ ref('stg_zoho__deleted_records') }}
    where module = 'Cases'

),

mapped as (

    select
        cases.integration_id,
        cases.zoho_case_id,
        cases.zoho_contact_id,
        cases.email,
        cases.subject,
        coalesce(case_status_status.status, 'open') as status,
        coalesce(priority_priority.priority, 'medium') as priority,
        cases.zoho_status,
        cases.zoho_priority,
        cases.case_number,
        cases.case_origin,
        cases.description,
        cases.created_by_name,
        cases.created_by_email,
        deleted_records.zoho_record_id is not null as is_deleted,
        cases.created_at,
        cases.updated_at,
        cases._extracted_at

    from cases
    left join case_status_status
        on lower(trim(cases.zoho_status)) = case_status_status.status_key
    left join priority_priority
        on lower(trim(cases.zoho_priority)) = priority_priority.priority_key
    left join deleted_records
        on cases.integration_id = deleted_records.integration_id
        and cases.zoho_case_id = deleted_records.zoho_record_id

)

select * from mapped
