//! Parses split Go template source into a tree of nodes.

use std::collections::BTreeMap;

use super::lex::{Piece, Token};

/// A node of a template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// Literal text.
    Text(String),
    /// `{{ pipeline }}`: print its value.
    Print(Pipeline),
    /// `{{ if }}`, with `else if` branches and an optional `else`.
    If { branches: Vec<(Pipeline, Vec<Node>)>, otherwise: Option<Vec<Node>> },
    /// `{{ range [$i,] [$e :=] pipeline }}`.
    Range { variables: Vec<String>, pipeline: Pipeline, body: Vec<Node>, otherwise: Option<Vec<Node>> },
    /// `{{ with pipeline }}`.
    With { pipeline: Pipeline, body: Vec<Node>, otherwise: Option<Vec<Node>> },
    /// `{{ template "name" [pipeline] }}`.
    Template { name: String, pipeline: Option<Pipeline> },
}

/// Commands joined by `|`; each command's value is passed as the last argument of the next.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pipeline {
    /// The commands, at least one.
    pub commands: Vec<Command>,
}

/// One command: an operand, or a function (or method) with arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Command {
    /// The operand or function, then its arguments.
    pub args: Vec<Operand>,
}

/// An operand.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// `.`
    Dot,
    /// `.A.B`
    Field(Vec<String>),
    /// `$x.A.B` (`$` is the root).
    Variable(String, Vec<String>),
    /// A function name.
    Function(String),
    /// A string literal.
    Str(String),
    /// A number literal.
    Number(String),
    /// `true` or `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// `( pipeline )` with an optional field chain after it.
    Group(Box<Pipeline>, Vec<String>),
}

/// A parsed template file: its main body and the templates it `define`s.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// Nodes outside any `define`.
    pub body: Vec<Node>,
    /// `{{ define "name" }}` blocks.
    pub defines: BTreeMap<String, Vec<Node>>,
}

/// Parses template source.
pub(crate) fn parse(source: &str) -> Result<Parsed, String> {
    let pieces = super::lex::split(source)?;
    let mut parser = Parser { pieces, at: 0, defines: BTreeMap::new(), pending_else_if: None };
    let (body, end) = parser.nodes(true)?;
    if let Some(end) = end {
        return Err(format!("unexpected {{{{{end}}}}}"));
    }
    Ok(Parsed { body, defines: parser.defines })
}

struct Parser {
    pieces: Vec<Piece>,
    at: usize,
    defines: BTreeMap<String, Vec<Node>>,
    /// The condition of an `else if` just read, for the `if` being parsed.
    pending_else_if: Option<Pipeline>,
}

/// How a list of nodes ended.
type Ending = Option<String>;

impl Parser {
    /// Reads nodes until `end`, `else` (returned as the ending, with `else if` as `else if`) or the end.
    fn nodes(&mut self, top_level: bool) -> Result<(Vec<Node>, Ending), String> {
        let mut nodes = Vec::new();
        while self.at < self.pieces.len() {
            let piece = self.pieces[self.at].clone();
            self.at += 1;
            let tokens = match piece {
                Piece::Text(text) => {
                    nodes.push(Node::Text(text));
                    continue;
                }
                Piece::Action(tokens) => tokens,
            };
            let Some(Token::Ident(keyword)) = tokens.first() else {
                nodes.push(Node::Print(pipeline(&tokens)?));
                continue;
            };
            let rest = &tokens[1..];
            match keyword.as_str() {
                "end" => return Ok((nodes, Some("end".into()))),
                "else" => {
                    if let Some(Token::Ident(word)) = rest.first()
                        && word == "if"
                    {
                        self.pending_else_if = Some(pipeline(&rest[1..])?);
                        return Ok((nodes, Some("else if".into())));
                    }
                    if !rest.is_empty() {
                        return Err("unexpected tokens after else".into());
                    }
                    return Ok((nodes, Some("else".into())));
                }
                "if" => nodes.push(self.if_node(pipeline(rest)?)?),
                "range" => {
                    let (variables, pipeline) = declaration(rest)?;
                    let (body, otherwise) = self.block("range")?;
                    nodes.push(Node::Range { variables, pipeline, body, otherwise });
                }
                "with" => {
                    let (variables, pipeline) = declaration(rest)?;
                    if !variables.is_empty() {
                        return Err("variables in with are not supported".into());
                    }
                    let (body, otherwise) = self.block("with")?;
                    nodes.push(Node::With { pipeline, body, otherwise });
                }
                "template" => {
                    let Some(Token::Str(name)) = rest.first() else {
                        return Err("template needs a quoted name".into());
                    };
                    let pipeline = if rest.len() > 1 { Some(pipeline(&rest[1..])?) } else { None };
                    nodes.push(Node::Template { name: name.clone(), pipeline });
                }
                "define" => {
                    if !top_level {
                        return Err("define is only allowed at the top level".into());
                    }
                    let [Token::Str(name)] = rest else { return Err("define needs a quoted name".into()) };
                    let (body, end) = self.nodes(false)?;
                    if end.as_deref() != Some("end") {
                        return Err(format!("define {name:?} has no end"));
                    }
                    self.defines.insert(name.clone(), body);
                }
                "block" | "break" | "continue" => return Err(format!("{keyword} is not supported by Herald")),
                _ => nodes.push(Node::Print(pipeline(&tokens)?)),
            }
        }
        Ok((nodes, None))
    }
}

