//! CPU profiles on demand, in the gzipped protobuf format of Go's `pprof` (what Alertmanager's
//! `/debug/pprof/profile` serves), readable by `go tool pprof`, `pprof` and the profilers built on them.
//!
//! Sampling is pprof-rs's (a `SIGPROF` timer and a stack walk per sample); the profile message is written
//! here, against `profile.proto`, because pprof-rs's own encoder needs a second, older protobuf stack.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, UNIX_EPOCH};

/// Samples a second, as Go's CPU profiler takes.
const FREQUENCY: i32 = 100;

/// Set while a profile is being taken: the process has one profiling timer.
static BUSY: AtomicBool = AtomicBool::new(false);

/// Why no profile was taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ProfileError {
    /// Another profile is being taken.
    #[error("a CPU profile is already being taken; try again when it is done")]
    Busy,
    /// The profiler failed.
    #[error("the CPU profiler: {0}")]
    Profiler(String),
}

/// Samples the whole process's CPU for `duration` (blocking the calling thread meanwhile) and returns the
/// profile, gzipped.
pub(crate) fn cpu_profile(duration: Duration) -> Result<Vec<u8>, ProfileError> {
    if BUSY.swap(true, Ordering::AcqRel) {
        return Err(ProfileError::Busy);
    }
    let taken = take(duration);
    BUSY.store(false, Ordering::Release);
    let profile = taken?;
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&prost::Message::encode_to_vec(&profile))
        .and_then(|()| gzip.finish())
        .map_err(|err| ProfileError::Profiler(format!("compressing the profile: {err}")))
}

fn take(duration: Duration) -> Result<Profile, ProfileError> {
    // Stack walks through these libraries from a signal handler can deadlock; pprof-rs skips them.
    let guard = pprof::ProfilerGuardBuilder::default()
        .frequency(FREQUENCY)
        .blocklist(&["libc", "libgcc", "pthread", "vdso"])
        .build()
        .map_err(|err| ProfileError::Profiler(err.to_string()))?;
    std::thread::sleep(duration);
    let report = guard.report().build().map_err(|err| ProfileError::Profiler(err.to_string()))?;
    drop(guard);
    Ok(encode(&report))
}

