//! Splits Go `text/template` source into text and actions, and an action into tokens.

/// A piece of template source.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Piece {
    /// Literal text (trim markers already applied).
    Text(String),
    /// The inside of `{{ ... }}`, as tokens.
    Action(Vec<Token>),
}

/// A token inside an action.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// `.`
    Dot,
    /// `.A.B` (the names after the dots).
    Field(Vec<String>),
    /// `$` or `$x`, with any `.A.B` after it.
    Variable(String, Vec<String>),
    /// A function name or keyword.
    Ident(String),
    /// A string literal, unquoted.
    Str(String),
    /// A number literal, as written.
    Number(String),
    /// `(`
    Open,
    /// `)`
    Close,
    /// `|`
    Pipe,
    /// `:=` or `=`
    Assign,
    /// `,`
    Comma,
}

/// Splits `source` into text and actions, applying `{{-` and `-}}` trimming and dropping comments.
pub(super) fn split(source: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = source;
    let mut trim_next_text = false;
    while let Some(start) = rest.find("{{") {
        let mut text = rest[..start].to_string();
        if trim_next_text {
            text = text.trim_start().to_string();
        }
        let after_open = &rest[start + 2..];
        let trim_left = after_open.starts_with("- ") || after_open.starts_with("-\t") || after_open.starts_with("-\n");
        if trim_left {
            text = text.trim_end().to_string();
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        let body_start = if trim_left { 2 } else { 0 };
        let end = find_action_end(after_open).ok_or_else(|| "unclosed action".to_string())?;
        let mut body = &after_open[body_start..end];
        let trim_right = body.ends_with(" -") || body.ends_with("\t-") || body.ends_with("\n-");
        if trim_right {
            body = &body[..body.len() - 1];
        }
        trim_next_text = trim_right;
        let trimmed = body.trim();
        if !(trimmed.starts_with("/*") && trimmed.ends_with("*/")) {
            pieces.push(Piece::Action(tokenize(body)?));
        }
        rest = &after_open[end + 2..];
    }
    let mut text = rest.to_string();
    if trim_next_text {
        text = text.trim_start().to_string();
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// The offset of the `}}` that closes an action, skipping `}}` inside string literals.
fn find_action_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' && q == b'"' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None if b == b'"' || b == b'`' => quote = Some(b),
            None if b == b'}' && bytes.get(i + 1) == Some(&b'}') => return Some(i),
            None => {}
        }
        i += 1;
    }
    None
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn tokenize(body: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = body.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let read_name = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && is_ident_char(chars[*i]) {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    let read_fields = |i: &mut usize| {
        let mut fields = Vec::new();
        while *i < chars.len() && chars[*i] == '.' && chars.get(*i + 1).is_some_and(|c| is_ident_char(*c)) {
            *i += 1;
            fields.push(read_name(i));
        }
        fields
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                i += 1;
                // A field chain may follow a parenthesised pipeline: `(index .Alerts 0).Labels`.
                let fields = read_fields(&mut i);
                tokens.push(Token::Close);
                if !fields.is_empty() {
                    tokens.push(Token::Field(fields));
                }
            }
            '|' => {
                tokens.push(Token::Pipe);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            ':' if chars.get(i + 1) == Some(&'=') => {
                tokens.push(Token::Assign);
                i += 2;
            }
            '=' => {
                tokens.push(Token::Assign);
                i += 1;
            }
            '.' => {
                let fields = read_fields(&mut i);
                if fields.is_empty() {
                    tokens.push(Token::Dot);
                    i += 1;
                } else {
                    tokens.push(Token::Field(fields));
                }
            }
            '$' => {
                i += 1;
                let name = read_name(&mut i);
                let fields = read_fields(&mut i);
                tokens.push(Token::Variable(name, fields));
            }
            '"' => {
                let mut value = String::new();
                i += 1;
                loop {
                    let Some(&c) = chars.get(i) else { return Err("unterminated quoted string".into()) };
                    i += 1;
                    match c {
                        '"' => break,
                        '\\' => {
                            let escaped = chars.get(i).copied().ok_or("unterminated quoted string")?;
                            i += 1;
                            value.push(match escaped {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                other => other,
                            });
                        }
                        c => value.push(c),
                    }
                }
                tokens.push(Token::Str(value));
            }
            '`' => {
                let start = i + 1;
                let end = chars[start..].iter().position(|c| *c == '`').ok_or("unterminated raw quoted string")?;
                tokens.push(Token::Str(chars[start..start + end].iter().collect()));
                i = start + end + 1;
            }
            c if c.is_ascii_digit() || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) => {
                let start = i;
                i += 1;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                    i += 1;
                }
                tokens.push(Token::Number(chars[start..i].iter().collect()));
            }
            c if is_ident_char(c) => {
                let name = read_name(&mut i);
                tokens.push(Token::Ident(name));
            }
            other => return Err(format!("unexpected {other:?} in action")),
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_actions_split_with_trimming() {
        let pieces = split("a  {{- .X -}}\n b{{/* note */}}c").expect("splits");
        assert_eq!(
            pieces,
            vec![
                Piece::Text("a".into()),
                Piece::Action(vec![Token::Field(vec!["X".into()])]),
                Piece::Text("b".into()),
                Piece::Text("c".into())
            ]
        );
    }

    #[test]
    fn actions_tokenize() {
        let pieces = split(r#"{{ range $i, $a := .Alerts.Firing }}{{ $a.Labels.x | printf "%s}}" }}"#).expect("splits");
        assert_eq!(
            pieces[0],
            Piece::Action(vec![
                Token::Ident("range".into()),
                Token::Variable("i".into(), vec![]),
                Token::Comma,
                Token::Variable("a".into(), vec![]),
                Token::Assign,
                Token::Field(vec!["Alerts".into(), "Firing".into()]),
            ])
        );
        assert_eq!(
            pieces[1],
            Piece::Action(vec![
                Token::Variable("a".into(), vec!["Labels".into(), "x".into()]),
                Token::Pipe,
                Token::Ident("printf".into()),
                Token::Str("%s}}".into()),
            ])
        );
    }

    #[test]
    fn unclosed_actions_are_errors() {
        assert!(split("{{ .X ").is_err());
        assert!(split(r#"{{ "abc }}"#).is_err());
    }
}
