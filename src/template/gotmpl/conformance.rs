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
