//! Turns the file as written into a checked [`Config`], collecting every problem with its field path.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::duration::PromDuration;
use super::model::{self, ConfigFile, GlobalConfig, HttpConfig, Receiver, RouteConfig};
use super::problem::Problem;
use super::secret::Secret;
use super::{Config, InhibitRule, Route};
use crate::labels::{self, MatchType, Matcher, Matchers};
use crate::timeinterval;

const DEFAULT_RESOLVE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
const DEFAULT_PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";
const DEFAULT_OPSGENIE_API_URL: &str = "https://api.opsgenie.com/";
const OPSGENIE_RESPONDER_TYPES: [&str; 5] = ["team", "teams", "user", "escalation", "schedule"];

/// What checking found: the config when there were no errors, and the warnings either way.
pub(super) struct Checked {
    pub config: Option<Config>,
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

/// Checks a parsed file; relative paths are taken from `base_dir`.
pub(super) fn check(file: ConfigFile, base_dir: &Path) -> Checked {
    let mut checker = Checker { errors: Vec::new(), warnings: Vec::new(), base_dir };
    let config = checker.config(file);
    let Checker { errors, warnings, .. } = checker;
    Checked { config: if errors.is_empty() { Some(config) } else { None }, errors, warnings }
}

struct Checker<'a> {
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
    base_dir: &'a Path,
}

