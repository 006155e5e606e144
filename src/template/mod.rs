//! Notification templates. Config strings and template files are Go templates, evaluated as Alertmanager
//! evaluates them ([`gotmpl`]); Herald's own default templates are Handlebars (`templates/*.hbs`). A Go
//! template can call a default, a default can call a template a file (re)defines, so a file overrides a
//! default as in Alertmanager.

pub(crate) mod gotmpl;
mod helpers;

use std::collections::HashMap;
use std::sync::Arc;

use crate::config::{Config, templated_fields};
use handlebars::Handlebars;

pub(crate) use gotmpl::TemplateData;
use gotmpl::{Library, Limits, Node, Parsed};

/// Deepest nesting of `{{ template }}` calls: a template that calls itself fails with Alertmanager's
/// "exceeded maximum template depth" instead of overflowing the stack. Real templates nest a few levels.
const MAX_DEPTH: usize = 32;

/// Most text one rendering (or one `{{ template }}` call) may produce, so that templates that multiply
/// their output (a template calling another twice, nested) fail fast instead of filling memory.
/// (PagerDuty takes at most 512 kB an event, Slack 40,000 characters a message.)
const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

/// Herald's default templates (`templates/*.hbs`), by name.
const DEFAULTS: [(&str, &str); 21] = [
    ("__alertmanager", include_str!("../../templates/__alertmanager.hbs")),
    ("__alertmanagerURL", include_str!("../../templates/__alertmanagerURL.hbs")),
    ("__subject", include_str!("../../templates/__subject.hbs")),
    ("__text_alert_list", include_str!("../../templates/__text_alert_list.hbs")),
    ("opsgenie.default.description", include_str!("../../templates/opsgenie.default.description.hbs")),
    ("opsgenie.default.message", include_str!("../../templates/opsgenie.default.message.hbs")),
    ("opsgenie.default.source", include_str!("../../templates/opsgenie.default.source.hbs")),
    ("pagerduty.default.client", include_str!("../../templates/pagerduty.default.client.hbs")),
    ("pagerduty.default.clientURL", include_str!("../../templates/pagerduty.default.clientURL.hbs")),
    ("pagerduty.default.description", include_str!("../../templates/pagerduty.default.description.hbs")),
    ("pagerduty.default.instances", include_str!("../../templates/pagerduty.default.instances.hbs")),
    ("slack.default.callbackid", include_str!("../../templates/slack.default.callbackid.hbs")),
    ("slack.default.fallback", include_str!("../../templates/slack.default.fallback.hbs")),
    ("slack.default.footer", include_str!("../../templates/slack.default.footer.hbs")),
    ("slack.default.iconemoji", include_str!("../../templates/slack.default.iconemoji.hbs")),
    ("slack.default.iconurl", include_str!("../../templates/slack.default.iconurl.hbs")),
    ("slack.default.pretext", include_str!("../../templates/slack.default.pretext.hbs")),
    ("slack.default.text", include_str!("../../templates/slack.default.text.hbs")),
    ("slack.default.title", include_str!("../../templates/slack.default.title.hbs")),
    ("slack.default.titlelink", include_str!("../../templates/slack.default.titlelink.hbs")),
    ("slack.default.username", include_str!("../../templates/slack.default.username.hbs")),
];

/// Herald's defaults in Go syntax (`templates/default.tmpl`), parsed once.
static GO_DEFAULTS: std::sync::LazyLock<GoDefines> = std::sync::LazyLock::new(|| {
    gotmpl::parse(include_str!("../../templates/default.tmpl"))
        .unwrap_or_else(|err| panic!("the shipped templates/default.tmpl is invalid: {err}"))
        .defines
        .into_iter()
        .collect()
});

/// The templates that template files define, by name.
pub(crate) type GoDefines = HashMap<String, Vec<Node>>;

/// Checks that a config string in Go template syntax parses (its functions exist, its actions close).
pub(crate) fn check(source: &str) -> Result<(), String> {
    gotmpl::parse(source).map(drop)
}

/// A set of compiled templates: Herald's defaults, the templates the config's files define, and the
/// config's strings, parsed once each.
pub(crate) struct Templates {
    registry: Handlebars<'static>,
    go: Arc<GoDefines>,
    by_source: HashMap<String, Parsed>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("defaults", &self.registry.get_templates().len())
            .field("defined", &self.go.len())
            .field("strings", &self.by_source.len())
            .finish()
    }
}

impl Default for Templates {
    /// Same as [`Templates::new`].
    fn default() -> Self {
        Templates::new()
    }
}

/// Where a Go template finds the templates it calls: those files define, then Herald's defaults.
struct Bridge<'a> {
    go: &'a GoDefines,
    registry: &'a Handlebars<'a>,
}

impl Library for Bridge<'_> {
    fn go_template(&self, name: &str) -> Option<&[Node]> {
        self.go.get(name).map(Vec::as_slice)
    }

    fn other_template(&self, name: &str, dot: &gotmpl::Value, html: bool) -> Option<Result<String, String>> {
        if !self.registry.has_template(name) {
            return None;
        }
        let mut context = dot.to_handlebars_json();
        if html {
            // A Handlebars template's literal text stays; every value it prints is escaped, as html/template
            // escapes a Go template's.
            escape_strings(&mut context);
        }
        Some(self.registry.render(name, &context).map_err(|err| err.to_string()).and_then(limited))
    }
}

