//! An immutable, cheaply cloned string, and the interner that lets alerts share repeated label names and
//! values instead of each holding its own copy.

use std::borrow::Borrow;
use std::fmt;
use std::hash::BuildHasher;
use std::ops::Deref;
use std::sync::{Arc, LazyLock, Mutex};

use hashbrown::HashTable;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A shared immutable string: 16 bytes, cloned by bumping a count.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SharedStr(Arc<str>);

impl SharedStr {
    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The interned copy of `text`: every alert that carries the same label name or value shares one
    /// allocation. Interned strings no alert uses any more are dropped by [`prune_interned`].
    pub fn interned(text: &str) -> Self {
        // One hash picks the shard and finds the entry: foldhash, seeded per process, is several times
        // cheaper than SipHash on short label strings, and interning runs for every label of every alert.
        let hash = INTERN_HASHER.hash_one(text);
        let shard = &INTERNER[(hash >> 60) as usize];
        let mut table = shard.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = table.entry(hash, |known| known.as_str() == text, |known| INTERN_HASHER.hash_one(known.as_str()));
        entry.or_insert_with(|| SharedStr::from(text)).get().clone()
    }
}

/// How many shards the interner has (the top four bits of the hash pick one), so that request threads
/// seldom wait for each other.
const SHARDS: usize = 16;

static INTERNER: LazyLock<[Mutex<HashTable<SharedStr>>; SHARDS]> =
    LazyLock::new(|| std::array::from_fn(|_| Mutex::new(HashTable::new())));

static INTERN_HASHER: LazyLock<hashbrown::DefaultHashBuilder> = LazyLock::new(hashbrown::DefaultHashBuilder::default);

/// Drops interned strings that nothing but the interner holds; returns how many are left. One shard is
/// locked at a time, so ingest is never held up for long.
pub(crate) fn prune_interned() -> usize {
    INTERNER
        .iter()
        .map(|shard| {
            let mut table = shard.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            table.retain(|text| Arc::strong_count(&text.0) > 1);
            table.shrink_to_fit(|text| INTERN_HASHER.hash_one(text.as_str()));
            table.len()
        })
        .sum()
}

impl Default for SharedStr {
    fn default() -> Self {
        SharedStr::from("")
    }
}

impl Deref for SharedStr {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for SharedStr {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SharedStr {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for SharedStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for SharedStr {
    fn from(text: &str) -> Self {
        SharedStr(Arc::from(text))
    }
}

impl From<String> for SharedStr {
    fn from(text: String) -> Self {
        SharedStr(Arc::from(text))
    }
}

impl From<&String> for SharedStr {
    fn from(text: &String) -> Self {
        SharedStr::from(text.as_str())
    }
}

impl From<&SharedStr> for SharedStr {
    fn from(text: &SharedStr) -> Self {
        text.clone()
    }
}

impl From<SharedStr> for String {
    fn from(text: SharedStr) -> Self {
        text.0.as_ref().to_owned()
    }
}

impl PartialEq<str> for SharedStr {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for SharedStr {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for SharedStr {
    fn eq(&self, other: &String) -> bool {
        &*self.0 == other.as_str()
    }
}

impl PartialEq<SharedStr> for str {
    fn eq(&self, other: &SharedStr) -> bool {
        self == &*other.0
    }
}

impl PartialEq<SharedStr> for &str {
    fn eq(&self, other: &SharedStr) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<SharedStr> for String {
    fn eq(&self, other: &SharedStr) -> bool {
        self.as_str() == &*other.0
    }
}

impl Serialize for SharedStr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SharedStr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SharedStr;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<SharedStr, E> {
                Ok(SharedStr::from(text))
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_copies_share_one_allocation_until_pruned() {
        let text = "interned-for-a-test-only";
        let a = SharedStr::interned(text);
        let b = SharedStr::interned(&String::from(text));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "interned-for-a-test-only");
        drop((a, b));
        prune_interned();
        let c = SharedStr::interned(text);
        assert_eq!(Arc::strong_count(&c.0), 2, "a fresh entry: the interner's and this one");
    }
}
