{#- Phones become E.164. A number written without an international prefix is read as a national
    number of `default_region` (var `phone_default_region`): its trunk prefix is dropped and the
    country's calling code added, so `0912 345 678`, `84912345678` and `+84 912-345-678` all become
    `+84912345678`. A trunk prefix written after a listed calling code (`+84 0912 345 678`,
    `+84 (0) 912…`, `0084 0912…`, and `840912345678` for the default region) is dropped too, as
    phonenumbers does: no national number of these regions starts with its trunk prefix, and an
    erasure request typed that way must find the person stored without it. Regions not listed fall
    back to reading digits as already international. -#}

{% macro phone_regions() -%}
    {{ return({
        'VN': {'dial': '84', 'trunk': '0', 'national_lengths': [9, 10]},
        'US': {'dial': '1', 'trunk': '1', 'national_lengths': [10]},
        'CA': {'dial': '1', 'trunk': '1', 'national_lengths': [10]},
        'GB': {'dial': '44', 'trunk': '0', 'national_lengths': [10]},
        'SG': {'dial': '65', 'trunk': '', 'national_lengths': [8]},
        'TH': {'dial': '66', 'trunk': '0', 'national_lengths': [8, 9]},
        'AU': {'dial': '61', 'trunk': '0', 'national_lengths': [9]},
        'DE': {'dial': '49', 'trunk': '0', 'national_lengths': [10, 11]},
        'FR': {'dial': '33', 'trunk': '0', 'national_lengths': [9]},
        'JP': {'dial': '81', 'trunk': '0', 'national_lengths': [9, 10]},
    }) }}
{%- endmacro %}

{% macro normalize_phone(expression, default_region=none) -%}
    {{ return(adapter.dispatch('normalize_phone', 'open_cdp')(expression, default_region)) }}
{%- endmacro %}

{% macro default__normalize_phone(expression, default_region=none) -%}
    {%- set region_code = default_region or var('phone_default_region', 'VN') -%}
    {%- set region = phone_regions().get(region_code) -%}
    {%- set digits = regexp_replace_all(expression, '[^0-9]', '') -%}
    case
        when {{ expression }} is null or {{ digits }} = '' then null
        when trim({{ expression }}) like '+%' then '+' || {{ without_trunk_after_dial(digits) }}
        {%- if region %}
        {%- if region.trunk %}
        {%- set trunk_form = trunk_after_dial()[region.dial] %}
        when {{ digits }} like '{{ trunk_form.prefix }}%'
            and length({{ digits }}) in ({{ trunk_form.lengths }})
            then '+{{ region.dial }}' || substr({{ digits }}, {{ trunk_form.prefix | length + 1 }})
        {%- endif %}
        {%- for national_length in region.national_lengths %}
        when {{ digits }} like '{{ region.dial }}%'
            and length({{ digits }}) = {{ region.dial | length + national_length }}
            then '+' || {{ digits }}
        {%- if region.trunk %}
        when {{ digits }} like '{{ region.trunk }}%'
            and length({{ digits }}) = {{ region.trunk | length + national_length }}
            then '+{{ region.dial }}' || substr({{ digits }}, {{ region.trunk | length + 1 }})
        {%- endif %}
        {%- endfor %}
        when {{ digits }} like '00%' then '+' || {{ without_trunk_after_dial(digits, 3) }}
        else '+{{ region.dial }}' || {{ digits }}
        {%- else %}
        when {{ digits }} like '00%' then '+' || {{ without_trunk_after_dial(digits, 3) }}
        else '+' || {{ digits }}
        {%- endif %}
    end
{%- endmacro %}

{#- The international digits from position `start` of `digits`, without a trunk prefix written
    after a listed calling code: `840912345678` becomes `84912345678` when the rest has the length
    of a national number there. Only rows already known to be international get here. -#}
{% macro without_trunk_after_dial(digits, start=1) -%}
    {%- set international = digits if start == 1 else 'substr(' ~ digits ~ ', ' ~ start ~ ')' -%}
    case
        {%- for dial, trunk_form in trunk_after_dial().items() %}
        when {{ international }} like '{{ trunk_form.prefix }}%'
            and length({{ international }}) in ({{ trunk_form.lengths }})
            then '{{ dial }}' || substr({{ international }}, {{ trunk_form.prefix | length + 1 }})
        {%- endfor %}
        else {{ international }}
    end
{%- endmacro %}

{#- Per calling code with a trunk prefix: the digits of calling code and trunk prefix together,
    and the lengths of calling code, trunk prefix and a national number of that region. -#}
{% macro trunk_after_dial() -%}
    {%- set forms = {} -%}
    {%- for region in phone_regions().values() if region.trunk -%}
        {%- set prefix = region.dial ~ region.trunk -%}
        {%- set lengths = [] -%}
        {%- for national_length in region.national_lengths -%}
            {%- do lengths.append(national_length + prefix | length) -%}
        {%- endfor -%}
        {%- do forms.update({region.dial: {'prefix': prefix, 'lengths': lengths | join(', ')}}) -%}
    {%- endfor -%}
    {{ return(forms) }}
{%- endmacro %}

{#- Valid = plausible E.164 (a calling code not starting with 0, 8 to 15 digits), Vietnamese numbers
    with a 9 or 10 digit national part, and not one digit repeated (0000000000 and friends). -#}
{% macro phone_is_valid(e164) -%}
    coalesce(
        {{ regexp_full_match(e164, '[+][1-9][0-9]{7,14}') }}
        and (not {{ e164 }} like '+84%' or {{ regexp_full_match(e164, '[+]84[1-9][0-9]{8,9}') }})
        and replace(substr({{ e164 }}, 4), substr({{ e164 }}, 4, 1), '') <> '',
        false
    )
{%- endmacro %}
