-- Tasks and Events (meetings) as tasks. A task is completed when its Zoho Status is Completed; a
-- meeting when it had ended by the time it was read. Priority follows the priority seed (meetings
-- have none: medium).
with

tasks as (

    select * from {{ ref('stg_zoho__tasks') }}

),

events as (

    select * from {{ ref('stg_zoho__events') }}

),

contacts as (

    select * from {{ ref('int_contacts_customer_assigned') }}

),

priority_priority as (

    select
        lower(trim(zoho_priority)) as priority_key,
        priority

    from {{ ref('priority_priority') }}

),

deleted_records as (

    select * from {{ ref('stg_zoho__deleted_records') }}
    where module in ('Tasks', 'Events')

),

activities as (

    select
        integration_id,
        'Tasks' as zoho_module,
        'task' as kind,
        zoho_task_id as zoho_record_id,
        zoho_who_id,
        zoho_what_id,
        what_module,
        subject,
        case when lower(trim(zoho_status)) = 'completed' then 'completed' else 'open' end as status,
        zoho_priority,
        due_at,
        cast(null as timestamp with time zone) as ends_at,
        description,
        created_at,
        updated_at,
        _extracted_at

    from tasks

    union all

    select
        integration_id,
        'Events' as zoho_module,
        'meeting' as kind,
        zoho_event_id as zoho_record_id,
        zoho_who_id,
        zoho_what_id,
        what_module,
        event_title as subject,
        case when ends_at <= _extracted_at then 'completed' else 'open' end as status,
        cast(null as {{ dbt.type_string() }}) as zoho_priority,
        starts_at as due_at,
        ends_at,
        description,
        created_at,
        updated_at,
        _extracted_at

    from events

),

mapped as (

    select
        {{ dbt.hash(dbt.concat(['activities.integration_id', "':'", 'activities.zoho_record_id'])) }} as task_id,
        activities.integration_id,
        activities.kind,
        activities.zoho_record_id,
        contacts.customer_id,
        case
            when activities.what_module in ('Deals', 'Cases')
                then {{ dbt.hash(dbt.concat(['activities.integration_id', "':'", 'activities.zoho_what_id'])) }}
        end as conversation_id,
        activities.subject,
        activities.status,
        coalesce(priority_priority.priority, 'medium') as priority,
        activities.due_at,
        activities.ends_at,
        activities.description,
        deleted_records.zoho_record_id is not null as is_deleted,
        activities.created_at,
        activities.updated_at,
        activities._extracted_at

    from activities
    left join contacts
        on activities.integration_id = contacts.integration_id
        and activities.zoho_who_id = contacts.zoho_contact_id
    left join priority_priority
        on lower(trim(activities.zoho_priority)) = priority_priority.priority_key
    left join deleted_records
        on activities.integration_id = deleted_records.integration_id
        and activities.zoho_module = deleted_records.module
        and activities.zoho_record_id = deleted_records.zoho_record_id

)

select * from mapped
