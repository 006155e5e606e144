//! Go's `text/template` language, case by case: each expected text is what Go 1.19's `text/template` (the Go
//! Alertmanager 0.25 is built with, `missingkey=zero`) printed for the template, with `.` the list
//! `[a b c d e]`, recorded once locally (`go run`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::exec::{Library, Limits, execute};
use super::parse::Node;
use super::time::GoTime;
use super::value::Value;

struct NoLibrary;

impl Library for NoLibrary {
    fn go_template(&self, _: &str) -> Option<&[Node]> {
        None
    }

    fn other_template(&self, _: &str, _: &Value, _: bool) -> Option<Result<String, String>> {
        None
    }
}

/// (template, Go's output)
const CASES: &[(&str, &str)] = &[
    (
        "{{ printf \"%s|%5s|%-7s|%.2s|%q|%x|% x|%X\" \"héllo\" \"ab\" \"ab\" \"héllo\" \"a\\\"b\\n\" \"hi\" \"hi\" \"hi\" }}",
        "héllo|   ab|ab     |hé|\"a\\\"b\\n\"|6869|68 69|6869",
    ),
    (
        "{{ printf \"%d|%5d|%-5d|%05d|%+d|%x|%X|%#x|%o|%b|%c|%q|%U\" 42 42 42 -42 42 255 255 255 8 5 65 65 65 }}",
        "42|   42|42   |-0042|+42|ff|FF|0xff|10|101|A|'A'|U+0041",
    ),
    (
        "{{ printf \"%f|%.2f|%8.3f|%e|%.3E|%g|%.3g|%v|%v|%v\" 3.14159 2.675 -1.5 1234.5678 0.000123 100000.0 1234.5678 1e6 123456789.0 0.5 }}",
        "3.141590|2.67|  -1.500|1.234568e+03|1.230E-04|100000|1.23e+03|1e+06|1.23456789e+08|0.5",
    ),
    ("{{ printf \"%t|%v|%T|%T|%%\" true false \"x\" 1 }}", "true|false|string|int|%"),
    ("{{ printf \"%d|%s\" \"x\" 3 }}", "%!d(string=x)|%!s(int=3)"),
    ("{{ printf \"%s %s\" \"x\" }}", "x %!s(MISSING)"),
    ("{{ printf \"%s\" \"x\" 3 }}", "x%!(EXTRA int=3)"),
    ("{{ printf \"%v|%s\" nil nil }}", "<nil>|%!s(<nil>)"),
    ("{{ print \"a\" 1 2 \"b\" }}|{{ println \"a\" 1 }}", "a1 2b|a 1\n"),
    (
        "{{ 0.0 }} {{ 1.0 }} {{ 0.1 }} {{ 1e21 }} {{ 1e-5 }} {{ 0.0001 }} {{ 123456.0 }} {{ 1234567.0 }} {{ 1e3 }} {{ 0x1F }} {{ 'a' }} {{ 017 }}",
        "0 1 0.1 1e+21 1e-05 0.0001 123456 1.234567e+06 1000 31 97 15",
    ),
    (
        "{{ html \"<a href=\\\"x\\\">&'\" }}|{{ js \"a'b\\\"<=>&\\\\\" }}|{{ urlquery \"a b&c=d/é\" }}|{{ len \"héllo\" }}|{{ slice \"abcdef\" 1 3 }}",
        "&lt;a href=&#34;x&#34;&gt;&amp;&#39;|a\\'b\\\"\\u003C\\u003D\\u003E\\u0026\\\\|a+b%26c%3Dd%2F%C3%A9|6|bc",
    ),
    (
        "{{ eq \"a\" \"b\" \"a\" }} {{ lt 1 2 }} {{ not \"\" }} {{ and 1 0 2 }} {{ or 0 \"\" \"x\" }} {{ and 1 2 }}",
        "true true true 0 x 2",
    ),
    ("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"),
    (
        "{{ range $i, $e := . }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ $i }}={{ $e }};{{ end }}",
        "0=a;2=c;",
    ),
    ("{{ with $x := \"v\" }}{{ $x }}{{ . }}{{ end }}{{ with \"\" }}no{{ else }}else{{ end }}", "vvelse"),
    ("a  {{- \"b\" -}}  c {{/* comment }} */}} d {{- /* c2 */ -}} e", "abc  de"),
    ("{{ define \"t\" }}[{{ . }}]{{ end }}{{ template \"t\" \"x\" }}{{ block \"b\" 5 }}<{{ . }}>{{ end }}", "[x]<5>"),
    (
        "{{ printf \"%q\" \"tab\\there\" }} {{ printf \"%#q\" \"back\" }} {{ printf \"%+q\" \"é\" }} {{ printf \"%x\" \"é\" }} {{ printf \"%08.3f\" -3.14159 }} {{ printf \"%+.1e\" 12345.0 }}",
        "\"tab\\there\" `back` \"\\u00e9\" c3a9 -003.142 +1.2e+04",
    ),
    (
        "{{ printf \"%6.2f%%\" 99.5 }} {{ printf \"%-8s|\" \"ab\" }} {{ printf \"%3c|\" 65 }} {{ printf \"%.0f\" 2.5 }} {{ printf \"%.0f\" 3.5 }} {{ printf \"%g\" 1e-7 }} {{ printf \"%G\" 1e21 }}",
        " 99.50% ab      |   A| 2 4 1e-07 1E+21",
    ),
    ("{{ index . 2 }} {{ slice . 1 3 }} {{ len . }} {{ . }}", "c [b c] 5 [a b c d e]"),
    ("{{ (printf \"%s-%s\" \"a\" \"b\") | printf \"%q\" }} {{ \"x\" | printf \"%s%s\" \"y\" }}", "\"a-b\" yx"),
];

