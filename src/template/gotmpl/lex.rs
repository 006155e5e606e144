//! Splits Go `text/template` source into text and actions, and an action into tokens, each with its line.

/// A piece of template source.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Piece {
    /// Literal text (trim markers already applied).
    Text(String),
    /// The inside of `{{ ... }}`, as tokens, with the line it starts on.
    Action(usize, Vec<Token>),
}

/// A token inside an action.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    /// `.`
    Dot,
    /// `.A.B` (the names after the dots).
    Field(Vec<String>),
    /// `$` or `$x` (the name with its `$`), with any `.A.B` after it.
    Variable(String, Vec<String>),
    /// A function name or keyword.
    Ident(String),
    /// A string literal, unquoted.
    Str(String),
    /// A character constant (`'a'`), which Go treats as a number.
    Char(char),
    /// A number literal, as written.
    Number(String),
    /// `(`
    Open,
    /// `)`, with any `.A.B` right after it.
    Close(Vec<String>),
    /// `|`
    Pipe,
    /// `:=`
    Declare,
    /// `=`
    Assign,
    /// `,`
    Comma,
}

/// Deepest nesting of parentheses or control structures: far beyond any real template, and low enough
/// that parsing and running a hostile one cannot exhaust the stack.
pub(super) const MAX_NESTING: usize = 100;

/// Characters Go's trim markers remove.
const SPACE: [char; 4] = [' ', '\t', '\r', '\n'];

/// Splits `source` into text and actions, applying `{{-` and `-}}` trimming and dropping comments.
pub(super) fn split(source: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut rest = source;
    let mut line = 1;
    let mut trim_next_text = false;
    while let Some(start) = rest.find("{{") {
        let mut text = &rest[..start];
        line += text.matches('\n').count();
        if trim_next_text {
            text = text.trim_start_matches(SPACE);
        }
        let after_open = &rest[start + 2..];
        let trim_left = after_open.starts_with('-') && after_open[1..].starts_with(SPACE);
        if trim_left {
            text = text.trim_end_matches(SPACE);
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text.to_string()));
        }
        let inner = if trim_left { &after_open[2..] } else { after_open };
        let action_line = line;
        // A comment starts right after the delimiter and its trim marker, and runs to `*/`: it may contain
        // `}}`.
        if let Some(body) = inner.strip_prefix("/*") {
            let end = body.find("*/").ok_or_else(|| format!("line {action_line}: unclosed comment"))?;
            let after = &body[end + 2..];
            let (consumed, trim_right) = if let Some(after) = after.strip_prefix("}}") {
                (after, false)
            } else if after.starts_with(SPACE) && after[1..].starts_with("-}}") {
                (&after[4..], true)
            } else {
                return Err(format!("line {action_line}: comment ends before closing delimiter"));
            };
            line += body[..end].matches('\n').count();
            rest = consumed;
            trim_next_text = trim_right;
            continue;
        }
        let (tokens, length, trim_right) = tokens(inner, action_line)?;
        line += inner[..length].matches('\n').count();
        pieces.push(Piece::Action(action_line, tokens));
        rest = &inner[length..];
        trim_next_text = trim_right;
    }
    let text = if trim_next_text { rest.trim_start_matches(SPACE) } else { rest };
    if !text.is_empty() {
        pieces.push(Piece::Text(text.to_string()));
    }
    Ok(pieces)
}

