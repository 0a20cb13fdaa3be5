{{
    config(
        materialized='incremental',
        unique_key=['integration_id', 'zoho_contact_id'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Every Zoho contact exactly once, with its customer. A changed contact keeps, in
-- _previous_customer_id, the customer it had before, so `customers` can rebuild the customer it left.
with

contacts as (

    select * from {{ ref('int_contacts_customer_assigned') }}

),

{% if is_incremental() %}
existing as (

    select
        integration_id,
        zoho_contact_id,
        customer_id,
        is_deleted,
        _extracted_at

    from {{ this }}

),
{% endif %}

final as (

    select
        contacts.customer_id,
        contacts.integration_id,
        contacts.zoho_contact_id,
        contacts.is_deleted,
        contacts.created_at,
        contacts.updated_at,
        {% if is_incremental() -%}
        existing.customer_id
        {%- else -%}
        cast(null as {{ dbt.type_string() }})
        {%- endif %} as _previous_customer_id,
        contacts._extracted_at,
        {{ transformed_at() }} as _transformed_at

    from contacts
    {% if is_incremental() -%}
    left join existing
        on {{ existing_join('contacts', 'existing', ['integration_id', 'zoho_contact_id']) }}
    where {{ changed_since_last_run('contacts', 'existing', ['integration_id'], ['customer_id']) }}
    {%- endif %}

)

select * from final
