//! PagerDuty: Events API v2 for `routing_key`, v1 for `service_key`, with Alertmanager's payloads. The
//! dedup key (v1 `incident_key`) is the SHA-256 of the group key, so every notification of a group updates
//! one incident.

mod config;
mod message;

pub(crate) use config::PagerdutyConfig;

use super::error::Result;
use super::integration::{AckNotice, Integration, Notification, Request, TemplatedFields};
use crate::config::model::{GlobalConfig, HttpConfig};
use crate::config::validate::{Checker, clear_empty, clear_empty_secret};

/// The status Events API v1 answers when it wants fewer events (v2 uses 429).
const V1_RATE_LIMIT_STATUS: u16 = 403;

impl Integration for PagerdutyConfig {
    fn kind(&self) -> &'static str {
        "pagerduty"
    }

    fn send_resolved(&self) -> bool {
        self.send_resolved.unwrap_or(true)
    }

    fn http_config(&self) -> Option<&HttpConfig> {
        self.http_config.as_ref()
    }

    fn check(&mut self, checker: &mut Checker<'_>, path: &str, _receiver: &str, global: &GlobalConfig) {
        checker.inherit_http_config(path, &mut self.http_config, global);
        // As in Alertmanager, an empty value counts as not set.
        clear_empty_secret(&mut self.routing_key);
        clear_empty_secret(&mut self.service_key);
        clear_empty(&mut self.routing_key_file);
        clear_empty(&mut self.service_key_file);
        let keys = [
            self.routing_key.is_some(),
            self.routing_key_file.is_some(),
            self.service_key.is_some(),
            self.service_key_file.is_some(),
        ];
        if keys == [false; 4] {
            checker.error(path, "missing service or routing key in PagerDuty config");
        }
        if keys[0] && keys[1] {
            checker.error(
                format!("{path}.routing_key"),
                "at most one of routing_key & routing_key_file must be configured",
            );
        }
        if keys[2] && keys[3] {
            checker.error(
                format!("{path}.service_key"),
                "at most one of service_key & service_key_file must be configured",
            );
        }
        if (keys[0] || keys[1]) && (keys[2] || keys[3]) {
            checker.warn(
                path,
                "both a routing_key (Events API v2) and a service_key (v1) are set; the service_key is used, as in Alertmanager",
            );
        }
        for (key, file) in
            [("routing_key_file", &mut self.routing_key_file), ("service_key_file", &mut self.service_key_file)]
        {
            if let Some(file) = file {
                *file = checker.existing_file(&format!("{path}.{key}"), file);
            }
        }
        match &self.url {
            Some(url) => checker.url(&format!("{path}.url"), url),
            None => self.url = global.pagerduty_url.clone(),
        }
    }

    fn templated_fields(&self) -> Vec<(String, &str)> {
        let mut fields = TemplatedFields::default();
        fields.add("service_key", self.service_key.as_ref().map(|s| s.expose()));
        fields.add("routing_key", self.routing_key.as_ref().map(|s| s.expose()));
        fields.add_all([
            ("client", &self.client),
            ("client_url", &self.client_url),
            ("description", &self.description),
            ("source", &self.source),
            ("severity", &self.severity),
            ("class", &self.class),
            ("component", &self.component),
            ("group", &self.group),
        ]);
        for (key, value) in self.details.iter().flatten() {
            fields.add(format!("details.{key}"), Some(value));
        }
        for (j, image) in self.images.iter().flatten().enumerate() {
            fields.add(format!("images[{j}].src"), Some(&image.src));
            fields.add(format!("images[{j}].alt"), Some(&image.alt));
            fields.add(format!("images[{j}].href"), Some(&image.href));
        }
        for (j, link) in self.links.iter().flatten().enumerate() {
            fields.add(format!("links[{j}].href"), Some(&link.href));
            fields.add(format!("links[{j}].text"), Some(&link.text));
        }
        fields.into_vec()
    }

    fn default_templates(&self) -> Vec<&'static str> {
        message::default_templates().collect()
    }

    fn requests(&self, notification: &Notification<'_>) -> Result<Vec<Request>> {
        let mut event = message::render(self, notification)?;
        let v1 = !event.service_key.is_empty();
        let url = message::endpoint(self, v1);
        Ok(vec![Request {
            rate_limit_status: v1.then_some(V1_RATE_LIMIT_STATUS),
            secret_fields: &["routing_key", "service_key"],
            ..Request::post(url, message::encode(&mut event)?)
        }])
    }

    /// An `acknowledge` event on the group's incident (same key and dedup key). PagerDuty has no event that
    /// withdraws one: the incident stays acknowledged there until its own timeout or the resolve.
    fn acknowledgement(&self, notification: &Notification<'_>, ack: &AckNotice<'_>) -> Option<Result<Vec<Request>>> {
        if !ack.acknowledged {
            return None;
        }
        let build = || {
            let event = message::render(self, notification)?;
            let v1 = !event.service_key.is_empty();
            let body = message::acknowledge_event(&event, ack)?;
            Ok(vec![Request {
                rate_limit_status: v1.then_some(V1_RATE_LIMIT_STATUS),
                secret_fields: &["routing_key", "service_key"],
                ..Request::post(message::endpoint(self, v1), body)
            }])
        };
        Some(build())
    }
}
