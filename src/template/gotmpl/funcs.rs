//! The functions a template can call: Go's built-ins (`len`, `index`, `slice`, `printf`, `eq`, `html`, ...),
//! Alertmanager 0.25's (`toUpper`, `toLower`, `title`, `join`, `match`, `reReplaceAll`, `safeHtml`,
//! `stringSlice`) and those later versions added (`trimSpace`, `date`, `tz`, `since`, `humanize*`, `toJson`).
//! `and` and `or` are evaluated lazily by the executor; the rest get their arguments evaluated.

use std::sync::Arc;

use super::printf::{format_float_g, quote, sprint, sprintf, sprintln};
use super::time::{GoTime, in_zone};
use super::value::Value;

/// Every function name, for the parser.
pub(crate) const NAMES: [&str; 38] = [
    "and",
    "or",
    "not",
    "len",
    "index",
    "slice",
    "print",
    "printf",
    "println",
    "html",
    "js",
    "urlquery",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "call",
    "toUpper",
    "toLower",
    "title",
    "join",
    "match",
    "reReplaceAll",
    "safeHtml",
    "stringSlice",
    "trimSpace",
    "date",
    "tz",
    "since",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "toJson",
    "urlUnescape",
];

/// Whether `name` is a function.
pub(crate) fn is_function(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Calls `name` with evaluated arguments; `now` is the notification's time (for `since`).
pub(crate) fn call(name: &str, args: &[Value], now: &GoTime) -> Result<Value, String> {
    let arity = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!("wrong number of args for {name}: want {n} got {}", args.len()))
        }
    };
    let string = |i: usize| -> Result<&str, String> {
        args[i].as_str().ok_or_else(|| format!("wrong type for value; expected string; got {}", args[i].type_name()))
    };
    Ok(match name {
        "not" => {
            arity(1)?;
            Value::Bool(!args[0].truth())
        }
        "len" => {
            arity(1)?;
            Value::Int(length(&args[0])? as i64)
        }
        "index" => index(args)?,
        "slice" => slice(args)?,
        "print" => Value::str(&sprint(args)),
        "println" => Value::str(&sprintln(args)),
        "printf" => {
            let format = args.first().ok_or("wrong number of args for printf: want at least 1 got 0")?;
            let format = format
                .as_str()
                .ok_or_else(|| format!("wrong type for value; expected string; got {}", format.type_name()))?;
            Value::str(&sprintf(format, &args[1..]))
        }
        "html" => Value::str(&html_escape(&evaluated_text(args))),
        "js" => Value::str(&js_escape(&evaluated_text(args))),
        "urlquery" => Value::str(&crate::notify::payload::query_escape(&evaluated_text(args))),
        "eq" => {
            if args.len() < 2 {
                return Err("missing argument for comparison".into());
            }
            let mut equal = false;
            for other in &args[1..] {
                if compare(&args[0], other)? == Some(std::cmp::Ordering::Equal) {
                    equal = true;
                }
            }
            Value::Bool(equal)
        }
        "ne" | "lt" | "le" | "gt" | "ge" => {
            arity(2)?;
            let ordering = compare(&args[0], &args[1])?;
            if name != "ne" && matches!(args[0], Value::Bool(_)) {
                return Err("invalid type for comparison".into());
            }
            let ordering = ordering.ok_or("incompatible types for comparison")?;
            Value::Bool(match name {
                "ne" => ordering.is_ne(),
                "lt" => ordering.is_lt(),
                "le" => ordering.is_le(),
                "gt" => ordering.is_gt(),
                _ => ordering.is_ge(),
            })
        }
        "call" => return Err("call: Herald's template data has no functions to call".into()),
        "toUpper" => {
            arity(1)?;
            Value::str(&string(0)?.to_uppercase())
        }
        "toLower" => {
            arity(1)?;
            Value::str(&string(0)?.to_lowercase())
        }
        "title" => {
            arity(1)?;
            Value::str(&title(string(0)?))
        }
        "trimSpace" => {
            arity(1)?;
            Value::str(string(0)?.trim())
        }
        "join" => {
            arity(2)?;
            let separator = string(0)?;
            let Value::Strings(list) = &args[1] else {
                return Err(format!("wrong type for value; expected []string; got {}", args[1].type_name()));
            };
            Value::str(&list.join(separator))
        }
        "match" => {
            arity(2)?;
            let pattern = regex(string(0)?)?;
            Value::Bool(pattern.is_match(string(1)?))
        }
        "reReplaceAll" => {
            arity(3)?;
            let pattern = regex(string(0)?)?;
            Value::str(&pattern.replace_all(string(2)?, string(1)?))
        }
        "safeHtml" => {
            arity(1)?;
            Value::Html(Arc::from(string(0)?))
        }
        "stringSlice" => {
            let mut list = Vec::with_capacity(args.len());
            for i in 0..args.len() {
                list.push(string(i)?.to_string());
            }
            Value::Strings(Arc::new(list))
        }
        "date" => {
            arity(2)?;
            let Value::Time(time) = &args[1] else {
                return Err(format!("wrong type for value; expected time.Time; got {}", args[1].type_name()));
            };
            Value::str(&time.format(string(0)?))
        }
        "tz" => {
            arity(2)?;
            let Value::Time(time) = &args[1] else {
                return Err(format!("wrong type for value; expected time.Time; got {}", args[1].type_name()));
            };
            Value::Time(in_zone(time, string(0)?)?)
        }
        "since" => {
            arity(1)?;
            let Value::Time(time) = &args[0] else {
                return Err(format!("wrong type for value; expected time.Time; got {}", args[0].type_name()));
            };
            let nanos = (now.instant - time.instant).num_nanoseconds().unwrap_or(i64::MAX);
            Value::Duration(nanos)
        }
        "humanize" => {
            arity(1)?;
            Value::str(&humanize(number(&args[0])?))
        }
        "humanize1024" => {
            arity(1)?;
            Value::str(&humanize_1024(number(&args[0])?))
        }
        "humanizeDuration" => {
            arity(1)?;
            Value::str(&humanize_duration(number(&args[0])?))
        }
        "humanizePercentage" => {
            arity(1)?;
            Value::str(&format!("{}%", g4(number(&args[0])? * 100.0)))
        }
        "humanizeTimestamp" => {
            arity(1)?;
            let seconds = number(&args[0])?;
            if seconds.is_nan() || seconds.is_infinite() {
                Value::str(&g4(seconds))
            } else {
                let nanos = (seconds * 1e9) as i64;
                let time = chrono::DateTime::from_timestamp_nanos(nanos);
                Value::str(&GoTime::utc(Some(time)).to_string())
            }
        }
        "toJson" => {
            arity(1)?;
            Value::str(&serde_json::to_string(&args[0].to_json()).map_err(|err| err.to_string())?)
        }
        "urlUnescape" => {
            arity(1)?;
            Value::str(&query_unescape(string(0)?)?)
        }
        _ => return Err(format!("function {name:?} not defined")),
    })
}

