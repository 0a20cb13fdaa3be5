{{
    config(
        materialized='incremental',
        unique_key='message_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=[
            "{% if is_incremental() %}delete from {{ this }} as stale where stale.kind = 'description' and not exists (select 1 from {{ ref('int_messages_unioned') }} as current_messages where current_messages.message_id = stale.message_id){% endif %}",
        ],
    )
}}

-- Each conversation's messages: the record's Description first (at the record's created time), then
-- its notes. An incremental run rebuilds the messages of deals, cases and notes re-read since the last
-- run; the post-hook drops the description message of a record whose Description was emptied.
with

messages as (

    select * from {{ ref('int_messages_unioned') }}

),

{% if is_incremental() %}
existing as (

    select
        message_id,
        is_deleted,
        _extracted_at,
        _content_hash

    from {{ this }}

),
{% else %}
previous as (

    {{ previous_content_hashes('message_id') }}

),
{% endif %}

final as (

    select
        messages.message_id,
        messages.conversation_id,
        messages.integration_id,
        messages.kind,
        messages.zoho_note_id,
        messages.title,
        messages.body,
        messages.author_name,
        messages.author_email,
        messages.is_deleted,
        messages.created_at,
        messages.updated_at,
        messages._extracted_at,
        {{ content_hash([
            'messages.message_id', 'messages.conversation_id', 'messages.integration_id', 'messages.kind',
            'messages.zoho_note_id', 'messages.title', 'messages.body', 'messages.author_name',
            'messages.author_email', 'messages.is_deleted', 'messages.created_at', 'messages.updated_at',
        ]) }} as _content_hash,
        {% if is_incremental() -%} existing {%- else -%} previous {%- endif %}._content_hash as _previous_content_hash,
        {{ transformed_at() }} as _transformed_at

    from messages
    {% if is_incremental() -%}
    left join existing
        on messages.message_id = existing.message_id
    where {{ changed_since_last_run('messages', 'existing', ['message_id']) }}
    {%- else -%}
    left join previous
        on messages.message_id = previous.message_id
    {%- endif %}

)

select * from final
