{#- A sum of money that is the same on every run. Doubles added by parallel threads are added in
    a different order each time and differ in their last bits: at M, two builds on the same data
    gave 26k customers a different revenue and moved 6 across an RFM quintile (ties are ordered
    by revenue), and every such row looked changed to the serving copy. Each value is rounded to
    a millionth and added as a decimal, exactly; differences of these sums stay exact too, and the
    models cast their results to doubles, as their contracts say. -#}
{% macro exact_sum(expression) -%}
    sum(cast({{ expression }} as {{ dbt.type_numeric() }}))
{%- endmacro %}
