{{
    config(
        materialized='incremental',
        unique_key='customer_note_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Notes that are not on a deal or case: notes on a contact are linked to its customer; notes on any
-- other record (an account, ...) keep their parent's module, id and name, so no note is dropped.
with

notes as (

    select * from {{ ref('int_notes_parent_routed') }}
    where mart = 'customer_notes'

),

{% if is_incremental() %}
existing as (

    select
        customer_note_id,
        customer_id,
        is_deleted,
        _extracted_at

    from {{ this }}

),
{% endif %}

customer_notes as (

    select
        {{ dbt.hash(dbt.concat(['integration_id', "':'", 'zoho_note_id'])) }} as customer_note_id,
        *

    from notes

),

final as (

    select
        customer_notes.customer_note_id,
        customer_notes.customer_id,
        customer_notes.integration_id,
        customer_notes.zoho_note_id,
        customer_notes.parent_module,
        customer_notes.zoho_parent_id,
        customer_notes.parent_name,
        customer_notes.title,
        customer_notes.body,
        customer_notes.author_name,
        customer_notes.author_email,
        customer_notes.is_deleted,
        customer_notes.created_at,
        customer_notes.updated_at,
        customer_notes._extracted_at,
        {{ transformed_at() }} as _transformed_at

    from customer_notes
    {% if is_incremental() -%}
    left join existing
        on customer_notes.customer_note_id = existing.customer_note_id
    where {{ changed_since_last_run('customer_notes', 'existing', ['customer_note_id'], ['customer_id']) }}
    {%- endif %}

)

select * from final
