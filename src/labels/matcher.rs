//! One label matcher (`name=value`, `!=`, `=~`, `!~`) and sorted lists of them.

use std::fmt;

use regex::Regex;

use super::{LabelSet, SharedStr};

/// The four matcher operators, in Alertmanager's sort order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum MatchType {
    /// `=`: the value equals.
    Equal,
    /// `!=`: the value differs.
    NotEqual,
    /// `=~`: the value matches the fully anchored regex.
    Regex,
    /// `!~`: the value does not match the fully anchored regex.
    NotRegex,
}

impl MatchType {
    /// The operator as written in a matcher string.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MatchType::Equal => "=",
            MatchType::NotEqual => "!=",
            MatchType::Regex => "=~",
            MatchType::NotRegex => "!~",
        }
    }

    /// Parses an operator token.
    pub(crate) fn from_operator(op: &str) -> Option<Self> {
        match op {
            "=" => Some(MatchType::Equal),
            "!=" => Some(MatchType::NotEqual),
            "=~" => Some(MatchType::Regex),
            "!~" => Some(MatchType::NotRegex),
            _ => None,
        }
    }
}

/// Why a matcher could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MatcherError {
    /// The text is not `name<op>value`.
    #[error("bad matcher format: {0}")]
    BadFormat(String),
    /// A quote in the value is neither escaped nor the closing one.
    #[error("matcher value contains unescaped double quote: {0}")]
    UnescapedQuote(String),
    /// The regex does not compile.
    #[error("invalid regular expression {pattern:?}: {reason}")]
    BadRegex {
        /// The pattern as written.
        pattern: String,
        /// The regex engine's explanation, on one line.
        reason: String,
    },
}

/// A label matcher. Regexes are anchored at both ends, and an absent label matches as the empty string.
#[derive(Clone, Debug)]
pub(crate) struct Matcher {
    name: String,
    value: String,
    kind: MatchType,
    regex: Option<Regex>,
}

impl Matcher {
    /// Builds a matcher, compiling `value` as an anchored regex for `=~` and `!~`.
    pub(crate) fn new(
        kind: MatchType,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, MatcherError> {
        let (name, value) = (name.into(), value.into());
        let regex = match kind {
            MatchType::Regex | MatchType::NotRegex => Some(compile_anchored(&value)?),
            MatchType::Equal | MatchType::NotEqual => None,
        };
        Ok(Matcher { name, value, kind, regex })
    }

    /// The label name this matcher looks at.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The value or pattern, unescaped.
    pub(crate) fn value(&self) -> &str {
        &self.value
    }

    /// The operator.
    pub(crate) fn kind(&self) -> MatchType {
        self.kind
    }

    /// Whether a single label value (`""` for an absent label) satisfies this matcher.
    pub(crate) fn matches_value(&self, value: &str) -> bool {
        match (&self.kind, &self.regex) {
            (MatchType::Equal, _) => value == self.value,
            (MatchType::NotEqual, _) => value != self.value,
            (MatchType::Regex, Some(re)) => re.is_match(value),
            (MatchType::NotRegex, Some(re)) => !re.is_match(value),
            (MatchType::Regex | MatchType::NotRegex, None) => unreachable!("regex matchers are built with a regex"),
        }
    }

    /// Whether the label set satisfies this matcher.
    pub(crate) fn matches(&self, labels: &LabelSet) -> bool {
        self.matches_value(labels.get(&self.name).map_or("", SharedStr::as_str))
    }
}

/// Compiles `pattern` the way Alertmanager does: as `^(?:pattern)$`, in Go's RE2 dialect.
pub(crate) fn compile_anchored(pattern: &str) -> Result<Regex, MatcherError> {
    Regex::new(&format!("^(?:{})$", super::go_regex::translate(pattern)))
        .map_err(|err| MatcherError::BadRegex { pattern: pattern.to_string(), reason: one_line(&err.to_string()) })
}

/// The regex crate explains errors over several lines with a caret diagram; keep only the verdict.
fn one_line(message: &str) -> String {
    message
        .lines()
        .rev()
        .find(|line| line.trim_start().starts_with("error:"))
        .map(|line| line.trim_start().trim_start_matches("error:").trim().to_string())
        .unwrap_or_else(|| message.lines().last().unwrap_or_default().trim().to_string())
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.name == other.name && self.value == other.value
    }
}

