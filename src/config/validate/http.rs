//! `http_config` of the integrations and of `global`: credentials, TLS, proxy.

use super::{Checker, clear_empty, clear_empty_secret};
use crate::config::model::{self, GlobalConfig, HttpConfig};

impl Checker<'_> {
    /// An integration without `http_config` gets the global one, whole (not merged), as in Alertmanager.
    pub(crate) fn inherit_http_config(&mut self, path: &str, http: &mut Option<HttpConfig>, global: &GlobalConfig) {
        match http.take() {
            Some(own) => *http = Some(self.http_config(&format!("{path}.http_config"), own)),
            None => *http = global.http_config.clone(),
        }
    }

    /// Checks an integration's own `http_config` where Alertmanager gives it no global one (Webex).
    pub(crate) fn checked_http_config(&mut self, path: &str, http: HttpConfig) -> HttpConfig {
        self.http_config(path, http)
    }

    pub(super) fn http_config(&mut self, path: &str, mut http: HttpConfig) -> HttpConfig {
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
}
