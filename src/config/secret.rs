//! Secrets from the config file (keys, tokens, passwords, webhook URLs): never printed, never logged.

use std::cell::Cell;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What the API and logs show instead of a secret, as Alertmanager does.
pub(crate) const REDACTED: &str = "<secret>";

/// A secret string. `Debug`, `Display` and `Serialize` all show [`REDACTED`]; only [`Secret::expose`] reveals it.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that has to send it.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Secret)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if EXPOSED.get() {
            return serializer.serialize_str(&self.0);
        }
        serializer.serialize_str(REDACTED)
    }
}

thread_local! {
    /// Set only inside [`exposing_secrets`].
    static EXPOSED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with secrets serialized as they are, not redacted: for the one comparison that needs the real
/// values at the places the redacted form shows `<secret>` (a config edited over the API keeps its keys).
/// The result must never be shown or logged.
pub(crate) fn exposing_secrets<T>(f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            EXPOSED.set(false);
        }
    }
    EXPOSED.set(true);
    let _reset = Reset;
    f()
}

/// A URL that is a credential as the API shows it: scheme and host kept, everything else `<secret>`. It stays
/// a valid URL, so that amtool 0.25, which parses the config `/api/v2/status` returns, still reads it.
pub(crate) fn redacted_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(url) if url.host_str().is_some() => {
            let port = url.port().map(|port| format!(":{port}")).unwrap_or_default();
            format!("{}://{}{port}/{REDACTED}", url.scheme(), url.host_str().unwrap_or_default())
        }
        _ => REDACTED.to_string(),
    }
}

/// Serializes a secret URL with [`redacted_url`].
pub(crate) fn serialize_redacted_url<S: Serializer>(url: &Option<Secret>, serializer: S) -> Result<S::Ok, S::Error> {
    match url {
        Some(secret) if EXPOSED.get() => serializer.serialize_some(secret.expose()),
        Some(secret) => serializer.serialize_some(&redacted_url(secret.expose())),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_url_keeps_only_its_scheme_and_host() {
        assert_eq!(redacted_url("https://hooks.example:8443/T0/B0/token?key=x"), "https://hooks.example:8443/<secret>");
        assert_eq!(redacted_url("http://user:pw@h/"), "http://h/<secret>");
        assert_eq!(redacted_url("not a url"), "<secret>");
    }

    #[test]
    fn secrets_never_show_in_debug_display_or_serialized_form() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?} {secret}"), "<secret> <secret>");
        assert_eq!(serde_yaml_ng::to_string(&secret).expect("serializes").trim(), "<secret>");
        assert_eq!(secret.expose(), "hunter2");
    }
}
