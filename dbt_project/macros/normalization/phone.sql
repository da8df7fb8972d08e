{#- Phones become E.164, as `activation.normalize.phone_e164` (phonenumbers) reads them: the two
    must agree, or an erasure or suppression typed one way misses the person stored the other way
    (tests/dbt_project/test_phone_macro_agrees.py compares them on a corpus of spellings).

    A number written without an international prefix is read as a national number of
    `default_region` (var `phone_default_region`): its trunk prefix is dropped and the country's
    calling code added, so `0912 345 678`, `84912345678` (too long to be national) and
    `+84 912-345-678` all become `+84912345678`. `00` starts an international number unless a
    third 0 follows. A trunk prefix written after a listed calling code (`+84 0912 345 678`,
    `+49 (0)30 1234567`, `0084 0912…`, and `840912345678` for the default region) is dropped when
    what is left is not too short, nor of a length possible only locally or between two possible
    ones, as phonenumbers does (`+49 (0)89 123456` is `+4989123456`). Digits after a letter or
    after any character but spaces, dots, dashes, slashes and brackets (`0912345678 ext 12`,
    `1-800-FLOWERS`) give null: the number cannot be told apart from an extension.

    Where SQL is not phonenumbers (docs/privacy.md, "Phones: where the macro and phonenumbers
    part"): calling codes not in `phone_regions()` are taken as written (a trunk prefix after them
    stays, their length is checked only by the plausibility rule, an unassigned code is kept);
    no per-country number pattern is read (JP and TH national numbers starting with 00, AU and GB
    carrier prefixes, digits that start with the default calling code and are not too long for a
    national number); a default region whose international prefix is not 00 still reads 00 as
    one. For listed calling codes `phone_is_valid` refuses every length phonenumbers refuses:
    there a number the macro cannot read as phonenumbers does is most often not kept as valid. -#}

{#- Per region: calling code, trunk prefix, and phonenumbers' possible lengths of a national
    number (`possible_length` and `possible_length_local_only` of its general description;
    tests/dbt_project/test_phone_macro_agrees.py checks them against the installed phonenumbers).
    The first region of a calling code is the one phonenumbers checks its numbers' lengths by. -#}
{% macro phone_regions() -%}
    {{ return({
        'VN': {'dial': '84', 'trunk': '0', 'lengths': [7, 8, 9, 10], 'local_lengths': []},
        'US': {'dial': '1', 'trunk': '1', 'lengths': [10], 'local_lengths': [7]},
        'CA': {'dial': '1', 'trunk': '1', 'lengths': [7, 10], 'local_lengths': []},
        'GB': {'dial': '44', 'trunk': '0', 'lengths': [7, 9, 10], 'local_lengths': [4, 5, 6, 8]},
        'SG': {'dial': '65', 'trunk': '', 'lengths': [8, 10, 11], 'local_lengths': []},
        'TH': {'dial': '66', 'trunk': '0', 'lengths': [8, 9, 10, 13], 'local_lengths': []},
        'AU': {'dial': '61', 'trunk': '0', 'lengths': [5, 6, 7, 8, 9, 10, 12], 'local_lengths': []},
        'DE': {'dial': '49', 'trunk': '0', 'lengths': [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], 'local_lengths': [2, 3]},
        'FR': {'dial': '33', 'trunk': '0', 'lengths': [9], 'local_lengths': []},
        'JP': {'dial': '81', 'trunk': '0', 'lengths': [8, 9, 10, 11, 12, 13, 14, 15, 16, 17], 'local_lengths': []},
    }) }}
{%- endmacro %}

{#- How a phone may be written: text without digits (`Tel:`), an optional `+`, then digits and
    formatting only, and trailing separators. `activation.normalize` checks the same shape. -#}
{% macro phone_written_shape() -%}
    {{ return('[^0-9+]*[+]?[0-9[:space:].()/-]*[,;[:space:]]*') }}
{%- endmacro %}

{% macro normalize_phone(expression, default_region=none) -%}
    {{ return(adapter.dispatch('normalize_phone', 'open_cdp')(expression, default_region)) }}
{%- endmacro %}

{% macro default__normalize_phone(expression, default_region=none) -%}
    {{ phone_from_digits(expression, regexp_replace_all(expression, '[^0-9]', ''), default_region) }}
{%- endmacro %}

{#- The expression text is inlined wherever it is named, and the CASE names the written phone and
    its digits dozens of times: DuckDB does not share them, and `phone_is_valid(normalize_phone(x))`
    made staging 50 times slower. A one-element list's lambda binds each once per row (`written`,
    `digits`, then `e164`), so the SQL costs a single pass however often the macros name them.
    Fields are read as `phone['written']`: `phone.written` would bind a column named `phone`. -#}
{% macro duckdb__normalize_phone(expression, default_region=none) -%}
    list_transform(
        [{'written': {{ expression }}, 'digits': {{ regexp_replace_all(expression, '[^0-9]', '') }}}],
        lambda phone: {{ phone_from_digits("phone['written']", "phone['digits']", default_region) }}
    )[1]
{%- endmacro %}

{#- The E.164 phone of `expression`, whose digits alone are `digits`. -#}
{% macro phone_from_digits(expression, digits, default_region=none) -%}
    {%- set region_code = default_region or var('phone_default_region', 'VN') -%}
    {%- set region = phone_regions().get(region_code) -%}
    case
        when {{ expression }} is null or {{ digits }} = '' then null
        when not {{ regexp_full_match(expression, phone_written_shape()) }} then null
        when {{ regexp_full_match(expression, '[^0-9+]*[+].*') }}
            then '+' || {{ without_trunk_after_dial(digits) }}
        when {{ digits }} like '00%' and not {{ digits }} like '000%'
            then '+' || {{ without_trunk_after_dial(digits, 3) }}
        {%- if region %}
        when {{ digits }} like '{{ region.dial }}%'
            and length({{ digits }}) > {{ region.lengths | max }}
            then '+' || {{ without_trunk_after_dial(digits) }}
        {%- if region.trunk %}
        when {{ digits }} like '{{ region.trunk }}%'
            and {{ trunk_is_dropped('length(' ~ digits ~ ') - ' ~ region.trunk | length, region) }}
            then '+{{ region.dial }}' || substr({{ digits }}, {{ region.trunk | length + 1 }})
        {%- endif %}
        else '+{{ region.dial }}' || {{ digits }}
        {%- else %}
        else '+' || {{ digits }}
        {%- endif %}
    end
{%- endmacro %}

{#- The international digits from position `start` of `digits`, without a trunk prefix written
    after a listed calling code: `840912345678` becomes `84912345678`. Only rows already known to
    be international get here. -#}
{% macro without_trunk_after_dial(digits, start=1) -%}
    {%- set international = digits if start == 1 else 'substr(' ~ digits ~ ', ' ~ start ~ ')' -%}
    case
        {%- for dial, region in phone_dial_regions().items() if region.trunk %}
        {%- set prefix = dial ~ region.trunk %}
        when {{ international }} like '{{ prefix }}%'
            and {{ trunk_is_dropped('length(' ~ international ~ ') - ' ~ prefix | length, region) }}
            then '{{ dial }}' || substr({{ international }}, {{ prefix | length + 1 }})
        {%- endfor %}
        else {{ international }}
    end
{%- endmacro %}

{#- phonenumbers drops a trunk prefix only when the national number left (`national_length`
    digits) is not too short, not of a length possible only locally and not of a length between
    two possible ones; otherwise the digits stay as written. -#}
{% macro trunk_is_dropped(national_length, region) -%}
    ({{ national_length }} in ({{ region.lengths | join(', ') }})
        or {{ national_length }} > {{ region.lengths | max }})
{%- endmacro %}

{#- Per listed calling code, the region phonenumbers checks it by (the first one listed). -#}
{% macro phone_dial_regions() -%}
    {%- set by_dial = {} -%}
    {%- for region in phone_regions().values() if region.dial not in by_dial -%}
        {%- do by_dial.update({region.dial: region}) -%}
    {%- endfor -%}
    {{ return(by_dial) }}
{%- endmacro %}

{#- Valid = plausible E.164 (a calling code not starting with 0, 8 to 15 digits), for a listed
    calling code a national number of a possible length there (phonenumbers' is_possible_number),
    Vietnamese numbers with a 9 or 10 digit national part (7 and 8 digits are hotlines and
    service numbers, not a person), and not one digit repeated (0000000000 and friends).
    `activation.normalize.phone_e164` applies the same rules. -#}
{% macro phone_is_valid(e164) -%}
    {{ return(adapter.dispatch('phone_is_valid', 'open_cdp')(e164)) }}
{%- endmacro %}

{% macro duckdb__phone_is_valid(e164) -%}
    list_transform([{{ e164 }}], lambda e164: {{ default__phone_is_valid('e164') }})[1]
{%- endmacro %}

{% macro default__phone_is_valid(e164) -%}
    coalesce(
        {{ regexp_full_match(e164, '[+][1-9][0-9]{7,14}') }}
        and (not {{ e164 }} like '+84%' or {{ regexp_full_match(e164, '[+]84[1-9][0-9]{8,9}') }})
        and replace(substr({{ e164 }}, 4), substr({{ e164 }}, 4, 1), '') <> ''
        and case
            {%- for dial, region in phone_dial_regions().items() %}
            when {{ e164 }} like '+{{ dial }}%'
                then length({{ e164 }}) - {{ dial | length + 1 }} in ({{ (region.lengths + region.local_lengths) | sort | join(', ') }})
            {%- endfor %}
            else true
        end,
        false
    )
{%- endmacro %}
