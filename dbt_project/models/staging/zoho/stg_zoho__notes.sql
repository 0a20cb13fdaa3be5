{{ staging_config('zoho_note_id') }}
{%- set fields = [
    ('zoho_parent_id', ['Parent_Id', 'id']),
    ('parent_module', ['Parent_Id', 'module', 'api_name']),
    ('se_module', ['$se_module']),
    ('parent_name', ['Parent_Id', 'name']),
    ('title', ['Note_Title']),
    ('body', ['Note_Content']),
    ('created_by_name', ['Created_By', 'name']),
    ('owner_name', ['Owner', 'name']),
    ('created_by_email', ['Created_By', 'email']),
    ('owner_email', ['Owner', 'email']),
] -%}

with

source as (

    select * from {{ zoho_source('notes') }}

),

new_versions as (

    select * from source
    {{- only_new_record_versions('source', 'zoho_note_id') }}

),

extracted as (

    select
        *,
        {{ json_texts('record', fields) }} as zoho_texts

    from new_versions

),

renamed as (

    select
        integration_id,
        id as zoho_note_id,
        {{ json_field('zoho_texts', fields, 'zoho_parent_id') }} as zoho_parent_id,
        -- v8 nests the parent's module in Parent_Id; v2 sent it as $se_module.
        coalesce(
            {{ json_field('zoho_texts', fields, 'parent_module') }},
            {{ json_field('zoho_texts', fields, 'se_module') }}
        ) as parent_module,
        {{ json_field('zoho_texts', fields, 'parent_name') }} as parent_name,

        {{ json_field('zoho_texts', fields, 'title') }} as title,
        {{ json_field('zoho_texts', fields, 'body') }} as body,
        coalesce(
            {{ json_field('zoho_texts', fields, 'created_by_name') }},
            {{ json_field('zoho_texts', fields, 'owner_name') }}
        ) as author_name,
        coalesce(
            {{ json_field('zoho_texts', fields, 'created_by_email') }},
            {{ json_field('zoho_texts', fields, 'owner_email') }}
        ) as author_email,

        created_time as created_at,
        modified_time as updated_at,
        _extracted_at

    from extracted

)

select * from renamed
