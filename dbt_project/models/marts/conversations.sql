{{
    config(
        materialized='incremental',
        unique_key='conversation_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Deals and cases (tickets) as G-Tateth conversations. An incremental run rebuilds the records re-read
-- since the last run, newly deleted ones and those whose customer changed (a contact changed its email).
with

conversations as (

    select * from {{ ref('int_conversations_customer_assigned') }}

),

{% if is_incremental() %}
existing as (

    select
        conversation_id,
        customer_id,
        is_deleted,
        _extracted_at

    from {{ this }}

),

changed as (

    select conversations.conversation_id
    from conversations
    left join existing
        on conversations.conversation_id = existing.conversation_id
    where {{ changed_since_last_run('conversations', 'existing', ['conversation_id'], ['customer_id']) }}

),
{% endif %}

batch as (

    select * from conversations
    {% if is_incremental() -%}
    where conversation_id in (select conversation_id from changed)
    {%- endif %}

),

-- Custom fields are parsed in staging, once per record version.
custom_fields as (

    select
        'deal' as source,
        deals.integration_id,
        deals.zoho_deal_id as zoho_record_id,
        deals.custom_fields

    from {{ ref('stg_zoho__deals') }} as deals
    inner join batch
        on batch.source = 'deal'
        and deals.integration_id = batch.integration_id
        and deals.zoho_deal_id = batch.zoho_record_id

    union all

    select
        'ticket' as source,
        cases.integration_id,
        cases.zoho_case_id as zoho_record_id,
        cases.custom_fields

    from {{ ref('stg_zoho__cases') }} as cases
    inner join batch
        on batch.source = 'ticket'
        and cases.integration_id = batch.integration_id
        and cases.zoho_case_id = batch.zoho_record_id

),

previous as (

    {{ previous_content_hashes('conversation_id') }}

),

final as (

    select
        batch.conversation_id,
        batch.integration_id,
        batch.source,
        batch.zoho_record_id,
        batch.customer_id,
        batch.subject,
        batch.status,
        batch.priority,
        batch.metadata,
        coalesce(custom_fields.custom_fields, {{ empty_json_object() }}) as custom_fields,
        batch.is_deleted,
        batch.created_at,
        batch.updated_at,
        batch._extracted_at,
        {{ content_hash([
            'batch.conversation_id', 'batch.integration_id', 'batch.source', 'batch.zoho_record_id',
            'batch.customer_id', 'batch.subject', 'batch.status', 'batch.priority', 'batch.metadata',
            'custom_fields.custom_fields', 'batch.is_deleted', 'batch.created_at', 'batch.updated_at',
        ]) }} as _content_hash,
        previous._content_hash as _previous_content_hash,
        {{ transformed_at() }} as _transformed_at

    from batch
    left join custom_fields
        on batch.source = custom_fields.source
        and batch.integration_id = custom_fields.integration_id
        and batch.zoho_record_id = custom_fields.zoho_record_id
    left join previous
        on batch.conversation_id = previous.conversation_id

)

select * from final
