//! [`LabelSet`]: a small sorted map of label names to values, laid out for the millions of copies an
//! alert router holds — one allocation for the pairs, each string shared.

use std::fmt;
use std::ops::Index;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::SharedStr;

/// A set of labels, sorted by name, each name once. An absent label and a label with an empty value are the
/// same thing to matchers. The API follows `BTreeMap`'s, which this type replaced: a `BTreeMap` node alone
/// took over 500 bytes per label set.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelSet {
    pairs: Box<[(SharedStr, SharedStr)]>,
}

/// The pairs of a [`LabelSet`], in name order.
pub(super) type Iter<'a> = std::iter::Map<std::slice::Iter<'a, (SharedStr, SharedStr)>, PairRef>;

type PairRef = fn(&(SharedStr, SharedStr)) -> (&SharedStr, &SharedStr);

impl LabelSet {
    /// An empty set.
    pub fn new() -> Self {
        LabelSet::default()
    }

    /// Builds a set from pairs in any order; of two pairs with the same name the later wins.
    pub fn from_pairs(mut pairs: Vec<(SharedStr, SharedStr)>) -> Self {
        if !pairs.is_sorted_by(|a, b| a.0 < b.0) {
            // Stable, so that among equal names the later pair stays last.
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            let mut unique: Vec<(SharedStr, SharedStr)> = Vec::with_capacity(pairs.len());
            for pair in pairs {
                match unique.last_mut() {
                    Some(last) if last.0 == pair.0 => *last = pair,
                    _ => unique.push(pair),
                }
            }
            pairs = unique;
        }
        LabelSet { pairs: pairs.into_boxed_slice() }
    }

    /// Builds a set from the pairs in `buffer` (in any order; of two with the same name the later wins),
    /// leaving it empty but with its capacity: the set takes one allocation of its exact size, where
    /// [`LabelSet::from_pairs`] also frees the vector it was given.
    fn from_buffer(buffer: &mut Vec<(SharedStr, SharedStr)>) -> Self {
        // Stable, so that among equal names the later pair stays last.
        buffer.sort_by(|a, b| a.0.cmp(&b.0));
        let mut kept = 0;
        for next in 0..buffer.len() {
            if kept > 0 && buffer[kept - 1].0 == buffer[next].0 {
                buffer.swap(kept - 1, next);
            } else {
                buffer.swap(kept, next);
                kept += 1;
            }
        }
        buffer.truncate(kept);
        LabelSet { pairs: buffer.drain(..).collect() }
    }

    /// How many labels there are.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    fn position(&self, name: &str) -> Result<usize, usize> {
        self.pairs.binary_search_by(|(known, _)| known.as_str().cmp(name))
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&SharedStr> {
        self.position(name).ok().map(|i| &self.pairs[i].1)
    }

    /// Whether `name` is set.
    pub fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_ok()
    }

    /// Sets `name` to `value`, returning the value it replaces.
    pub fn insert(&mut self, name: impl Into<SharedStr>, value: impl Into<SharedStr>) -> Option<SharedStr> {
        let name = name.into();
        let value = value.into();
        match self.position(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.pairs[i].1, value)),
            Err(i) => {
                let mut pairs = std::mem::take(&mut self.pairs).into_vec();
                pairs.insert(i, (name, value));
                self.pairs = pairs.into_boxed_slice();
                None
            }
        }
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<SharedStr> {
        let i = self.position(name).ok()?;
        let mut pairs = std::mem::take(&mut self.pairs).into_vec();
        let (_, value) = pairs.remove(i);
        self.pairs = pairs.into_boxed_slice();
        Some(value)
    }

    /// Keeps only the labels `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&SharedStr, &SharedStr) -> bool) {
        let mut pairs = std::mem::take(&mut self.pairs).into_vec();
        pairs.retain(|(name, value)| keep(name, value));
        self.pairs = pairs.into_boxed_slice();
    }

    /// The pairs, in name order.
    pub fn iter(&self) -> Iter<'_> {
        self.pairs.iter().map((|(name, value)| (name, value)) as PairRef)
    }

    /// The names, in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &SharedStr> + ExactSizeIterator {
        self.pairs.iter().map(|(name, _)| name)
    }

    /// The values, in name order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &SharedStr> + ExactSizeIterator {
        self.pairs.iter().map(|(_, value)| value)
    }
}

impl Index<&str> for LabelSet {
    type Output = SharedStr;

    fn index(&self, name: &str) -> &SharedStr {
        self.get(name).unwrap_or_else(|| panic!("label {name:?} is not in the set"))
    }
}

impl<K: Into<SharedStr>, V: Into<SharedStr>> FromIterator<(K, V)> for LabelSet {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        LabelSet::from_pairs(pairs.into_iter().map(|(name, value)| (name.into(), value.into())).collect())
    }
}

