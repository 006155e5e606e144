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

impl Fingerprint {
    /// The 16 lowercase hex digits, without allocating.
    pub fn hex(self) -> [u8; 16] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 16];
        for (i, byte) in text.iter_mut().enumerate() {
            *byte = DIGITS[((self.0 >> (60 - 4 * i)) & 0xf) as usize];
        }
        text
    }
}

impl serde::Serialize for Fingerprint {
    /// As the API writes it: 16 lowercase hex digits.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(std::str::from_utf8(&self.hex()).unwrap_or_default())
    }
}

/// Fingerprints a label set the way Prometheus' `model.LabelSet.Fingerprint` does.
pub fn fingerprint(labels: &LabelSet) -> Fingerprint {
    let mut hash = FingerprintHasher::default();
    // Label sets iterate in name order, which is the order the signature is defined over.
    for (name, value) in labels {
        hash.pair(name, |hash| hash.feed(value.as_bytes()));
    }
    hash.finish()
}

/// Computes a fingerprint pair by pair, with values written into it (`fmt::Write`) rather than built first:
/// what a label set of computed values would fingerprint to, without making the set.
pub(crate) struct FingerprintHasher(u64);

impl Default for FingerprintHasher {
    fn default() -> Self {
        FingerprintHasher(FNV_OFFSET_BASIS)
    }
}

impl FingerprintHasher {
    fn feed(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
    }

    /// Adds the pair `name`, with the value `value` writes; pairs must come in name order.
    pub(crate) fn pair(&mut self, name: &str, value: impl FnOnce(&mut Self)) {
        self.feed(name.as_bytes());
        self.feed(&[SEPARATOR]);
        value(self);
        self.feed(&[SEPARATOR]);
    }

    /// The fingerprint of the pairs added.
    pub(crate) fn finish(&self) -> Fingerprint {
        Fingerprint(self.0)
    }
}

impl fmt::Write for FingerprintHasher {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.feed(text.as_bytes());
        Ok(())
    }
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

    #[test]
    fn fingerprints_serialize_as_their_16_hex_digits() {
        let fingerprint = Fingerprint(0x00ab_cdef_0123_4567);
        assert_eq!(serde_json::to_string(&fingerprint).expect("serializes"), format!("\"{fingerprint}\""));
        assert_eq!(&fingerprint.hex(), b"00abcdef01234567");
    }
}
