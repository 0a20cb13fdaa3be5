-- Deals and cases as conversations, each with its customer: a deal's is the customer of its
-- Contact_Name; a case's is the customer of Related_To, else the customer whose email is the case's Email.
with

deals as (

    select * from {{ ref('int_deals_status_mapped') }}

),

cases as (

    select * from {{ ref('int_cases_status_mapped') }}

),

contacts as (

    select * from {{ ref('int_contacts_customer_assigned') }}

),

customer_emails as (

    select distinct
        email,
        customer_id

    from contacts
    where email is not null

),

deal_conversations as (

    select
        {{ dbt.hash(dbt.concat(['deals.integration_id', "':'", 'deals.zoho_deal_id'])) }} as conversation_id,
        deals.integration_id,
        'deal' as source,
        'Deals' as zoho_module,
        deals.zoho_deal_id as zoho_record_id,
        contacts.customer_id,
        deals.deal_name as subject,
        deals.status,
        cast(null as {{ dbt.type_string() }}) as priority,
        {{ json_build_object(
            "'dealAmount'", 'deals.amount_json',
            "'closingDate'", 'deals.closing_date_json',
            "'stage'", 'deals.stage_json',
            "'probability'", 'deals.probability_json'
        ) }} as metadata,
        deals.description,
        deals.created_by_name,
        deals.created_by_email,
        deals.is_deleted,
        deals.created_at,
        deals.updated_at,
        deals._extracted_at

    from deals
    left join contacts
        on deals.integration_id = contacts.integration_id
        and deals.zoho_contact_id = contacts.zoho_contact_id

),

case_conversations as (

    select
        {{ dbt.hash(dbt.concat(['cases.integration_id', "':'", 'cases.zoho_case_id'])) }} as conversation_id,
        cases.integration_id,
        'ticket' as source,
        'Cases' as zoho_module,
        cases.zoho_case_id as zoho_record_id,
        coalesce(contacts.customer_id, customer_emails.customer_id) as customer_id,
        cases.subject,
        cases.status,
        cases.priority,
        {{ json_build_object(
            "'zohoStatus'", 'cases.zoho_status',
            "'zohoPriority'", 'cases.zoho_priority',
            "'caseNumber'", 'cases.case_number',
            "'caseOrigin'", 'cases.case_origin'
        ) }} as metadata,
        cases.description,
        cases.created_by_name,
        cases.created_by_email,
        cases.is_deleted,
        cases.created_at,
        cases.updated_at,
        cases._extracted_at

    from cases
    left join contacts
        on cases.integration_id = contacts.integration_id
        and cases.zoho_contact_id = contacts.zoho_contact_id
    left join customer_emails
        on cases.email = customer_emails.email

),

final as (

    select * from deal_conversations
    union all
    select * from case_conversations

)

select * from final