impl Parser {
    fn if_node(&mut self, first: Pipeline) -> Result<Node, String> {
        let mut branches = Vec::new();
        let mut condition = first;
        loop {
            let (body, end) = self.nodes(false)?;
            branches.push((condition, body));
            match end.as_deref() {
                Some("end") => return Ok(Node::If { branches, otherwise: None }),
                Some("else") => {
                    let (otherwise, end) = self.nodes(false)?;
                    if end.as_deref() != Some("end") {
                        return Err("if: else without end".into());
                    }
                    return Ok(Node::If { branches, otherwise: Some(otherwise) });
                }
                Some("else if") => {
                    condition = self.pending_else_if.take().ok_or("else if without condition")?;
                }
                _ => return Err("if without end".into()),
            }
        }
    }

    fn block(&mut self, what: &str) -> Result<(Vec<Node>, Option<Vec<Node>>), String> {
        let (body, end) = self.nodes(false)?;
        match end.as_deref() {
            Some("end") => Ok((body, None)),
            Some("else") => {
                let (otherwise, end) = self.nodes(false)?;
                if end.as_deref() != Some("end") {
                    return Err(format!("{what}: else without end"));
                }
                Ok((body, Some(otherwise)))
            }
            _ => Err(format!("{what} without end")),
        }
    }
}

/// `$a, $b := pipeline` or just `pipeline`.
fn declaration(tokens: &[Token]) -> Result<(Vec<String>, Pipeline), String> {
    if let Some(assign) = tokens.iter().position(|t| *t == Token::Assign) {
        let mut variables = Vec::new();
        for token in &tokens[..assign] {
            match token {
                Token::Variable(name, fields) if fields.is_empty() => variables.push(name.clone()),
                Token::Comma => {}
                _ => return Err("bad variable declaration".into()),
            }
        }
        return Ok((variables, pipeline(&tokens[assign + 1..])?));
    }
    Ok((Vec::new(), pipeline(tokens)?))
}

/// Parses `cmd | cmd | ...`.
fn pipeline(tokens: &[Token]) -> Result<Pipeline, String> {
    if tokens.contains(&Token::Assign) {
        return Err("variable assignment is not supported by Herald".into());
    }
    let mut commands = Vec::new();
    let mut args = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Pipe => {
                if args.is_empty() {
                    return Err("missing command before |".into());
                }
                commands.push(Command { args: std::mem::take(&mut args) });
                i += 1;
            }
            Token::Open => {
                let close = matching_close(tokens, i)?;
                let inner = pipeline(&tokens[i + 1..close])?;
                i = close + 1;
                let fields = match tokens.get(i) {
                    Some(Token::Field(fields)) => {
                        i += 1;
                        fields.clone()
                    }
                    _ => Vec::new(),
                };
                args.push(Operand::Group(Box::new(inner), fields));
            }
            token => {
                args.push(operand(token)?);
                i += 1;
            }
        }
    }
    if args.is_empty() {
        return Err("missing value".into());
    }
    commands.push(Command { args });
    Ok(Pipeline { commands })
}

fn matching_close(tokens: &[Token], open: usize) -> Result<usize, String> {
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Open => depth += 1,
            Token::Close => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => {}
        }
    }
    Err("unclosed left paren".into())
}

fn operand(token: &Token) -> Result<Operand, String> {
    Ok(match token {
        Token::Dot => Operand::Dot,
        Token::Field(fields) => Operand::Field(fields.clone()),
        Token::Variable(name, fields) => Operand::Variable(name.clone(), fields.clone()),
        Token::Ident(name) if name == "true" => Operand::Bool(true),
        Token::Ident(name) if name == "false" => Operand::Bool(false),
        Token::Ident(name) if name == "nil" => Operand::Nil,
        Token::Ident(name) => Operand::Function(name.clone()),
        Token::Str(value) => Operand::Str(value.clone()),
        Token::Number(value) => Operand::Number(value.clone()),
        Token::Close => return Err("unexpected right paren".into()),
        other => return Err(format!("unexpected {other:?}")),
    })
}
