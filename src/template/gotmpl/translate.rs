//! Writes a parsed Go template as a Handlebars template that renders the same text over Herald's template
//! data (which mirrors Alertmanager's: `.Receiver`, `.Status`, `.Alerts`, `.GroupLabels`, ...).
//!
//! Go's methods on that data become helpers: `.Alerts.Firing` → `(firing Alerts)`, `.Labels.SortedPairs` →
//! `(sortedPairs Labels)`; `.` is `this`, `$` is `@root`, range variables are block parameters.

use super::parse::{Command, Node, Operand, Pipeline};

/// Methods of Alertmanager's template data, with the helper each becomes.
const METHODS: [(&str, &str); 6] = [
    ("Firing", "firing"),
    ("Resolved", "resolved"),
    ("SortedPairs", "sortedPairs"),
    ("Names", "names"),
    ("Values", "values"),
    ("Remove", "remove"),
];

/// Go template functions and the helper that implements each.
const FUNCTIONS: [(&str, &str); 24] = [
    ("toUpper", "toUpper"),
    ("toLower", "toLower"),
    ("title", "title"),
    ("join", "join"),
    ("safeHtml", "safeHtml"),
    ("reReplaceAll", "reReplaceAll"),
    ("match", "match"),
    ("stringSlice", "stringSlice"),
    ("len", "len"),
    ("index", "index"),
    ("printf", "printf"),
    ("print", "print"),
    ("println", "println"),
    ("html", "html"),
    ("urlquery", "urlquery"),
    ("eq", "goEq"),
    ("ne", "goNe"),
    ("lt", "lt"),
    ("le", "lte"),
    ("gt", "gt"),
    ("ge", "gte"),
    ("and", "goAnd"),
    ("or", "goOr"),
    ("not", "not"),
];

/// A Handlebars expression.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    /// A path (`this`, `GroupLabels.alertname`, `@root.Alerts`) or literal (`"x"`, `3`, `true`, `null`).
    Simple(String),
    /// A helper call.
    Call(String, Vec<Expr>),
}

impl Expr {
    /// As a helper argument or block parameter.
    fn param(&self) -> String {
        match self {
            Expr::Simple(text) => text.clone(),
            Expr::Call(name, args) => format!("({})", call_text(name, args)),
        }
    }

    /// As the content of a mustache that prints. Everything goes through `goPrint`, which formats values
    /// as Go does (maps as `map[k:v]`, lists as `[a b]`) and keeps a field named like a helper (`.title`) a
    /// field.
    fn mustache(&self) -> String {
        format!("{{{{goPrint {}}}}}", self.param())
    }
}

/// Put before every block tag. Handlebars drops the line break after a block tag that stands alone on its
/// line ("standalone" tags); Go keeps it. A helper printing nothing, just before the tag, keeps the tag
/// from standing alone.
const ANCHOR: &str = "{{nothing}}";

fn call_text(name: &str, args: &[Expr]) -> String {
    let mut text = name.to_string();
    for arg in args {
        text.push(' ');
        text.push_str(&arg.param());
    }
    text
}

/// Translates nodes into Handlebars source.
pub(crate) fn translate(nodes: &[Node]) -> Result<String, String> {
    let mut out = String::new();
    for node in nodes {
        translate_node(node, &mut out)?;
    }
    Ok(out)
}