impl Checker<'_> {
    fn error(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(Problem::at(path, message));
    }

    fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Problem::at(path, message));
    }

    fn config(&mut self, file: ConfigFile) -> Config {
        let global = self.global(file.global.clone().unwrap_or_default());
        let resolve_timeout = self
            .duration("global.resolve_timeout", global.resolve_timeout.as_deref())
            .unwrap_or(DEFAULT_RESOLVE_TIMEOUT);
        let receivers: Vec<Receiver> = file
            .receivers
            .iter()
            .enumerate()
            .map(|(i, receiver)| self.receiver(&format!("receivers[{i}]"), receiver.clone(), &global))
            .collect();
        self.unique_receiver_names(&receivers);
        let time_intervals = self.time_intervals(&file);
        let receiver_names: HashSet<&str> = receivers.iter().map(|r| r.name.as_str()).collect();
        let route = match &file.route {
            Some(root) => self.root_route(root, &receiver_names, &time_intervals),
            None => {
                self.error("route", "no routes provided");
                Route::default()
            }
        };
        let inhibit_rules = file
            .inhibit_rules
            .iter()
            .enumerate()
            .map(|(i, rule)| self.inhibit_rule(&format!("inhibit_rules[{i}]"), rule))
            .collect();
        let templates: Vec<PathBuf> = file.templates.iter().map(|glob| self.base_dir.join(glob)).collect();
        let template_files = self.template_files(&templates);
        for (path, source) in super::templated_fields(&receivers) {
            if let Err(err) = crate::template::check(source) {
                self.error(path, format!("template: {err}"));
            }
        }
        Config {
            global,
            resolve_timeout,
            route,
            inhibit_rules,
            receivers,
            time_intervals,
            templates,
            template_files,
            file,
        }
    }

    /// Reads the files the `templates:` globs match and checks that each parses, as Alertmanager does at load.
    fn template_files(&mut self, globs: &[PathBuf]) -> Vec<super::TemplateFile> {
        let mut files = Vec::new();
        for (i, pattern) in globs.iter().enumerate() {
            let path = format!("templates[{i}]");
            let matches = match glob::glob(&pattern.to_string_lossy()) {
                Ok(matches) => matches,
                Err(err) => {
                    self.error(path, format!("invalid glob {}: {err}", pattern.display()));
                    continue;
                }
            };
            for entry in matches {
                let file = match entry {
                    Ok(file) => file,
                    Err(err) => {
                        self.error(path.clone(), err.to_string());
                        continue;
                    }
                };
                let source = match std::fs::read_to_string(&file) {
                    Ok(source) => source,
                    Err(err) => {
                        self.error(path.clone(), format!("read {}: {err}", file.display()));
                        continue;
                    }
                };
                if let Err(err) = crate::template::Templates::new().add_go_file(&source) {
                    self.error(path.clone(), format!("template file {}: {err}", file.display()));
                    continue;
                }
                files.push(super::TemplateFile { path: file, source });
            }
        }
        files
    }

    fn global(&mut self, mut global: GlobalConfig) -> GlobalConfig {
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

    fn receiver(&mut self, path: &str, mut receiver: Receiver, global: &GlobalConfig) -> Receiver {
        if receiver.name.is_empty() {
            self.error(format!("{path}.name"), "missing name in receiver");
        }
        for key in receiver.unsupported_integrations() {
            self.error(
                format!("{path}.{key}"),
                format!(
                    "receiver {:?} uses {key}, which Herald does not deliver yet \
                     (supported: webhook_configs, slack_configs, pagerduty_configs, opsgenie_configs)",
                    receiver.name
                ),
            );
        }
        let name = receiver.name.clone();
        for (i, webhook) in receiver.webhook_configs.iter_mut().enumerate() {
            let path = format!("{path}.webhook_configs[{i}]");
            match &webhook.url {
                None => self.error(format!("{path}.url"), "missing URL in webhook config"),
                Some(url) => self.url(&format!("{path}.url"), url),
            }
            self.inherit_http_config(&path, &mut webhook.http_config, global);
        }
        for (i, slack) in receiver.slack_configs.iter_mut().enumerate() {
            let path = format!("{path}.slack_configs[{i}]");
            self.slack(&path, &name, slack, global);
        }
        for (i, pagerduty) in receiver.pagerduty_configs.iter_mut().enumerate() {
            let path = format!("{path}.pagerduty_configs[{i}]");
            self.pagerduty(&path, pagerduty, global);
        }
        for (i, opsgenie) in receiver.opsgenie_configs.iter_mut().enumerate() {
            let path = format!("{path}.opsgenie_configs[{i}]");
            self.opsgenie(&path, opsgenie, global);
        }
        receiver
    }

    fn unique_receiver_names(&mut self, receivers: &[Receiver]) {
        let mut seen = HashSet::new();
        for (i, receiver) in receivers.iter().enumerate() {
            if !receiver.name.is_empty() && !seen.insert(receiver.name.as_str()) {
                self.error(
                    format!("receivers[{i}].name"),
                    format!("notification config name {:?} is not unique", receiver.name),
                );
            }
        }
    }

    fn slack(&mut self, path: &str, receiver: &str, slack: &mut model::SlackConfig, global: &GlobalConfig) {
        self.inherit_http_config(path, &mut slack.http_config, global);
        match (&slack.api_url, &slack.api_url_file) {
            (Some(_), Some(_)) => {
                self.error(format!("{path}.api_url"), "at most one of api_url & api_url_file must be configured")
            }
            (Some(url), None) => self.secret_url(&format!("{path}.api_url"), url),
            (None, Some(_)) => {}
            (None, None) => {
                slack.api_url = global.slack_api_url.clone();
                slack.api_url_file = global.slack_api_url_file.clone();
            }
        }
        if let Some(file) = &mut slack.api_url_file {
            *file = self.existing_file(&format!("{path}.api_url_file"), file);
        }
        if slack.api_url.is_none() && slack.api_url_file.is_none() {
            self.warn(
                format!("{path}.api_url"),
                format!(
                    "receiver {receiver:?}: no Slack API URL set inline, in a file or in global.slack_api_url; \
                     its Slack notifications will fail"
                ),
            );
        }
        for (j, field) in slack.fields.iter().flatten().enumerate() {
            let path = format!("{path}.fields[{j}]");
            if field.title.is_empty() {
                self.error(format!("{path}.title"), "missing title in Slack field configuration");
            }
            if field.value.is_empty() {
                self.error(format!("{path}.value"), "missing value in Slack field configuration");
            }
        }
        for (j, action) in slack.actions.iter_mut().flatten().enumerate() {
            let path = format!("{path}.actions[{j}]");
            if action.kind.is_empty() {
                self.error(format!("{path}.type"), "missing type in Slack action configuration");
            }
            if action.text.is_empty() {
                self.error(format!("{path}.text"), "missing text in Slack action configuration");
            }
            if action.confirm.as_ref().is_some_and(|c| c.text.is_empty()) {
                self.error(format!("{path}.confirm.text"), "missing text in Slack confirmation configuration");
            }
            if !action.url.is_empty() {
                action.name.clear();
                action.value.clear();
                action.confirm = None;
            } else if action.name.is_empty() {
                self.error(path.clone(), "missing name or url in Slack action configuration");
            }
        }
    }

    fn pagerduty(&mut self, path: &str, pagerduty: &mut model::PagerdutyConfig, global: &GlobalConfig) {
        self.inherit_http_config(path, &mut pagerduty.http_config, global);
        // As in Alertmanager, an empty value counts as not set.
        clear_empty_secret(&mut pagerduty.routing_key);
        clear_empty_secret(&mut pagerduty.service_key);
        clear_empty(&mut pagerduty.routing_key_file);
        clear_empty(&mut pagerduty.service_key_file);
        let keys = [
            pagerduty.routing_key.is_some(),
            pagerduty.routing_key_file.is_some(),
            pagerduty.service_key.is_some(),
            pagerduty.service_key_file.is_some(),
        ];
        if keys == [false; 4] {
            self.error(path.to_string(), "missing service or routing key in PagerDuty config");
        }
        if keys[0] && keys[1] {
            self.error(
                format!("{path}.routing_key"),
                "at most one of routing_key & routing_key_file must be configured",
            );
        }
        if keys[2] && keys[3] {
            self.error(
                format!("{path}.service_key"),
                "at most one of service_key & service_key_file must be configured",
            );
        }
        if (keys[0] || keys[1]) && (keys[2] || keys[3]) {
            self.warn(
                path.to_string(),
                "both a routing_key (Events API v2) and a service_key (v1) are set; the service_key is used, as in Alertmanager",
            );
        }
        for (key, file) in [
            ("routing_key_file", &mut pagerduty.routing_key_file),
            ("service_key_file", &mut pagerduty.service_key_file),
        ] {
            if let Some(file) = file {
                *file = self.existing_file(&format!("{path}.{key}"), file);
            }
        }
        match &pagerduty.url {
            Some(url) => self.url(&format!("{path}.url"), url),
            None => pagerduty.url = global.pagerduty_url.clone(),
        }
    }

    fn opsgenie(&mut self, path: &str, opsgenie: &mut model::OpsgenieConfig, global: &GlobalConfig) {
        self.inherit_http_config(path, &mut opsgenie.http_config, global);
        clear_empty_secret(&mut opsgenie.api_key);
        clear_empty(&mut opsgenie.api_key_file);
        if opsgenie.api_key.is_some() && opsgenie.api_key_file.is_some() {
            self.error(format!("{path}.api_key"), "at most one of api_key & api_key_file must be configured");
        }
        if opsgenie.api_key.is_none() && opsgenie.api_key_file.is_none() {
            opsgenie.api_key = global.opsgenie_api_key.clone();
            opsgenie.api_key_file = global.opsgenie_api_key_file.clone();
            if opsgenie.api_key.is_none() && opsgenie.api_key_file.is_none() {
                self.error(format!("{path}.api_key"), "no global OpsGenie API Key set either inline or in a file");
            }
        }
        if let Some(file) = &mut opsgenie.api_key_file {
            *file = self.existing_file(&format!("{path}.api_key_file"), file);
        }
        match &opsgenie.api_url {
            Some(url) => self.url(&format!("{path}.api_url"), url),
            None => opsgenie.api_url = global.opsgenie_api_url.clone(),
        }
        if let Some(url) = &mut opsgenie.api_url
            && !url.ends_with('/')
        {
            url.push('/');
        }
        for (j, responder) in opsgenie.responders.iter().flatten().enumerate() {
            let path = format!("{path}.responders[{j}]");
            if responder.id.is_empty() && responder.name.is_empty() && responder.username.is_empty() {
                self.error(path.clone(), "responder has to have at least one of id, username or name specified");
            }
            if !responder.kind.contains("{{")
                && !OPSGENIE_RESPONDER_TYPES.contains(&responder.kind.to_lowercase().as_str())
            {
                self.error(
                    format!("{path}.type"),
                    format!(
                        "responder type {:?} does not match valid options ^(team|teams|user|escalation|schedule)$",
                        responder.kind
                    ),
                );
            }
        }
    }

    /// An integration without `http_config` gets the global one, whole (not merged), as in Alertmanager.
    fn inherit_http_config(&mut self, path: &str, http: &mut Option<HttpConfig>, global: &GlobalConfig) {
        match http.take() {
            Some(own) => *http = Some(self.http_config(&format!("{path}.http_config"), own)),
            None => *http = global.http_config.clone(),
        }
    }

    fn http_config(&mut self, path: &str, mut http: HttpConfig) -> HttpConfig {
        clear_empty_secret(&mut http.bearer_token);
        clear_empty(&mut http.bearer_token_file);
        clear_empty(&mut http.proxy_url);
        if let Some(basic) = &mut http.basic_auth {
            clear_empty_secret(&mut basic.password);
            clear_empty(&mut basic.password_file);
        }
        if let Some(auth) = &mut http.authorization {
            clear_empty_secret(&mut auth.credentials);
            clear_empty(&mut auth.credentials_file);
        }
        if let Some(oauth) = &mut http.oauth2 {
            clear_empty_secret(&mut oauth.client_secret);
            clear_empty(&mut oauth.client_secret_file);
        }
        let bearer = http.bearer_token.is_some() || http.bearer_token_file.is_some();
        if http.bearer_token.is_some() && http.bearer_token_file.is_some() {
            self.error(path, "at most one of bearer_token & bearer_token_file must be configured");
        }
        if (http.basic_auth.is_some() || http.oauth2.is_some()) && bearer {
            self.error(path, "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
        }
        if let Some(basic) = &http.basic_auth
            && basic.password.is_some()
            && basic.password_file.is_some()
        {
            self.error(
                format!("{path}.basic_auth"),
                "at most one of basic_auth password & password_file must be configured",
            );
        }
        if let Some(auth) = &mut http.authorization {
            let apath = format!("{path}.authorization");
            if bearer {
                self.error(apath.clone(), "authorization is not compatible with bearer_token & bearer_token_file");
            }
            if auth.credentials.is_some() && auth.credentials_file.is_some() {
                self.error(
                    apath.clone(),
                    "at most one of authorization credentials & credentials_file must be configured",
                );
            }
            let kind = auth.kind.as_deref().map(str::trim).unwrap_or_default();
            if kind.eq_ignore_ascii_case("basic") {
                self.error(
                    format!("{apath}.type"),
                    "authorization type cannot be set to \"basic\", use \"basic_auth\" instead",
                );
            }
            auth.kind = Some(if kind.is_empty() { "Bearer".to_string() } else { kind.to_string() });
            if http.basic_auth.is_some() || http.oauth2.is_some() {
                self.error(apath, "at most one of basic_auth, oauth2 & authorization must be configured");
            }
        }
        if let Some(oauth) = &http.oauth2 {
            let opath = format!("{path}.oauth2");
            if http.basic_auth.is_some() {
                self.error(opath.clone(), "at most one of basic_auth, oauth2 & authorization must be configured");
            }
            if oauth.client_id.is_empty() {
                self.error(format!("{opath}.client_id"), "oauth2 client_id must be configured");
            }
            if oauth.client_secret.is_none() && oauth.client_secret_file.is_none() {
                self.error(opath.clone(), "either oauth2 client_secret or client_secret_file must be configured");
            }
            if oauth.token_url.is_empty() {
                self.error(format!("{opath}.token_url"), "oauth2 token_url must be configured");
            }
            if oauth.client_secret.is_some() && oauth.client_secret_file.is_some() {
                self.error(opath, "at most one of oauth2 client_secret & client_secret_file must be configured");
            }
        }
        for (tls_path, tls) in [
            (format!("{path}.tls_config"), http.tls_config.as_ref()),
            (format!("{path}.oauth2.tls_config"), http.oauth2.as_ref().and_then(|o| o.tls_config.as_ref())),
        ] {
            for (key, version) in [
                ("min_version", tls.and_then(|t| t.min_version.as_ref())),
                ("max_version", tls.and_then(|t| t.max_version.as_ref())),
            ] {
                if let Some(version) = version
                    && !matches!(version.as_str(), "TLS10" | "TLS11" | "TLS12" | "TLS13")
                {
                    self.error(format!("{tls_path}.{key}"), format!("unknown TLS version: {version}"));
                }
            }
        }
        if http.oauth2.is_some() {
            self.warn(format!("{path}.oauth2"), "OAuth 2.0 is not supported by Herald yet; requests with it will fail");
        }
        if let Some(tls) = &http.tls_config {
            self.tls_config(&format!("{path}.tls_config"), tls);
        }
        if let Some(proxy) = &http.proxy_url
            && let Err(err) = url::Url::parse(proxy)
        {
            self.error(format!("{path}.proxy_url"), format!("invalid proxy URL {proxy:?}: {err}"));
        }
        http.follow_redirects.get_or_insert(true);
        http.enable_http2.get_or_insert(true);
        http
    }

    /// Client certificates come in pairs; what rustls cannot do (TLS below 1.2, another server name) is named.
    fn tls_config(&mut self, path: &str, tls: &model::TlsConfig) {
        let cert = tls.cert.is_some() || tls.cert_file.is_some();
        let key = tls.key.is_some() || tls.key_file.is_some();
        for (what, inline, file) in [
            ("ca", tls.ca.is_some(), tls.ca_file.is_some()),
            ("cert", tls.cert.is_some(), tls.cert_file.is_some()),
            ("key", tls.key.is_some(), tls.key_file.is_some()),
        ] {
            if inline && file {
                self.error(
                    format!("{path}.{what}"),
                    format!("at most one of {what} and {what}_file must be configured"),
                );
            }
        }
        if cert && !key {
            self.error(format!("{path}.cert"), "client certificate specified without client key");
        }
        if key && !cert {
            self.error(format!("{path}.key"), "client key specified without client certificate");
        }
        if tls.server_name.as_deref().is_some_and(|name| !name.is_empty()) {
            self.warn(
                format!("{path}.server_name"),
                "Herald cannot override the TLS server name; the certificate is checked against the URL's host",
            );
        }
        if matches!(tls.max_version.as_deref(), Some("TLS10" | "TLS11")) {
            self.warn(
                format!("{path}.max_version"),
                "Herald speaks TLS 1.2 and 1.3 only; a server limited to older versions cannot be reached",
            );
        }
    }

    /// Parses an optional Prometheus duration; a bad one is reported and read as unset.
    fn duration(&mut self, path: &str, text: Option<&str>) -> Option<Duration> {
        match PromDuration::parse(text?) {
            Ok(duration) => Some(duration.0),
            Err(err) => {
                self.error(path, err.to_string());
                None
            }
        }
    }

    /// Checks an http(s) URL as Alertmanager's config `URL` type does.
    fn url(&mut self, path: &str, text: &str) {
        if let Some(problem) = go_url_problem(text) {
            return self.error(path, problem);
        }
        match url::Url::parse(text) {
            Err(err) => self.error(path, format!("invalid URL {text:?}: {err}")),
            Ok(url) if url.scheme() != "http" && url.scheme() != "https" => {
                self.error(path, format!("unsupported scheme {:?} for URL", url.scheme()))
            }
            Ok(url) if url.host_str().is_none_or(str::is_empty) || !has_go_host(text) => {
                self.error(path, "missing host for URL")
            }
            Ok(_) => {}
        }
    }

    /// Like [`Checker::url`], without repeating the URL (it is a secret) in the message.
    fn secret_url(&mut self, path: &str, secret: &Secret) {
        if secret.expose() == super::secret::REDACTED {
            return;
        }
        if let Some(problem) = go_url_problem(secret.expose()) {
            return self.error(path, problem);
        }
        match url::Url::parse(secret.expose()) {
            Err(err) => self.error(path, format!("invalid URL: {err}")),
            Ok(url) if url.scheme() != "http" && url.scheme() != "https" => {
                self.error(path, format!("unsupported scheme {:?} for URL", url.scheme()))
            }
            Ok(url) if url.host_str().is_none_or(str::is_empty) || !has_go_host(secret.expose()) => {
                self.error(path, "missing host for URL")
            }
            Ok(_) => {}
        }
    }

    /// Resolves a `*_file` path against the config folder, and warns when the file is not there yet.
    fn existing_file(&mut self, path: &str, file: &str) -> String {
        let resolved = self.base_dir.join(file);
        if !resolved.is_file() {
            self.warn(path, format!("file {} does not exist; sends that need it will fail", resolved.display()));
        }
        resolved.to_string_lossy().into_owned()
    }

    fn time_intervals(&mut self, file: &ConfigFile) -> BTreeMap<String, Vec<model::TimeIntervalSpec>> {
        let mut by_name = BTreeMap::new();
        for (list, label, intervals) in [
            ("mute_time_intervals", "mute time interval", &file.mute_time_intervals),
            ("time_intervals", "time interval", &file.time_intervals),
        ] {
            for (i, named) in intervals.iter().enumerate() {
                let path = format!("{list}[{i}]");
                if named.name.is_empty() {
                    self.error(format!("{path}.name"), format!("missing name in {label}"));
                    continue;
                }
                if by_name.contains_key(&named.name) {
                    self.error(format!("{path}.name"), format!("{label} {:?} is not unique", named.name));
                    continue;
                }
                for (j, spec) in named.time_intervals.iter().enumerate() {
                    if let Err(message) = timeinterval::parse(spec) {
                        self.error(format!("{path}.time_intervals[{j}]"), message);
                    }
                }
                by_name.insert(named.name.clone(), named.time_intervals.clone());
            }
        }
        by_name
    }

    fn root_route(
        &mut self,
        root: &RouteConfig,
        receivers: &HashSet<&str>,
        time_intervals: &BTreeMap<String, Vec<model::TimeIntervalSpec>>,
    ) -> Route {
        if root.receiver.as_deref().unwrap_or_default().is_empty() {
            self.error("route.receiver", "root route must specify a default receiver");
        }
        let has = |list: &Option<Vec<String>>| list.as_ref().is_some_and(|l| !l.is_empty());
        let has_map = |map: &Option<BTreeMap<String, String>>| map.as_ref().is_some_and(|m| !m.is_empty());
        if has_map(&root.match_eq) || has_map(&root.match_re) || has(&root.matchers) {
            self.error("route", "root route must not have any matchers");
        }
        if has(&root.mute_time_intervals) {
            self.error("route.mute_time_intervals", "root route must not have any mute time intervals");
        }
        if has(&root.active_time_intervals) {
            self.error("route.active_time_intervals", "root route must not have any active time intervals");
        }
        if root.continue_matching {
            self.error("route.continue", "cannot have continue in root route");
        }
        self.route("route", root, receivers, time_intervals)
    }

    fn route(
        &mut self,
        path: &str,
        route: &RouteConfig,
        receivers: &HashSet<&str>,
        time_intervals: &BTreeMap<String, Vec<model::TimeIntervalSpec>>,
    ) -> Route {
        let mut matchers = Vec::new();
        for (name, value) in route.match_eq.iter().flatten() {
            let path = format!("{path}.match.{name}");
            if !labels::is_valid_label_name(name) {
                self.error(path, format!("invalid label name {name:?}"));
                continue;
            }
            matchers.push(Matcher::new(MatchType::Equal, name, value).expect("equality matchers always build"));
        }
        for (name, pattern) in route.match_re.iter().flatten() {
            let path = format!("{path}.match_re.{name}");
            if !labels::is_valid_label_name(name) {
                self.error(path, format!("invalid label name {name:?}"));
                continue;
            }
            // Alertmanager keeps the anchored form as the matcher value; it shows in route and group keys.
            match Matcher::new(MatchType::Regex, name, format!("^(?:{pattern})$")) {
                Ok(matcher) => matchers.push(matcher),
                Err(err) => self.error(path, err.to_string()),
            }
        }
        for (i, text) in route.matchers.iter().flatten().enumerate() {
            match labels::parse_matchers(text) {
                Ok(parsed) => matchers.extend(parsed),
                Err(err) => self.error(format!("{path}.matchers[{i}]"), err.to_string()),
            }
        }

        let (group_by, group_by_all) = self.group_by(path, route.group_by.as_deref().unwrap_or_default());
        let group_wait = self.duration(&format!("{path}.group_wait"), route.group_wait.as_deref());
        let group_interval = self.duration(&format!("{path}.group_interval"), route.group_interval.as_deref());
        let repeat_interval = self.duration(&format!("{path}.repeat_interval"), route.repeat_interval.as_deref());
        for (key, value) in [("group_interval", group_interval), ("repeat_interval", repeat_interval)] {
            if value.is_some_and(|d| d.is_zero()) {
                self.error(format!("{path}.{key}"), format!("{key} cannot be zero"));
            }
        }
        if let Some(receiver) = route.receiver.as_deref().filter(|r| !r.is_empty())
            && !receivers.contains(receiver)
        {
            self.error(format!("{path}.receiver"), format!("undefined receiver {receiver:?} used in route"));
        }
        for (key, names) in [
            ("active_time_intervals", &route.active_time_intervals),
            ("mute_time_intervals", &route.mute_time_intervals),
        ] {
            for (i, name) in names.iter().flatten().enumerate() {
                if !time_intervals.contains_key(name) {
                    self.error(format!("{path}.{key}[{i}]"), format!("undefined time interval {name:?} used in route"));
                }
            }
        }

        let routes = route
            .routes
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, child)| self.route(&format!("{path}.routes[{i}]"), child, receivers, time_intervals))
            .collect();
        Route {
            receiver: route.receiver.clone().filter(|r| !r.is_empty()),
            group_by,
            group_by_all,
            group_wait,
            group_interval,
            repeat_interval,
            matchers: Matchers::new(matchers),
            continue_matching: route.continue_matching,
            mute_time_intervals: route.mute_time_intervals.clone().unwrap_or_default(),
            active_time_intervals: route.active_time_intervals.clone().unwrap_or_default(),
            routes,
        }
    }

    fn group_by(&mut self, path: &str, names: &[String]) -> (Vec<String>, bool) {
        let mut labels = Vec::new();
        let mut all = false;
        for (i, name) in names.iter().enumerate() {
            if name == "..." {
                all = true;
                continue;
            }
            if !labels::is_valid_label_name(name) {
                self.error(format!("{path}.group_by[{i}]"), format!("invalid label name {name:?} in group_by list"));
            } else if labels.contains(name) {
                self.error(format!("{path}.group_by[{i}]"), format!("duplicated label {name:?} in group_by"));
            } else {
                labels.push(name.clone());
            }
        }
        if all && !labels.is_empty() {
            self.error(
                format!("{path}.group_by"),
                "cannot have wildcard group_by (`...`) and other other labels at the same time",
            );
        }
        (labels, all)
    }

    fn inhibit_rule(&mut self, path: &str, rule: &model::InhibitRule) -> InhibitRule {
        let source = self.side(path, "source", &rule.source_match, &rule.source_match_re, &rule.source_matchers);
        let target = self.side(path, "target", &rule.target_match, &rule.target_match_re, &rule.target_matchers);
        let mut equal = Vec::new();
        for (i, name) in rule.equal.iter().flatten().enumerate() {
            if labels::is_valid_label_name(name) {
                equal.push(name.clone());
            } else {
                self.error(format!("{path}.equal[{i}]"), format!("{name:?} is not a valid label name"));
            }
        }
        InhibitRule { source, target, equal }
    }

    fn side(
        &mut self,
        path: &str,
        side: &str,
        exact: &Option<BTreeMap<String, String>>,
        regex: &Option<BTreeMap<String, String>>,
        strings: &Option<Vec<String>>,
    ) -> Matchers {
        let mut matchers = Vec::new();
        for (name, value) in exact.iter().flatten() {
            if labels::is_valid_label_name(name) {
                matchers.push(Matcher::new(MatchType::Equal, name, value).expect("equality matchers always build"));
            } else {
                self.error(format!("{path}.{side}_match.{name}"), format!("invalid label name {name:?}"));
            }
        }
        for (name, pattern) in regex.iter().flatten() {
            let path = format!("{path}.{side}_match_re.{name}");
            if !labels::is_valid_label_name(name) {
                self.error(path, format!("invalid label name {name:?}"));
                continue;
            }
            match Matcher::new(MatchType::Regex, name, format!("^(?:{pattern})$")) {
                Ok(matcher) => matchers.push(matcher),
                Err(err) => self.error(path, err.to_string()),
            }
        }
        for (i, text) in strings.iter().flatten().enumerate() {
            match labels::parse_matchers(text) {
                Ok(parsed) => matchers.extend(parsed),
                Err(err) => self.error(format!("{path}.{side}_matchers[{i}]"), err.to_string()),
            }
        }
        Matchers::new(matchers)
    }
}

/// Alertmanager treats an empty secret as not set.
fn clear_empty_secret(secret: &mut Option<Secret>) {
    if secret.as_ref().is_some_and(Secret::is_empty) {
        *secret = None;
    }
}

/// Alertmanager treats an empty string as not set.
fn clear_empty(value: &mut Option<String>) {
    if value.as_deref().is_some_and(str::is_empty) {
        *value = None;
    }
}

/// What Go's URL parser refuses that the WHATWG parser (the `url` crate) quietly repairs: surrounding or
/// control whitespace.
fn go_url_problem(text: &str) -> Option<String> {
    if text.chars().any(char::is_control) || text.trim() != text {
        return Some("invalid URL: it contains spaces or control characters".to_string());
    }
    None
}

/// Go needs `scheme://host`; the WHATWG parser also takes `http:x` and `http:///x`.
fn has_go_host(text: &str) -> bool {
    text.split_once("://").is_some_and(|(_, rest)| !rest.is_empty() && !rest.starts_with('/'))
}