/// (template, what Go 1.19's `html/template` printed) with the values of [`html_data`].
const HTML_CASES: &[(&str, &str)] = &[
    ("<p>{{ .A }}</p>", "<p>Summary &lt;b&gt;&amp;&#39;&#34;&#43; é</p>"),
    (
        "<a href=\"{{ .U }}\">x</a>",
        "<a href=\"http://prom.example:9090/graph?g0.expr=up&#43;%3D%3D&#43;0&amp;g0.tab=1&amp;q=rate%28x[5m]%29%20%3e%200&amp;%c3%a9=%3c%22%27%3e\">x</a>",
    ),
    ("<a href=\"{{ .J }}\">x</a>", "<a href=\"#ZgotmplZ\">x</a>"),
    (
        "<a href=\"{{ .E }}/#/alerts?receiver={{ .R | urlquery }}\">x</a>",
        "<a href=\"http://am.example:9093/sub%20path/#/alerts?receiver=team&#43;x%26y%2Fz%5C.w\">x</a>",
    ),
    (
        "<a href=\"{{ .E }}/#/alerts?receiver={{ .R }}\">x</a>",
        "<a href=\"http://am.example:9093/sub%20path/#/alerts?receiver=team%20x%26y%2fz%5c.w\">x</a>",
    ),
    (
        "<a title=\"{{ .A }}\" href='{{ .U }}'>{{ .A }}</a>",
        "<a title=\"Summary &lt;b&gt;&amp;&#39;&#34;&#43; é\" href='http://prom.example:9090/graph?g0.expr=up&#43;%3D%3D&#43;0&amp;g0.tab=1&amp;q=rate%28x[5m]%29%20%3e%200&amp;%c3%a9=%3c%22%27%3e'>Summary &lt;b&gt;&amp;&#39;&#34;&#43; é</a>",
    ),
    ("<!-- a comment with {{ .A }} --><b>{{ .A }}</b>", "<b>Summary &lt;b&gt;&amp;&#39;&#34;&#43; é</b>"),
    ("<title>{{ .A }}</title>", "<title>Summary &lt;b&gt;&amp;&#39;&#34;&#43; é</title>"),
    ("<a href=\"http://x/{{ .A }}\">y</a>", "<a href=\"http://x/Summary%20%3cb%3e&amp;%27%22&#43;%20%c3%a9\">y</a>"),
    (
        "<img src=\"{{ .U }}\" alt=\"{{ .A }}\">",
        "<img src=\"http://prom.example:9090/graph?g0.expr=up&#43;%3D%3D&#43;0&amp;g0.tab=1&amp;q=rate%28x[5m]%29%20%3e%200&amp;%c3%a9=%3c%22%27%3e\" alt=\"Summary &lt;b&gt;&amp;&#39;&#34;&#43; é\">",
    ),
    (
        "text {{ .A }} <br /> {{ .U }}",
        "text Summary &lt;b&gt;&amp;&#39;&#34;&#43; é <br /> http://prom.example:9090/graph?g0.expr=up&#43;%3D%3D&#43;0&amp;g0.tab=1&amp;q=rate(x[5m]) &gt; 0&amp;é=&lt;&#34;&#39;&gt;",
    ),
    (
        "<td style=\"color: #fff;\">{{ .A }}</td>",
        "<td style=\"color: #fff;\">Summary &lt;b&gt;&amp;&#39;&#34;&#43; é</td>",
    ),
];

fn html_data() -> Value {
    let values = [
        ("A", "Summary <b>&'\"+ é"),
        ("U", "http://prom.example:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1&q=rate(x[5m]) > 0&é=<\"'>"),
        ("J", "javascript:alert(1)"),
        ("E", "http://am.example:9093/sub path"),
        ("R", "team x&y/z\\.w"),
    ];
    Value::Map(Arc::new(values.into_iter().map(|(k, v)| (k.to_string(), Value::str(v))).collect()))
}

#[test]
fn html_templates_escape_as_gos_html_template_does() {
    let limits = Limits { depth: 32, output_bytes: 1 << 20, html: true };
    let mut failures = Vec::new();
    for (source, expected) in HTML_CASES {
        let rendered = super::parse(source).and_then(|parsed| {
            execute(&parsed.body, &parsed.defines, &NoLibrary, html_data(), &GoTime::utc(None), limits)
        });
        if rendered.as_deref() != Ok(*expected) {
            failures.push(format!("{source}\n   go: {expected:?}\n  got: {rendered:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), HTML_CASES.len(), failures.join("\n"));
}

#[test]
fn templates_render_as_go_renders_them() {
    let dot = Value::Strings(Arc::new(["a", "b", "c", "d", "e"].map(String::from).to_vec()));
    let limits = Limits { depth: 32, output_bytes: 1 << 20, html: false };
    let mut failures = Vec::new();
    for (source, expected) in CASES {
        let rendered = super::parse(source).and_then(|parsed| {
            let defines: BTreeMap<String, Vec<Node>> = parsed.defines;
            execute(&parsed.body, &defines, &NoLibrary, dot.clone(), &GoTime::utc(None), limits)
        });
        if rendered.as_deref() != Ok(*expected) {
            failures.push(format!("{source}\n   go: {expected:?}\n  got: {rendered:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} differ:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}
