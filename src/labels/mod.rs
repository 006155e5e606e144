//! Label sets and label matchers: the vocabulary shared by routing, silences and inhibition.

mod fingerprint;
mod format;
mod go_regex;
mod json;
mod matcher;
mod parse;
#[cfg(test)]
mod properties;
mod set;
mod shared_str;

pub use fingerprint::fingerprint;
pub(crate) use fingerprint::{Fingerprint, FingerprintHasher};
pub(crate) use format::{format_label_set, go_quote, is_go_printable, write_label_pairs};
pub(crate) use go_regex::translate as translate_go_regex;
pub(crate) use json::{write_json_key, write_json_labels, write_json_str, write_json_strs};
pub(crate) use matcher::{MatchType, Matcher, Matchers, compile_anchored};
pub(crate) use parse::{parse_matcher, parse_matchers};
pub use set::LabelSet;
pub(crate) use set::{deserialize_interned, deserialize_interned_names};
pub(crate) use shared_str::{SharedStr, prune_interned};

/// Whether `name` is a valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
pub(crate) fn is_valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_names_follow_the_prometheus_grammar() {
        for good in ["a", "_", "alertname", "A_1", "__name__"] {
            assert!(is_valid_label_name(good), "{good}");
        }
        for bad in ["", "0a", "team-name", "a:b", "a b", "é"] {
            assert!(!is_valid_label_name(bad), "{bad}");
        }
    }
}