fn translate_node(node: &Node, out: &mut String) -> Result<(), String> {
    match node {
        Node::Text(text) => out.push_str(&escape_text(text)),
        Node::Print(pipeline) => out.push_str(&pipeline_expr(pipeline)?.mustache()),
        Node::If { branches, otherwise } => {
            for (i, (condition, body)) in branches.iter().enumerate() {
                let condition = pipeline_expr(condition)?.param();
                if i == 0 {
                    out.push_str(&format!("{ANCHOR}{{{{#if {condition}}}}}"));
                } else {
                    out.push_str(&format!("{ANCHOR}{{{{else if {condition}}}}}"));
                }
                out.push_str(&translate(body)?);
            }
            close_block("if", otherwise.as_deref(), out)?;
        }
        Node::Range { variables, pipeline, body, otherwise } => {
            let list = pipeline_expr(pipeline)?.param();
            let params = match variables.as_slice() {
                [] => String::new(),
                [element] => format!(" as |{}|", block_param(element)),
                [index, element] => format!(" as |{} {}|", block_param(element), block_param(index)),
                _ => return Err("range takes at most two variables".into()),
            };
            out.push_str(&format!("{ANCHOR}{{{{#each {list}{params}}}}}"));
            out.push_str(&translate(body)?);
            close_block("each", otherwise.as_deref(), out)?;
        }
        Node::With { pipeline, body, otherwise } => {
            let value = pipeline_expr(pipeline)?.param();
            out.push_str(&format!("{ANCHOR}{{{{#with {value}}}}}"));
            out.push_str(&translate(body)?);
            close_block("with", otherwise.as_deref(), out)?;
        }
        Node::Template { name, pipeline } => {
            let mut args = vec![Expr::Simple(string_literal(name))];
            if let Some(pipeline) = pipeline {
                args.push(pipeline_expr(pipeline)?);
            }
            out.push_str(&Expr::Call("template".into(), args).mustache());
        }
    }
    Ok(())
}

/// Writes a block's `{{else}}` part, if any, and its closing tag.
fn close_block(helper: &str, otherwise: Option<&[Node]>, out: &mut String) -> Result<(), String> {
    if let Some(otherwise) = otherwise {
        out.push_str(ANCHOR);
        out.push_str("{{else}}");
        out.push_str(&translate(otherwise)?);
    }
    out.push_str(&format!("{ANCHOR}{{{{/{helper}}}}}"));
    Ok(())
}

/// Go variables become block parameters of the same name (`$` alone is the root).
fn block_param(variable: &str) -> String {
    format!("v_{variable}")
}

/// Literal text: Handlebars reads `{{` as a mustache, so escape it.
fn escape_text(text: &str) -> String {
    text.replace("{{", "\\{{")
}

/// A Handlebars string literal; Handlebars reads it as JSON, so control characters are escaped.
fn string_literal(value: &str) -> String {
    serde_json::to_string(value).expect("a string always serializes")
}

/// The value of a pipeline: each command's value is the last argument of the next.
fn pipeline_expr(pipeline: &Pipeline) -> Result<Expr, String> {
    let mut value: Option<Expr> = None;
    for command in &pipeline.commands {
        value = Some(command_expr(command, value)?);
    }
    value.ok_or_else(|| "empty pipeline".to_string())
}

fn command_expr(command: &Command, piped: Option<Expr>) -> Result<Expr, String> {
    let (first, rest) = command.args.split_first().ok_or("empty command")?;
    let mut args = rest.iter().map(operand_expr).collect::<Result<Vec<_>, _>>()?;
    args.extend(piped);
    match first {
        Operand::Function(name) if name == "printf" => {
            // A format Herald cannot print is refused at load, not at send time.
            if let Some(Expr::Simple(format)) = args.first()
                && let Ok(format) = serde_json::from_str::<String>(format)
            {
                check_printf(&format)?;
            }
            Ok(Expr::Call("printf".to_string(), args))
        }
        Operand::Function(name) => {
            let helper = FUNCTIONS
                .iter()
                .find(|(go, _)| go == name)
                .map(|(_, helper)| *helper)
                .ok_or_else(|| format!("function {name:?} is not supported by Herald"))?;
            Ok(Expr::Call(helper.to_string(), args))
        }
        // A method with arguments: `.Labels.Remove (stringSlice "a")`.
        Operand::Field(fields) if !args.is_empty() => method_call(Expr::Simple("this".into()), fields, args),
        Operand::Variable(name, fields) if !args.is_empty() => method_call(variable_base(name), fields, args),
        operand if args.is_empty() => operand_expr(operand),
        _ => Err("only functions and methods take arguments".into()),
    }
}

