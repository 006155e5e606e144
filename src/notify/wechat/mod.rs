//! WeChat Work (WeCom) application messages: an access token fetched from `gettoken` (kept two hours), then
//! Alertmanager's message body to `message/send`.

use serde::{Deserialize, Serialize};

use super::error::{Error, ErrorKind, Result};
use super::http::TOKEN_PLACEHOLDER;
use super::integration::{Integration, Notification, Request, TemplatedFields, TokenSource, basics};
use super::payload::{encode, query_escape};
use crate::config::Secret;
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::Checker;

const DEFAULT_MESSAGE: &str = r#"{{ template "wechat.default.message" . }}"#;
const DEFAULT_TO_USER: &str = r#"{{ template "wechat.default.to_user" . }}"#;
const DEFAULT_TO_PARTY: &str = r#"{{ template "wechat.default.to_party" . }}"#;
const DEFAULT_TO_TAG: &str = r#"{{ template "wechat.default.to_tag" . }}"#;
const DEFAULT_AGENT_ID: &str = r#"{{ template "wechat.default.agent_id" . }}"#;

/// The API unless `api_url` or `global.wechat_api_url` says otherwise.
pub(crate) const DEFAULT_API_URL: &str = "https://qyapi.weixin.qq.com/cgi-bin/";

/// `wechat_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct WechatConfig {
    /// Notify when alerts resolve (default false).
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_resolved: Option<bool>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig>,
    /// The application's secret (templated; a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_secret: Option<Secret>,
    /// The corporation id (templated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corp_id: Option<String>,
    /// API base URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// The message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// `text` (the default) or `markdown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// Users to send to (`@all` for everyone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_user: Option<String>,
    /// Departments to send to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_party: Option<String>,
    /// Tags to send to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_tag: Option<String>,
    /// The application's agent id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
}

/// Alertmanager's body, fields in its order; the recipients are left out when empty.
#[derive(Serialize)]
struct Message {
    text: Content,
    #[serde(rename = "touser", skip_serializing_if = "String::is_empty")]
    to_user: String,
    #[serde(rename = "toparty", skip_serializing_if = "String::is_empty")]
    to_party: String,
    #[serde(rename = "totag", skip_serializing_if = "String::is_empty")]
    to_tag: String,
    #[serde(rename = "agentid", skip_serializing_if = "String::is_empty")]
    agent_id: String,
    safe: &'static str,
    #[serde(rename = "msgtype")]
    message_type: String,
    markdown: Content,
}

#[derive(Serialize, Default)]
struct Content {
    content: String,
}

impl Integration for WechatConfig {
    basics!("wechat", send_resolved: false);

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        checker.inherit_http_config(path, &mut self.http_config, global);
        let kind = self.message_type.get_or_insert_with(|| "text".to_string());
        if kind != "text" && kind != "markdown" {
            checker.error(
                format!("{path}.message_type"),
                format!("weChat message type {kind:?} does not match valid options ^(text|markdown)$"),
            );
        }
        crate::config::validate::clear_empty_secret(&mut self.api_secret);
        if self.api_secret.is_none() {
            self.api_secret = global.wechat_api_secret.clone();
            if self.api_secret.is_none() {
                checker.error(format!("{path}.api_secret"), "no global Wechat ApiSecret set");
            }
        }
        if self.corp_id.as_deref().is_none_or(str::is_empty) {
            self.corp_id = global.wechat_api_corp_id.clone();
            if self.corp_id.as_deref().is_none_or(str::is_empty) {
                checker.error(format!("{path}.corp_id"), "no global Wechat CorpID set");
            }
        }
        checker.api_url(&format!("{path}.api_url"), &mut self.api_url, global.wechat_api_url.as_ref(), DEFAULT_API_URL);
        if let Some(url) = &mut self.api_url
            && !url.ends_with('/')
        {
            url.push('/');
        }
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = TemplatedFields::default();
        fields.add("api_secret", self.api_secret.as_ref().map(Secret::expose));
        fields.add_all([
            ("corp_id", &self.corp_id),
            ("message", &self.message),
            ("to_user", &self.to_user),
            ("to_party", &self.to_party),
            ("to_tag", &self.to_tag),
            ("agent_id", &self.agent_id),
        ]);
        fields.into_vec()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        vec![DEFAULT_MESSAGE, DEFAULT_TO_USER, DEFAULT_TO_PARTY, DEFAULT_TO_TAG, DEFAULT_AGENT_ID]
    }

    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>> {
        let api_url = self.api_url.as_deref().unwrap_or(DEFAULT_API_URL);
        let corp_id = notification.render(self.corp_id.as_deref().unwrap_or_default())?;
        let secret = notification.render(self.api_secret.as_ref().map(Secret::expose).unwrap_or_default())?;
        let token = TokenSource {
            url: format!("{api_url}gettoken?corpid={}&corpsecret={}", query_escape(&corp_id), query_escape(&secret)),
            refused: format!("invalid APISecret for CorpID: {}", self.corp_id.as_deref().unwrap_or_default()),
        };
        let text = notification.field(&self.message, DEFAULT_MESSAGE)?;
        let kind = self.message_type.clone().unwrap_or_else(|| "text".to_string());
        let (text, markdown) = if kind == "markdown" {
            (Content::default(), Content { content: text })
        } else {
            (Content { content: text }, Content::default())
        };
        let message = Message {
            text,
            to_user: notification.field(&self.to_user, DEFAULT_TO_USER)?,
            to_party: notification.field(&self.to_party, DEFAULT_TO_PARTY)?,
            to_tag: notification.field(&self.to_tag, DEFAULT_TO_TAG)?,
            agent_id: notification.field(&self.agent_id, DEFAULT_AGENT_ID)?,
            safe: "0",
            message_type: kind,
            markdown,
        };
        let url = format!("{api_url}message/send?access_token={TOKEN_PLACEHOLDER}");
        Ok(vec![Request {
            token: Some(token),
            check_answer: Some(check_answer),
            ..Request::post(url, encode(&message)?)
        }])
    }
}

/// WeChat answers 200 with `{"errcode": …, "errmsg": …}`: 0 is success, 42001 an expired token (the next
/// attempt fetches a new one), anything else a refusal.
fn check_answer(_status: u16, answer: &str) -> Result<()> {
    let parsed: serde_json::Value = serde_json::from_str(answer).unwrap_or_default();
    match parsed["errcode"].as_i64().unwrap_or(0) {
        0 => Ok(()),
        code => {
            let message = format!("wechat: {} (errcode {code})", parsed["errmsg"].as_str().unwrap_or_default());
            let kind = if code == 42001 {
                ErrorKind::ServerError { status: 200 }
            } else {
                ErrorKind::ClientError { status: 200 }
            };
            Err(Error::new(kind, message))
        }
    }
}
