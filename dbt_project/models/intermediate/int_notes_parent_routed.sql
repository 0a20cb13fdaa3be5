-- Every note, routed by its parent so none is dropped: notes on a deal or case become messages of that
-- conversation; all other notes (on contacts, accounts or any other module) become customer notes,
-- linked to the contact's customer when the parent is a contact.
with

notes as (

    select
        *,
        -- An equi-join key (a condition on parent_module inside the join would make it a nested loop).
        case when parent_module = 'Contacts' then zoho_parent_id end as zoho_contact_id

    from {{ ref('stg_zoho__notes') }}

),

contacts as (

    select * from {{ ref('int_contacts_customer_assigned') }}

),

deleted_records as (

    select * from {{ ref('stg_zoho__deleted_records') }}
    where module = 'Notes'

),

routed as (

    select
        notes.integration_id,
        notes.zoho_note_id,
        case
            when notes.parent_module in ('Deals', 'Cases') then 'messages'
            else 'customer_notes'
        end as mart,
        case
            when notes.parent_module in ('Deals', 'Cases')
                then {{ dbt.hash(dbt.concat(['notes.integration_id', "':'", 'notes.zoho_parent_id'])) }}
        end as conversation_id,
        contacts.customer_id,
        notes.parent_module,
        notes.zoho_parent_id,
        notes.parent_name,
        notes.title,
        notes.body,
        notes.author_name,
        notes.author_email,
        deleted_records.zoho_record_id is not null as is_deleted,
        notes.created_at,
        notes.updated_at,
        notes._extracted_at

    from notes
    left join contacts
        on notes.integration_id = contacts.integration_id
        and notes.zoho_contact_id = contacts.zoho_contact_id
    left join deleted_records
        on notes.integration_id = deleted_records.integration_id
        and notes.zoho_note_id = deleted_records.zoho_record_id

)

select * from routed
