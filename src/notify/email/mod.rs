//! E-mail over SMTP: Alertmanager 0.25's message (its headers, a quoted-printable text part and the default
//! HTML part) to the `to` addresses, through the smarthost with STARTTLS or implicit TLS and the AUTH
//! mechanism the server offers first among CRAM-MD5, PLAIN and LOGIN.

mod message;
mod smtp;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::integration::{Integration, Notification, Request, TemplatedFields};
use crate::config::Secret;
use crate::config::model::{GlobalConfig, HttpConfig, TlsConfig};
use crate::config::validate::{Checker, clear_empty, clear_empty_secret};

pub(crate) use smtp::send;

const DEFAULT_SUBJECT: &str = r#"{{ template "email.default.subject" . }}"#;
const DEFAULT_HTML: &str = r#"{{ template "email.default.html" . }}"#;

/// `email_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmailConfig {
    /// Notify when alerts resolve (default false).
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_resolved: Option<bool>,
    /// Recipients, an address list (required; templated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Sender, one address (templated); default `global.smtp_from`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Name given in `EHLO`; default `global.smtp_hello` (`localhost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hello: Option<String>,
    /// `host:port` of the SMTP server (port 465: implicit TLS); default `global.smtp_smarthost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smarthost: Option<String>,
    /// User to authenticate as (none: no authentication).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_username: Option<String>,
    /// Password for PLAIN and LOGIN (a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_password: Option<Secret>,
    /// File holding the password (read at each send, as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_password_file: Option<String>,
    /// Secret for CRAM-MD5 (a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_secret: Option<Secret>,
    /// Authorization identity for PLAIN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_identity: Option<String>,
    /// Require STARTTLS (default `global.smtp_require_tls`, true).
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub require_tls: Option<bool>,
    /// TLS settings for STARTTLS and implicit TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_config: Option<TlsConfig>,
    /// TLS from the first byte (default: on port 465 only; Alertmanager 0.27's setting).
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub force_implicit_tls: Option<bool>,
    /// The HTML part (templated, escaped as `html/template` escapes); empty for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// The text part (templated); none by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Header lines (values templated); `Subject`, `To` and `From` have defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
}

/// A rendered e-mail and how to deliver it.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    /// Server host.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// TLS from the first byte.
    pub implicit_tls: bool,
    /// `EHLO` name.
    pub hello: String,
    /// Refuse a server that does not offer STARTTLS.
    pub require_tls: bool,
    /// TLS settings.
    pub tls: TlsConfig,
    /// Credentials, when a user is set.
    pub auth: Option<Auth>,
    /// `MAIL FROM`.
    pub from: String,
    /// `RCPT TO`, in order.
    pub to: Vec<String>,
    /// The message, CRLF lines.
    pub message: Vec<u8>,
}

/// SMTP credentials.
#[derive(Debug, Clone)]
pub(crate) struct Auth {
    /// User.
    pub username: String,
    /// Password (PLAIN, LOGIN), from the config or its file.
    pub password: Option<String>,
    /// Secret (CRAM-MD5).
    pub secret: Option<String>,
    /// Authorization identity (PLAIN).
    pub identity: String,
}

impl Integration for EmailConfig {
    fn kind(&self) -> &'static str {
        "email"
    }

    fn send_resolved(&self) -> bool {
        self.send_resolved.unwrap_or(false)
    }

    fn http_config(&self) -> Option<&HttpConfig> {
        None
    }

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        clear_empty(&mut self.to);
        if self.to.is_none() {
            checker.error(format!("{path}.to"), "missing to address in email config");
        }
        let mut headers = BTreeMap::new();
        for (key, value) in self.headers.take().unwrap_or_default() {
            let canonical = message::canonical_header_key(&key);
            if headers.insert(canonical.clone(), value).is_some() {
                checker
                    .error(format!("{path}.headers.{key}"), format!("duplicate header {canonical:?} in email config"));
            }
        }
        self.headers = Some(headers);
        for value in
            [&mut self.from, &mut self.hello, &mut self.smarthost, &mut self.auth_username, &mut self.auth_identity]
        {
            clear_empty(value);
        }
        for secret in [&mut self.auth_password, &mut self.auth_secret] {
            clear_empty_secret(secret);
        }
        clear_empty(&mut self.auth_password_file);
        if self.smarthost.is_none() {
            self.smarthost = global.smtp_smarthost.clone().filter(|s| !s.is_empty());
            if self.smarthost.is_none() {
                checker.error(format!("{path}.smarthost"), "no global SMTP smarthost set");
            }
        } else if let Some(address) = &self.smarthost {
            match address.rsplit_once(':') {
                None => {
                    checker.error(format!("{path}.smarthost"), format!("address {address}: missing port in address"))
                }
                Some((_, "")) => {
                    checker.error(format!("{path}.smarthost"), format!("address {address:?}: port cannot be empty"))
                }
                Some(_) => {}
            }
        }
        if self.from.is_none() {
            self.from = global.smtp_from.clone().filter(|s| !s.is_empty());
            if self.from.is_none() {
                checker.error(format!("{path}.from"), "no global SMTP from set");
            }
        }
        self.hello.get_or_insert_with(|| global.smtp_hello.clone().unwrap_or_else(|| "localhost".into()));
        if self.auth_username.is_none() {
            self.auth_username = global.smtp_auth_username.clone();
        }
        if self.auth_password.is_none() && self.auth_password_file.is_none() {
            self.auth_password = global.smtp_auth_password.clone();
            self.auth_password_file = global.smtp_auth_password_file.clone();
        }
        if self.auth_secret.is_none() {
            self.auth_secret = global.smtp_auth_secret.clone();
        }
        if self.auth_identity.is_none() {
            self.auth_identity = global.smtp_auth_identity.clone();
        }
        if let Some(file) = &mut self.auth_password_file {
            *file = checker.existing_file(&format!("{path}.auth_password_file"), file);
        }
        self.require_tls.get_or_insert(global.smtp_require_tls.unwrap_or(true));
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = TemplatedFields::default();
        fields.add_all([("to", &self.to), ("from", &self.from), ("html", &self.html), ("text", &self.text)]);
        for (key, value) in self.headers.iter().flatten() {
            fields.add(format!("headers.{key}"), Some(value));
        }
        fields.into_vec()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        vec![DEFAULT_SUBJECT, DEFAULT_HTML]
    }

    fn requests(&self, _notification: &Notification<'_>) -> Result<Vec<Request>> {
        Err(Error::config("e-mail is sent over SMTP, not HTTP"))
    }

    fn mail(&self, notification: &Notification<'_>) -> Option<Result<Mail>> {
        Some(self.render(notification))
    }
}

