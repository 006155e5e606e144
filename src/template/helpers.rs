//! The helpers Herald's Handlebars default templates call (Alertmanager's functions and methods over the
//! JSON view of the template data), and `{{template}}`, which reaches the templates files define.

use std::sync::Arc;

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

/// `{{template "name" value}}`: renders the template a file defines under that name (as a Go template, with
/// `value` read back into template data), else another of Herald's Handlebars templates.
struct TemplateHelper {
    go: Arc<super::GoDefines>,
}

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
        let _depth = Depth::enter()?;
        let text = if let Some(body) = self.go.get(name) {
            let dot = super::gotmpl::Value::from_handlebars_json(&context);
            let now = super::gotmpl::GoTime::utc(Some(chrono::Utc::now()));
            let limits = super::Limits { depth: super::MAX_DEPTH, output_bytes: super::MAX_OUTPUT_BYTES, html: false };
            let bridge = super::Bridge { go: &self.go, registry };
            super::gotmpl::execute(body, &Default::default(), &bridge, dot, &now, limits)
                .map_err(|err| RenderErrorReason::Other(format!("template {name:?}: {err}")))?
        } else if registry.has_template(name) {
            registry.render(name, &context)?
        } else {
            return Err(RenderErrorReason::Other(format!("template {name:?} is not defined")).into());
        };
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

/// (Re)registers `{{template}}` over the templates files define.
pub(super) fn register_template_call(registry: &mut Handlebars<'static>, go: Arc<super::GoDefines>) {
    registry.register_helper("template", Box::new(TemplateHelper { go }));
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
    // What Herald's Handlebars defaults call.
    let functions: [(&'static str, Function); 12] = [
        ("toUpper", |a| Ok(json!(text(a, 0)?.to_uppercase()))),
        ("join", join),
        ("len", |a| Ok(json!(length(arg(a, 0)?)))),
        ("urlquery", |a| Ok(json!(url::form_urlencoded::byte_serialize(text(a, 0)?.as_bytes()).collect::<String>()))),
        ("goEq", |a| Ok(json!(a.get(1..).unwrap_or_default().iter().any(|b| loose_eq(arg(a, 0).ok(), b))))),
        ("firing", |a| Ok(by_status(arg(a, 0)?, "firing"))),
        ("resolved", |a| Ok(by_status(arg(a, 0)?, "resolved"))),
        ("sortedPairs", |a| Ok(sorted_pairs(arg(a, 0)?))),
        ("names", |a| Ok(pair_field(&sorted_pairs(arg(a, 0)?), "Name"))),
        ("values", |a| Ok(pair_field(&pairs_of(arg(a, 0)?), "Value"))),
        ("remove", remove),
        ("nothing", |_| Ok(json!(""))),
    ];
    for (name, function) in functions {
        registry.register_helper(name, Box::new(ValueHelper { name, function }));
    }
}

fn arg(args: &[Value], i: usize) -> Result<&Value, String> {
    args.get(i).ok_or_else(|| format!("missing argument {}", i + 1))
}

fn text(args: &[Value], i: usize) -> Result<String, String> {
    Ok(display(arg(args, i)?))
}

/// How Go prints a value with `{{ . }}` (strings as they are; lists as `[a b]`; maps as `map[k:v]`).
fn display(value: &Value) -> String {
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

/// Alertmanager's `join sep list`.
fn join(args: &[Value]) -> Result<Value, String> {
    let separator = text(args, 0)?;
    let items = match arg(args, 1)? {
        Value::Array(items) => items.iter().map(display).collect::<Vec<_>>(),
        other => vec![display(other)],
    };
    Ok(json!(items.join(&separator)))
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