/// The `printf` verbs Herald implements: `%s %v %d %q` and `%%`, without flags, widths or precisions.
fn check_printf(format: &str) -> Result<(), String> {
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('s' | 'v' | 'd' | 'q' | '%') => {}
                Some(other) => {
                    return Err(format!("printf verb %{other}... is not supported by Herald (use %s, %v, %d or %q)"));
                }
                None => return Err("printf format ends with %".into()),
            }
        }
    }
    Ok(())
}

fn method_call(base: Expr, fields: &[String], args: Vec<Expr>) -> Result<Expr, String> {
    let (method, path) = fields.split_last().ok_or("missing method")?;
    let helper = METHODS
        .iter()
        .find(|(go, _)| go == method)
        .map(|(_, helper)| *helper)
        .ok_or_else(|| format!("{method} is not a method that takes arguments"))?;
    let receiver = chain(base, path);
    let mut all = vec![receiver];
    all.extend(args);
    Ok(Expr::Call(helper.to_string(), all))
}

fn variable_base(name: &str) -> Expr {
    // `@root` alone is not the root in Handlebars; `@root.this` is.
    if name.is_empty() { Expr::Simple("@root.this".into()) } else { Expr::Simple(block_param(name)) }
}

fn operand_expr(operand: &Operand) -> Result<Expr, String> {
    Ok(match operand {
        Operand::Dot => Expr::Simple("this".into()),
        Operand::Field(fields) => chain(Expr::Simple("this".into()), fields),
        Operand::Variable(name, fields) => chain(variable_base(name), fields),
        Operand::Function(name) => command_expr(&Command { args: vec![Operand::Function(name.clone())] }, None)?,
        Operand::Str(value) => Expr::Simple(string_literal(value)),
        Operand::Number(value) => {
            value.parse::<f64>().map_err(|_| format!("bad number {value}"))?;
            Expr::Simple(value.clone())
        }
        Operand::Bool(value) => Expr::Simple(value.to_string()),
        Operand::Nil => Expr::Simple("null".into()),
        Operand::Group(pipeline, fields) => chain(pipeline_expr(pipeline)?, fields),
    })
}

/// Follows a field chain from `base`, turning methods of the data model into helper calls.
fn chain(base: Expr, fields: &[String]) -> Expr {
    let mut value = base;
    for field in fields {
        let method = METHODS.iter().find(|(go, _)| go == field).map(|(_, helper)| *helper);
        // Firing and Resolved are methods only of the alert list; a label could be called "Firing".
        let is_method = match method {
            Some("firing" | "resolved") => ends_with_alerts(&value),
            Some(_) => true,
            None => false,
        };
        value = match (method, is_method, value) {
            (Some(helper), true, value) => Expr::Call(helper.to_string(), vec![value]),
            (_, _, Expr::Simple(path)) if path == "this" => Expr::Simple(field.clone()),
            (_, _, Expr::Simple(path)) if path == "@root.this" => Expr::Simple(format!("@root.{field}")),
            (_, _, Expr::Simple(path)) if !path.starts_with('"') => Expr::Simple(format!("{path}.{field}")),
            (_, _, value) => Expr::Call("lookup".into(), vec![value, Expr::Simple(string_literal(field))]),
        };
    }
    value
}

