{#-
  Customer marts rebuilt per customer (customers, customer_identifiers, customer_source_records,
  customer_consent_history, customer_consent).

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

  Only the incremental materialization (DuckDB) uses them: Spark rebuilds the marts as tables and
  the hooks render nothing there.
-#}

{#- Pre-hook. `inputs` selects (customer_id, fingerprint) of every customer the mart's inputs
    hold now. A full build only stores the fingerprints; an incremental run stores the changed
    customers in a temporary table (`changed_customers()`), which the model reads to build only
    their rows, deletes their rows and replaces their fingerprints; under --empty it stops at the
    temporary table (macros/incremental/empty_refs.sql). -#}
{% macro forget_changed_customers(inputs) -%}
    {%- if config.get('materialized') != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set fingerprints = bookkeeping_relation('input_fingerprints') -%}
    {%- if not is_incremental() -%}
        create or replace table {{ fingerprints }} as
        {{ inputs }}
    {%- else -%}
        {%- set stored = adapter.get_relation(fingerprints.database, fingerprints.schema, fingerprints.identifier) -%}
        create or replace temporary table {{ changed_customers() }} as
        with current_inputs as (
            {{ inputs }}
        ),
        {#- A mart built before it kept fingerprints (none stored yet): every customer it holds
            counts as changed. -#}
        stored as (
            {%- if stored is none %}
            select distinct customer_id, cast(null as hugeint) as fingerprint from {{ this }}
            {%- else %}
            select customer_id, fingerprint from {{ fingerprints }}
            {%- endif %}
        )
        select coalesce(current_inputs.customer_id, stored.customer_id) as customer_id, current_inputs.fingerprint
        from current_inputs
        full join stored on stored.customer_id = current_inputs.customer_id
        where current_inputs.customer_id is null
            or stored.customer_id is null
            or current_inputs.fingerprint is distinct from stored.fingerprint
        {%- if not open_cdp.keeps_stored_rows() %};
        create table if not exists {{ fingerprints }} (customer_id {{ dbt.type_string() }}, fingerprint hugeint);
        delete from {{ this }} where customer_id in (select customer_id from {{ changed_customers() }});
        delete from {{ fingerprints }} where customer_id in (select customer_id from {{ changed_customers() }});
        insert into {{ fingerprints }}
        select customer_id, fingerprint from {{ changed_customers() }} where fingerprint is not null
        {%- endif %}
    {%- endif -%}
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