/// Reads the tokens of an action up to its `}}`: the tokens, how many bytes it took (the delimiter
/// included) and whether it ended with the `-}}` trim marker.
fn tokens(source: &str, line: usize) -> Result<(Vec<Token>, usize, bool), String> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut at = 0;
    let mut depth = 0usize;
    let error = |message: String| Err(format!("line {line}: {message}"));
    loop {
        let Some(&byte) = bytes.get(at) else { return error("unclosed action".into()) };
        match byte {
            b' ' | b'\t' | b'\r' | b'\n' => {
                if source[at..].trim_start_matches(SPACE).starts_with("-}}") && depth == 0 {
                    let end = at + source[at..].find("-}}").unwrap_or(0);
                    return Ok((tokens, end + 3, true));
                }
                at += 1;
            }
            b'}' if source[at..].starts_with("}}") => {
                if depth > 0 {
                    return error("unclosed left paren".into());
                }
                return Ok((tokens, at + 2, false));
            }
            b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return error(format!("parentheses nested deeper than {MAX_NESTING}"));
                }
                tokens.push(Token::Open);
                at += 1;
            }
            b')' => {
                if depth == 0 {
                    return error("unexpected right paren".into());
                }
                depth -= 1;
                at += 1;
                let (fields, length) = field_chain(&source[at..]);
                tokens.push(Token::Close(fields));
                at += length;
            }
            b'|' => {
                tokens.push(Token::Pipe);
                at += 1;
            }
            b',' => {
                tokens.push(Token::Comma);
                at += 1;
            }
            b':' if source[at..].starts_with(":=") => {
                tokens.push(Token::Declare);
                at += 2;
            }
            b'=' => {
                tokens.push(Token::Assign);
                at += 1;
            }
            b'"' => {
                let (text, length) = quoted(&source[at..]).map_err(|err| format!("line {line}: {err}"))?;
                tokens.push(Token::Str(text));
                at += length;
            }
            b'`' => {
                let end =
                    source[at + 1..].find('`').ok_or_else(|| format!("line {line}: unterminated raw quoted string"))?;
                tokens.push(Token::Str(source[at + 1..at + 1 + end].to_string()));
                at += end + 2;
            }
            b'\'' => {
                let (value, length) = char_constant(&source[at..]).map_err(|err| format!("line {line}: {err}"))?;
                tokens.push(Token::Char(value));
                at += length;
            }
            b'.' if !bytes.get(at + 1).is_some_and(u8::is_ascii_digit) => {
                let (fields, length) = field_chain(&source[at..]);
                tokens.push(if fields.is_empty() { Token::Dot } else { Token::Field(fields) });
                at += length.max(1);
            }
            b'$' => {
                let name_length = source[at + 1..].find(|c: char| !is_ident_char(c)).unwrap_or(source.len() - at - 1);
                let name = source[at..at + 1 + name_length].to_string();
                at += 1 + name_length;
                let (fields, length) = field_chain(&source[at..]);
                tokens.push(Token::Variable(name, fields));
                at += length;
            }
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                let length = source[at..]
                    .char_indices()
                    .skip(1)
                    .find(|&(i, c)| !number_char(&source[at..], i, c))
                    .map_or(source.len() - at, |(i, _)| i);
                let number = &source[at..at + length];
                if number == "-" || number == "+" {
                    return error(format!("bad character {:?}", byte as char));
                }
                tokens.push(Token::Number(number.to_string()));
                at += length;
            }
            _ => {
                let c = source[at..].chars().next().unwrap_or_default();
                if !(c.is_alphabetic() || c == '_') {
                    return error(format!("bad character {c:?}"));
                }
                let length = source[at..].find(|c: char| !is_ident_char(c)).unwrap_or(source.len() - at);
                tokens.push(Token::Ident(source[at..at + length].to_string()));
                at += length;
            }
        }
    }
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `c`, at byte `i` of a number starting at the start of `text`, continues the number.
fn number_char(text: &str, i: usize, c: char) -> bool {
    if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
        return true;
    }
    // A sign continues the number only right after an exponent letter (`1e-3`, `0x1p+2`).
    let previous = text[..i].chars().last().unwrap_or_default();
    let hex =
        text.trim_start_matches(['+', '-']).starts_with("0x") || text.trim_start_matches(['+', '-']).starts_with("0X");
    (c == '+' || c == '-') && (matches!(previous, 'e' | 'E') && !hex || matches!(previous, 'p' | 'P'))
}

/// The `.A.B` chain at the start of `text`: the names and the bytes they took.
fn field_chain(text: &str) -> (Vec<String>, usize) {
    let mut fields = Vec::new();
    let mut at = 0;
    while text[at..].starts_with('.') {
        let name_length = text[at + 1..].find(|c: char| !is_ident_char(c)).unwrap_or(text.len() - at - 1);
        if name_length == 0 {
            // A lone `.` ends the chain (it is the next token, or `.` itself when nothing came before).
            break;
        }
        fields.push(text[at + 1..at + 1 + name_length].to_string());
        at += 1 + name_length;
    }
    if fields.is_empty() && text.starts_with('.') {
        return (fields, 1);
    }
    (fields, at)
}

/// A Go interpreted string literal at the start of `text`: its value and length.
fn quoted(text: &str) -> Result<(String, usize), String> {
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((value, i + 1)),
            '\n' => break,
            '\\' => value.push(escape(&mut chars, '"')?),
            c => value.push(c),
        }
    }
    Err("unterminated quoted string".into())
}

/// A Go character constant at the start of `text`: its value and length.
fn char_constant(text: &str) -> Result<(char, usize), String> {
    let mut chars = text.char_indices().skip(1);
    let value = match chars.next() {
        Some((_, '\\')) => escape(&mut chars, '\'')?,
        Some((_, '\'')) | Some((_, '\n')) | None => return Err("malformed character constant".into()),
        Some((_, c)) => c,
    };
    match chars.next() {
        Some((i, '\'')) => Ok((value, i + 1)),
        _ => Err("malformed character constant".into()),
    }
}