impl<K: Into<SharedStr>, V: Into<SharedStr>, const N: usize> From<[(K, V); N]> for LabelSet {
    fn from(pairs: [(K, V); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a LabelSet {
    type Item = (&'a SharedStr, &'a SharedStr);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for LabelSet {
    type Item = (SharedStr, SharedStr);
    type IntoIter = std::vec::IntoIter<(SharedStr, SharedStr)>;

    fn into_iter(self) -> Self::IntoIter {
        self.pairs.into_vec().into_iter()
    }
}

impl fmt::Debug for LabelSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for LabelSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (name, value) in self {
            map.serialize_entry(name.as_str(), value.as_str())?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for LabelSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let visitor = PairsVisitor { intern_names: false, intern_values: false };
        deserializer.deserialize_map(visitor)
    }
}

/// Deserializes a label set whose names and values are shared through the interner (label sets that are kept
/// for long, such as alerts').
pub(crate) fn deserialize_interned<'de, D: Deserializer<'de>>(deserializer: D) -> Result<LabelSet, D::Error> {
    let visitor = PairsVisitor { intern_names: true, intern_values: true };
    deserializer.deserialize_map(visitor)
}

/// Deserializes a label set whose names are interned and values not (annotations: summaries and
/// descriptions usually differ per alert, so interning them would only cost).
pub(crate) fn deserialize_interned_names<'de, D: Deserializer<'de>>(deserializer: D) -> Result<LabelSet, D::Error> {
    let visitor = PairsVisitor { intern_names: true, intern_values: false };
    deserializer.deserialize_map(visitor)
}

/// Reads a JSON object of strings into pairs, interning them or not.
pub(super) struct PairsVisitor {
    /// Share names through the interner (for label sets that are kept, such as alerts').
    pub intern_names: bool,
    /// Share values through the interner.
    pub intern_values: bool,
}

impl<'de> Visitor<'de> for PairsVisitor {
    type Value = LabelSet;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of strings")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // Pairs are gathered in a buffer kept by the thread: parsing a body of alerts then allocates each
        // label set once, at its size.
        let mut pairs = PAIRS.with_borrow_mut(std::mem::take);
        pairs.clear();
        let share = |text: &str, intern: bool| if intern { SharedStr::interned(text) } else { SharedStr::from(text) };
        let read = (|| {
            while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                let value = map.next_value::<std::borrow::Cow<'de, str>>()?;
                pairs.push((share(&name, self.intern_names), share(&value, self.intern_values)));
            }
            Ok(())
        })();
        let set = read.map(|()| LabelSet::from_buffer(&mut pairs));
        pairs.clear();
        // A body with a huge object (refused later, by the limits) does not leave the thread holding its size.
        if pairs.capacity() <= KEPT_PAIRS {
            PAIRS.with_borrow_mut(|kept| *kept = pairs);
        }
        set
    }
}

/// The most pairs a thread's buffer keeps room for between label sets.
const KEPT_PAIRS: usize = 1024;

thread_local! {
    /// The buffer [`PairsVisitor`] gathers pairs in (taken out while in use, so a nested parse gets its own).
    static PAIRS: std::cell::RefCell<Vec<(SharedStr, SharedStr)>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_sorted_map_where_the_last_of_two_equal_names_wins() {
        let mut set: LabelSet = [("b", "2"), ("a", "1"), ("b", "3")].into_iter().collect();
        assert_eq!(set.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(), ["a=1", "b=3"]);
        assert_eq!(set.insert("c", "4"), None);
        assert_eq!(set.insert("a", "0").as_deref(), Some("1"));
        assert_eq!(set.remove("b").as_deref(), Some("3"));
        assert_eq!(set.keys().map(SharedStr::as_str).collect::<Vec<_>>(), ["a", "c"]);
        assert!(set.contains_key("c") && !set.contains_key("b"));
        assert_eq!(set["a"], "0");
        assert_eq!(serde_json::to_string(&set).expect("serializes"), r#"{"a":"0","c":"4"}"#);
        let back: LabelSet = serde_json::from_str(r#"{"c":"4","a":"0","c":"5"}"#).expect("parses");
        assert_eq!(back, LabelSet::from([("a", "0"), ("c", "5")]));
        let back: LabelSet = serde_json::from_str(r#"{"b":"1","a":"x","b":"2","c":"y","b":"3"}"#).expect("parses");
        assert_eq!(back, LabelSet::from([("a", "x"), ("b", "3"), ("c", "y")]));
        assert!(serde_json::from_str::<LabelSet>(r#"{"a":"1","b":2}"#).is_err(), "a value that is not a string");
        let after: LabelSet = serde_json::from_str(r#"{"z":"1"}"#).expect("parses after an error");
        assert_eq!(after, LabelSet::from([("z", "1")]), "nothing of the failed parse is left in the buffer");
    }
}
