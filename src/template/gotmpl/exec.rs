//! Runs a parsed template over a value, as Go's `text/template` executes with Alertmanager's
//! `missingkey=zero`: fields and methods of the template data, variables, pipelines, control structures and
//! calls of named templates.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::funcs;
use super::html;
use super::parse::{Arg, Branch, Command, Line, Node, Pipe};
use super::time::{GoTime, duration_string};
use super::value::Value;

/// Where `{{ template "name" }}` finds what it calls, besides the templates the string itself defines.
pub(crate) trait Library {
    /// The body of a named template written in Go syntax.
    fn go_template(&self, name: &str) -> Option<&[Node]>;
    /// Renders a named template Herald ships in another form (its Handlebars defaults), if there is one;
    /// with `html`, every value it prints is HTML-escaped.
    fn other_template(&self, name: &str, dot: &Value, html: bool) -> Option<Result<String, String>>;
}

/// Bounds on one execution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Deepest nesting of template calls.
    pub depth: usize,
    /// Most bytes of output.
    pub output_bytes: usize,
    /// Escape every value printed as Go's `html/template` does in HTML text.
    pub html: bool,
}

/// Runs `body` with `dot` as `.` and `$`; `defines` are the templates the source itself defined.
pub(crate) fn execute(
    body: &[Node],
    defines: &BTreeMap<String, Vec<Node>>,
    library: &dyn Library,
    dot: Value,
    now: &GoTime,
    limits: Limits,
) -> Result<String, String> {
    let mut state = State {
        defines,
        library,
        now,
        limits,
        out: String::new(),
        vars: vec![("$".into(), dot.clone())],
        depth: 0,
        in_comment: false,
    };
    state.walk(body, &dot)?;
    Ok(state.out)
}

struct State<'a> {
    defines: &'a BTreeMap<String, Vec<Node>>,
    library: &'a dyn Library,
    now: &'a GoTime,
    limits: Limits,
    out: String,
    vars: Vec<(String, Value)>,
    depth: usize,
    /// Inside an HTML comment of the template's text (`html` only): nothing is written.
    in_comment: bool,
}

/// How a list of nodes ended.
enum Flow {
    Normal,
    Break,
    Continue,
}

/// What a pipeline stage passes on.
type Final = Option<Value>;

