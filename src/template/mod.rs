//! Notification templates. Handlebars is the engine; strings written in Alertmanager's Go-template style are
//! translated to Handlebars when the config loads, so a construct Herald cannot render is a load error, not
//! a surprise at send time.

mod data;
pub(crate) mod gotmpl;
mod helpers;

use std::collections::HashMap;

use handlebars::Handlebars;
use serde_json::Value;

use crate::config::{Config, templated_fields};

pub(crate) use data::template_data;

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

/// Checks that a config string in Go template syntax can be rendered by Herald.
pub(crate) fn check(source: &str) -> Result<(), String> {
    let handlebars = gotmpl::to_handlebars(source)?;
    handlebars::Template::compile(&handlebars).map(drop).map_err(|err| err.to_string())
}

/// A set of compiled templates: the named ones (`define` blocks, Herald's defaults) and config strings,
/// the latter by their source text.
pub(crate) struct Templates {
    registry: Handlebars<'static>,
    by_source: HashMap<String, String>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").field("templates", &self.registry.get_templates().len()).finish()
    }
}

impl Default for Templates {
    /// Same as [`Templates::new`].
    fn default() -> Self {
        Templates::new()
    }
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
        Templates { registry, by_source: HashMap::new() }
    }

    /// The defaults, the config's template files, and every templated string of its receivers, compiled.
    pub(crate) fn from_config(config: &Config) -> Result<Templates, String> {
        let mut templates = Templates::new();
        for file in &config.template_files {
            templates.add_go_file(&file.source).map_err(|err| format!("{}: {err}", file.path.display()))?;
        }
        for (path, source) in templated_fields(&config.receivers) {
            templates.precompile(source).map_err(|err| format!("{path}: {err}"))?;
        }
        // The defaults of the integrations in use, so that none is translated again at each send.
        for receiver in &config.receivers {
            for (_, integration) in receiver.integrations() {
                for source in integration.default_templates() {
                    templates.precompile(source).map_err(|err| format!("a built-in default: {err}"))?;
                }
            }
        }
        Ok(templates)
    }

    /// Compiles a Go-syntax string once; [`Templates::render_go`] then finds it by its text.
    pub(crate) fn precompile(&mut self, source: &str) -> Result<(), String> {
        if self.by_source.contains_key(source) {
            return Ok(());
        }
        let name = format!("config#{}", self.by_source.len());
        self.add_go_string(&name, source)?;
        self.by_source.insert(source.to_string(), name);
        Ok(())
    }

    /// Renders a Go-syntax string, precompiled or not.
    pub(crate) fn render_go(&self, source: &str, data: &Value) -> Result<String, String> {
        match self.by_source.get(source) {
            Some(name) => self.render(name, data),
            None => self.render_go_string(source, data),
        }
    }

    /// Adds a template file in Go syntax: each `{{ define "name" }}` becomes a named template.
    pub(crate) fn add_go_file(&mut self, source: &str) -> Result<Vec<String>, String> {
        let parsed = gotmpl::parse(source)?;
        let mut names = Vec::new();
        for (name, body) in parsed.defines {
            let handlebars = gotmpl::translate(&body)?;
            self.registry.register_template_string(&name, handlebars).map_err(|err| err.to_string())?;
            names.push(name);
        }
        Ok(names)
    }

    /// Compiles a config string in Go syntax under `name`.
    pub(crate) fn add_go_string(&mut self, name: &str, source: &str) -> Result<(), String> {
        let handlebars = gotmpl::to_handlebars(source)?;
        self.registry.register_template_string(name, handlebars).map_err(|err| err.to_string())
    }

    /// Renders a named template.
    pub(crate) fn render(&self, name: &str, data: &Value) -> Result<String, String> {
        self.registry.render(name, data).map_err(|err| err.to_string()).and_then(limited)
    }

    /// Translates and renders a Go-syntax string once (previews, tests).
    pub(crate) fn render_go_string(&self, source: &str, data: &Value) -> Result<String, String> {
        let handlebars = gotmpl::to_handlebars(source)?;
        self.registry.render_template(&handlebars, data).map_err(|err| err.to_string()).and_then(limited)
    }
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
