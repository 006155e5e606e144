//! The one surface every integration implements. A module per integration (`webhook`, `slack`, ...) owns its
//! config (the serde struct of its `*_configs` entries), its checks, its templated fields, its default
//! templates and the HTTP requests it builds from a notification; sending them, retries, pacing, previews
//! and the notification log are shared. Registering one is a line in `config/model/receiver.rs`.

use std::fmt::Debug;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderName;

use super::data::NotificationData;
use super::error::{Error, Result};
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::Checker;
use crate::template::{TemplateData, Templates};

/// Writes the three methods every integration writes alike: its kind, its `send_resolved` default, and its
/// `http_config` (from the config fields of those names).
macro_rules! basics {
    ($kind:literal, send_resolved: $default:literal) => {
        fn kind(&self) -> &'static str {
            $kind
        }

        fn send_resolved(&self) -> bool {
            self.send_resolved.unwrap_or($default)
        }

        fn http_config(&self) -> Option<&crate::config::model::HttpConfig> {
            self.http_config.as_ref()
        }
    };
}
pub(crate) use basics;

/// One kind of integration, implemented by its config type.
pub(crate) trait Integration: Debug + Send + Sync + 'static {
    /// Its name in logs, the notification log and previews (`slack`); its config key is `{kind}_configs`.
    fn kind(&self) -> &'static str;

    /// Whether resolved alerts are sent: `send_resolved` as written, else the integration's default (as in
    /// Alertmanager).
    fn send_resolved(&self) -> bool;

    /// Its `http_config`, once validation has applied the global one.
    fn http_config(&self) -> Option<&HttpConfig>;

    /// Checks the entry at `path` of receiver `receiver` and completes it from `global` (default URLs, keys,
    /// `http_config`), reporting every problem to `checker`.
    fn check(&mut self, checker: &mut Checker<'_>, path: &str, receiver: &str, global: &GlobalConfig);

    /// Every config string rendered as a template, as `(field path within the entry, template)`.
    fn templated_fields(&self) -> Vec<(String, &str)>;

    /// The templates it renders for fields left unset; compiled once per config, with the config's own.
    fn default_templates(&self) -> Vec<&'static str>;

    /// Whether its requests read the template view of the data (a webhook sends the data as it is).
    fn uses_templates(&self) -> bool {
        true
    }

    /// The requests of one notification, in the order they are sent.
    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>>;

    /// The rendered e-mail, for integrations that deliver over SMTP instead of making HTTP requests; `None`
    /// for the HTTP ones (the default).
    fn mail(&self, _notification: &Notification<'_>) -> Option<Result<super::email::Mail>> {
        None
    }

    /// The requests that tell the service a group it was notified of was acknowledged in Herald (or that
    /// the acknowledgement was withdrawn); `None` when the service has no such thing (the default).
    fn acknowledgement(&self, _notification: &Notification<'_>, _ack: &AckNotice<'_>) -> Option<Result<Vec<Request>>> {
        None
    }
}

/// An acknowledgement change to pass on to the services a group was sent to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AckNotice<'a> {
    /// Acknowledged (`true`) or withdrawn (`false`).
    pub acknowledged: bool,
    /// Who.
    pub by: &'a str,
    /// Their comment.
    pub comment: &'a str,
}

/// What one notification is made from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Notification<'a> {
    /// The data, as webhooks send it.
    pub data: &'a NotificationData,
    /// What templates see of the data (`None` for integrations that do not use templates).
    pub template_data: Option<&'a TemplateData>,
    /// The config's templates, Herald's defaults included.
    pub templates: &'a Templates,
    /// Alertmanager's group key.
    pub group_key: &'a str,
}

