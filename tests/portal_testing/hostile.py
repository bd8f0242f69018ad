"""What an attacker types into any text field: markup, templates, SQL, bidi and zero-width text."""

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img-onerror": '"><img src=x onerror=alert(1)>',
    "svg-onload": "<svg onload=alert(1)>",
    "jinja-expression": "{{7*7}}",
    "jinja-statement": "{% print 1 %}",
    "jinja-mixed": "{{7*7}} {% print 1 %} {% if 1 %}yes{% endif %}",
    "htmx-attributes": '<div hx-get="/x" hx-trigger="load">',
    "htmx-sign-out": '<div hx-get="/staff/sign-out" hx-trigger="load">x</div>',
    "javascript-url": "javascript:alert(1)",
    "sql": "'); DROP TABLE request;--",
    "rtl-override-arabic": "\u202eنحن في خطر\u202c txt.exe",
    "rtl-and-family": "\u202eevil\u202c مرحبا \u200d👩‍👩‍👧",
    "zero-width-emoji": "👩\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 a\u200bb\u200cc\u200dd",
    "format-strings": "back\\slash %s %(name)s $1 \\x00 ' \" `",
}
