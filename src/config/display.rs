//! The config as `GET /api/v2/status` shows it: re-serialised YAML with Alertmanager's defaults filled in
//! and every secret shown as `<secret>`. amtool parses it back, so it must stay loadable by Alertmanager.

use super::Config;
use super::model::RouteConfig;
use super::secret::Secret;

impl Config {
    /// The YAML shown as `config.original`.
    pub(crate) fn to_display_yaml(&self) -> String {
        let mut file = self.file.clone();
        let mut global = self.global.clone();
        global.smtp_hello.get_or_insert_with(|| "localhost".to_string());
        global.smtp_require_tls.get_or_insert(true);
        global.wechat_api_url.get_or_insert_with(|| "https://qyapi.weixin.qq.com/cgi-bin/".to_string());
        global
            .victorops_api_url
            .get_or_insert_with(|| "https://alert.victorops.com/integrations/generic/20131114/alert/".to_string());
        global.telegram_api_url.get_or_insert_with(|| "https://api.telegram.org".to_string());
        global.webex_api_url.get_or_insert_with(|| "https://webexapis.com/v1/messages".to_string());
        file.global = Some(global);
        let mut receivers = self.receivers.clone();
        for slack in receivers.iter_mut().flat_map(|r| r.slack_configs.iter_mut()) {
            // Herald loads Slack configs without a URL (they fail at send time); Alertmanager would refuse the
            // file, so show a redacted placeholder to keep it loadable by amtool.
            if slack.api_url.is_none() && slack.api_url_file.is_none() {
                slack.api_url = Some(Secret::new(""));
            }
        }
        file.receivers = receivers;
        // Herald's extensions are left out: amtool reads this back with Alertmanager's parser.
        if let Some(route) = &mut file.route {
            strip_extensions(route);
        }
        serde_yaml_ng::to_string(&file).unwrap_or_else(|err| format!("# cannot render the config: {err}\n"))
    }
}

/// Removes Herald's extensions from a route and its children.
fn strip_extensions(route: &mut RouteConfig) {
    route.escalation = None;
    route.team = None;
    route.routes.iter_mut().flatten().for_each(strip_extensions);
}

/// Where a file uses Herald's extensions to Alertmanager's format, as field paths; empty when Alertmanager
/// (and amtool) can load it as it is.
pub(crate) fn extensions(file: &super::model::ConfigFile) -> Vec<String> {
    fn walk(route: &RouteConfig, path: &str, found: &mut Vec<String>) {
        if route.escalation.is_some() {
            found.push(format!("{path}.escalation"));
        }
        if route.team.is_some() {
            found.push(format!("{path}.team"));
        }
        for (i, child) in route.routes.iter().flatten().enumerate() {
            walk(child, &format!("{path}.routes[{i}]"), found);
        }
    }
    let mut found = Vec::new();
    if let Some(route) = &file.route {
        walk(route, "route", &mut found);
    }
    found
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::parse_str;

    #[test]
    fn the_display_form_has_defaults_redacted_secrets_and_loads_again() {
        let yaml = "global:\n  opsgenie_api_key: og-secret\nroute:\n  receiver: r\nreceivers:\n- name: r\n  slack_configs:\n  - channel: '#x'\n  pagerduty_configs:\n  - routing_key: pd-secret\n";
        let loaded = parse_str(yaml, Path::new(".")).expect("loads");
        let shown = loaded.config.to_display_yaml();
        assert!(!shown.contains("og-secret") && !shown.contains("pd-secret"), "{shown}");
        assert!(shown.contains("resolve_timeout: 5m"), "{shown}");
        assert!(shown.contains("pagerduty_url: https://events.pagerduty.com/v2/enqueue"), "{shown}");
        assert!(shown.contains("api_url: <secret>"), "{shown}");
        let again = parse_str(&shown, Path::new(".")).expect("the display form loads");
        assert!(again.warnings.is_empty(), "{:?}", again.warnings);
    }

    #[test]
    fn webhook_urls_and_proxy_passwords_are_not_shown() {
        let yaml = "route:\n  receiver: r\nreceivers:\n- name: r\n  webhook_configs:\n  - url: https://hooks.example/services/T0/B0/TOKEN?key=k\n    http_config:\n      proxy_url: http://proxyuser:proxypass@proxy.example:3128\n";
        let loaded = parse_str(yaml, Path::new(".")).expect("loads");
        let shown = loaded.config.to_display_yaml();
        assert!(!shown.contains("TOKEN") && !shown.contains("key=k") && !shown.contains("proxypass"), "{shown}");
        assert!(shown.contains("url: https://hooks.example/<secret>"), "{shown}");
        assert!(shown.contains("proxy_url: http://proxyuser:<secret>@proxy.example:3128/"), "{shown}");
        parse_str(&shown, Path::new(".")).expect("the display form loads, so amtool can read it");
    }
}