impl Eq for Matcher {}

impl PartialOrd for Matcher {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Matcher {
    /// Alertmanager's order: by name, then value, then operator.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (&self.name, &self.value, self.kind).cmp(&(&other.name, &other.value, other.kind))
    }
}

impl fmt::Display for Matcher {
    /// The canonical form `name<op>"value"`, with `\`, `"` and newlines escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}\"", self.name, self.kind.as_str())?;
        for c in self.value.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '\n' => f.write_str("\\n")?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("\"")
    }
}

/// A list of matchers that all have to hold, kept in Alertmanager's canonical order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Matchers(Vec<Matcher>);

impl Matchers {
    /// Sorts the matchers into canonical order.
    pub(crate) fn new(mut matchers: Vec<Matcher>) -> Self {
        matchers.sort();
        Matchers(matchers)
    }

    /// Whether every matcher holds for the label set (true for an empty list).
    pub(crate) fn matches(&self, labels: &LabelSet) -> bool {
        self.0.iter().all(|m| m.matches(labels))
    }

    /// Whether there are no matchers.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The matchers, in canonical order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Matcher> {
        self.0.iter()
    }
}

impl fmt::Display for Matchers {
    /// `{a="1",b=~"x"}`, as used in route keys and group keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, m) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{m}")?;
        }
        f.write_str("}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn m(kind: MatchType, name: &str, value: &str) -> Matcher {
        Matcher::new(kind, name, value).expect("valid matcher")
    }

    #[test]
    fn a_missing_label_matches_as_the_empty_string() {
        let none = LabelSet::new();
        assert!(m(MatchType::Equal, "foo", "").matches(&none));
        assert!(m(MatchType::NotEqual, "foo", "bar").matches(&none));
        assert!(!m(MatchType::NotEqual, "foo", "").matches(&none));
        assert!(m(MatchType::Regex, "foo", ".*").matches(&none));
        assert!(!m(MatchType::Regex, "foo", ".+").matches(&none));
        assert!(m(MatchType::NotEqual, "foo", "").matches(&labels(&[("foo", "x")])));
    }

    #[test]
    fn regexes_are_anchored_at_both_ends() {
        let alt = m(MatchType::Regex, "a", "a|b");
        assert!(alt.matches_value("a") && alt.matches_value("b"));
        assert!(!alt.matches_value("ab"));
        let prefix = m(MatchType::Regex, "host", "node.*");
        assert!(prefix.matches_value("node-1"));
        assert!(!prefix.matches_value("my-node"));
        assert!(m(MatchType::NotRegex, "a", "x").matches_value("xx"));
        assert!(m(MatchType::Regex, "a", "(?i)abc").matches_value("ABC"));
    }

    #[test]
    fn bad_regexes_are_rejected_with_a_one_line_reason() {
        let err = Matcher::new(MatchType::Regex, "a", "(").expect_err("unclosed group");
        let text = err.to_string();
        assert!(text.starts_with("invalid regular expression \"(\": "), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }

    #[test]
    fn canonical_form_escapes_and_sorts() {
        let list = Matchers::new(vec![
            m(MatchType::Regex, "b", "x"),
            m(MatchType::Equal, "a", "say \"hi\"\\\n"),
            m(MatchType::NotEqual, "a", "say \"hi\"\\\n"),
        ]);
        assert_eq!(list.to_string(), r#"{a="say \"hi\"\\\n",a!="say \"hi\"\\\n",b=~"x"}"#);
        assert_eq!(Matchers::default().to_string(), "{}");
    }
}
