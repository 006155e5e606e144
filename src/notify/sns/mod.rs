//! Amazon SNS: Alertmanager 0.25's `Publish` call (the query protocol's form body, keys sorted) to a topic, a
//! target or a phone number, signed with SigV4 by the AWS signing crate.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::integration::{Integration, Notification, Request, TemplatedFields, basics};
use super::payload::{hash_key, query_escape};
use crate::config::Secret;
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::Checker;

const DEFAULT_SUBJECT: &str = r#"{{ template "sns.default.subject" . }}"#;
const DEFAULT_MESSAGE: &str = r#"{{ template "sns.default.message" . }}"#;

/// The largest message SNS takes, in bytes; an SMS takes 1600.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;
const MAX_SMS_BYTES: usize = 1600;

/// `sns_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnsConfig {
    /// Notify when alerts resolve (default true).
    #[serde(
        default,
        deserialize_with = "crate::config::model::yaml11::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub send_resolved: Option<bool>,
    /// HTTP client settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_config: Option<HttpConfig>,
    /// SNS endpoint (templated); default `https://sns.<region>.amazonaws.com`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_url: Option<String>,
    /// Credentials and region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sigv4: Option<SigV4Config>,
    /// Topic to publish to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_arn: Option<String>,
    /// Phone number to text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Mobile endpoint to publish to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_arn: Option<String>,
    /// Subject (e-mail subscriptions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Message attributes (names and values templated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<BTreeMap<String, String>>,
}

/// `sigv4`: where the credentials come from. Without keys, the standard environment variables are read
/// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct SigV4Config {
    /// Region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Access key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_key: Option<String>,
    /// Secret access key (a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<Secret>,
    /// A profile of the shared AWS config (not read by Herald: refused with a clear message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// A role to assume (not supported by Herald: refused with a clear message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
}

impl Integration for SnsConfig {
    basics!("sns", send_resolved: true);

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        checker.inherit_http_config(path, &mut self.http_config, global);
        let set = |value: &Option<String>| value.as_deref().is_some_and(|text| !text.is_empty());
        let targets = [set(&self.topic_arn), set(&self.phone_number), set(&self.target_arn)];
        if targets.iter().filter(|set| **set).count() != 1 {
            checker.error(
                format!("{path}.topic_arn"),
                "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config",
            );
        }
        if let Some(sigv4) = &self.sigv4 {
            let key = set(&sigv4.access_key);
            let secret = sigv4.secret_key.as_ref().is_some_and(|secret| !secret.is_empty());
            if key != secret {
                checker.error(
                    format!("{path}.sigv4"),
                    "must provide a AWS SigV4 Access key and Secret Key if credentials are specified in the SigV4 config",
                );
            }
            for (name, value) in [("profile", &sigv4.profile), ("role_arn", &sigv4.role_arn)] {
                if set(value) {
                    checker.error(
                        format!("{path}.sigv4.{name}"),
                        format!("Herald does not read AWS {name}s: give access_key and secret_key, or the AWS_* environment variables"),
                    );
                }
            }
        }
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = TemplatedFields::default();
        fields.add_all([
            ("api_url", &self.api_url),
            ("topic_arn", &self.topic_arn),
            ("phone_number", &self.phone_number),
            ("target_arn", &self.target_arn),
            ("subject", &self.subject),
            ("message", &self.message),
        ]);
        for (name, value) in self.attributes.iter().flatten() {
            fields.add(format!("attributes.{name}"), Some(name));
            fields.add(format!("attributes.{name}"), Some(value));
        }
        fields.into_vec()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        vec![DEFAULT_SUBJECT, DEFAULT_MESSAGE]
    }

    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>> {
        let credentials = self.credentials()?;
        let mut attributes = BTreeMap::new();
        for (name, value) in self.attributes.iter().flatten() {
            attributes.insert(notification.render(name)?, notification.render(value)?);
        }
        let mut form: Vec<(String, String)> =
            vec![("Action".into(), "Publish".into()), ("Version".into(), "2010-03-31".into())];
        let mut limit = MAX_MESSAGE_BYTES;
        if let Some(topic) = self.topic_arn.as_deref().filter(|t| !t.is_empty()) {
            let topic = notification.render(topic)?;
            if topic.ends_with(".fifo") {
                // A FIFO topic deduplicates and orders by group: one per Herald group.
                let key = hash_key(notification.group_key);
                form.push(("MessageDeduplicationId".into(), key.clone()));
                form.push(("MessageGroupId".into(), key));
            }
            form.push(("TopicArn".into(), topic));
        }
        if let Some(phone) = self.phone_number.as_deref().filter(|p| !p.is_empty()) {
            form.push(("PhoneNumber".into(), notification.render(phone)?));
            limit = MAX_SMS_BYTES;
        }
        if let Some(target) = self.target_arn.as_deref().filter(|t| !t.is_empty()) {
            form.push(("TargetArn".into(), notification.render(target)?));
        }
        let mut message = notification.field(&self.message, DEFAULT_MESSAGE)?;
        if message.len() > limit {
            // Alertmanager cuts at the byte, even inside a character; Herald cuts before it.
            let mut end = limit;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            attributes.insert("truncated".into(), "true".into());
        }
        form.push(("Message".into(), message));
        if attributes.is_empty() {
            form.push(("MessageAttributes".into(), String::new()));
        }
        for (i, (name, value)) in attributes.into_iter().enumerate() {
            let entry = format!("MessageAttributes.entry.{}", i + 1);
            form.push((format!("{entry}.Name"), name));
            form.push((format!("{entry}.Value.DataType"), "String".into()));
            form.push((format!("{entry}.Value.StringValue"), value));
        }
        // Unset is the default subject; set empty is none.
        let subject = match self.subject.as_deref() {
            None => Some(DEFAULT_SUBJECT),
            Some("") => None,
            Some(subject) => Some(subject),
        };
        if let Some(subject) = subject {
            form.push(("Subject".into(), notification.render(subject)?));
        }
        form.sort();
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{}={}", query_escape(k), query_escape(v))).collect();
        let body = body.join("&").into_bytes();
        let endpoint = match self.api_url.as_deref().filter(|u| !u.is_empty()) {
            Some(url) => notification.render(url)?,
            None => format!("https://sns.{}.amazonaws.com", credentials.region),
        };
        let url = format!("{}/", endpoint.trim_end_matches('/'));
        let headers = sign(&url, &body, &credentials, SystemTime::now())?;
        Ok(vec![Request { headers, ..Request::post(url, body) }])
    }
}