impl State<'_> {
    fn walk(&mut self, nodes: &[Node], dot: &Value) -> Result<Flow, String> {
        for node in nodes {
            match node {
                Node::Text(text) if self.limits.html => self.write_html_text(text)?,
                Node::Text(text) => self.write(text)?,
                Node::Action(line, pipe) => {
                    let value = self.pipe(*line, pipe, dot)?;
                    if pipe.variables.is_empty() && !self.in_comment {
                        let text = match &value {
                            // `safeHtml`'s value is trusted as it is.
                            Value::Html(text) => text.to_string(),
                            value if self.limits.html => {
                                let query_escaped = pipe.commands.last().and_then(|c| c.args.first())
                                    == Some(&Arg::Function("urlquery".into()));
                                html::escape(&self.out, &printable(value), query_escaped)
                            }
                            value => printable(value),
                        };
                        self.write(&text)?;
                    }
                }
                Node::If(branch) | Node::With(branch) => {
                    let mark = self.vars.len();
                    let value = self.pipe(branch.line, &branch.pipe, dot)?;
                    let flow = if value.truth() {
                        let new_dot = if matches!(node, Node::With(_)) { &value } else { dot };
                        self.walk(&branch.body, new_dot)?
                    } else if let Some(otherwise) = &branch.otherwise {
                        self.walk(otherwise, dot)?
                    } else {
                        Flow::Normal
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Range(branch) => {
                    let flow = self.range(branch, dot)?;
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Template(line, name, pipe) => {
                    let new_dot = match pipe {
                        Some(pipe) => self.pipe(*line, pipe, dot)?,
                        None => Value::Missing,
                    };
                    self.call_template(*line, name, new_dot)?;
                }
                Node::Break(_) => return Ok(Flow::Break),
                Node::Continue(_) => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    /// Writes template text as `html/template` does: its comments left out (also around actions).
    fn write_html_text(&mut self, text: &str) -> Result<(), String> {
        let mut rest = text;
        loop {
            if self.in_comment {
                match rest.find("-->") {
                    Some(end) => {
                        rest = &rest[end + 3..];
                        self.in_comment = false;
                    }
                    None => return Ok(()),
                }
            }
            match rest.find("<!--") {
                Some(start) => {
                    self.write(&rest[..start])?;
                    rest = &rest[start + 4..];
                    self.in_comment = true;
                }
                None => return self.write(rest),
            }
        }
    }

    fn write(&mut self, text: &str) -> Result<(), String> {
        if self.out.len() + text.len() > self.limits.output_bytes {
            return Err(format!("the template rendered more than {} bytes", self.limits.output_bytes));
        }
        self.out.push_str(text);
        Ok(())
    }

    fn call_template(&mut self, line: Line, name: &str, dot: Value) -> Result<(), String> {
        if self.depth >= self.limits.depth {
            return Err(format!("line {line}: exceeded maximum template depth ({})", self.limits.depth));
        }
        let body = match self.defines.get(name) {
            Some(body) => Some(body.as_slice()),
            None => self.library.go_template(name),
        };
        let Some(body) = body else {
            return match self.library.other_template(name, &dot, self.limits.html) {
                Some(rendered) => self.write(&rendered.map_err(|err| format!("template {name:?}: {err}"))?),
                None => Err(format!("line {line}: no such template {name:?}")),
            };
        };
        // A called template sees only its own `$`.
        let saved = std::mem::replace(&mut self.vars, vec![("$".into(), dot.clone())]);
        self.depth += 1;
        let walked = self.walk(body, &dot);
        self.depth -= 1;
        self.vars = saved;
        walked.map(drop)
    }

    fn range(&mut self, branch: &Branch, dot: &Value) -> Result<Flow, String> {
        let mark = self.vars.len();
        let value = self.pipe_value(branch.line, &branch.pipe, dot)?;
        let items: Vec<(Value, Value)> = match &value {
            Value::Missing | Value::Nil => Vec::new(),
            value => match value.entries() {
                Some(entries) => entries,
                None => value
                    .elements()
                    .ok_or_else(|| format!("line {}: range can't iterate over {}", branch.line, printable(value)))?
                    .into_iter()
                    .enumerate()
                    .map(|(i, element)| (Value::Int(i as i64), element))
                    .collect(),
            },
        };
        let declared = &branch.pipe.variables;
        if !branch.pipe.assign {
            for name in declared {
                self.vars.push((name.clone(), Value::Missing));
            }
        }
        let mut flow = Flow::Normal;
        for (key, element) in &items {
            match declared.as_slice() {
                [element_var] => self.set(element_var, element.clone()),
                [key_var, element_var] => {
                    self.set(key_var, key.clone());
                    self.set(element_var, element.clone());
                }
                _ => {}
            }
            let iteration_mark = self.vars.len();
            let walked = self.walk(&branch.body, element);
            self.vars.truncate(iteration_mark);
            match walked? {
                Flow::Break => break,
                Flow::Continue | Flow::Normal => {}
            }
        }
        if items.is_empty()
            && let Some(otherwise) = &branch.otherwise
        {
            flow = self.walk(otherwise, dot)?;
        }
        self.vars.truncate(mark);
        Ok(flow)
    }

    /// Sets the innermost variable called `name`.
    fn set(&mut self, name: &str, value: Value) {
        if let Some(slot) = self.vars.iter_mut().rev().find(|(var, _)| var == name) {
            slot.1 = value;
        }
    }

    fn variable(&self, line: Line, name: &str) -> Result<Value, String> {
        self.vars
            .iter()
            .rev()
            .find(|(var, _)| var == name)
            .map(|(_, value)| value.clone())
            .ok_or_else(|| format!("line {line}: undefined variable: {name}"))
    }

    /// A pipeline's value, declaring or assigning its variables.
    fn pipe(&mut self, line: Line, pipe: &Pipe, dot: &Value) -> Result<Value, String> {
        let value = self.pipe_value(line, pipe, dot)?;
        if !pipe.variables.is_empty() && !pipe.assign {
            for name in &pipe.variables {
                self.vars.push((name.clone(), value.clone()));
            }
        } else if pipe.assign {
            for name in &pipe.variables {
                self.set(name, value.clone());
            }
        }
        Ok(value)
    }

    /// A pipeline's value, without touching its variables.
    fn pipe_value(&mut self, line: Line, pipe: &Pipe, dot: &Value) -> Result<Value, String> {
        let mut value: Final = None;
        for command in &pipe.commands {
            value = Some(self.command(line, command, dot, value)?);
        }
        Ok(value.unwrap_or(Value::Missing))
    }

    fn command(&mut self, line: Line, command: &Command, dot: &Value, last: Final) -> Result<Value, String> {
        let (first, rest) = command.args.split_first().ok_or_else(|| format!("line {line}: empty command"))?;
        let no_arguments = |what: &str, last: &Final| {
            if rest.is_empty() && last.is_none() {
                Ok(())
            } else {
                Err(format!("line {line}: can't give argument to non-function {what}"))
            }
        };
        match first {
            Arg::Function(name) => self.function(line, name, rest, dot, last),
            Arg::Field(fields) => {
                let args = self.arguments(line, rest, dot, last)?;
                self.fields(line, dot.clone(), fields, args)
            }
            Arg::Variable(name, fields) => {
                let value = self.variable(line, name)?;
                if fields.is_empty() {
                    no_arguments(name, &last)?;
                    return Ok(value);
                }
                let args = self.arguments(line, rest, dot, last)?;
                self.fields(line, value, fields, args)
            }
            Arg::Group(pipe, fields) => {
                let value = self.pipe_value(line, pipe, dot)?;
                if fields.is_empty() {
                    no_arguments("(...)", &last)?;
                    return Ok(value);
                }
                let args = self.arguments(line, rest, dot, last)?;
                self.fields(line, value, fields, args)
            }
            Arg::Nil => Err(format!("line {line}: nil is not a command")),
            literal => {
                no_arguments("a constant", &last)?;
                self.argument(line, literal, dot)
            }
        }
    }

    fn arguments(&mut self, line: Line, args: &[Arg], dot: &Value, last: Final) -> Result<Vec<Value>, String> {
        let mut values = Vec::with_capacity(args.len() + 1);
        for arg in args {
            values.push(self.argument(line, arg, dot)?);
        }
        values.extend(last);
        Ok(values)
    }

    /// An argument's value.
    fn argument(&mut self, line: Line, arg: &Arg, dot: &Value) -> Result<Value, String> {
        Ok(match arg {
            Arg::Dot => dot.clone(),
            Arg::Nil => Value::Nil,
            Arg::Bool(value) => Value::Bool(*value),
            Arg::Str(text) => Value::str(text),
            Arg::Number(text) => number(text).ok_or_else(|| format!("line {line}: illegal number syntax: {text:?}"))?,
            Arg::Field(fields) => self.fields(line, dot.clone(), fields, Vec::new())?,
            Arg::Variable(name, fields) => {
                let value = self.variable(line, name)?;
                self.fields(line, value, fields, Vec::new())?
            }
            Arg::Function(name) => self.function(line, name, &[], dot, None)?,
            Arg::Group(pipe, fields) => {
                let value = self.pipe_value(line, pipe, dot)?;
                self.fields(line, value, fields, Vec::new())?
            }
        })
    }

    fn function(&mut self, line: Line, name: &str, args: &[Arg], dot: &Value, last: Final) -> Result<Value, String> {
        // `and` and `or` stop at the first argument that decides, as Go 1.18 does.
        if name == "and" || name == "or" {
            let total = args.len() + usize::from(last.is_some());
            if total == 0 {
                return Err(format!("line {line}: wrong number of args for {name}: want at least 1 got 0"));
            }
            let mut value = Value::Missing;
            for arg in args {
                value = self.argument(line, arg, dot)?;
                if value.truth() == (name == "or") {
                    return Ok(value);
                }
            }
            if let Some(last) = last {
                value = last;
            }
            return Ok(value);
        }
        let values = self.arguments(line, args, dot, last)?;
        funcs::call(name, &values, self.now).map_err(|err| format!("line {line}: error calling {name}: {err}"))
    }

    /// Follows `.A.B.C` from `value`; the last name gets `args` (only a method takes them).
    fn fields(&mut self, line: Line, mut value: Value, names: &[String], args: Vec<Value>) -> Result<Value, String> {
        let Some((last, path)) = names.split_last() else { return Ok(value) };
        for name in path {
            value = field(&value, name, &[]).map_err(|err| format!("line {line}: {err}"))?;
        }
        field(&value, last, &args).map_err(|err| format!("line {line}: {err}"))
    }
}

/// Go's `html/template` escaping of a value in HTML text.
pub(crate) fn html_text(text: &str) -> String {
    html::text(text)
}

/// What an action prints: Go's `fmt.Fprint` of the value.
fn printable(value: &Value) -> String {
    value.to_text()
}

/// A number constant: ints stay ints, anything written with a point or an exponent is a float.
fn number(text: &str) -> Option<Value> {
    let clean = text.replace('_', "");
    let (negative, digits) = match clean.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let lower = digits.to_ascii_lowercase();
    let radix =
        |prefix: &str, radix: u32| lower.strip_prefix(prefix).and_then(|rest| i64::from_str_radix(rest, radix).ok());
    let int = if lower.starts_with("0x") {
        radix("0x", 16)
    } else if lower.starts_with("0o") {
        radix("0o", 8)
    } else if lower.starts_with("0b") {
        radix("0b", 2)
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit()) {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else if lower.bytes().all(|b| b.is_ascii_digit()) {
        lower.parse().ok()
    } else {
        None
    };
    if let Some(int) = int {
        return Some(Value::Int(if negative { -int } else { int }));
    }
    let float: f64 = lower.parse().ok()?;
    Some(Value::Float(if negative { -float } else { float }))
}

/// A field, map key or method of `value`.
fn field(value: &Value, name: &str, args: &[Value]) -> Result<Value, String> {
    let no_args = || {
        if args.is_empty() { Ok(()) } else { Err(format!("{name} has arguments but cannot be invoked as function")) }
    };
    let arity = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!("wrong number of args for {name}: want {n} got {}", args.len()))
        }
    };
    let unknown = || Err(format!("can't evaluate field {name} in type {}", value.type_name()));
    match value {
        Value::Data(data) => {
            no_args()?;
            Ok(match name {
                "Receiver" => Value::Str(Arc::clone(&data.receiver)),
                "Status" => Value::Str(Arc::clone(&data.status)),
                "Alerts" => data.alerts.clone(),
                "GroupLabels" => data.group_labels.clone(),
                "CommonLabels" => data.common_labels.clone(),
                "CommonAnnotations" => data.common_annotations.clone(),
                "ExternalURL" => Value::Str(Arc::clone(&data.external_url)),
                "Escalation" => data.escalation.clone(),
                _ => return unknown(),
            })
        }
        Value::Alert(alert) => {
            no_args()?;
            Ok(match name {
                "Status" => Value::Str(Arc::clone(&alert.status)),
                "Labels" => alert.labels.clone(),
                "Annotations" => alert.annotations.clone(),
                "StartsAt" => Value::Time(alert.starts_at.clone()),
                "EndsAt" => Value::Time(alert.ends_at.clone()),
                "GeneratorURL" => Value::Str(Arc::clone(&alert.generator_url)),
                "Fingerprint" => Value::Str(Arc::clone(&alert.fingerprint)),
                _ => return unknown(),
            })
        }
        Value::Kv(map) => match name {
            "SortedPairs" => {
                arity(0)?;
                Ok(Value::Pairs(Arc::new(sorted_pairs(map))))
            }
            "Names" => {
                arity(0)?;
                Ok(Value::Strings(Arc::new(sorted_pairs(map).into_iter().map(|(k, _)| k).collect())))
            }
            "Values" => {
                arity(0)?;
                Ok(Value::Strings(Arc::new(sorted_pairs(map).into_iter().map(|(_, v)| v).collect())))
            }
            "Remove" => {
                arity(1)?;
                let Value::Strings(keys) = &args[0] else {
                    return Err(format!("wrong type for value; expected []string; got {}", args[0].type_name()));
                };
                let kept = map.iter().filter(|(k, _)| !keys.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
                Ok(Value::Kv(Arc::new(kept)))
            }
            // A missing key is the zero value: `missingkey=zero`.
            key => {
                no_args()?;
                Ok(Value::str(map.get(key).map_or("", String::as_str)))
            }
        },
        Value::Map(map) => {
            no_args()?;
            Ok(map.get(name).cloned().unwrap_or(Value::Nil))
        }
        Value::Pairs(pairs) => match name {
            "Names" => {
                arity(0)?;
                Ok(Value::Strings(Arc::new(pairs.iter().map(|(k, _)| k.clone()).collect())))
            }
            "Values" => {
                arity(0)?;
                Ok(Value::Strings(Arc::new(pairs.iter().map(|(_, v)| v.clone()).collect())))
            }
            _ => unknown(),
        },
        Value::Pair(pair) => {
            no_args()?;
            match name {
                "Name" => Ok(Value::str(&pair.0)),
                "Value" => Ok(Value::str(&pair.1)),
                _ => unknown(),
            }
        }
        Value::Alerts(alerts, true) if name == "Firing" || name == "Resolved" => {
            arity(0)?;
            let status = if name == "Firing" { "firing" } else { "resolved" };
            let chosen = alerts.iter().filter(|alert| alert.status.as_ref() == status).cloned().collect();
            Ok(Value::Alerts(Arc::new(chosen), false))
        }
        Value::Time(time) => time_method(time, name, args),
        Value::Duration(nanos) => duration_method(*nanos, name, args),
        Value::Missing | Value::Nil => Err(format!("nil pointer evaluating interface {{}}.{name}")),
        _ => unknown(),
    }
}

/// `template.KV.SortedPairs`: `alertname` first, then by name.
fn sorted_pairs(map: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::with_capacity(map.len());
    if let Some(name) = map.get("alertname") {
        pairs.push(("alertname".into(), name.clone()));
    }
    pairs.extend(map.iter().filter(|(k, _)| k.as_str() != "alertname").map(|(k, v)| (k.clone(), v.clone())));
    pairs
}

fn time_method(time: &GoTime, name: &str, args: &[Value]) -> Result<Value, String> {
    let arity = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!("wrong number of args for {name}: want {n} got {}", args.len()))
        }
    };
    let (local, _) = (time.instant.with_timezone(&time.zone.unwrap_or(chrono_tz::UTC)), ());
    use chrono::{Datelike, Timelike};
    Ok(match name {
        "Format" => {
            arity(1)?;
            let layout = args[0]
                .as_str()
                .ok_or_else(|| format!("wrong type for value; expected string; got {}", args[0].type_name()))?;
            Value::str(&time.format(layout))
        }
        "String" => {
            arity(0)?;
            Value::str(&time.to_string())
        }
        "Unix" => {
            arity(0)?;
            Value::Int(time.instant.timestamp())
        }
        "UnixMilli" => {
            arity(0)?;
            Value::Int(time.instant.timestamp_millis())
        }
        "UnixNano" => {
            arity(0)?;
            Value::Int(time.instant.timestamp_nanos_opt().unwrap_or(i64::MIN))
        }
        "UTC" | "Local" => {
            arity(0)?;
            Value::Time(GoTime { instant: time.instant, zone: None })
        }
        "IsZero" => {
            arity(0)?;
            Value::Bool(time.is_zero())
        }
        "Year" => {
            arity(0)?;
            Value::Int(i64::from(local.year()))
        }
        "YearDay" => {
            arity(0)?;
            Value::Int(i64::from(local.ordinal()))
        }
        "Day" => {
            arity(0)?;
            Value::Int(i64::from(local.day()))
        }
        "Hour" => {
            arity(0)?;
            Value::Int(i64::from(local.hour()))
        }
        "Minute" => {
            arity(0)?;
            Value::Int(i64::from(local.minute()))
        }
        "Second" => {
            arity(0)?;
            Value::Int(i64::from(local.second()))
        }
        "Nanosecond" => {
            arity(0)?;
            Value::Int(i64::from(local.nanosecond() % 1_000_000_000))
        }
        "Sub" => {
            arity(1)?;
            let Value::Time(other) = &args[0] else {
                return Err(format!("wrong type for value; expected time.Time; got {}", args[0].type_name()));
            };
            Value::Duration((time.instant - other.instant).num_nanoseconds().unwrap_or(i64::MAX))
        }
        "Before" | "After" | "Equal" => {
            arity(1)?;
            let Value::Time(other) = &args[0] else {
                return Err(format!("wrong type for value; expected time.Time; got {}", args[0].type_name()));
            };
            Value::Bool(match name {
                "Before" => time.instant < other.instant,
                "After" => time.instant > other.instant,
                _ => time.instant == other.instant,
            })
        }
        _ => return Err(format!("can't evaluate field {name} in type time.Time")),
    })
}

fn duration_method(nanos: i64, name: &str, args: &[Value]) -> Result<Value, String> {
    if !args.is_empty() && !matches!(name, "Round" | "Truncate") {
        return Err(format!("wrong number of args for {name}: want 0 got {}", args.len()));
    }
    Ok(match name {
        "String" => Value::str(&duration_string(nanos)),
        "Seconds" => Value::Float(nanos as f64 / 1e9),
        "Minutes" => Value::Float(nanos as f64 / 6e10),
        "Hours" => Value::Float(nanos as f64 / 3.6e12),
        "Milliseconds" => Value::Int(nanos / 1_000_000),
        "Nanoseconds" => Value::Int(nanos),
        "Round" | "Truncate" => {
            let [Value::Duration(unit) | Value::Int(unit)] = args else {
                return Err(format!("wrong number of args for {name}: want 1 got {}", args.len()));
            };
            if *unit <= 0 {
                return Ok(Value::Duration(nanos));
            }
            let truncated = nanos - nanos % unit;
            if name == "Truncate" {
                Value::Duration(truncated)
            } else {
                let remainder = (nanos % unit).abs();
                let away = if nanos < 0 { truncated - unit } else { truncated + unit };
                Value::Duration(if remainder * 2 >= *unit { away } else { truncated })
            }
        }
        _ => return Err(format!("can't evaluate field {name} in type time.Duration")),
    })
}
