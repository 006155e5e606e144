//! Alertmanager-compatible fingerprints of label sets (FNV-1a 64 over the sorted pairs).

use std::fmt;

use super::LabelSet;

const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
const SEPARATOR: u8 = 0xff;

/// The 64-bit identity of a label set; printed as 16 lowercase hex digits, as Alertmanager does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Fingerprints a label set the way Prometheus' `model.LabelSet.Fingerprint` does.
pub fn fingerprint(labels: &LabelSet) -> Fingerprint {
    let mut hash = FNV_OFFSET_BASIS;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
    };
    // BTreeMap iterates in name order, which is the order the signature is defined over.
    for (name, value) in labels {
        feed(name.as_bytes());
        feed(&[SEPARATOR]);
        feed(value.as_bytes());
        feed(&[SEPARATOR]);
    }
    Fingerprint(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pairs: &[(&str, &str)]) -> LabelSet {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn fingerprints_match_alertmanager() {
        let labels = set(&[("alertname", "A1"), ("cluster", "c1"), ("severity", "critical"), ("team", "b")]);
        assert_eq!(fingerprint(&labels).to_string(), "0a0ae3ac4c53addd");
        assert_eq!(fingerprint(&set(&[("alertname", "Good2")])).to_string(), "46b546e2429a2539");
        assert_eq!(fingerprint(&LabelSet::new()).to_string(), "cbf29ce484222325");
    }
}
