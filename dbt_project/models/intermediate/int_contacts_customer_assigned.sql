-- Every Zoho contact with the customer it belongs to: contacts with the same normalized email are one
-- customer (in one Zoho account or across several); a contact without an email is a customer of its own.
with

contacts as (

    select * from {{ ref('stg_zoho__contacts') }}

),

deleted_records as (

    select * from {{ ref('stg_zoho__deleted_records') }}
    where module = 'Contacts'

),

assigned as (

    select
        contacts.integration_id,
        contacts.zoho_contact_id,
        case
            when contacts.email is not null and contacts.email <> ''
                then {{ dbt.hash(dbt.concat(["'email:'", 'contacts.email'])) }}
            else {{ dbt.hash(dbt.concat(['contacts.integration_id', "':'", 'contacts.zoho_contact_id'])) }}
        end as customer_id,
        nullif(contacts.email, '') as email,
        contacts.first_name,
        contacts.last_name,
        coalesce(nullif(trim(contacts.phone), ''), nullif(trim(contacts.mobile), '')) as phone,
        contacts.account_name as company,
        contacts.title as job_title,
        deleted_records.zoho_record_id is not null as is_deleted,
        contacts.created_at,
        contacts.updated_at,
        contacts._extracted_at

    from contacts
    left join deleted_records
        on contacts.integration_id = deleted_records.integration_id
        and contacts.zoho_contact_id = deleted_records.zoho_record_id

)

select * from assigned