/// The text `html`, `js` and `urlquery` work on: the one string argument, or `fmt.Sprint` of them all.
fn evaluated_text(args: &[Value]) -> String {
    match args {
        [only] if only.as_str().is_some() => only.as_str().unwrap_or_default().to_string(),
        _ => sprint(args),
    }
}

fn length(value: &Value) -> Result<usize, String> {
    Ok(match value {
        Value::Str(text) | Value::Html(text) => text.len(),
        Value::Strings(list) => list.len(),
        Value::List(list) => list.len(),
        Value::Kv(map) => map.len(),
        Value::Map(map) => map.len(),
        Value::Pairs(list) => list.len(),
        Value::Alerts(list, _) => list.len(),
        other => return Err(format!("len of type {}", other.type_name())),
    })
}

fn int_arg(value: &Value) -> Result<i64, String> {
    match value {
        Value::Int(n) => Ok(*n),
        other => Err(format!("cannot index slice/array with type {}", other.type_name())),
    }
}

fn index(args: &[Value]) -> Result<Value, String> {
    let Some((first, keys)) = args.split_first() else {
        return Err("wrong number of args for index: want at least 1 got 0".into());
    };
    let mut value = first.clone();
    for key in keys {
        value = match &value {
            Value::Kv(map) => {
                let key =
                    key.as_str().ok_or_else(|| format!("value has type {}; should be string", key.type_name()))?;
                Value::str(map.get(key).map_or("", String::as_str))
            }
            Value::Map(map) => {
                let key =
                    key.as_str().ok_or_else(|| format!("value has type {}; should be string", key.type_name()))?;
                map.get(key).cloned().unwrap_or(Value::Nil)
            }
            Value::Str(text) | Value::Html(text) => {
                let i = int_arg(key)?;
                let byte = usize::try_from(i)
                    .ok()
                    .and_then(|i| text.as_bytes().get(i))
                    .ok_or_else(|| format!("error calling index: index out of range: {i}"))?;
                Value::Int(i64::from(*byte))
            }
            Value::Missing | Value::Nil => return Err("error calling index: index of untyped nil".into()),
            other => {
                let elements =
                    other.elements().ok_or_else(|| format!("can't index item of type {}", other.type_name()))?;
                let i = int_arg(key)?;
                usize::try_from(i)
                    .ok()
                    .and_then(|i| elements.get(i).cloned())
                    .ok_or_else(|| format!("error calling index: index out of range: {i}"))?
            }
        };
    }
    Ok(value)
}