impl EmailConfig {
    fn render(&self, notification: &Notification<'_>) -> Result<Mail> {
        let render = |what: &str, source: &str| {
            notification
                .render(source)
                .map_err(|err| Error::config(format!("execute '{what}' template: {}", err.message)))
        };
        let from = render("from", self.from.as_deref().unwrap_or_default())?;
        let from = message::parse_address_list(&from)
            .map_err(|err| Error::config(format!("parse 'from' addresses: {err}")))?;
        if from.len() != 1 {
            return Err(Error::config(format!("must be exactly one 'from' address (got: {})", from.len())));
        }
        let to = render("to", self.to.as_deref().unwrap_or_default())?;
        let to =
            message::parse_address_list(&to).map_err(|err| Error::config(format!("parse 'to' addresses: {err}")))?;
        // Subject, To and From default to the templates of the fields, as Alertmanager sets them.
        let mut sources = self.headers.clone().unwrap_or_default();
        sources.entry("Subject".into()).or_insert_with(|| DEFAULT_SUBJECT.into());
        sources.entry("To".into()).or_insert_with(|| self.to.clone().unwrap_or_default());
        sources.entry("From".into()).or_insert_with(|| self.from.clone().unwrap_or_default());
        let mut headers = Vec::with_capacity(sources.len());
        for (key, source) in &sources {
            let value = notification
                .render(source)
                .map_err(|err| Error::config(format!("execute {key:?} header template: {}", err.message)))?;
            headers.push((key.clone(), value));
        }
        let text = match self.text.as_deref().filter(|t| !t.is_empty()) {
            Some(source) => Some(render("text", source)?),
            None => None,
        };
        let html_source = self.html.as_deref().unwrap_or(DEFAULT_HTML);
        let html = match html_source {
            "" => None,
            source => Some(
                notification
                    .render_html(source)
                    .map_err(|err| Error::config(format!("execute 'html' template: {}", err.message)))?,
            ),
        };
        let mut parts = Vec::new();
        if let Some(text) = &text {
            parts.push(message::Part { content_type: "text/plain", body: text });
        }
        if let Some(html) = &html {
            parts.push(message::Part { content_type: "text/html", body: html });
        }
        let now = notification.data.now;
        let random = super::http::random_u64;
        let message_id = format!("<{}.{}@{}>", now.timestamp_nanos_opt().unwrap_or_default(), random(), hostname());
        let date = now.format("%a, %d %b %Y %H:%M:%S +0000").to_string();
        let boundary = format!("{:016x}{:016x}{:016x}{:012x}", random(), random(), random(), random() >> 16);
        let bytes = message::build(&headers, &message_id, &date, &boundary, &parts);
        let smarthost = self.smarthost.as_deref().unwrap_or_default();
        let (host, port) = smarthost.rsplit_once(':').ok_or_else(|| Error::config("smarthost has no port"))?;
        let port: u16 = port.parse().map_err(|_| Error::config(format!("smarthost port {port:?} is not a number")))?;
        let auth = match self.auth_username.as_deref().filter(|u| !u.is_empty()) {
            None => None,
            Some(username) => Some(Auth {
                username: username.to_string(),
                password: match (&self.auth_password_file, &self.auth_password) {
                    // Read as it is, a final line break included, as Alertmanager reads it.
                    (Some(file), _) => Some(
                        std::fs::read_to_string(file)
                            .map_err(|err| Error::config(format!("could not read {file}: {err}")))?,
                    ),
                    (None, Some(password)) => Some(password.expose().to_string()),
                    (None, None) => None,
                },
                secret: self.auth_secret.as_ref().map(|secret| secret.expose().to_string()),
                identity: self.auth_identity.clone().unwrap_or_default(),
            }),
        };
        Ok(Mail {
            host: host.trim_start_matches('[').trim_end_matches(']').to_string(),
            port,
            implicit_tls: self.force_implicit_tls.unwrap_or(port == 465),
            hello: self.hello.clone().unwrap_or_else(|| "localhost".into()),
            require_tls: self.require_tls.unwrap_or(true),
            tls: self.tls_config.clone().unwrap_or_default(),
            auth,
            from: from.into_iter().next().unwrap_or_default(),
            to,
            message: bytes,
        })
    }
}

/// This machine's name, for `Message-Id` (Alertmanager's fallback when it has none).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost.localdomain".into())
}
