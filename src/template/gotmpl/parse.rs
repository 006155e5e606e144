//! Parses Go template source into a tree, as Go's `text/template/parse` does: actions, `if`/`else if`,
//! `range` (with `break` and `continue`), `with`/`else with`, `template`, `define`, `block`, variables
//! declared and assigned, pipelines with parenthesised commands.

use std::collections::BTreeMap;

use super::lex::{Piece, Token};

/// A node of a template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// Literal text.
    Text(String),
    /// `{{ pipeline }}`: prints its value unless it declares or assigns variables.
    Action(Line, Pipe),
    /// `{{ if }}`; `else if` is an `If` alone in `otherwise`.
    If(Branch),
    /// `{{ range }}`.
    Range(Branch),
    /// `{{ with }}`; `else with` is a `With` alone in `otherwise`.
    With(Branch),
    /// `{{ template "name" [pipeline] }}`.
    Template(Line, String, Option<Pipe>),
    /// `{{ break }}`
    Break(Line),
    /// `{{ continue }}`
    Continue(Line),
}

/// The line an action starts on, for error messages.
pub(crate) type Line = usize;

/// A control structure: its pipeline, body and `else` part.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Branch {
    /// Where it starts.
    pub line: Line,
    /// The condition (or what to range over, or the new dot).
    pub pipe: Pipe,
    /// The body.
    pub body: Vec<Node>,
    /// The `else` part.
    pub otherwise: Option<Vec<Node>>,
}

/// Commands joined by `|`, each one's value passed as the last argument of the next; optionally
/// declaring (`$x :=`) or assigning (`$x =`) variables.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pipe {
    /// Variables declared or assigned (two only in `range $i, $e :=`).
    pub variables: Vec<String>,
    /// Whether the variables are assigned (`=`) rather than declared (`:=`).
    pub assign: bool,
    /// The commands, at least one.
    pub commands: Vec<Command>,
}

/// A command: an operand, or a function or method and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Command {
    /// The operand or function, then the arguments.
    pub args: Vec<Arg>,
}

/// An operand.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    /// `.`
    Dot,
    /// `nil`
    Nil,
    /// `true` / `false`
    Bool(bool),
    /// A number constant, as written (a character constant as its code).
    Number(String),
    /// A string constant.
    Str(String),
    /// `.A.B`
    Field(Vec<String>),
    /// `$x.A.B` (`$` alone is the data the template was called with).
    Variable(String, Vec<String>),
    /// A function name.
    Function(String),
    /// `(pipeline).A.B`
    Group(Box<Pipe>, Vec<String>),
}

/// A parsed template: its body and the templates it defines (`define`, `block`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Parsed {
    /// Nodes outside any `define`.
    pub body: Vec<Node>,
    /// `{{ define "name" }}` and `{{ block "name" }}` bodies.
    pub defines: BTreeMap<String, Vec<Node>>,
}

/// Parses template source; `is_function` says which names are functions (an unknown one is an error here,
/// as in Go).
pub(crate) fn parse(source: &str, is_function: &dyn Fn(&str) -> bool) -> Result<Parsed, String> {
    let pieces = super::lex::split(source)?;
    let mut parser = Parser {
        pieces,
        at: 0,
        defines: BTreeMap::new(),
        is_function,
        range_depth: 0,
        nesting: 0,
        names: vec!["$".into()],
    };
    let (body, end) = parser.list()?;
    match end {
        Ending::Eof => Ok(Parsed { body, defines: parser.defines }),
        Ending::End(line) => Err(format!("line {line}: unexpected {{{{end}}}}")),
        Ending::Else(line, _) => Err(format!("line {line}: unexpected {{{{else}}}}")),
    }
}

struct Parser<'a> {
    pieces: Vec<Piece>,
    at: usize,
    defines: BTreeMap<String, Vec<Node>>,
    is_function: &'a dyn Fn(&str) -> bool,
    /// How many `range`s enclose the current node (`break` and `continue` need one).
    range_depth: usize,
    /// How many control structures enclose the current node (`define` needs none).
    nesting: usize,
    /// Variables in scope, innermost last (`$` first).
    names: Vec<String>,
}

/// How a list of nodes ended.
enum Ending {
    Eof,
    End(Line),
    /// `{{ else }}`, with the tokens after `else` (`if …` or `with …` for the chained forms).
    Else(Line, Vec<Token>),
}