impl Notification<'_> {
    /// Renders a config string (Go template syntax); a failure is a [`super::ErrorKind::BadConfig`].
    pub(crate) fn render(&self, source: &str) -> Result<String> {
        let data =
            self.template_data.ok_or_else(|| Error::config("template: this integration renders no templates"))?;
        self.templates.render_go(source, data).map_err(|err| Error::config(format!("template: {err}")))
    }

    /// Renders a config string as Alertmanager's `html/template` does: every value printed is HTML-escaped
    /// (Telegram's HTML parse mode).
    pub(crate) fn render_html(&self, source: &str) -> Result<String> {
        let data =
            self.template_data.ok_or_else(|| Error::config("template: this integration renders no templates"))?;
        self.templates.render_go_html(source, data).map_err(|err| Error::config(format!("template: {err}")))
    }

    /// Renders a field as configured, or its default template when it is not set.
    pub(crate) fn field(&self, value: &Option<String>, default: &str) -> Result<String> {
        self.render(value.as_deref().unwrap_or(default))
    }
}

/// One HTTP request an integration makes. The body is JSON unless a `Content-Type` header says otherwise;
/// `http_config`'s credentials are added when it is sent.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// Method.
    pub method: Method,
    /// Full URL.
    pub url: String,
    /// Headers besides `Content-Type: application/json` and `User-Agent`.
    pub headers: Vec<(HeaderName, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Least time between two requests to this URL (Slack allows about one message a second per webhook).
    pub spacing: Duration,
    /// A status this API answers when it wants fewer requests, besides 429 (PagerDuty v1: 403).
    pub rate_limit_status: Option<u16>,
    /// Prefixed to the message of a failure, to say which target failed (`channel "#ops"`).
    pub context: Option<String>,
    /// Shown as `<secret>` in previews: the URL is a credential (Slack webhooks).
    pub secret_url: bool,
    /// Top-level body fields shown as `<secret>` in previews (PagerDuty's keys).
    pub secret_fields: &'static [&'static str],
    /// Judges a successful answer by its status and (the start of) its body, for APIs that report failures
    /// inside a 200 (Telegram's `"ok":false`, WeChat's `errcode`).
    pub check_answer: Option<AnswerCheck>,
    /// An access token to fetch (or take from the cache) first, put in the URL at
    /// [`super::http::TOKEN_PLACEHOLDER`] (WeChat).
    pub token: Option<TokenSource>,
}

/// Where a request's access token comes from.
#[derive(Debug, Clone)]
pub(crate) struct TokenSource {
    /// A `GET` of this URL answers `{"access_token": …}`; it is also the token's cache key.
    pub url: String,
    /// The error when it answers no token.
    pub refused: String,
}

/// See [`Request::check_answer`].
pub(crate) type AnswerCheck = fn(u16, &str) -> Result<()>;

impl Request {
    /// A JSON `POST` with no special handling.
    pub(crate) fn post(url: impl Into<String>, body: Vec<u8>) -> Self {
        Request::new(Method::POST, url, body)
    }

    /// A JSON request with no special handling.
    pub(crate) fn new(method: Method, url: impl Into<String>, body: Vec<u8>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body,
            spacing: Duration::ZERO,
            rate_limit_status: None,
            context: None,
            secret_url: false,
            secret_fields: &[],
            check_answer: None,
            token: None,
        }
    }
}

/// Collects an entry's templated fields under their names.
#[derive(Debug, Default)]
pub(crate) struct TemplatedFields<'a> {
    fields: Vec<(String, &'a str)>,
}

impl<'a> TemplatedFields<'a> {
    /// Adds a field that may be unset.
    pub(crate) fn add(&mut self, name: impl Into<String>, value: Option<&'a str>) -> &mut Self {
        if let Some(value) = value {
            self.fields.push((name.into(), value));
        }
        self
    }

    /// Adds optional fields by name.
    pub(crate) fn add_all<const N: usize>(&mut self, fields: [(&str, &'a Option<String>); N]) -> &mut Self {
        for (name, value) in fields {
            self.add(name, value.as_deref());
        }
        self
    }

    /// The fields collected.
    pub(crate) fn into_vec(self) -> Vec<(String, &'a str)> {
        self.fields
    }
}
