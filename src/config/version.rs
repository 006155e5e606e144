//! A config version: one config that was in force, with when, who and why, kept by the store so that any
//! earlier routing can be read, compared and brought back.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// One applied config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConfigVersion {
    /// Its number, from 1, in the order they were applied.
    pub number: u64,
    /// When it was applied.
    pub at: DateTime<Utc>,
    /// Who applied it (`file` for the file read at start-up or on reload).
    pub author: String,
    /// Why.
    pub comment: String,
    /// How it came: `file` (start-up, SIGHUP, `/-/reload`), `api` (a PUT), `rollback`.
    pub source: String,
    /// SHA-256 of `text`, hex.
    pub hash: String,
    /// The YAML, secrets included.
    pub text: String,
}

/// SHA-256 of a config's text, hex: its identity and its ETag.
pub(crate) fn hash_text(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}