/// Credentials and region for one request.
#[derive(Debug)]
pub(crate) struct Credentials {
    access_key: String,
    secret_key: String,
    session_token: Option<String>,
    region: String,
}

impl SnsConfig {
    /// The configured keys and region, else the standard environment variables.
    fn credentials(&self) -> Result<Credentials> {
        let sigv4 = self.sigv4.clone().unwrap_or_default();
        let env = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let region =
            sigv4.region.filter(|r| !r.is_empty()).or_else(|| env("AWS_REGION")).or_else(|| env("AWS_DEFAULT_REGION"));
        let region =
            region.ok_or_else(|| Error::config("region not configured in sns.sigv4.region or in AWS_REGION"))?;
        let configured = sigv4.access_key.filter(|k| !k.is_empty()).zip(sigv4.secret_key.filter(|s| !s.is_empty()));
        let (access_key, secret_key, session_token) = match configured {
            Some((key, secret)) => (key, secret.expose().to_string(), None),
            None => match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
                (Some(key), Some(secret)) => (key, secret, env("AWS_SESSION_TOKEN")),
                _ => {
                    return Err(Error::config(
                        "no AWS credentials: set sigv4.access_key and secret_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
                    ));
                }
            },
        };
        Ok(Credentials { access_key, secret_key, session_token, region })
    }
}

/// The headers of a SigV4-signed `Publish` (service `sns`): the form's content type, the date and the
/// signature over content length, content type, host and date, as the AWS SDK signs them.
pub(crate) fn sign(
    url: &str,
    body: &[u8],
    credentials: &Credentials,
    at: SystemTime,
) -> Result<Vec<(reqwest::header::HeaderName, String)>> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign as sign_request};
    use reqwest::header::{CONTENT_TYPE, HeaderName};
    const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
    let identity = aws_credential_types::Credentials::new(
        &credentials.access_key,
        &credentials.secret_key,
        credentials.session_token.clone(),
        None,
        "herald",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(&credentials.region)
        .name("sns")
        .time(at)
        .settings(SigningSettings::default())
        .build()
        .map_err(|err| Error::config(format!("signing the SNS request: {err}")))?
        .into();
    let length = body.len().to_string();
    let headers = [("content-type", FORM), ("content-length", length.as_str())];
    let signable = SignableRequest::new("POST", url, headers.into_iter(), SignableBody::Bytes(body))
        .map_err(|err| Error::config(format!("signing the SNS request: {err}")))?;
    let (instructions, _) = sign_request(signable, &params)
        .map_err(|err| Error::config(format!("signing the SNS request: {err}")))?
        .into_parts();
    let mut signed = vec![(CONTENT_TYPE, FORM.to_string())];
    for (name, value) in instructions.headers() {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|err| Error::config(format!("signing: {err}")))?;
        signed.push((name, value.to_string()));
    }
    Ok(signed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first request Alertmanager 0.25 (aws-sdk-go 1.44) signed in `tests/fixtures/integrations`.
    #[test]
    fn requests_are_signed_as_the_aws_sdk_signs_them() {
        let recorded: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/fixtures/integrations/sns_am025.json")).expect("fixture");
        let request = &recorded[0];
        let date = request["headers"]["x-amz-date"].as_str().expect("date");
        let at = chrono::NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ").expect("date").and_utc();
        let host = request["headers"]["host"].as_str().expect("host");
        let credentials = Credentials {
            access_key: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
            session_token: None,
            region: "us-east-1".into(),
        };
        let body = request["body"].as_str().expect("body");
        let headers = sign(&format!("http://{host}/"), body.as_bytes(), &credentials, at.into()).expect("signs");
        let value = |name: &str| headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(value("authorization"), request["headers"]["authorization"].as_str());
        assert_eq!(value("x-amz-date"), Some(date));
        assert_eq!(value("content-type"), Some("application/x-www-form-urlencoded; charset=utf-8"));
    }
}
