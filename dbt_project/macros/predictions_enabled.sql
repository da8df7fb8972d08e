{#-
  Whether the predictive models (dbt Python models in models/marts/predictions) build on this
  target: not with dbt-spark's session method, which cannot run Python models. Keep in step with
  their `+enabled` in dbt_project.yml, where project macros cannot be called. Segments whose rules
  use prediction fields are enabled, and registered in the segment union, only when this is true.
-#}
{% macro predictions_enabled() %}
  {{ return(target.type != 'spark') }}
{% endmacro %}
