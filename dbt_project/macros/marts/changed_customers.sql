{#-
  Customer marts rebuilt per customer (customers, customer_identifiers, customer_source_records,
  customer_consent_history).

  A mart whose rows of a customer are a function of that customer's input rows only needs, on an
  increment, the customers whose input rows changed: at M about 1% of the records change, and
  rewriting the whole mart cost more than everything else it does. What counts as "changed" is
  not read from what the latest run wrote (a run that failed between identity and the marts
  would hide its changes from the next one, and an erasure or a corrected re-delivery deletes
  rows without leaving a marker): each mart keeps, beside it, a fingerprint of the input rows it
  was built from per customer (`<mart>__input_fingerprints` in the intermediate schema, not
  served), and a run compares it with the fingerprints of the inputs as they are now. A customer
  is changed when its fingerprint differs, is new, or is gone (its rows are deleted and nothing
  replaces them). The comparison, the deletion of the changed customers' rows, the new
  fingerprints and dbt's append of their new rows are one transaction, so a failed run leaves
  mart and fingerprints as they were and the next run finds the same changes again.

  A fingerprint is the sum of a 64-bit hash of every input row (with the columns the mart reads)
  of the customer: a sum, not a xor, so two equal rows do not cancel out. A change that keeps a
  customer's sum is missed with a chance of about one in 2^64; `--full-refresh` rebuilds the
  mart and its fingerprints from scratch.

  Candidates (customer_identifiers, whose inputs are link rows only): computing every customer's
  fingerprint reads every input row (at M 5.5-6.3 s for customer_identifiers alone), while an
  increment changes about 1% of the customers. So the mart also keeps the customer each record
  had in its inputs (`<mart>__record_customers`: the records its inputs could hold, those of
  int_identity__records or of the links) and two marks of what it consumed (macros/incremental/
  consumed_marks.sql: the links' `resolved_at`, `links_consumed`, and the assignments'
  `assigned_at`, `assignments_consumed`), and compares only the candidates' fingerprints:
    a. the customers of the records with a link resolved since the links mark;
    b. the customers of the records assigned since the assignments mark, and the customers the
       mart had for those records;
    c. the customers the mart had for the records int_identity__records no longer holds.
  Why a customer c outside them has the same fingerprint: its stored fingerprint is the sum over
  the link rows of the records the mart had in c, its current one over those of the records
  int_identity__record_customers puts in c now.
    - Every record the mart had in c has c now, and every record with c now had c in the mart:
      a record whose customer changed was assigned later (`assigned_at`, the run's start) than
      every assignment the mart consumed, so both its customers are in b.
    - Their link rows are those the mart read: int_identity__links rewrites the rows of every
      component holding a changed candidate row (a row added, changed or gone), each with a
      `resolved_at` above every stored row's, so a record whose rows changed is in a, unless it
      has no row left, i.e. it left int_identity__records (c), or the links were not rebuilt
      since; the mart keeps such a record (still in the links) in `<mart>__record_customers`
      until its rows are gone, so c finds it again on every run until then.
  Both stamps come from the clock, so this holds as long as the clock does not go back between
  runs and two dbt invocations do not build these models at once, as for the identity models'
  own marks. The marks and the record customers move in the model's transaction, with the
  fingerprints. A mart without them (built before it kept them) compares every customer once.
  An erasure rebuilds the marts with `--full-refresh`, which rewrites them all; should that
  rebuild not run, the erasure has deleted the person's records from int_identity__records, so
  the customer the mart kept for any of them is in c (unless the erasure deleted that row too,
  with the customer's mart rows and fingerprint; test_incremental_customer_marts.py erases and
  then runs incrementally).

  Only the incremental materialization (DuckDB) uses them: Spark rebuilds the marts as tables and
  the hooks render nothing there.
-#}

{#- Pre-hook. `inputs` selects (customer_id, fingerprint) of every customer the mart's inputs
    hold now; or, for a mart whose inputs are link rows, a mapping of that query (`all`) and the
    same restricted to the candidate customers (`candidates`). A full build only stores the
    fingerprints; an incremental run stores the changed customers in a temporary table
    (`changed_customers()`), which the model reads to build only their rows, deletes their rows
    and replaces their fingerprints. -#}
{% macro forget_changed_customers(inputs) -%}
    {%- if config.get('materialized') != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set fingerprints = bookkeeping_relation('input_fingerprints') -%}
    {%- set by_candidates = inputs is mapping -%}
    {%- set all_inputs = inputs['all'] if by_candidates else inputs -%}
    {%- set restricted = by_candidates and is_incremental() and keeps_candidate_bookkeeping() -%}
    {%- if not is_incremental() -%}
        create or replace table {{ fingerprints }} as
        {{ all_inputs }}
    {%- else -%}
        {%- set stored = adapter.get_relation(fingerprints.database, fingerprints.schema, fingerprints.identifier) -%}
        create table if not exists {{ fingerprints }} (customer_id {{ dbt.type_string() }}, fingerprint hugeint);
        {%- if restricted %}
        {{ select_candidate_customers() }};
        {%- endif %}
        create or replace temporary table {{ changed_customers() }} as
        with current_inputs as (
            {{ inputs['candidates'] if restricted else all_inputs }}
        ),
        {#- A mart built before it kept fingerprints (none stored yet): every customer it holds
            counts as changed. -#}
        stored as (
            {%- if stored is none %}
            select distinct customer_id, cast(null as hugeint) as fingerprint from {{ this }}
            {%- elif restricted %}
            select customer_id, fingerprint from {{ fingerprints }}
            where customer_id in (select customer_id from {{ candidate_customers() }})
            {%- else %}
            select customer_id, fingerprint from {{ fingerprints }}
            {%- endif %}
        )
        select coalesce(current_inputs.customer_id, stored.customer_id) as customer_id, current_inputs.fingerprint
        from current_inputs
        full join stored on stored.customer_id = current_inputs.customer_id
        where current_inputs.customer_id is null
            or stored.customer_id is null
            or current_inputs.fingerprint is distinct from stored.fingerprint;
        delete from {{ this }} where customer_id in (select customer_id from {{ changed_customers() }});
        delete from {{ fingerprints }} where customer_id in (select customer_id from {{ changed_customers() }});
        insert into {{ fingerprints }}
        select customer_id, fingerprint from {{ changed_customers() }} where fingerprint is not null
    {%- endif -%}
    {%- if by_candidates -%}
        ;
        {{ keep_candidate_bookkeeping(restricted) }}
    {%- endif -%}
{%- endmacro %}


{#- Whether the mart has what restricting to candidates needs: its fingerprints, its record
    customers and both marks. -#}
{% macro keeps_candidate_bookkeeping() -%}
    {%- for what in ['input_fingerprints', 'record_customers', 'links_consumed', 'assignments_consumed'] -%}
        {%- set relation = bookkeeping_relation(what) -%}
        {%- if adapter.get_relation(relation.database, relation.schema, relation.identifier) is none -%}
            {{ return(false) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{%- endmacro %}


{#- The temporary table of the candidate customers (a, b and c in the header). -#}
{% macro candidate_customers() -%}
    {{ this.identifier }}__candidate_customers
{%- endmacro %}


{% macro select_candidate_customers() -%}
    {%- set record_customers = bookkeeping_relation('record_customers') -%}
    create or replace temporary table {{ candidate_customers() }} as
    with assigned as (
        select record_key, customer_id
        from {{ ref('int_identity__record_customers') }}
        where {{ consumed_since('assigned_at', 'assignments_consumed') }}
    )
    select customer_id
    from {{ ref('int_identity__record_customers') }}
    where record_key in (
        select record_key from {{ ref('int_identity__links') }}
        where {{ consumed_since('resolved_at', 'links_consumed') }}
    )
    union
    select customer_id from assigned
    union
    select customer_id from {{ record_customers }}
    where record_key in (select record_key from assigned)
    union
    select kept.customer_id from {{ record_customers }} as kept
    where not exists (
        select 1 from {{ ref('int_identity__records') }} as records where records.record_key = kept.record_key
    )
{%- endmacro %}


{#- The mart's record customers and marks, as of the inputs it reads in this transaction: for the
    candidates only (`restricted`), else all of them. The records kept are those the inputs could
    hold (of int_identity__records or of the links), so a record gone from the records but still
    in links not rebuilt since stays a candidate (c). A record whose customer now is a candidate
    and whose kept one is not was assigned since the mark (else both would be the same), so the
    rows to replace are those of the candidates and of the records assigned since. The joins
    start from the candidates' records (tens of thousands at M), not from all records. -#}
{% macro keep_candidate_bookkeeping(restricted) -%}
    {%- set record_customers = bookkeeping_relation('record_customers') -%}
    {%- set assignments = ref('int_identity__record_customers') -%}
    {%- if restricted -%}
        delete from {{ record_customers }}
        where customer_id in (select customer_id from {{ candidate_customers() }})
            or record_key in (
                select record_key from {{ assignments }}
                where {{ consumed_since('assigned_at', 'assignments_consumed') }}
            );
        insert into {{ record_customers }}
        with candidate_records as (
            select record_key, customer_id
            from {{ assignments }}
            where customer_id in (select customer_id from {{ candidate_customers() }})
        )
        select candidate_records.record_key, candidate_records.customer_id
        from candidate_records
        join {{ ref('int_identity__records') }} as records on records.record_key = candidate_records.record_key
        union
        select candidate_records.record_key, candidate_records.customer_id
        from candidate_records
        join {{ ref('int_identity__links') }} as links on links.record_key = candidate_records.record_key;
    {%- else -%}
        create or replace table {{ record_customers }} as
        select assignments.record_key, assignments.customer_id
        from {{ assignments }} as assignments
        where assignments.record_key in (select record_key from {{ ref('int_identity__records') }})
            or assignments.record_key in (select record_key from {{ ref('int_identity__links') }});
    {%- endif %}
    {{ move_consumed_mark('links_consumed', 'resolved_at', ref('int_identity__links'), true) }};
    {{ move_consumed_mark('assignments_consumed', 'assigned_at', assignments, true) }}
{%- endmacro %}


{#- The temporary table of the customers an incremental run rebuilds (see forget_changed_customers). -#}
{% macro changed_customers() -%}
    {{ this.identifier }}__changed_customers
{%- endmacro %}


{#- A 64-bit hash of `columns` of one row, null-safe (a null hashes to a value of its own).
    Only DuckDB's incremental builds run it, but dbt renders the hooks' arguments on every
    target when it parses the project, so Spark needs a spelling too. -#}
{% macro row_fingerprint(columns) -%}
    {{ return(adapter.dispatch('row_fingerprint', 'open_cdp')(columns)) }}
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    xxhash64({{ columns | join(', ') }})
{%- endmacro %}
