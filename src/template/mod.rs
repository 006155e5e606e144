//! Notification templates. Handlebars is the engine; strings written in Alertmanager's Go-template style are
//! translated to Handlebars when the config loads, so a construct Herald cannot render is a load error, not
//! a surprise at send time.

mod data;
pub mod gotmpl;
mod helpers;

use handlebars::Handlebars;
use serde_json::Value;

pub use data::{go_time_string, template_data};
pub use helpers::{display, truthy};

/// A set of compiled templates: the named ones (`define` blocks, Herald's defaults) and config strings.
pub struct Templates {
    registry: Handlebars<'static>,
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

impl Templates {
    /// An empty set with every helper registered.
    pub fn new() -> Self {
        let mut registry = Handlebars::new();
        registry.register_escape_fn(handlebars::no_escape);
        helpers::register(&mut registry);
        Templates { registry }
    }

    /// Adds a template file in Go syntax: each `{{ define "name" }}` becomes a named template.
    pub fn add_go_file(&mut self, source: &str) -> Result<Vec<String>, String> {
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
    pub fn add_go_string(&mut self, name: &str, source: &str) -> Result<(), String> {
        let handlebars = gotmpl::to_handlebars(source)?;
        self.registry.register_template_string(name, handlebars).map_err(|err| err.to_string())
    }

    /// Whether a template of that name exists.
    pub fn contains(&self, name: &str) -> bool {
        self.registry.has_template(name)
    }

    /// Renders a named template.
    pub fn render(&self, name: &str, data: &Value) -> Result<String, String> {
        self.registry.render(name, data).map_err(|err| err.to_string())
    }

    /// Translates and renders a Go-syntax string once (previews, tests).
    pub fn render_go_string(&self, source: &str, data: &Value) -> Result<String, String> {
        let handlebars = gotmpl::to_handlebars(source)?;
        self.registry.render_template(&handlebars, data).map_err(|err| err.to_string())
    }
}

#[cfg(test)]
mod tests;