fn slice(args: &[Value]) -> Result<Value, String> {
    let Some((first, bounds)) = args.split_first() else {
        return Err("wrong number of args for slice: want at least 1 got 0".into());
    };
    let bounds: Vec<i64> = bounds.iter().map(int_arg).collect::<Result<_, _>>()?;
    let length = length(first)?;
    let (low, high) = match bounds.as_slice() {
        [] => (0, length as i64),
        [low] => (*low, length as i64),
        [low, high] => (*low, *high),
        [low, high, _] if first.as_str().is_none() => (*low, *high),
        _ => return Err("too many slice indexes".into()),
    };
    if low < 0 || high < low || high as usize > length {
        return Err(format!("error calling slice: index out of range: {high}"));
    }
    let (low, high) = (low as usize, high as usize);
    Ok(match first {
        Value::Str(text) => Value::str(text.get(low..high).ok_or("error calling slice: not at a character boundary")?),
        Value::Strings(list) => Value::Strings(Arc::new(list[low..high].to_vec())),
        other => Value::List(Arc::new(other.elements().unwrap_or_default()[low..high].to_vec())),
    })
}

/// Go's comparison of basic values: `None` when the kinds differ (an error for `lt`..., unequal for `eq`
/// only between a value and nil).
fn compare(a: &Value, b: &Value) -> Result<Option<std::cmp::Ordering>, String> {
    Ok(match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        (Value::Str(x) | Value::Html(x), Value::Str(y) | Value::Html(y)) => Some(x.as_ref().cmp(y.as_ref())),
        (Value::Nil | Value::Missing, Value::Nil | Value::Missing) => Some(std::cmp::Ordering::Equal),
        (Value::Nil | Value::Missing, _) | (_, Value::Nil | Value::Missing) => None,
        (x, y) if is_basic(x) && is_basic(y) => return Err("incompatible types for comparison".into()),
        _ => return Err("invalid type for comparison".into()),
    })
}

fn is_basic(value: &Value) -> bool {
    matches!(
        value,
        Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Html(_) | Value::Duration(_)
    )
}

fn regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&crate::labels::translate_go_regex(pattern)).map_err(|err| format!("error parsing regexp: {err}"))
}

/// Alertmanager's `title` (Go's `cases.Title` for American English): the first letter of each word upper
/// case, the rest lower case.
fn title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' && in_word {
            if in_word {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            in_word = true;
        } else {
            out.push(c);
            in_word = false;
        }
    }
    out
}

