{{
    config(
        materialized='incremental',
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=[
            "delete from {{ this }} as stale where not exists (select 1 from {{ ref('customer_sources') }} as sources where sources.customer_id = stale.customer_id)",
        ],
    )
}}

-- One row per person (contacts deduplicated by normalized email). An incremental run rebuilds the
-- customers of contacts changed since this mart was last written and the customers they left; the
-- post-hook drops customers no contact belongs to any more, so the result equals a full rebuild.
with

customer_sources as (

    select * from {{ ref('customer_sources') }}

),

{% if is_incremental() %}
affected_customers as (

    select customer_id from customer_sources
    where _transformed_at > {{ last_transformed_at() }}

    union

    select _previous_customer_id as customer_id from customer_sources
    where _transformed_at > {{ last_transformed_at() }}
        and _previous_customer_id is not null

),
{% endif %}

customers as (

    select * from {{ ref('int_customers_deduplicated') }}
    {% if is_incremental() -%}
    where customer_id in (select customer_id from affected_customers)
    {%- endif %}

),

-- The winning contact's custom fields (parsed in staging).
custom_fields as (

    select
        contacts.integration_id,
        contacts.zoho_contact_id,
        contacts.custom_fields

    from {{ ref('stg_zoho__contacts') }} as contacts
    inner join customers
        on contacts.integration_id = customers.source_integration_id
        and contacts.zoho_contact_id = customers.source_zoho_contact_id

),

previous as (

    {{ previous_content_hashes('customer_id') }}

),

final as (

    select
        customers.customer_id,
        customers.email,
        customers.first_name,
        customers.last_name,
        customers.phone,
        customers.company,
        customers.job_title,
        coalesce(custom_fields.custom_fields, {{ empty_json_object() }}) as custom_fields,
        customers.is_deleted,
        customers.created_at,
        customers.updated_at,
        {{ content_hash([
            'customers.customer_id', 'customers.email', 'customers.first_name', 'customers.last_name',
            'customers.phone', 'customers.company', 'customers.job_title', 'custom_fields.custom_fields',
            'customers.is_deleted', 'customers.created_at', 'customers.updated_at',
        ]) }} as _content_hash,
        previous._content_hash as _previous_content_hash,
        {{ transformed_at() }} as _transformed_at

    from customers
    left join custom_fields
        on customers.source_integration_id = custom_fields.integration_id
        and customers.source_zoho_contact_id = custom_fields.zoho_contact_id
    left join previous
        on customers.customer_id = previous.customer_id

)

select * from final
