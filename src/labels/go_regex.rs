//! Go's RE2 dialect on top of Rust's `regex` crate. The two agree on almost everything; where they differ
//! on text users put in configs, the pattern is rewritten so it means what it means in Alertmanager:
//! - `\d \w \s \b` (and their negations) are ASCII-only in Go, Unicode-aware in Rust;
//! - inside a bracket class, Go takes `[` (unless it starts `[:name:]`), `&` and `~` literally, where Rust
//!   reads nested classes and set operations;
//! - Go reads `\<` and `\>` as the literal characters, Rust as word-boundary assertions.

const DIGIT: &str = "0-9";
const WORD: &str = "0-9A-Za-z_";
const SPACE: &str = r"\t\n\f\r ";

/// Rewrites a Go RE2 pattern into an equivalent Rust `regex` pattern.
pub(crate) fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let at_class_start = std::mem::take(&mut class_start);
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                translate_escape(next, in_class, &mut out);
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                // A `]` right after the opening bracket is a literal in both dialects.
                if chars.peek() == Some(&']') {
                    out.push_str(r"\]");
                    chars.next();
                }
                class_start = true;
            }
            '[' if chars.peek() == Some(&':') => {
                // A POSIX class `[:alpha:]` inside a bracket class: copy it whole.
                out.push('[');
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == ']' {
                        break;
                    }
                }
            }
            '[' => out.push_str(r"\["),
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            ']' if in_class && !at_class_start => {
                in_class = false;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

fn translate_escape(escaped: char, in_class: bool, out: &mut String) {
    let class = |set: &str, negated: bool| {
        if in_class && !negated { set.to_string() } else { format!("[{}{set}]", if negated { "^" } else { "" }) }
    };
    match escaped {
        'd' => out.push_str(&class(DIGIT, false)),
        'D' => out.push_str(&class(DIGIT, true)),
        'w' => out.push_str(&class(WORD, false)),
        'W' => out.push_str(&class(WORD, true)),
        's' => out.push_str(&class(SPACE, false)),
        'S' => out.push_str(&class(SPACE, true)),
        'b' if !in_class => out.push_str(r"(?-u:\b)"),
        'B' if !in_class => out.push_str(r"(?-u:\B)"),
        '<' | '>' => out.push(escaped),
        other => {
            out.push('\\');
            out.push(other);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::matcher::compile_anchored;

    fn matches(pattern: &str, value: &str) -> bool {
        compile_anchored(pattern).unwrap_or_else(|err| panic!("{pattern}: {err}")).is_match(value)
    }

    #[test]
    fn perl_classes_are_ascii_only() {
        assert!(!matches(r"\d", "٣"));
        assert!(matches(r"\d", "7"));
        assert!(!matches(r"\w", "é"));
        assert!(matches(r"\W", "é"));
        assert!(!matches(r"\s", "\u{a0}"));
        assert!(matches(r"\S", "\u{a0}"));
        assert!(!matches(r"[\d]", "٣"));
        assert!(matches(r"[^\s]", "\u{a0}"));
        assert!(matches(r"[\w-]+", "a-b_c"));
        assert!(matches(r"[\D]", "x"));
        assert!(matches(r".\bx", "éx"), "é is not an ASCII word character");
    }

    #[test]
    fn bracket_classes_read_like_go() {
        assert!(matches("[[a]]", "a]"));
        assert!(!matches("[[a]]", "a"));
        assert!(matches("[a&&b]", "&"));
        assert!(matches("[a~~b]", "~"));
        assert!(matches("[]a]", "]"));
        assert!(matches("[^]a]", "b"));
        assert!(matches("[[:alpha:]]+", "abc"));
        assert!(matches(r"[\[\]]", "["));
    }

    #[test]
    fn angle_escapes_are_literal() {
        assert!(matches(r"\<x", "<x"));
        assert!(!matches(r"\<x", "x"));
        assert!(matches(r"x\>", "x>"));
    }

    #[test]
    fn ordinary_patterns_are_unchanged() {
        for pattern in ["api|web", "node-.*", "(?i)abc", r"a\.b", r"\p{Greek}+", "x{2,3}"] {
            assert_eq!(translate(pattern), pattern);
        }
    }
}
