//! Leniencies of YAML 1.1, which Alertmanager's parser (go-yaml v2) speaks and serde_yaml_ng (YAML 1.2) does
//! not: `yes`/`no`/`on`/`off` booleans, and `~` (null) where a list or a map value is expected.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Option<bool>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean (true/false, yes/no, on/off)")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Self::Value, E> {
        Ok(Some(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
        match value {
            // Plain `true`/`false` arrive as booleans; as strings they were quoted, which go-yaml refuses.
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Ok(Some(true)),
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Ok(Some(false)),
            other => Err(E::invalid_value(de::Unexpected::Str(other), &self)),
        }
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(BoolVisitor)
    }
}

/// A YAML 1.1 boolean; null is false.
pub(crate) fn bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(deserializer.deserialize_any(BoolVisitor)?.unwrap_or(false))
}

/// An optional YAML 1.1 boolean; null is unset.
pub(crate) fn opt_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<bool>, D::Error> {
    deserializer.deserialize_any(BoolVisitor)
}

/// A list; null is the empty list.
pub(crate) fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(deserializer: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

/// An optional list of strings whose null items are dropped (`matchers: [~]` is an empty matcher list).
pub(crate) fn string_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<String>>, D::Error> {
    let list = Option::<Vec<Option<String>>>::deserialize(deserializer)?;
    Ok(list.map(|items| items.into_iter().flatten().collect()))
}

/// A map of strings whose null values are empty strings (`match: {a: ~}` matches a missing label).
pub(crate) fn string_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    let map = Option::<BTreeMap<String, Option<String>>>::deserialize(deserializer)?;
    Ok(map.map(|map| map.into_iter().map(|(k, v)| (k, v.unwrap_or_default())).collect()))
}

/// A map of regexes; a null value is refused as Alertmanager refuses it.
pub(crate) fn regex_map<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    let map = Option::<BTreeMap<String, Option<String>>>::deserialize(deserializer)?;
    let Some(map) = map else { return Ok(None) };
    let mut checked = BTreeMap::new();
    for (name, value) in map {
        let value = value.ok_or_else(|| de::Error::custom(format!("invalid regexp value for {name:?}")))?;
        checked.insert(name, value);
    }
    Ok(Some(checked))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Sample {
        #[serde(default, deserialize_with = "super::bool")]
        flag: bool,
        #[serde(default, deserialize_with = "super::opt_bool")]
        maybe: Option<bool>,
        #[serde(default, deserialize_with = "super::list")]
        items: Vec<String>,
        #[serde(default, deserialize_with = "super::string_map")]
        map: Option<std::collections::BTreeMap<String, String>>,
    }

    #[test]
    fn yaml_1_1_forms_are_accepted() {
        let sample: Sample =
            serde_yaml_ng::from_str("flag: yes\nmaybe: off\nitems: ~\nmap: {a: ~, b: x}\n").expect("parses");
        assert!(sample.flag);
        assert_eq!(sample.maybe, Some(false));
        assert!(sample.items.is_empty());
        let map = sample.map.expect("map");
        assert_eq!((map["a"].as_str(), map["b"].as_str()), ("", "x"));
        assert!(serde_yaml_ng::from_str::<Sample>("flag: maybe\n").is_err());
        assert!(serde_yaml_ng::from_str::<Sample>("flag: 'true'\n").is_err(), "a quoted boolean is a string");
        let unset: Sample = serde_yaml_ng::from_str("maybe: ~\n").expect("parses");
        assert_eq!((unset.flag, unset.maybe), (false, None));
    }
}