/// The report as a `perftools.profiles.Profile`: one location per stack frame (its inlined functions as
/// lines, innermost first), one function per name and file, a `thread` label on each sample.
fn encode(report: &pprof::Report) -> Profile {
    let period = 1_000_000_000 / i64::from(report.timing.frequency.max(1));
    let mut table = StringTable::default();
    let mut profile = Profile {
        sample_type: vec![
            ValueType { r#type: table.index("samples"), unit: table.index("count") },
            ValueType { r#type: table.index("cpu"), unit: table.index("nanoseconds") },
        ],
        period_type: Some(ValueType { r#type: table.index("cpu"), unit: table.index("nanoseconds") }),
        period,
        time_nanos: report
            .timing
            .start_time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)),
        duration_nanos: i64::try_from(report.timing.duration.as_nanos()).unwrap_or(i64::MAX),
        ..Profile::default()
    };
    let thread_key = table.index("thread");
    let mut functions: HashMap<(String, String), u64> = HashMap::new();
    let mut locations: HashMap<Vec<(u64, i64)>, u64> = HashMap::new();
    for (frames, count) in &report.data {
        let mut location_ids = Vec::with_capacity(frames.frames.len());
        for frame in &frames.frames[sampler_frames(&frames.frames)..] {
            let mut lines = Vec::with_capacity(frame.len());
            for symbol in frame {
                let (name, file) = (symbol.name(), symbol.filename().into_owned());
                let next_id = functions.len() as u64 + 1;
                let function_id = *functions.entry((name.clone(), file.clone())).or_insert_with(|| {
                    profile.function.push(Function {
                        id: next_id,
                        name: table.index(&name),
                        system_name: table.index(&symbol.sys_name()),
                        filename: table.index(&file),
                        start_line: 0,
                    });
                    next_id
                });
                lines.push((function_id, i64::from(symbol.lineno())));
            }
            let next_id = locations.len() as u64 + 1;
            let location_id = *locations.entry(lines.clone()).or_insert_with(|| {
                profile.location.push(Location {
                    id: next_id,
                    mapping_id: 0,
                    address: 0,
                    line: lines.iter().map(|&(function_id, line)| Line { function_id, line }).collect(),
                });
                next_id
            });
            location_ids.push(location_id);
        }
        let count = *count as i64;
        profile.sample.push(Sample {
            location_id: location_ids,
            value: vec![count, count * period],
            label: vec![Label { key: thread_key, str: table.index(&frames.thread_name_or_id()), num: 0 }],
        });
    }
    profile.string_table = table.strings;
    profile
}

/// How many of a stack's leaf frames are the sampler's own stack walk (pprof-rs's signal handler calling
/// into `backtrace`), left out so that each sample's leaf is the code it interrupted.
fn sampler_frames(frames: &[Vec<pprof::Symbol>]) -> usize {
    frames
        .iter()
        .take(8)
        .rposition(|frame| frame.iter().any(|symbol| symbol.name().contains("pprof::")))
        .map_or(0, |last| last + 1)
}

/// The profile's string table: index 0 is the empty string, as the format requires.
struct StringTable {
    strings: Vec<String>,
    indexes: HashMap<String, i64>,
}

impl Default for StringTable {
    fn default() -> Self {
        StringTable { strings: vec![String::new()], indexes: HashMap::from([(String::new(), 0)]) }
    }
}

impl StringTable {
    fn index(&mut self, text: &str) -> i64 {
        if let Some(&index) = self.indexes.get(text) {
            return index;
        }
        let index = self.strings.len() as i64;
        self.strings.push(text.to_string());
        self.indexes.insert(text.to_string(), index);
        index
    }
}

// The messages of `perftools.profiles` (github.com/google/pprof, proto/profile.proto) that a CPU profile
// uses, with their field numbers.

/// `perftools.profiles.Profile`.
#[derive(Clone, PartialEq, prost::Message)]
struct Profile {
    #[prost(message, repeated, tag = "1")]
    sample_type: Vec<ValueType>,
    #[prost(message, repeated, tag = "2")]
    sample: Vec<Sample>,
    #[prost(message, repeated, tag = "4")]
    location: Vec<Location>,
    #[prost(message, repeated, tag = "5")]
    function: Vec<Function>,
    #[prost(string, repeated, tag = "6")]
    string_table: Vec<String>,
    #[prost(int64, tag = "9")]
    time_nanos: i64,
    #[prost(int64, tag = "10")]
    duration_nanos: i64,
    #[prost(message, optional, tag = "11")]
    period_type: Option<ValueType>,
    #[prost(int64, tag = "12")]
    period: i64,
}

/// `perftools.profiles.ValueType`: string table indexes.
#[derive(Clone, Copy, PartialEq, prost::Message)]
struct ValueType {
    #[prost(int64, tag = "1")]
    r#type: i64,
    #[prost(int64, tag = "2")]
    unit: i64,
}

/// `perftools.profiles.Sample`: a stack (leaf first) and its values.
#[derive(Clone, PartialEq, prost::Message)]
struct Sample {
    #[prost(uint64, repeated, tag = "1")]
    location_id: Vec<u64>,
    #[prost(int64, repeated, tag = "2")]
    value: Vec<i64>,
    #[prost(message, repeated, tag = "3")]
    label: Vec<Label>,
}

/// `perftools.profiles.Label`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
struct Label {
    #[prost(int64, tag = "1")]
    key: i64,
    #[prost(int64, tag = "2")]
    str: i64,
    #[prost(int64, tag = "3")]
    num: i64,
}

/// `perftools.profiles.Location`.
#[derive(Clone, PartialEq, prost::Message)]
struct Location {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(uint64, tag = "2")]
    mapping_id: u64,
    #[prost(uint64, tag = "3")]
    address: u64,
    #[prost(message, repeated, tag = "4")]
    line: Vec<Line>,
}

/// `perftools.profiles.Line`.
#[derive(Clone, Copy, PartialEq, prost::Message)]
struct Line {
    #[prost(uint64, tag = "1")]
    function_id: u64,
    #[prost(int64, tag = "2")]
    line: i64,
}

/// `perftools.profiles.Function`.
#[derive(Clone, PartialEq, prost::Message)]
struct Function {
    #[prost(uint64, tag = "1")]
    id: u64,
    #[prost(int64, tag = "2")]
    name: i64,
    #[prost(int64, tag = "3")]
    system_name: i64,
    #[prost(int64, tag = "4")]
    filename: i64,
    #[prost(int64, tag = "5")]
    start_line: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_table_starts_empty_and_repeats_nothing() {
        let mut table = StringTable::default();
        assert_eq!(table.index(""), 0);
        assert_eq!(table.index("cpu"), 1);
        assert_eq!(table.index("nanoseconds"), 2);
        assert_eq!(table.index("cpu"), 1);
        assert_eq!(table.strings, ["", "cpu", "nanoseconds"]);
    }

    #[test]
    fn a_profile_of_a_busy_thread_names_what_it_ran() {
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let spinning = std::sync::Arc::clone(&stop);
        let spinner = std::thread::Builder::new()
            .name("spinner".into())
            .spawn(move || {
                let mut x = 0u64;
                while !spinning.load(Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
                }
                x
            })
            .expect("thread starts");
        let gzipped = cpu_profile(Duration::from_millis(500));
        stop.store(true, Ordering::Relaxed);
        let _ = spinner.join();
        let gzipped = gzipped.expect("a profile");
        assert_eq!(&gzipped[..2], [0x1f, 0x8b], "gzip, as Go serves it");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gzipped[..]), &mut bytes).expect("gunzips");
        let profile: Profile = prost::Message::decode(&bytes[..]).expect("decodes");
        let text = |index: i64| profile.string_table[index as usize].as_str();
        assert_eq!(text(0), "");
        let types: Vec<_> = profile.sample_type.iter().map(|t| (text(t.r#type), text(t.unit))).collect();
        assert_eq!(types, [("samples", "count"), ("cpu", "nanoseconds")]);
        assert_eq!(profile.period, 10_000_000);
        assert!((400_000_000..2_000_000_000).contains(&profile.duration_nanos), "{}", profile.duration_nanos);
        let spinner_samples: i64 = profile
            .sample
            .iter()
            .filter(|sample| sample.label.iter().any(|label| text(label.str) == "spinner"))
            .map(|sample| sample.value[0])
            .sum();
        assert!(spinner_samples >= 10, "a thread spinning for 0.5 s is sampled ~50 times: {spinner_samples}");
        let names_the_spinner = profile.sample.iter().flat_map(|sample| &sample.location_id).any(|id| {
            profile.location[*id as usize - 1].line.iter().any(|line| {
                text(profile.function[line.function_id as usize - 1].name)
                    .contains("profile::tests::a_profile_of_a_busy_thread_names_what_it_ran")
            })
        });
        assert!(names_the_spinner, "the spinning closure is among the functions: {:?}", profile.string_table);
        let leaves_in_the_sampler = profile
            .sample
            .iter()
            .filter(|sample| {
                sample.location_id.first().is_some_and(|id| {
                    profile.location[*id as usize - 1].line.iter().any(|line| {
                        let name = text(profile.function[line.function_id as usize - 1].name);
                        name.contains("pprof::") || name.starts_with("trace")
                    })
                })
            })
            .count();
        assert_eq!(leaves_in_the_sampler, 0, "a sample's leaf is the interrupted code, not the stack walk");
        for sample in &profile.sample {
            assert_eq!(sample.value[1], sample.value[0] * profile.period);
            for id in &sample.location_id {
                let location = &profile.location[*id as usize - 1];
                assert_eq!(location.id, *id);
                for line in &location.line {
                    assert_eq!(profile.function[line.function_id as usize - 1].id, line.function_id);
                }
            }
        }
        assert!(matches!(cpu_profile_while_busy(), Err(ProfileError::Busy)));
    }

    fn cpu_profile_while_busy() -> Result<Vec<u8>, ProfileError> {
        BUSY.store(true, Ordering::Release);
        let result = cpu_profile(Duration::from_millis(1));
        BUSY.store(false, Ordering::Release);
        result
    }
}
