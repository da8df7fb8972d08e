{#- Accent-free form of a name for matching; the display form keeps its diacritics.
    DuckDB's strip_accents leaves the Vietnamese letter đ alone (it is a letter, not a mark). -#}

{% macro unaccent(expression) -%}
    {{ return(adapter.dispatch('unaccent', 'open_cdp')(expression)) }}
{%- endmacro %}

{% macro duckdb__unaccent(expression) -%}
    replace(replace(strip_accents({{ expression }}), 'đ', 'd'), 'Đ', 'D')
{%- endmacro %}

{% macro default__unaccent(expression) -%}
    translate(
        {{ expression }},
        'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĂăĐđĨĩŨũƠơƯưẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ',
        'AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaDdIiUuOoUuAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy'
    )
{%- endmacro %}
