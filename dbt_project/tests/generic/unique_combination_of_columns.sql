{#- The listed columns together identify a row (a composite key). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {{ adapter.dispatch('test_unique_combination_of_columns', 'open_cdp')(model, combination_of_columns) }}
{% endtest %}
