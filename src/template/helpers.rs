//! The functions of Alertmanager's templates (Go's built-ins and Alertmanager's own), as Handlebars helpers
//! over JSON values.

use handlebars::{Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, RenderErrorReason, ScopedJson};
use serde_json::{Map, Value, json};

/// A helper computing a value from its parameters.
type Function = fn(&[Value]) -> Result<Value, String>;

struct ValueHelper {
    name: &'static str,
    function: Function,
}

impl HelperDef for ValueHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let params: Vec<Value> = h.params().iter().map(|p| p.value().clone()).collect();
        (self.function)(&params)
            .map(ScopedJson::Derived)
            .map_err(|message| RenderErrorReason::Other(format!("{}: {message}", self.name)).into())
    }
}

/// `{{template "name" value}}`: renders another registered template with `value` as its context.
struct TemplateHelper;

impl HelperDef for TemplateHelper {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        registry: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let name =
            h.param(0).and_then(|p| p.value().as_str()).ok_or(RenderErrorReason::InvalidParamType("template name"))?;
        let context = h.param(1).map(|p| p.value().clone()).unwrap_or(Value::Null);
        if !registry.has_template(name) {
            return Err(RenderErrorReason::Other(format!("template {name:?} is not defined")).into());
        }
        let _depth = Depth::enter()?;
        let text = registry.render(name, &context)?;
        if text.len() > super::MAX_OUTPUT_BYTES {
            return Err(RenderErrorReason::Other(format!(
                "template {name:?} rendered more than {} bytes",
                super::MAX_OUTPUT_BYTES
            ))
            .into());
        }
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

thread_local! {
    /// How many `template` calls are being rendered on this thread (rendering never leaves its thread).
    static DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One level of `template` calls; leaving it (even by an error) gives the level back.
struct Depth;

impl Depth {
    fn enter() -> Result<Depth, RenderError> {
        let depth = DEPTH.with(|depth| {
            depth.set(depth.get() + 1);
            depth.get()
        });
        let entered = Depth;
        if depth > super::MAX_DEPTH {
            // `entered` is dropped on return, restoring the count.
            return Err(
                RenderErrorReason::Other(format!("exceeded maximum template depth ({})", super::MAX_DEPTH)).into()
            );
        }
        Ok(entered)
    }
}

impl Drop for Depth {
    fn drop(&mut self) {
        DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

/// Registers every helper.
pub(super) fn register(registry: &mut Handlebars<'static>) {
    let functions: [(&'static str, Function); 29] = [
        ("toUpper", |a| Ok(json!(text(a, 0)?.to_uppercase()))),
        ("toLower", |a| Ok(json!(text(a, 0)?.to_lowercase()))),
        ("title", |a| Ok(json!(title(&text(a, 0)?)))),
        ("join", join),
        ("safeHtml", |a| Ok(json!(text(a, 0)?))),
        ("reReplaceAll", re_replace_all),
        ("match", re_match),
        ("stringSlice", |a| Ok(Value::Array(a.to_vec()))),
        ("len", |a| Ok(json!(length(arg(a, 0)?)))),
        ("index", index),
        ("printf", printf),
        ("print", |a| Ok(json!(a.iter().map(display).collect::<Vec<_>>().concat()))),
        ("println", |a| Ok(json!(format!("{}\n", a.iter().map(display).collect::<Vec<_>>().join(" "))))),
        ("html", |a| Ok(json!(html_escape(&text(a, 0)?)))),
        ("urlquery", |a| Ok(json!(url::form_urlencoded::byte_serialize(text(a, 0)?.as_bytes()).collect::<String>()))),
        ("goEq", |a| Ok(json!(a.get(1..).unwrap_or_default().iter().any(|b| loose_eq(arg(a, 0).ok(), b))))),
        ("goNe", |a| Ok(json!(!loose_eq(arg(a, 0).ok(), arg(a, 1)?)))),
        ("goAnd", |a| Ok(a.iter().find(|v| !truthy(v)).or(a.last()).cloned().unwrap_or(Value::Null))),
        ("goOr", |a| Ok(a.iter().find(|v| truthy(v)).or(a.last()).cloned().unwrap_or(Value::Null))),
        ("not", |a| Ok(json!(!truthy(arg(a, 0)?)))),
        ("firing", |a| Ok(by_status(arg(a, 0)?, "firing"))),
        ("resolved", |a| Ok(by_status(arg(a, 0)?, "resolved"))),
        ("sortedPairs", |a| Ok(sorted_pairs(arg(a, 0)?))),
        ("names", |a| Ok(pair_field(&sorted_pairs(arg(a, 0)?), "Name"))),
        ("values", |a| Ok(pair_field(&pairs_of(arg(a, 0)?), "Value"))),
        ("remove", remove),
        ("identity", |a| Ok(arg(a, 0)?.clone())),
        ("nothing", |_| Ok(json!(""))),
        ("goPrint", |a| Ok(json!(a.first().map(display).unwrap_or_default()))),
    ];
    for (name, function) in functions {
        registry.register_helper(name, Box::new(ValueHelper { name, function }));
    }
    registry.register_helper("template", Box::new(TemplateHelper));
}

fn arg(args: &[Value], i: usize) -> Result<&Value, String> {
    args.get(i).ok_or_else(|| format!("missing argument {}", i + 1))
}

fn text(args: &[Value], i: usize) -> Result<String, String> {
    Ok(display(arg(args, i)?))
}

/// How Go prints a value with `{{ . }}` (strings as they are; lists as `[a b]`; maps as `map[k:v]`).
pub(crate) fn display(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(display).collect::<Vec<_>>().join(" ")),
        Value::Object(map) => {
            format!("map[{}]", map.iter().map(|(k, v)| format!("{k}:{}", display(v))).collect::<Vec<_>>().join(" "))
        }
        other => other.to_string(),
    }
}

/// Go's truthiness: false, 0, nil, and empty strings, lists and maps are false.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

fn loose_eq(a: Option<&Value>, b: &Value) -> bool {
    match (a, b) {
        (Some(Value::Number(x)), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Some(a), b) => a == b,
        (None, _) => false,
    }
}

fn length(value: &Value) -> usize {
    match value {
        // Go's len of a string counts bytes.
        Value::String(s) => s.len(),
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        _ => 0,
    }
}

/// Go's `strings.Title`: the first letter of each word in upper case.
fn title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous_is_letter = false;
    for c in text.chars() {
        let is_letter = c.is_alphanumeric() || c == '_' || c == '\'';
        if is_letter && !previous_is_letter {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        previous_is_letter = is_letter;
    }
    out
}

/// Alertmanager's `join sep list`.
fn join(args: &[Value]) -> Result<Value, String> {
    let separator = text(args, 0)?;
    let items = match arg(args, 1)? {
        Value::Array(items) => items.iter().map(display).collect::<Vec<_>>(),
        other => vec![display(other)],
    };
    Ok(json!(items.join(&separator)))
}

/// Alertmanager's `reReplaceAll pattern replacement text` (Go regexp, `$1` / `${name}` expansion).
fn re_replace_all(args: &[Value]) -> Result<Value, String> {
    let pattern = text(args, 0)?;
    let regex = regex::Regex::new(&crate::labels::translate_go_regex(&pattern)).map_err(|err| err.to_string())?;
    Ok(json!(regex.replace_all(&text(args, 2)?, text(args, 1)?.as_str()).into_owned()))
}

/// Alertmanager's `match pattern text`: an unanchored regex search.
fn re_match(args: &[Value]) -> Result<Value, String> {
    let pattern = text(args, 0)?;
    let regex = regex::Regex::new(&crate::labels::translate_go_regex(&pattern)).map_err(|err| err.to_string())?;
    Ok(json!(regex.is_match(&text(args, 1)?)))
}

/// Go's `index collection key...`.
fn index(args: &[Value]) -> Result<Value, String> {
    let mut value = arg(args, 0)?.clone();
    for key in &args[1..] {
        value = match (&value, key) {
            (Value::Object(map), key) => map.get(&display(key)).cloned().unwrap_or(Value::String(String::new())),
            (Value::Array(items), Value::Number(n)) => {
                let i = n.as_u64().and_then(|i| usize::try_from(i).ok()).ok_or("index out of range")?;
                items.get(i).cloned().ok_or_else(|| format!("index out of range: {i}"))?
            }
            _ => return Err("cannot index this value".into()),
        };
    }
    Ok(value)
}

/// A subset of Go's `printf`: `%s %v %d %q %%` and widths are not supported beyond these verbs.
fn printf(args: &[Value]) -> Result<Value, String> {
    let format = text(args, 0)?;
    let mut rest = args[1..].iter();
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(verb @ ('s' | 'v' | 'd' | 'q')) => {
                let value = rest.next().map(display).unwrap_or_else(|| format!("%!{verb}(MISSING)"));
                if verb == 'q' {
                    out.push_str(&crate::labels::go_quote(&value));
                } else {
                    out.push_str(&value);
                }
            }
            Some(other) => return Err(format!("printf verb %{other} is not supported by Herald")),
            None => out.push_str("%!(NOVERB)"),
        }
    }
    Ok(json!(out))
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn by_status(alerts: &Value, status: &str) -> Value {
    match alerts {
        Value::Array(items) => Value::Array(items.iter().filter(|a| a["Status"] == status).cloned().collect()),
        _ => Value::Array(Vec::new()),
    }
}

/// Alertmanager's `KV.SortedPairs`: `alertname` first, then the other names sorted.
fn sorted_pairs(kv: &Value) -> Value {
    let Value::Object(map) = kv else { return pairs_of(kv) };
    let mut names: Vec<&String> = map.keys().collect();
    names.sort_by_key(|name| (name.as_str() != "alertname", name.as_str()));
    Value::Array(names.into_iter().map(|name| json!({"Name": name, "Value": map[name]})).collect())
}

/// Pairs as they are, or a map's sorted pairs.
fn pairs_of(value: &Value) -> Value {
    match value {
        Value::Array(_) => value.clone(),
        Value::Object(_) => sorted_pairs(value),
        _ => Value::Array(Vec::new()),
    }
}

fn pair_field(pairs: &Value, field: &str) -> Value {
    match pairs {
        Value::Array(items) => Value::Array(items.iter().map(|p| p[field].clone()).collect()),
        _ => Value::Array(Vec::new()),
    }
}

/// Alertmanager's `KV.Remove names`.
fn remove(args: &[Value]) -> Result<Value, String> {
    let Value::Object(map) = arg(args, 0)? else { return Ok(Value::Object(Map::new())) };
    let names: Vec<String> = match arg(args, 1)? {
        Value::Array(items) => items.iter().map(display).collect(),
        other => vec![display(other)],
    };
    Ok(Value::Object(map.iter().filter(|(k, _)| !names.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect()))
}
