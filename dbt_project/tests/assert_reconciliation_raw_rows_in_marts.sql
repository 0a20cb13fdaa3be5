-- Fails for every Zoho account and module where a raw row did not land in the marts and was not
-- counted as rejected by the transform (raw rows = mart rows + rows the transform rejected).
select *
from {{ ref('reconciliation') }}
where is_reconciled
    and raw_rows <> mart_rows + transform_rejected_rows
