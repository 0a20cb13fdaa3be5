{{ config(severity='warn') }}
-- Warns where Zoho's own count differs from the live records loaded plus the records the extractor
-- rejected (Zoho's count statistics lag 1-10 minutes, so this is a warning, not an error).
select *
from {{ ref('reconciliation') }}
where is_reconciled
    and zoho_record_count is not null
    and zoho_record_count <> raw_live_rows + extract_rejected_rows
