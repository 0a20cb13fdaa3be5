-- Calls with their direction (Call_Type Inbound / Outbound / Missed), duration in seconds (Zoho's
-- Call_Duration_in_seconds, else the "mm:ss" Call_Duration), customer (Who_Id) and conversation
-- (What_Id when it is a deal or case).
with

calls as (

    select * from {{ ref('stg_zoho__calls') }}

),

contacts as (

    select * from {{ ref('int_contacts_customer_assigned') }}

),

deleted_records as (

    select * from {{ ref('stg_zoho__deleted_records') }}
    where module = 'Calls'

),

mapped as (

    select
        {{ dbt.hash(dbt.concat(['calls.integration_id', "':'", 'calls.zoho_call_id'])) }} as call_log_id,
        calls.integration_id,
        calls.zoho_call_id,
        contacts.customer_id,
        case
            when calls.what_module in ('Deals', 'Cases')
                then {{ dbt.hash(dbt.concat(['calls.integration_id', "':'", 'calls.zoho_what_id'])) }}
        end as conversation_id,
        calls.subject,
        case lower(trim(calls.call_type))
            when 'inbound' then 'inbound'
            when 'outbound' then 'outbound'
            when 'missed' then 'missed'
        end as direction,
        calls.started_at,
        coalesce(
            calls.call_duration_in_seconds,
            cast(nullif(split_part(calls.call_duration, ':', 1), '') as integer) * 60
            + cast(nullif(split_part(calls.call_duration, ':', 2), '') as integer)
        ) as duration_seconds,
        calls.description,
        deleted_records.zoho_record_id is not null as is_deleted,
        calls.created_at,
        calls.updated_at,
        calls._extracted_at

    from calls
    left join contacts
        on calls.integration_id = contacts.integration_id
        and calls.zoho_who_id = contacts.zoho_contact_id
    left join deleted_records
        on calls.integration_id = deleted_records.integration_id
        and calls.zoho_call_id = deleted_records.zoho_record_id

)

select * from mapped
