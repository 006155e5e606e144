//! The matcher grammar of Alertmanager 0.25: `{a="1", b=~"x|y"}`, quoted values with escapes, commas
//! inside quotes, an optional trailing comma.

use std::sync::LazyLock;

use regex::Regex;

use super::matcher::{MatchType, Matcher, MatcherError};

/// `name op value`, with optional blanks around each part; the value is the rest, trimmed. Blanks are Go's
/// ASCII `\s` (`[\t\n\f\r ]`), not Unicode spaces.
static MATCHER_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\t\n\f\r ]*([a-zA-Z_:][a-zA-Z0-9_:]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*((?s).*?)[\t\n\f\r ]*$")
        .expect("constant regex is valid")
});

/// Parses a string holding any number of comma-separated matchers, optionally wrapped in braces.
pub(crate) fn parse_matchers(text: &str) -> Result<Vec<Matcher>, MatcherError> {
    let text = text.strip_prefix('{').unwrap_or(text);
    let text = text.strip_suffix('}').unwrap_or(text);
    split_outside_quotes(text).iter().map(|token| parse_matcher(token)).collect()
}

/// Splits on commas that are not inside double quotes; a blank last token (trailing comma) is dropped.
fn split_outside_quotes(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut token = String::new();
    let (mut inside_quotes, mut escaped) = (false, false);
    for c in text.chars() {
        match c {
            ',' if !inside_quotes => {
                tokens.push(std::mem::take(&mut token));
                continue;
            }
            ',' => {}
            '"' if escaped => escaped = false,
            '"' => inside_quotes = !inside_quotes,
            '\\' => escaped = !escaped,
            _ => escaped = false,
        }
        token.push(c);
    }
    let last = token.trim();
    if !last.is_empty() {
        tokens.push(last.to_string());
    }
    tokens
}

/// Parses exactly one matcher such as `severity = "critical"` or `job=~api.*`.
pub(crate) fn parse_matcher(text: &str) -> Result<Matcher, MatcherError> {
    let caps = MATCHER_RE.captures(text).ok_or_else(|| MatcherError::BadFormat(text.to_string()))?;
    let (name, op, raw) = (&caps[1], &caps[2], &caps[3]);
    let kind = MatchType::from_operator(op).expect("the regex only captures known operators");
    let value = unescape_value(raw)?;
    Matcher::new(kind, name, value)
}

/// Strips one pair of surrounding quotes and resolves `\"`, `\\` and `\n`; other backslashes stay literal.
fn unescape_value(raw: &str) -> Result<String, MatcherError> {
    let (body, mut expect_closing_quote) = match raw.strip_prefix('"') {
        Some(rest) => (rest, true),
        None => (raw, false),
    };
    let mut value = String::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let is_last = chars.peek().is_none();
        match c {
            '\\' if is_last => value.push('\\'),
            '\\' => {
                let (_, next) = chars.next().expect("not the last character");
                match next {
                    'n' => value.push('\n'),
                    '"' | '\\' => value.push(next),
                    other => {
                        value.push('\\');
                        value.push(other);
                    }
                }
            }
            '"' if expect_closing_quote && i + c.len_utf8() == body.len() => expect_closing_quote = false,
            '"' => return Err(MatcherError::UnescapedQuote(raw.to_string())),
            c => value.push(c),
        }
    }
    if expect_closing_quote {
        return Err(MatcherError::UnescapedQuote(raw.to_string()));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> (String, MatchType, String) {
        let m = parse_matcher(text).unwrap_or_else(|err| panic!("{text}: {err}"));
        (m.name().to_string(), m.kind(), m.value().to_string())
    }

    #[test]
    fn each_operator_parses() {
        assert_eq!(one("a=b"), ("a".into(), MatchType::Equal, "b".into()));
        assert_eq!(one("a!=b"), ("a".into(), MatchType::NotEqual, "b".into()));
        assert_eq!(one("a=~b"), ("a".into(), MatchType::Regex, "b".into()));
        assert_eq!(one("a!~b"), ("a".into(), MatchType::NotRegex, "b".into()));
    }

    #[test]
    fn blanks_around_tokens_are_ignored_but_inner_ones_kept() {
        assert_eq!(one("  team =  my team "), ("team".into(), MatchType::Equal, "my team".into()));
        assert_eq!(one("job:rate = \"x\""), ("job:rate".into(), MatchType::Equal, "x".into()));
    }

    #[test]
    fn only_ascii_blanks_are_trimmed() {
        assert_eq!(one("a=\u{2003}x").2, "\u{2003}x");
        assert!(parse_matcher("a\u{a0}=x").is_err());
    }

    #[test]
    fn quoted_values_unescape() {
        assert_eq!(one(r#"a="say \"hi\"""#).2, r#"say "hi""#);
        assert_eq!(one(r#"a="back\\slash""#).2, r"back\slash");
        assert_eq!(one(r#"a="line\nbreak""#).2, "line\nbreak");
        assert_eq!(one(r#"a="keep\d""#).2, r"keep\d");
        assert_eq!(one(r"a=trailing\"), ("a".into(), MatchType::Equal, r"trailing\".into()));
        assert_eq!(one(r#"a="""#).2, "");
        assert_eq!(one("a=").2, "");
    }

    #[test]
    fn unescaped_quotes_are_errors() {
        for text in [r#"a="x"y""#, r#"a="open"#, r#"a=x"y"#] {
            assert!(
                matches!(parse_matcher(text), Err(MatcherError::UnescapedQuote(_))),
                "{text}: {:?}",
                parse_matcher(text)
            );
        }
    }

    #[test]
    fn malformed_matchers_are_errors() {
        for text in ["", "a", "=b", "0a=b", "a-b=c", "a~=b"] {
            let err = parse_matcher(text).expect_err(text);
            assert!(matches!(err, MatcherError::BadFormat(_) | MatcherError::UnescapedQuote(_)), "{text}: {err}");
        }
        assert_eq!(parse_matcher("a").expect_err("no op").to_string(), "bad matcher format: a");
    }

    #[test]
    fn several_matchers_split_on_commas_outside_quotes() {
        let list = parse_matchers(r#"{alertname="Disk", msg="a, b", sev=~"warn|crit",}"#).expect("valid list");
        let parsed: Vec<_> = list.iter().map(|m| (m.name(), m.value())).collect();
        assert_eq!(parsed, vec![("alertname", "Disk"), ("msg", "a, b"), ("sev", "warn|crit")]);
        assert!(parse_matchers("{}").expect("empty braces").is_empty());
        assert!(parse_matchers("a=b,,c=d").is_err());
    }

    #[test]
    fn a_doubled_equals_sign_belongs_to_the_value() {
        assert_eq!(one("a==b"), ("a".into(), MatchType::Equal, "=b".into()));
    }

    #[test]
    fn a_regex_that_does_not_compile_is_an_error() {
        assert!(matches!(parse_matcher("a=~(x"), Err(MatcherError::BadRegex { .. })));
    }
}
