-- One row per customer. The most recently modified contact gives the values; a contact deleted in Zoho
-- gives them only when every contact of the customer is deleted (then the customer is deleted too).
with

contacts as (

    select * from {{ ref('int_contacts_customer_assigned') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by is_deleted asc, updated_at desc, integration_id desc, zoho_contact_id desc
        ) as recency_rank

    from contacts

),

customer_spans as (

    select
        customer_id,
        bool_and(is_deleted) as is_deleted,
        min(created_at) as created_at,
        max(updated_at) as updated_at

    from contacts
    group by 1

),

final as (

    select
        winners.customer_id,
        winners.integration_id as source_integration_id,
        winners.zoho_contact_id as source_zoho_contact_id,
        winners.email,
        winners.first_name,
        winners.last_name,
        winners.phone,
        winners.company,
        winners.job_title,
        customer_spans.is_deleted,
        customer_spans.created_at,
        customer_spans.updated_at

    from ranked as winners
    inner join customer_spans
        on winners.customer_id = customer_spans.customer_id
    where winners.recency_rank = 1

)

select * from final
