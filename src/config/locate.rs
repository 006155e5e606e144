//! Finds the line of each value in a YAML document, by path (`route.routes[2].receiver`), so that
//! validation errors found after parsing can still point at the line to fix.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// Path → 1-based line of the key (for mapping entries) or of the item (for sequence entries).
#[derive(Debug, Default, Clone)]
pub(super) struct LineIndex {
    lines: HashMap<String, usize>,
    duplicates: Vec<(String, usize, String)>,
}

impl LineIndex {
    /// Indexes `text`; a document that does not parse gives an empty index (the parse error is reported elsewhere).
    pub(super) fn build(text: &str) -> Self {
        let mut collector = Collector::default();
        let mut parser = Parser::new_from_str(text);
        // Only the first document counts, as in go-yaml.
        if parser.load(&mut collector, false).is_err() {
            return LineIndex::default();
        }
        LineIndex { lines: collector.lines, duplicates: collector.duplicates }
    }

    /// Keys given twice in one mapping, as `(path of the mapping, line, key)`; go-yaml refuses them.
    pub(super) fn duplicate_keys(&self) -> &[(String, usize, String)] {
        &self.duplicates
    }

    /// The line of `path`, or of its closest indexed ancestor (a defaulted field points at its parent).
    pub(super) fn line_of(&self, path: &str) -> Option<usize> {
        let mut path = path;
        loop {
            if let Some(line) = self.lines.get(path) {
                return Some(*line);
            }
            let cut = path.rfind(['.', '['])?;
            path = &path[..cut];
        }
    }
}

enum Frame {
    Map { key: Option<String>, seen: std::collections::HashSet<String> },
    Seq { index: usize },
}

#[derive(Default)]
struct Collector {
    frames: Vec<Frame>,
    lines: HashMap<String, usize>,
    duplicates: Vec<(String, usize, String)>,
}

impl Collector {
    fn path(&self) -> String {
        let mut path = String::new();
        for frame in &self.frames {
            match frame {
                Frame::Map { key: Some(key), .. } => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Frame::Map { key: None, .. } => {}
                Frame::Seq { index } => path.push_str(&format!("[{index}]")),
            }
        }
        path
    }

    /// Called for every value (scalar or the start of a container) before it is entered.
    fn value_starts(&mut self, line: usize) {
        if let Some(Frame::Seq { .. }) = self.frames.last() {
            let path = self.path();
            self.lines.entry(path).or_insert(line);
        }
    }

    /// Called after a whole value (scalar or container) has been read.
    fn value_ends(&mut self) {
        match self.frames.last_mut() {
            Some(Frame::Map { key, .. }) => *key = None,
            Some(Frame::Seq { index }) => *index += 1,
            None => {}
        }
    }
}

impl MarkedEventReceiver for Collector {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let line = mark.line();
        match event {
            Event::Scalar(text, ..) => {
                if let Some(Frame::Map { key: key @ None, seen }) = self.frames.last_mut() {
                    let repeated = !seen.insert(text.clone()) && text != "<<";
                    *key = Some(text.clone());
                    let path = self.path();
                    if repeated {
                        let parent = path.rsplit_once('.').map(|(p, _)| p.to_string()).unwrap_or_default();
                        self.duplicates.push((parent, line, text));
                    }
                    self.lines.entry(path).or_insert(line);
                    return;
                }
                self.value_starts(line);
                self.value_ends();
            }
            Event::Alias(_) => {
                self.value_starts(line);
                self.value_ends();
            }
            Event::MappingStart(..) => {
                self.value_starts(line);
                self.frames.push(Frame::Map { key: None, seen: Default::default() });
            }
            Event::SequenceStart(..) => {
                self.value_starts(line);
                self.frames.push(Frame::Seq { index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.frames.pop();
                self.value_ends();
            }
            Event::DocumentEnd => self.frames.clear(),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentStart => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
global:
  resolve_timeout: 5m
route:
  receiver: a
  routes:
  - match:
      severity: critical
    receiver: b
  - receiver: c
    routes:
      - receiver: d
receivers:
- name: a
- {name: b}
";

    #[test]
    fn paths_resolve_to_their_lines() {
        let index = LineIndex::build(DOC);
        assert_eq!(index.line_of("global.resolve_timeout"), Some(2));
        assert_eq!(index.line_of("route"), Some(3));
        assert_eq!(index.line_of("route.receiver"), Some(4));
        assert_eq!(index.line_of("route.routes[0]"), Some(6));
        assert_eq!(index.line_of("route.routes[0].match.severity"), Some(7));
        assert_eq!(index.line_of("route.routes[0].receiver"), Some(8));
        assert_eq!(index.line_of("route.routes[1].receiver"), Some(9));
        assert_eq!(index.line_of("route.routes[1].routes[0].receiver"), Some(11));
        assert_eq!(index.line_of("receivers[1].name"), Some(14));
    }

    #[test]
    fn missing_paths_fall_back_to_the_nearest_ancestor() {
        let index = LineIndex::build(DOC);
        assert_eq!(index.line_of("route.routes[1].group_wait"), Some(9));
        assert_eq!(index.line_of("receivers[0].slack_configs[0].api_url"), Some(13));
        assert_eq!(index.line_of("nowhere"), None);
    }
}
