-- Per Zoho account and module: Zoho's own count, raw rows, rows in the marts and rejected rows.
-- Every raw row lands in exactly one mart row (deleted records included, flagged is_deleted):
--   Contacts -> customer_sources; Deals, Cases -> conversations; Notes -> messages (notes on deals and
--   cases) + customer_notes (all other notes); Calls -> call_logs; Tasks, Events -> tasks.
-- Accounts have no mart of their own (a contact's company is its Account_Name lookup): not reconciled.
-- Extract rejects count only when the record never loaded. The transform maps every raw row, so
-- transform_rejected_rows is 0 unless a mapping starts rejecting rows.
with

{% set record_modules = [
    ('Contacts', 'stg_zoho__contacts', 'zoho_contact_id'),
    ('Accounts', none, none),
    ('Deals', 'stg_zoho__deals', 'zoho_deal_id'),
    ('Cases', 'stg_zoho__cases', 'zoho_case_id'),
    ('Notes', 'stg_zoho__notes', 'zoho_note_id'),
    ('Calls', 'stg_zoho__calls', 'zoho_call_id'),
    ('Tasks', 'stg_zoho__tasks', 'zoho_task_id'),
    ('Events', 'stg_zoho__events', 'zoho_event_id'),
] %}

raw_records as (

    {% for module, model, id_column in record_modules if model %}
    select
        integration_id,
        '{{ module }}' as module,
        {{ id_column }} as zoho_record_id
    from {{ ref(model) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

deleted_records as (

    select * from {{ ref('stg_zoho__deleted_records') }}

),

raw_counts as (

    select
        raw_records.integration_id,
        raw_records.module,
        count(*) as raw_rows,
        count(*) - count(deleted_records.zoho_record_id) as raw_live_rows

    from raw_records
    left join deleted_records
        on raw_records.integration_id = deleted_records.integration_id
        and raw_records.module = deleted_records.module
        and raw_records.zoho_record_id = deleted_records.zoho_record_id
    group by 1, 2

),

mart_rows as (

    select integration_id, 'Contacts' as module from {{ ref('customer_sources') }}
    union all
    select integration_id, case source when 'deal' then 'Deals' else 'Cases' end as module
    from {{ ref('conversations') }}
    union all
    select integration_id, 'Notes' as module from {{ ref('messages') }} where kind = 'note'
    union all
    select integration_id, 'Notes' as module from {{ ref('customer_notes') }}
    union all
    select integration_id, 'Calls' as module from {{ ref('call_logs') }}
    union all
    select integration_id, case kind when 'task' then 'Tasks' else 'Events' end as module
    from {{ ref('tasks') }}

),

mart_counts as (

    select
        integration_id,
        module,
        count(*) as mart_rows

    from mart_rows
    group by 1, 2

),

rejects as (

    select * from {{ ref('stg_zoho__rejects') }}

),

extract_rejects as (

    select
        rejects.integration_id,
        rejects.module,
        count(distinct rejects.zoho_record_id)
        + count(case when rejects.zoho_record_id is null then 1 end) as extract_rejected_rows

    from rejects
    left join raw_records
        on rejects.integration_id = raw_records.integration_id
        and rejects.module = raw_records.module
        and rejects.zoho_record_id = raw_records.zoho_record_id
    where raw_records.zoho_record_id is null
    group by 1, 2

),

zoho_counts as (

    select
        integration_id,
        module,
        max(record_count) as zoho_record_count

    from {{ ref('stg_zoho__record_counts') }}
    group by 1, 2

),

modules as (

    select integration_id, module from raw_counts
    union
    select integration_id, module from mart_counts
    union
    select integration_id, module from extract_rejects
    union
    select integration_id, module from zoho_counts

),

final as (

    select
        modules.integration_id,
        modules.module,
        modules.module <> 'Accounts' as is_reconciled,
        zoho_counts.zoho_record_count,
        coalesce(raw_counts.raw_rows, 0) as raw_rows,
        coalesce(raw_counts.raw_live_rows, 0) as raw_live_rows,
        case when modules.module <> 'Accounts' then coalesce(mart_counts.mart_rows, 0) end as mart_rows,
        coalesce(extract_rejects.extract_rejected_rows, 0) as extract_rejected_rows,
        0 as transform_rejected_rows,
        coalesce(extract_rejects.extract_rejected_rows, 0) + 0 as rejected_rows

    from modules
    left join raw_counts
        on modules.integration_id = raw_counts.integration_id
        and modules.module = raw_counts.module
    left join mart_counts
        on modules.integration_id = mart_counts.integration_id
        and modules.module = mart_counts.module
    left join extract_rejects
        on modules.integration_id = extract_rejects.integration_id
        and modules.module = extract_rejects.module
    left join zoho_counts
        on modules.integration_id = zoho_counts.integration_id
        and modules.module = zoho_counts.module

)

select * from final
