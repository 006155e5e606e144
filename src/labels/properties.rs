//! Property tests: whatever the names and values, matchers and label sets survive their round trips.

use proptest::prelude::*;

use super::{LabelSet, MatchType, Matcher, fingerprint, parse_matcher};

/// Valid label names (Prometheus' `[a-zA-Z_][a-zA-Z0-9_]*`).
fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_]{0,20}"
}

/// Any value: quotes, backslashes, line breaks, braces, commas, non-ASCII.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![".{0,30}", "[\"\\\\\n\t{},=~!a-z ]{0,20}", "\\PC{0,10}"]
}

proptest! {
    #[test]
    fn an_equality_matcher_prints_as_text_that_parses_back_to_it(name in name(), value in value(), equal in any::<bool>()) {
        let kind = if equal { MatchType::Equal } else { MatchType::NotEqual };
        let matcher = Matcher::new(kind, &name, &value).expect("equality matchers always build");
        let parsed = parse_matcher(&matcher.to_string()).expect("the printed form parses");
        prop_assert_eq!(parsed.name(), name.as_str());
        prop_assert_eq!(parsed.value(), value.as_str());
        prop_assert_eq!(parsed.kind(), kind);
    }

    #[test]
    fn a_regex_matcher_of_an_escaped_literal_matches_exactly_that_literal(name in name(), literal in "[a-zA-Z0-9 .*+?()|]{0,12}") {
        let pattern = regex::escape(&literal);
        let matcher = Matcher::new(MatchType::Regex, &name, &pattern).expect("an escaped literal compiles");
        let parsed = parse_matcher(&matcher.to_string()).expect("the printed form parses");
        prop_assert_eq!(parsed.value(), pattern.as_str());
        let labels = LabelSet::from_iter([(name.clone(), literal.clone())]);
        prop_assert!(literal.is_empty() || parsed.matches(&labels));
    }

    #[test]
    fn a_label_set_survives_json_and_its_fingerprint_ignores_order(
        pairs in proptest::collection::vec((name(), value()), 0..12)
    ) {
        let set: LabelSet = pairs.iter().cloned().collect();
        let json = serde_json::to_string(&set).expect("serializes");
        let back: LabelSet = serde_json::from_str(&json).expect("deserializes");
        prop_assert_eq!(&back, &set);
        let reversed: LabelSet = pairs.iter().rev().cloned().collect();
        // The last value of a repeated name wins, so only sets without repeats are the same both ways.
        let names: std::collections::HashSet<&String> = pairs.iter().map(|(n, _)| n).collect();
        if names.len() == pairs.len() {
            prop_assert_eq!(fingerprint(&reversed), fingerprint(&set));
        }
    }
}