/// The character an escape sequence (after its `\`) stands for.
fn escape(chars: &mut impl Iterator<Item = (usize, char)>, quote: char) -> Result<char, String> {
    let (_, c) = chars.next().ok_or("unterminated escape")?;
    let hex = |chars: &mut dyn Iterator<Item = (usize, char)>, digits: usize| -> Result<char, String> {
        let mut code = 0u32;
        for _ in 0..digits {
            let (_, d) = chars.next().ok_or("short escape")?;
            code = code * 16 + d.to_digit(16).ok_or_else(|| format!("invalid escape digit {d:?}"))?;
        }
        char::from_u32(code).ok_or_else(|| format!("invalid code point {code:x}"))
    };
    Ok(match c {
        'a' => '\u{7}',
        'b' => '\u{8}',
        'f' => '\u{c}',
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'v' => '\u{b}',
        '\\' => '\\',
        'x' => hex(chars, 2)?,
        'u' => hex(chars, 4)?,
        'U' => hex(chars, 8)?,
        '0'..='7' => {
            let mut code = c.to_digit(8).unwrap_or(0);
            for _ in 0..2 {
                let (_, d) = chars.next().ok_or("short octal escape")?;
                code = code * 8 + d.to_digit(8).ok_or_else(|| format!("invalid octal digit {d:?}"))?;
            }
            char::from_u32(code).ok_or("invalid octal escape")?
        }
        c if c == quote => quote,
        c => return Err(format!("unknown escape sequence \\{c}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actions(source: &str) -> Vec<Vec<Token>> {
        split(source)
            .expect("lexes")
            .into_iter()
            .filter_map(|piece| match piece {
                Piece::Action(_, tokens) => Some(tokens),
                Piece::Text(_) => None,
            })
            .collect()
    }

    #[test]
    fn trim_markers_remove_spaces_and_line_breaks_on_their_side_only() {
        let pieces = split("a  \n {{- .X -}} \n b {{ .Y }} c").expect("lexes");
        assert_eq!(pieces[0], Piece::Text("a".into()));
        assert_eq!(pieces[2], Piece::Text("b ".into()));
        assert_eq!(pieces[4], Piece::Text(" c".into()));
        // `{{-3}}` is the number -3, not a trim marker.
        assert_eq!(actions("{{-3}}"), vec![vec![Token::Number("-3".into())]]);
    }

    #[test]
    fn comments_may_hold_closing_delimiters_and_are_dropped() {
        let pieces = split("a {{/* x }} y */}} b {{- /* z */ -}} c").expect("lexes");
        assert_eq!(pieces, vec![Piece::Text("a ".into()), Piece::Text(" b".into()), Piece::Text("c".into())]);
        assert!(split("{{/* open").is_err());
        assert!(split("{{/* x */ .Y }}").is_err());
        assert!(split("{{ /* x */ }}").is_err(), "a space before the comment makes it code");
    }

    #[test]
    fn tokens_cover_go_syntax() {
        assert_eq!(
            actions(r#"{{ $x := (index .Alerts 0).Labels.severity | printf "%q\t" `raw` 'a' 0x1F 1e-3 }}"#)[0],
            vec![
                Token::Variable("$x".into(), vec![]),
                Token::Declare,
                Token::Open,
                Token::Ident("index".into()),
                Token::Field(vec!["Alerts".into()]),
                Token::Number("0".into()),
                Token::Close(vec!["Labels".into(), "severity".into()]),
                Token::Pipe,
                Token::Ident("printf".into()),
                Token::Str("%q\t".into()),
                Token::Str("raw".into()),
                Token::Char('a'),
                Token::Number("0x1F".into()),
                Token::Number("1e-3".into()),
            ]
        );
        assert_eq!(actions("{{ range $i, $e := . }}")[0].len(), 6);
        assert_eq!(actions("{{ $.Receiver }}")[0], vec![Token::Variable("$".into(), vec!["Receiver".into()])]);
        assert!(split("{{ .X ").is_err());
        assert!(split("{{ \"open }}").is_err());
        assert!(split("{{ (.X }}").is_err());
    }

    #[test]
    fn hostile_nesting_is_refused_not_followed() {
        let deep = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
        assert!(split(&deep).expect_err("refused").contains("nested deeper"));
        let ifs = format!("{}{}", "{{ if 1 }}".repeat(5000), "{{ end }}".repeat(5000));
        let parsed = super::super::parse(&ifs);
        assert!(parsed.expect_err("refused").contains("nested deeper"));
    }

    #[test]
    fn lines_are_counted_across_text_actions_and_comments() {
        let pieces = split("a\n{{/* \n */}}\n{{ .X }}").expect("lexes");
        assert!(matches!(&pieces[2], Piece::Action(4, _)), "{pieces:?}");
    }
}
