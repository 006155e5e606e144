//! Notification templates: Handlebars is the engine; Alertmanager's Go-template strings are translated to it.

pub mod gotmpl;