fn ends_with_alerts(value: &Expr) -> bool {
    match value {
        Expr::Simple(path) => path == "Alerts" || path.ends_with(".Alerts"),
        Expr::Call(name, _) => name == "firing" || name == "resolved",
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    /// The translation, without the standalone-tag anchors (tested on their own).
    fn hbs(go: &str) -> String {
        let translated = translate(&parse(go).unwrap_or_else(|err| panic!("{go}: {err}")).body)
            .unwrap_or_else(|err| panic!("{go}: {err}"));
        translated.replace(ANCHOR, "")
    }

    #[test]
    fn block_tags_never_stand_alone() {
        let translated =
            translate(&parse("{{ if .X }}\nA\n{{ else }}\nB\n{{ end }}").expect("parses").body).expect("translates");
        assert_eq!(translated, "{{nothing}}{{#if X}}\nA\n{{nothing}}{{else}}\nB\n{{nothing}}{{/if}}");
    }

    #[test]
    fn fields_dot_and_root() {
        assert_eq!(hbs("Alert: {{ .GroupLabels.alertname }}"), "Alert: {{goPrint GroupLabels.alertname}}");
        assert_eq!(hbs("{{ . }}"), "{{goPrint this}}");
        assert_eq!(hbs("{{ $.CommonLabels.x }}"), "{{goPrint @root.CommonLabels.x}}");
    }

    #[test]
    fn pipelines_become_nested_helper_calls() {
        assert_eq!(hbs("{{ .Alerts.Firing | len }}"), "{{goPrint (len (firing Alerts))}}");
        assert_eq!(hbs("{{ .Status | toUpper }}"), "{{goPrint (toUpper Status)}}");
        assert_eq!(
            hbs(r#"{{ .GroupLabels.SortedPairs.Values | join " " }}"#),
            r#"{{goPrint (join " " (values (sortedPairs GroupLabels)))}}"#
        );
        assert_eq!(
            hbs(r#"{{ reReplaceAll "a(.)" "$1" .Status }}"#),
            r#"{{goPrint (reReplaceAll "a(.)" "$1" Status)}}"#
        );
    }

    #[test]
    fn blocks_translate() {
        assert_eq!(
            hbs(r#"{{ if eq .Status "firing" }}F{{ else if .X }}X{{ else }}R{{ end }}"#),
            r#"{{#if (goEq Status "firing")}}F{{else if X}}X{{else}}R{{/if}}"#
        );
        assert_eq!(
            hbs("{{ range .Alerts }}{{ .Annotations.d }}{{ end }}"),
            "{{#each Alerts}}{{goPrint Annotations.d}}{{/each}}"
        );
        assert_eq!(
            hbs("{{ range $i, $a := .Alerts }}{{ $i }}{{ $a.Labels.x }}{{ end }}"),
            "{{#each Alerts as |v_a v_i|}}{{goPrint v_i}}{{goPrint v_a.Labels.x}}{{/each}}"
        );
        assert_eq!(hbs(r#"{{ template "slack.title" . }}"#), r#"{{goPrint (template "slack.title" this)}}"#);
        assert_eq!(
            hbs("{{ with .CommonLabels.Remove .GroupLabels.Names }}{{ .Values | join \" \" }}{{ end }}"),
            "{{#with (remove CommonLabels (names GroupLabels))}}{{goPrint (join \" \" (values this))}}{{/with}}"
        );
    }

    #[test]
    fn a_label_named_like_a_method_stays_a_field() {
        assert_eq!(hbs("{{ .Labels.Firing }}"), "{{goPrint Labels.Firing}}");
    }

    #[test]
    fn string_literals_keep_control_characters_and_the_root_is_reachable() {
        assert_eq!(hbs(r#"{{ "a\nb" }}"#), r#"{{goPrint "a\nb"}}"#);
        assert_eq!(hbs("{{ template \"x\" $ }}"), "{{goPrint (template \"x\" @root.this)}}");
        assert_eq!(hbs("{{ $.Status }}"), "{{goPrint @root.Status}}");
    }

    #[test]
    fn literal_braces_are_escaped() {
        assert_eq!(hbs("{{ `{{ x }}` }}"), "{{goPrint \"{{ x }}\"}}");
    }

    #[test]
    fn unsupported_constructs_are_errors() {
        for go in
            ["{{ $x := 1 }}", "{{ block \"x\" . }}{{ end }}", "{{ call .F }}", "{{ if .X }}", "{{ printf \"%.2f\" 1 }}"]
        {
            let result = parse(go).and_then(|parsed| translate(&parsed.body));
            assert!(result.is_err(), "{go}: {result:?}");
        }
    }
}