/// Go's `template.HTMLEscapeString`.
fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
fn js_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryUnescape`.
fn query_unescape(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3).filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
                let hex = hex.ok_or_else(|| {
                    format!("invalid URL escape {:?}", text.get(i..(i + 3).min(text.len())).unwrap_or("%"))
                })?;
                out.push(u8::from_str_radix(hex, 16).map_err(|err| err.to_string())?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|err| err.to_string())
}

/// A number from a number, a numeric string or a duration (in seconds), as Prometheus's humanize functions
/// take it.
fn number(value: &Value) -> Result<f64, String> {
    match value {
        Value::Int(n) => Ok(*n as f64),
        Value::Float(f) => Ok(*f),
        Value::Duration(nanos) => Ok(*nanos as f64 / 1e9),
        Value::Str(text) | Value::Html(text) => text
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("strconv.ParseFloat: parsing {}: invalid syntax", quote(text, false))),
        Value::Time(time) => Ok(time.instant.timestamp_nanos_opt().unwrap_or(0) as f64 / 1e9),
        other => Err(format!("can't convert {} to float", other.type_name())),
    }
}

/// `%.4g`.
fn g4(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value < 0.0 { "-Inf".into() } else { "+Inf".into() };
    }
    format_float_g(value, Some(4), false)
}

fn humanize(mut value: f64) -> String {
    if value == 0.0 || value.is_nan() || value.is_infinite() {
        return g4(value);
    }
    if value.abs() >= 1.0 {
        let mut prefix = "";
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if value.abs() < 1000.0 {
                break;
            }
            prefix = p;
            value /= 1000.0;
        }
        return format!("{}{prefix}", g4(value));
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if value.abs() >= 1.0 {
            break;
        }
        prefix = p;
        value *= 1000.0;
    }
    format!("{}{prefix}", g4(value))
}

fn humanize_1024(mut value: f64) -> String {
    if value.abs() <= 1.0 || value.is_nan() || value.is_infinite() {
        return g4(value);
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if value.abs() < 1024.0 {
            break;
        }
        prefix = p;
        value /= 1024.0;
    }
    format!("{}{prefix}", g4(value))
}

fn humanize_duration(mut value: f64) -> String {
    if value.is_nan() || value.is_infinite() {
        return g4(value);
    }
    if value == 0.0 {
        return format!("{}s", g4(value));
    }
    if value.abs() >= 1.0 {
        let sign = if value < 0.0 { "-" } else { "" };
        value = value.abs();
        let whole = value as i64;
        let (seconds, minutes, hours, days) = (whole % 60, whole / 60 % 60, whole / 3600 % 24, whole / 86400);
        return if days != 0 {
            format!("{sign}{days}d {hours}h {minutes}m {seconds}s")
        } else if hours != 0 {
            format!("{sign}{hours}h {minutes}m {seconds}s")
        } else if minutes != 0 {
            format!("{sign}{minutes}m {seconds}s")
        } else {
            format!("{sign}{}s", format_fixed(value, 4))
        };
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if value.abs() >= 1.0 {
            break;
        }
        prefix = p;
        value *= 1000.0;
    }
    format!("{}{prefix}s", g4(value))
}

/// `%.4g` for the seconds of a duration under a minute (Prometheus writes `%.4g`).
fn format_fixed(value: f64, digits: usize) -> String {
    format_float_g(value, Some(digits), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> GoTime {
        GoTime::utc(None)
    }

    fn text(name: &str, args: &[Value]) -> String {
        call(name, args, &now()).expect("calls").to_text()
    }

    #[test]
    fn alertmanagers_functions() {
        assert_eq!(text("toUpper", &[Value::str("disk Full")]), "DISK FULL");
        assert_eq!(text("title", &[Value::str("hELLO wORLD-wide o'neil")]), "Hello World-Wide O'neil");
        assert_eq!(text("join", &[Value::str(", "), Value::Strings(Arc::new(vec!["a".into(), "b".into()]))]), "a, b");
        assert_eq!(text("match", &[Value::str("^disk"), Value::str("diskfull")]), "true");
        assert_eq!(text("reReplaceAll", &[Value::str("(.*):.*"), Value::str("$1"), Value::str("host:9100")]), "host");
        assert_eq!(text("stringSlice", &[Value::str("a"), Value::str("b")]), "[a b]");
        assert!(call("toUpper", &[Value::Int(1)], &now()).is_err());
    }

    #[test]
    fn gos_builtins() {
        assert_eq!(text("html", &[Value::str("<a href=\"x\">&'")]), "&lt;a href=&#34;x&#34;&gt;&amp;&#39;");
        assert_eq!(text("js", &[Value::str("a'b\"<=>&\\")]), "a\\'b\\\"\\u003C\\u003D\\u003E\\u0026\\\\");
        assert_eq!(text("urlquery", &[Value::str("a b&c=d/é")]), "a+b%26c%3Dd%2F%C3%A9");
        assert_eq!(text("len", &[Value::str("héllo")]), "6");
        assert_eq!(text("index", &[Value::kv([("a", "1")]), Value::str("a")]), "1");
        assert_eq!(text("index", &[Value::kv([("a", "1")]), Value::str("b")]), "");
        assert_eq!(text("slice", &[Value::str("abcdef"), Value::Int(1), Value::Int(3)]), "bc");
        assert_eq!(text("eq", &[Value::str("a"), Value::str("b"), Value::str("a")]), "true");
        assert_eq!(text("lt", &[Value::Int(1), Value::Int(2)]), "true");
        assert!(call("lt", &[Value::Int(1), Value::str("2")], &now()).is_err());
        assert_eq!(text("not", &[Value::str("")]), "true");
    }

    #[test]
    fn humanize_functions_match_prometheus() {
        assert_eq!(text("humanize", &[Value::Float(1234567.0)]), "1.235M");
        assert_eq!(text("humanize", &[Value::Float(0.000123)]), "123u");
        assert_eq!(text("humanize1024", &[Value::Float(1048576.0)]), "1Mi");
        assert_eq!(text("humanizeDuration", &[Value::Float(93784.0)]), "1d 2h 3m 4s");
        assert_eq!(text("humanizeDuration", &[Value::Float(1.5)]), "1.5s");
        assert_eq!(text("humanizeDuration", &[Value::str("0.25")]), "250ms");
        assert_eq!(text("humanizePercentage", &[Value::Float(0.1234)]), "12.34%");
    }
}
