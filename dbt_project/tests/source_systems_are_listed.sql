{#- Every source a person record comes from is in person_source_systems(): lists built from it
    (customer_identifiers.sources) would otherwise leave the system out. A row is a missing one. -#}
select distinct source
from {{ ref('int_identity__records') }}
where source not in ('{{ person_source_systems() | join("', '") }}')
