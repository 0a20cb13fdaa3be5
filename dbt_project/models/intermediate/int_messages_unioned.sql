-- A conversation's messages: its non-empty Description first, at the record's created time, then each
-- note on the deal or case at the note's created time.
with

conversations as (

    select * from {{ ref('int_conversations_customer_assigned') }}

),

notes as (

    select * from {{ ref('int_notes_parent_routed') }}
    where mart = 'messages'

),

descriptions as (

    select
        {{ dbt.hash(dbt.concat(['integration_id', "':'", 'zoho_record_id', "':description'"])) }} as message_id,
        conversation_id,
        integration_id,
        'description' as kind,
        cast(null as {{ dbt.type_string() }}) as zoho_note_id,
        cast(null as {{ dbt.type_string() }}) as title,
        description as body,
        created_by_name as author_name,
        created_by_email as author_email,
        is_deleted,
        created_at,
        updated_at,
        _extracted_at

    from conversations
    where trim(description) <> ''

),

note_messages as (

    select
        {{ dbt.hash(dbt.concat(['integration_id', "':'", 'zoho_note_id'])) }} as message_id,
        conversation_id,
        integration_id,
        'note' as kind,
        zoho_note_id,
        title,
        body,
        author_name,
        author_email,
        is_deleted,
        created_at,
        updated_at,
        _extracted_at

    from notes

),

final as (

    select * from descriptions
    union all
    select * from note_messages

)

select * from final
