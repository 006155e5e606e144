//! `global`: Alertmanager's defaults filled in, secrets and their `*_file` twins checked.

use super::{Checker, DEFAULT_RESOLVE_TIMEOUT, clear_empty, clear_empty_secret};
use crate::config::duration::PromDuration;
use crate::config::model::GlobalConfig;

const DEFAULT_PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";
const DEFAULT_OPSGENIE_API_URL: &str = "https://api.opsgenie.com/";

impl Checker<'_> {
    pub(super) fn global(&mut self, mut global: GlobalConfig) -> GlobalConfig {
        for secret in [
            &mut global.slack_api_url,
            &mut global.opsgenie_api_key,
            &mut global.victorops_api_key,
            &mut global.smtp_auth_password,
        ] {
            clear_empty_secret(secret);
        }
        for file in [
            &mut global.slack_api_url_file,
            &mut global.opsgenie_api_key_file,
            &mut global.victorops_api_key_file,
            &mut global.smtp_auth_password_file,
        ] {
            clear_empty(file);
        }
        if let Some(address) = global.smtp_smarthost.as_deref().filter(|a| !a.is_empty()) {
            match address.rsplit_once(':') {
                None => self.error("global.smtp_smarthost", format!("address {address}: missing port in address")),
                Some((_, "")) => {
                    self.error("global.smtp_smarthost", format!("address {address:?}: port cannot be empty"))
                }
                Some(_) => {}
            }
        }
        global.resolve_timeout.get_or_insert_with(|| PromDuration(DEFAULT_RESOLVE_TIMEOUT).to_string());
        for (a, b, set_a, set_b) in [
            (
                "slack_api_url",
                "slack_api_url_file",
                global.slack_api_url.is_some(),
                global.slack_api_url_file.is_some(),
            ),
            (
                "opsgenie_api_key",
                "opsgenie_api_key_file",
                global.opsgenie_api_key.is_some(),
                global.opsgenie_api_key_file.is_some(),
            ),
            (
                "victorops_api_key",
                "victorops_api_key_file",
                global.victorops_api_key.is_some(),
                global.victorops_api_key_file.is_some(),
            ),
            (
                "smtp_auth_password",
                "smtp_auth_password_file",
                global.smtp_auth_password.is_some(),
                global.smtp_auth_password_file.is_some(),
            ),
        ] {
            if set_a && set_b {
                self.error(format!("global.{a}"), format!("at most one of {a} & {b} must be configured"));
            }
        }
        if let Some(url) = &global.slack_api_url {
            self.secret_url("global.slack_api_url", url);
        }
        for (key, url) in [
            ("pagerduty_url", &global.pagerduty_url),
            ("opsgenie_api_url", &global.opsgenie_api_url),
            ("wechat_api_url", &global.wechat_api_url),
            ("victorops_api_url", &global.victorops_api_url),
            ("telegram_api_url", &global.telegram_api_url),
            ("webex_api_url", &global.webex_api_url),
        ] {
            if let Some(url) = url {
                self.url(&format!("global.{key}"), url);
            }
        }
        global.pagerduty_url.get_or_insert_with(|| DEFAULT_PAGERDUTY_URL.to_string());
        global.opsgenie_api_url.get_or_insert_with(|| DEFAULT_OPSGENIE_API_URL.to_string());
        let http = global.http_config.take().unwrap_or_default();
        global.http_config = Some(self.http_config("global.http_config", http));
        global
    }
}