/// HTML-escapes every string of a JSON value.
fn escape_strings(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => *text = gotmpl::html_text(text),
        serde_json::Value::Array(items) => items.iter_mut().for_each(escape_strings),
        serde_json::Value::Object(map) => map.values_mut().for_each(escape_strings),
        _ => {}
    }
}

/// Runs a parsed Go template; with `html`, as Go's `html/template` (values escaped).
pub(crate) fn execute_go(
    parsed: &Parsed,
    go: &GoDefines,
    registry: &Handlebars<'static>,
    data: &TemplateData,
    html: bool,
) -> Result<String, String> {
    let limits = Limits { depth: MAX_DEPTH, output_bytes: MAX_OUTPUT_BYTES, html };
    gotmpl::execute(&parsed.body, &parsed.defines, &Bridge { go, registry }, data.dot.clone(), &data.now, limits)
}

impl Templates {
    /// Herald's default templates, with every helper registered.
    ///
    /// Panics if a shipped template does not compile (a build defect, caught by the tests).
    pub(crate) fn new() -> Self {
        let mut registry = Handlebars::new();
        registry.register_escape_fn(handlebars::no_escape);
        helpers::register(&mut registry);
        for (name, source) in DEFAULTS {
            // A file's last line break ends the file, not the template.
            let source = source.strip_suffix('\n').unwrap_or(source);
            registry
                .register_template_string(name, source)
                .unwrap_or_else(|err| panic!("the shipped template {name} is invalid: {err}"));
        }
        let go = Arc::new(GO_DEFAULTS.clone());
        helpers::register_template_call(&mut registry, Arc::clone(&go));
        Templates { registry, go, by_source: HashMap::new() }
    }

    /// The defaults, the config's template files, and every templated string of its receivers, parsed.
    pub(crate) fn from_config(config: &Config) -> Result<Templates, String> {
        let mut templates = Templates::new();
        for file in &config.template_files {
            templates.add_go_file(&file.source).map_err(|err| format!("{}: {err}", file.path.display()))?;
        }
        for (path, source) in templated_fields(&config.receivers) {
            templates.precompile(source).map_err(|err| format!("{path}: {err}"))?;
        }
        for receiver in &config.receivers {
            for (_, integration) in receiver.integrations() {
                for source in integration.default_templates() {
                    templates.precompile(source).map_err(|err| format!("a built-in default: {err}"))?;
                }
            }
        }
        Ok(templates)
    }

    /// Parses a Go-syntax string once; [`Templates::render_go`] then finds it by its text.
    pub(crate) fn precompile(&mut self, source: &str) -> Result<(), String> {
        if !self.by_source.contains_key(source) {
            let parsed = gotmpl::parse(source)?;
            self.by_source.insert(source.to_string(), parsed);
        }
        Ok(())
    }

    /// Renders a Go-syntax string, parsed before or not.
    pub(crate) fn render_go(&self, source: &str, data: &TemplateData) -> Result<String, String> {
        match self.by_source.get(source) {
            Some(parsed) => execute_go(parsed, &self.go, &self.registry, data, false),
            None => self.render_go_string(source, data),
        }
    }

    /// Renders a Go-syntax string as Go's `html/template` would: every value printed is HTML-escaped.
    pub(crate) fn render_go_html(&self, source: &str, data: &TemplateData) -> Result<String, String> {
        match self.by_source.get(source) {
            Some(parsed) => execute_go(parsed, &self.go, &self.registry, data, true),
            None => execute_go(&gotmpl::parse(source)?, &self.go, &self.registry, data, true),
        }
    }

    /// Adds a template file in Go syntax: each `{{ define "name" }}` (and `block`) becomes a named template,
    /// replacing one of the same name, as a later file does in Alertmanager. Returns the names.
    pub(crate) fn add_go_file(&mut self, source: &str) -> Result<Vec<String>, String> {
        let parsed = gotmpl::parse(source)?;
        let names: Vec<String> = parsed.defines.keys().cloned().collect();
        Arc::make_mut(&mut self.go).extend(parsed.defines);
        helpers::register_template_call(&mut self.registry, Arc::clone(&self.go));
        Ok(names)
    }

    /// Renders a named template (a file's, else a default) with `data`.
    #[cfg(test)]
    pub(crate) fn render(&self, name: &str, data: &TemplateData) -> Result<String, String> {
        let call = Parsed {
            body: gotmpl::parse(&format!("{{{{ template {} . }}}}", printf_quote(name)))?.body,
            defines: Default::default(),
        };
        execute_go(&call, &self.go, &self.registry, data, false)
    }

    /// Parses and renders a Go-syntax string once (previews, tests).
    pub(crate) fn render_go_string(&self, source: &str, data: &TemplateData) -> Result<String, String> {
        let parsed = gotmpl::parse(source)?;
        execute_go(&parsed, &self.go, &self.registry, data, false)
    }
}

/// A template name as a Go string literal.
#[cfg(test)]
fn printf_quote(name: &str) -> String {
    serde_json::to_string(name).unwrap_or_else(|_| "\"\"".into())
}

/// Refuses a rendering longer than [`MAX_OUTPUT_BYTES`].
fn limited(text: String) -> Result<String, String> {
    if text.len() > MAX_OUTPUT_BYTES {
        return Err(format!("the template rendered more than {MAX_OUTPUT_BYTES} bytes"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
