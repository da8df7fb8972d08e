{#-
  What an incremental model has consumed of an upstream table whose rows carry the run that
  wrote them (a timestamp column).

  "Written by the latest run" is not enough: a run that stops after the upstream model and before
  this one leaves its rows for the next run, and if that run writes rows too, the latest run's
  no longer include them. So the model keeps, beside it in the intermediate schema (not served),
  the newest value of that column it has consumed: `<model>__<mark>`, one row. It reads the
  upstream rows newer than the mark, and a post-hook moves the mark to the newest upstream row.
  Hooks run in the model's transaction, so the mark moves only with the rows it stands for. With
  no mark yet (the first run after the model began keeping one) every upstream row is new.

  Used by int_identity__record_customers (the links' `resolved_at`, mark `links_consumed`) and
  customer_events (the assignments' `assigned_at`, mark `assignments_seen`).

  This holds only while every row the upstream model writes is stamped above every stamp it
  stored before, which the consumers' marks can have reached: a row stamped at or below a mark
  is never read by that consumer. The clock alone does not give that: it can go back (an NTP
  step, a VM restored from a snapshot) after rows were stamped by it, and a consumer would then
  miss every row written until the clock passes its mark, silently. So the upstream model stamps
  with `stamp_after_stored`: the clock, or just after the newest stamp it stored, whichever is
  later. Full rebuilds are covered too: an erasure rebuilds int_identity__links with
  `--full-refresh` while int_identity__record_customers keeps its mark, and the links model reads
  its old table, which dbt-duckdb keeps beside the new one until the swap; the SQL macro reads
  the stored table on incremental runs only, enough for its one caller, which is never rebuilt
  (`full_refresh: false`).
-#}


{#- The stamp of every row this run of the model writes: `clock` (an expression of the run's
    time), or one microsecond after the newest `column` the model's table holds, whichever is
    later. Only incremental runs read the table: for a model that is never rebuilt
    (`full_refresh: false`, as int_identity__record_customers) a full build is its first, with
    nothing stored. int_identity__links, a Python model rebuilt by `--full-refresh`, does the
    same in Python and reads the old table on full builds too. `interval 1 microsecond` reads the
    same on DuckDB and Spark (dbt's dateadd rounds to whole seconds on Spark), and `greatest`
    skips the null maximum of an empty table on both. -#}
{% macro stamp_after_stored(clock, column) -%}
    {%- if is_incremental() -%}
        greatest({{ clock }}, (select max({{ column }}) from {{ this }}) + interval 1 microsecond)
    {%- else -%}
        {{ clock }}
    {%- endif -%}
{%- endmacro %}

{#- Condition on `column`: newer than what the model has consumed. Only after the pre-hook
    `create_consumed_mark` made sure the mark exists. -#}
{% macro consumed_since(column, mark) -%}
    {{ column }} > coalesce(
        (select max({{ column }}) from {{ bookkeeping_relation(mark) }}),
        cast('0001-01-01' as {{ dbt.type_timestamp() }})
    )
{%- endmacro %}


{#- Pre-hook: a run that reads the mark (`reads_mark`) needs it, which a table built before it
    kept one lacks. -#}
{% macro create_consumed_mark(mark, column, reads_mark) -%}
    {%- if reads_mark -%}
        create table if not exists {{ bookkeeping_relation(mark) }} ({{ column }} {{ dbt.type_timestamp() }})
    {%- endif -%}
{%- endmacro %}


{#- Post-hook: every row `upstream` holds now has been consumed. `keeps_mark`: false where the
    model is rebuilt whole every run (Spark) and never reads a mark. Under --empty an incremental
    run consumed nothing (macros/incremental/empty_refs.sql). -#}
{% macro move_consumed_mark(mark, column, upstream, keeps_mark) -%}
    {%- if keeps_mark and not open_cdp.keeps_stored_rows() -%}
        create or replace table {{ bookkeeping_relation(mark) }} as
        select max({{ column }}) as {{ column }} from {{ upstream }}
    {%- endif -%}
{%- endmacro %}