impl Parser<'_> {
    /// Reads nodes until `{{ end }}`, `{{ else … }}` or the end of the source.
    fn list(&mut self) -> Result<(Vec<Node>, Ending), String> {
        let mut nodes = Vec::new();
        while let Some(piece) = self.pieces.get(self.at).cloned() {
            self.at += 1;
            let (line, tokens) = match piece {
                Piece::Text(text) => {
                    nodes.push(Node::Text(text));
                    continue;
                }
                Piece::Action(line, tokens) => (line, tokens),
            };
            let keyword = match tokens.first() {
                Some(Token::Ident(word)) => word.as_str(),
                _ => "",
            };
            let rest = &tokens[tokens.len().min(1)..];
            let error = |message: String| Err(format!("line {line}: {message}"));
            match keyword {
                "end" => {
                    if !rest.is_empty() {
                        return error("unexpected tokens after end".into());
                    }
                    return Ok((nodes, Ending::End(line)));
                }
                "else" => return Ok((nodes, Ending::Else(line, rest.to_vec()))),
                "if" => nodes.push(Node::If(self.branch(line, rest, "if")?)),
                "with" => nodes.push(Node::With(self.branch(line, rest, "with")?)),
                "range" => {
                    self.range_depth += 1;
                    let branch = self.branch(line, rest, "range");
                    self.range_depth -= 1;
                    nodes.push(Node::Range(branch?));
                }
                "break" | "continue" => {
                    if self.range_depth == 0 {
                        return error(format!("{{{{{keyword}}}}} outside {{{{range}}}}"));
                    }
                    if !rest.is_empty() {
                        return error(format!("unexpected tokens after {keyword}"));
                    }
                    nodes.push(if keyword == "break" { Node::Break(line) } else { Node::Continue(line) });
                }
                "template" => {
                    let (name, pipe) = self.template_call(line, rest)?;
                    nodes.push(Node::Template(line, name, pipe));
                }
                "define" => {
                    if self.nesting > 0 {
                        return error("define is only allowed at the top level".into());
                    }
                    let name = match rest {
                        [Token::Str(name)] => name.clone(),
                        _ => return error("define takes one string: the template's name".into()),
                    };
                    let body = self.definition(line)?;
                    self.define(line, name, body)?;
                }
                "block" => {
                    let (name, pipe) = self.template_call(line, rest)?;
                    let body = self.definition(line)?;
                    self.define(line, name.clone(), body)?;
                    nodes.push(Node::Template(line, name, pipe));
                }
                _ => {
                    let pipe = self.pipe(line, &tokens, false)?;
                    nodes.push(Node::Action(line, pipe));
                }
            }
        }
        Ok((nodes, Ending::Eof))
    }

    /// The body of a `define` or `block`, up to its `end`, in a scope of its own with `$` only.
    fn definition(&mut self, line: Line) -> Result<Vec<Node>, String> {
        let (names, ranges) =
            (std::mem::replace(&mut self.names, vec!["$".into()]), std::mem::take(&mut self.range_depth));
        let listed = self.list();
        (self.names, self.range_depth) = (names, ranges);
        match listed? {
            (body, Ending::End(_)) => Ok(body),
            (_, Ending::Else(line, _)) => Err(format!("line {line}: unexpected {{{{else}}}} in a define")),
            (_, Ending::Eof) => Err(format!("line {line}: unexpected EOF: define has no {{{{end}}}}")),
        }
    }

    fn define(&mut self, line: Line, name: String, body: Vec<Node>) -> Result<(), String> {
        // Go lets an empty definition be replaced, and a non-empty one replace an empty one.
        let empty =
            |nodes: &[Node]| nodes.iter().all(|node| matches!(node, Node::Text(text) if text.trim().is_empty()));
        match self.defines.get(&name) {
            Some(existing) if !empty(existing) && !empty(&body) => {
                Err(format!("line {line}: template: multiple definition of template {name:?}"))
            }
            Some(existing) if empty(&body) && !empty(existing) => Ok(()),
            _ => {
                self.defines.insert(name, body);
                Ok(())
            }
        }
    }

    fn template_call(&mut self, line: Line, tokens: &[Token]) -> Result<(String, Option<Pipe>), String> {
        let Some(Token::Str(name)) = tokens.first() else {
            return Err(format!("line {line}: template needs a quoted name"));
        };
        let pipe = if tokens.len() > 1 { Some(self.pipe(line, &tokens[1..], false)?) } else { None };
        Ok((name.clone(), pipe))
    }

    /// `if`, `with` or `range`: the pipeline, the body, and the `else` part (chained `else if` / `else with`).
    fn branch(&mut self, line: Line, tokens: &[Token], keyword: &str) -> Result<Branch, String> {
        let mark = self.names.len();
        if self.nesting >= super::lex::MAX_NESTING {
            return Err(format!("line {line}: control structures nested deeper than {}", super::lex::MAX_NESTING));
        }
        self.nesting += 1;
        let parsed = self.branch_in_scope(line, tokens, keyword);
        self.nesting -= 1;
        self.names.truncate(mark);
        parsed
    }

    fn branch_in_scope(&mut self, line: Line, tokens: &[Token], keyword: &str) -> Result<Branch, String> {
        let pipe = self.pipe(line, tokens, keyword == "range")?;
        let mark = self.names.len();
        let (body, ending) = self.list()?;
        self.names.truncate(mark);
        let otherwise = match ending {
            Ending::End(_) => None,
            Ending::Eof => return Err(format!("line {line}: unexpected EOF: {keyword} has no {{{{end}}}}")),
            Ending::Else(else_line, rest) => {
                let chained = match rest.first() {
                    Some(Token::Ident(word)) if (word == "if" || word == "with") && keyword != "range" => {
                        Some(word.clone())
                    }
                    None => None,
                    _ => return Err(format!("line {else_line}: unexpected tokens after else")),
                };
                match chained {
                    // `else if` ends where its `if` ends: one `end` closes the chain.
                    Some(word) => {
                        let nested = self.branch(else_line, &rest[1..], &word)?;
                        Some(vec![if word == "if" { Node::If(nested) } else { Node::With(nested) }])
                    }
                    None => {
                        // The else part has its own scope, as in Go.
                        let listed = self.list();
                        self.names.truncate(mark);
                        match listed? {
                            (nodes, Ending::End(_)) => Some(nodes),
                            (_, Ending::Else(line, _)) => {
                                return Err(format!("line {line}: unexpected {{{{else}}}} after {{{{else}}}}"));
                            }
                            (_, Ending::Eof) => {
                                return Err(format!("line {line}: unexpected EOF: {keyword} has no {{{{end}}}}"));
                            }
                        }
                    }
                }
            }
        };
        Ok(Branch { line, pipe, body, otherwise })
    }

    /// A pipeline, with its declarations: `$x :=`, `$x =`, and in `range` also `$i, $e :=`.
    fn pipe(&mut self, line: Line, tokens: &[Token], in_range: bool) -> Result<Pipe, String> {
        let error = |message: &str| Err(format!("line {line}: {message}"));
        let (mut variables, mut assign, mut start) = (Vec::new(), false, 0);
        match tokens {
            [Token::Variable(a, fa), Token::Comma, Token::Variable(b, fb), Token::Declare | Token::Assign, ..]
                if fa.is_empty() && fb.is_empty() =>
            {
                if !in_range {
                    return error("too many declarations in command");
                }
                variables = vec![a.clone(), b.clone()];
                assign = tokens[3] == Token::Assign;
                start = 4;
            }
            [Token::Variable(a, fields), Token::Declare | Token::Assign, ..] if fields.is_empty() => {
                variables = vec![a.clone()];
                assign = tokens[1] == Token::Assign;
                start = 2;
            }
            _ => {}
        }
        if assign {
            for variable in &variables {
                if !self.known(variable) {
                    return error(&format!("undefined variable {variable:?}"));
                }
            }
        }
        let commands = self.commands(line, &tokens[start..])?;
        if commands.is_empty() {
            return error("missing value for command");
        }
        if !assign {
            self.names.extend(variables.iter().cloned());
        }
        Ok(Pipe { variables, assign, commands })
    }

    fn known(&self, variable: &str) -> bool {
        variable == "$" || self.names.iter().any(|name| name == variable)
    }

    /// Commands separated by `|`.
    fn commands(&mut self, line: Line, tokens: &[Token]) -> Result<Vec<Command>, String> {
        let mut commands = Vec::new();
        let mut args = Vec::new();
        let mut at = 0;
        while at < tokens.len() {
            match &tokens[at] {
                Token::Pipe => {
                    if args.is_empty() {
                        return Err(format!("line {line}: missing command before |"));
                    }
                    commands.push(Command { args: std::mem::take(&mut args) });
                    at += 1;
                }
                Token::Open => {
                    let close =
                        matching_close(tokens, at).ok_or_else(|| format!("line {line}: unclosed left paren"))?;
                    let inner = self.commands(line, &tokens[at + 1..close])?;
                    if inner.is_empty() {
                        return Err(format!("line {line}: missing value in parentheses"));
                    }
                    let Token::Close(fields) = &tokens[close] else { unreachable!("matching_close finds a Close") };
                    let pipe = Pipe { variables: Vec::new(), assign: false, commands: inner };
                    args.push(Arg::Group(Box::new(pipe), fields.clone()));
                    at = close + 1;
                }
                token => {
                    args.push(self.operand(line, token)?);
                    at += 1;
                }
            }
        }
        if !args.is_empty() {
            commands.push(Command { args });
        } else if !commands.is_empty() {
            return Err(format!("line {line}: missing command after |"));
        }
        for command in &commands[1.min(commands.len())..] {
            if let Some(first) = command.args.first()
                && !matches!(first, Arg::Function(_) | Arg::Field(_) | Arg::Variable(_, _) | Arg::Group(_, _))
            {
                return Err(format!("line {line}: non executable command in pipeline stage"));
            }
        }
        for command in &commands {
            if command.args.len() > 1 && !takes_arguments(&command.args[0]) {
                return Err(format!("line {line}: can't give argument to non-function {}", describe(&command.args[0])));
            }
        }
        Ok(commands)
    }

    fn operand(&self, line: Line, token: &Token) -> Result<Arg, String> {
        Ok(match token {
            Token::Dot => Arg::Dot,
            Token::Field(fields) => Arg::Field(fields.clone()),
            Token::Variable(name, fields) => {
                if !self.known(name) {
                    return Err(format!("line {line}: undefined variable {name:?}"));
                }
                Arg::Variable(name.clone(), fields.clone())
            }
            Token::Str(text) => Arg::Str(text.clone()),
            Token::Char(c) => Arg::Number(u32::from(*c).to_string()),
            Token::Number(text) => Arg::Number(text.clone()),
            Token::Ident(word) => match word.as_str() {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                name if (self.is_function)(name) => Arg::Function(name.to_string()),
                "if" | "else" | "end" | "range" | "with" | "define" | "template" | "block" | "break" | "continue" => {
                    return Err(format!("line {line}: unexpected {word:?} in command"));
                }
                name => return Err(format!("line {line}: function {name:?} not defined")),
            },
            Token::Declare | Token::Assign => return Err(format!("line {line}: unexpected declaration in command")),
            Token::Comma => return Err(format!("line {line}: unexpected \",\" in command")),
            Token::Open | Token::Close(_) | Token::Pipe => {
                return Err(format!("line {line}: unexpected token in command"));
            }
        })
    }
}

/// Whether an operand can be given arguments: a function, or a field or method chain.
fn takes_arguments(arg: &Arg) -> bool {
    match arg {
        Arg::Function(_) | Arg::Field(_) => true,
        Arg::Variable(_, fields) | Arg::Group(_, fields) => !fields.is_empty(),
        _ => false,
    }
}

/// The index of the `)` that closes the `(` at `open`.
fn matching_close(tokens: &[Token], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Open => depth += 1,
            Token::Close(_) => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// An operand as written, for error messages.
fn describe(arg: &Arg) -> String {
    match arg {
        Arg::Dot => ".".into(),
        Arg::Nil => "nil".into(),
        Arg::Bool(value) => value.to_string(),
        Arg::Number(text) => text.clone(),
        Arg::Str(text) => format!("{text:?}"),
        Arg::Field(fields) => format!(".{}", fields.join(".")),
        Arg::Variable(name, fields) => {
            std::iter::once(name.clone()).chain(fields.iter().cloned()).collect::<Vec<_>>().join(".")
        }
        Arg::Function(name) => name.clone(),
        Arg::Group(_, _) => "(…)".into(),
    }
}
