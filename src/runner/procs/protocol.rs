//! The coordinator/worker protocol of `-r procs`: frames over the worker's stdin (requests) and
//! stdout (replies). A frame is a `u32` little-endian length followed by that many bytes of
//! tab-separated UTF-8 fields; paths travel hex-encoded, so any byte a file name holds is safe.
//!
//! ```text
//!   request  map          TASK ATTEMPT PATH-HEX START END
//!            reduce       TASK ATTEMPT MAPS
//!   reply    progress     TASK ATTEMPT
//!            map-done     TASK ATTEMPT BYTES TOKENS COMBINED
//!            reduce-done  TASK ATTEMPT RECORDS
//!            failed       TASK ATTEMPT REASON
//! ```
//!
//! Replies name their task and attempt, so the coordinator can ignore a late reply from an
//! attempt it has already given up on.

use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// Frames larger than this are a protocol error, not an allocation.
const MAX_FRAME: u32 = 1 << 20;

/// A task of a procs job. It displays as `map-00003` / `reduce-00001`, the name of its
/// directory under the work directory and in messages; [`TaskId::fault_name`] is the short
/// `map-3` that `MRWC_FAULT` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskId {
    Map(usize),
    Reduce(usize),
}

impl TaskId {
    /// The task's directory under the work directory `work`.
    pub fn dir(self, work: &std::path::Path) -> PathBuf {
        work.join(self.to_string())
    }

    /// The task's number within its phase.
    pub fn index(self) -> usize {
        match self {
            TaskId::Map(t) | TaskId::Reduce(t) => t,
        }
    }

    pub fn fault_name(self) -> String {
        match self {
            TaskId::Map(t) => format!("map-{t}"),
            TaskId::Reduce(t) => format!("reduce-{t}"),
        }
    }
}

impl std::fmt::Display for TaskId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TaskId::Map(t) => write!(f, "map-{t:05}"),
            TaskId::Reduce(t) => write!(f, "reduce-{t:05}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Map bytes `start..end` of `path`, the text of input number `source` of the plan.
    Map {
        task: usize,
        attempt: u32,
        source: usize,
        path: PathBuf,
        start: u64,
        end: u64,
    },
    Reduce {
        task: usize,
        attempt: u32,
        maps: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Progress {
        task: usize,
        attempt: u32,
    },
    /// `spilled`: what the task wrote before its end because its table passed the worker's
    /// memory share (spills, records, bytes), as the in-process runners count spills.
    MapDone {
        task: usize,
        attempt: u32,
        bytes: u64,
        tokens: u64,
        combined: u64,
        /// Tokens the counting options' filters dropped.
        removed: u64,
        /// Byte sequences that did not decode under --encoding.
        undecodable: u64,
        spilled: [u64; 3],
    },
    ReduceDone {
        task: usize,
        attempt: u32,
        records: u64,
    },
    Failed {
        task: usize,
        attempt: u32,
        reason: String,
    },
}

impl Reply {
    pub fn task(&self) -> (usize, u32) {
        match *self {
            Reply::Progress { task, attempt }
            | Reply::MapDone { task, attempt, .. }
            | Reply::ReduceDone { task, attempt, .. }
            | Reply::Failed { task, attempt, .. } => (task, attempt),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("protocol error: {what}"))
}

fn field<T: std::str::FromStr>(fields: &[&str], i: usize) -> io::Result<T> {
    fields.get(i).and_then(|f| f.parse().ok()).ok_or_else(|| bad("bad or missing field"))
}

impl Request {
    pub fn id(&self) -> TaskId {
        match *self {
            Request::Map { task, .. } => TaskId::Map(task),
            Request::Reduce { task, .. } => TaskId::Reduce(task),
        }
    }

    pub fn attempt(&self) -> u32 {
        match *self {
            Request::Map { attempt, .. } | Request::Reduce { attempt, .. } => attempt,
        }
    }

    pub fn encode(&self) -> String {
        match self {
            Request::Map { task, attempt, source, path, start, end } => {
                format!("map\t{task}\t{attempt}\t{source}\t{}\t{start}\t{end}", hex(path.as_os_str().as_bytes()))
            }
            Request::Reduce { task, attempt, maps } => format!("reduce\t{task}\t{attempt}\t{maps}"),
        }
    }

    pub fn decode(text: &str) -> io::Result<Request> {
        let f: Vec<&str> = text.split('\t').collect();
        match f.first().copied() {
            Some("map") if f.len() == 7 => {
                let path = unhex(f[4]).ok_or_else(|| bad("bad path"))?;
                let path = PathBuf::from(std::ffi::OsStr::from_bytes(&path));
                Ok(Request::Map {
                    task: field(&f, 1)?,
                    attempt: field(&f, 2)?,
                    source: field(&f, 3)?,
                    path,
                    start: field(&f, 5)?,
                    end: field(&f, 6)?,
                })
            }
            Some("reduce") if f.len() == 4 => {
                Ok(Request::Reduce { task: field(&f, 1)?, attempt: field(&f, 2)?, maps: field(&f, 3)? })
            }
            _ => Err(bad("unknown request")),
        }
    }
}

impl Reply {
    pub fn encode(&self) -> String {
        match self {
            Reply::Progress { task, attempt } => format!("progress\t{task}\t{attempt}"),
            Reply::MapDone { task, attempt, bytes, tokens, combined, removed, undecodable, spilled: [s, r, b] } => {
                format!(
                    "map-done\t{task}\t{attempt}\t{bytes}\t{tokens}\t{combined}\t{removed}\t{undecodable}\t{s}\t{r}\t{b}"
                )
            }
            Reply::ReduceDone { task, attempt, records } => format!("reduce-done\t{task}\t{attempt}\t{records}"),
            Reply::Failed { task, attempt, reason } => {
                format!("failed\t{task}\t{attempt}\t{}", reason.replace(['\t', '\n'], " "))
            }
        }
    }

    pub fn decode(text: &str) -> io::Result<Reply> {
        let f: Vec<&str> = text.splitn(4, '\t').collect();
        let (task, attempt) = (field(&f, 1)?, field(&f, 2)?);
        match f[0] {
            "progress" if f.len() == 3 => Ok(Reply::Progress { task, attempt }),
            "map-done" => {
                let rest: Vec<&str> = f.get(3).ok_or_else(|| bad("missing fields"))?.split('\t').collect();
                Ok(Reply::MapDone {
                    task,
                    attempt,
                    bytes: field(&rest, 0)?,
                    tokens: field(&rest, 1)?,
                    combined: field(&rest, 2)?,
                    removed: field(&rest, 3)?,
                    undecodable: field(&rest, 4)?,
                    spilled: [field(&rest, 5)?, field(&rest, 6)?, field(&rest, 7)?],
                })
            }
            "reduce-done" if f.len() == 4 => Ok(Reply::ReduceDone { task, attempt, records: field(&f, 3)? }),
            "failed" if f.len() == 4 => Ok(Reply::Failed { task, attempt, reason: f[3].to_string() }),
            _ => Err(bad("unknown reply")),
        }
    }
}

pub fn write_frame(out: &mut impl Write, text: &str) -> io::Result<()> {
    let len = u32::try_from(text.len()).ok().filter(|&n| n <= MAX_FRAME).ok_or_else(|| bad("frame too large"))?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Reads one frame; `None` at a clean end of stream (between frames).
pub fn read_frame(input: &mut impl Read) -> io::Result<Option<String>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len);
    if len > MAX_FRAME {
        return Err(bad("frame too large"));
    }
    let mut buf = vec![0u8; len as usize];
    input.read_exact(&mut buf)?;
    String::from_utf8(buf).map(Some).map_err(|_| bad("frame is not UTF-8"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn task_ids_name_directories_padded_and_faults_short() {
        let id = TaskId::Map(3);
        assert_eq!(id.to_string(), "map-00003");
        assert_eq!(id.fault_name(), "map-3");
        assert_eq!(TaskId::Reduce(12).dir(std::path::Path::new("/w")), PathBuf::from("/w/reduce-00012"));
        let request = Request::Reduce { task: 12, attempt: 2, maps: 4 };
        assert_eq!((request.id(), request.attempt()), (TaskId::Reduce(12), 2));
    }

    use super::*;

    #[test]
    fn requests_and_replies_round_trip() {
        let path = PathBuf::from(std::ffi::OsStr::from_bytes(b"dir/we\tird\n\xff.txt"));
        let requests = [
            Request::Map { task: 3, attempt: 2, source: 1, path, start: 10, end: 4096 },
            Request::Reduce { task: 1, attempt: 1, maps: 41 },
        ];
        for r in requests {
            assert_eq!(Request::decode(&r.encode()).unwrap(), r);
        }
        let replies = [
            Reply::Progress { task: 0, attempt: 1 },
            Reply::MapDone {
                task: 7,
                attempt: 1,
                bytes: 100,
                tokens: 20,
                combined: 9,
                removed: 4,
                undecodable: 5,
                spilled: [1, 2, 3],
            },
            Reply::ReduceDone { task: 2, attempt: 3, records: 5 },
            Reply::Failed { task: 4, attempt: 4, reason: "disk full".into() },
        ];
        for r in replies {
            assert_eq!(Reply::decode(&r.encode()).unwrap(), r);
        }
    }

    #[test]
    fn frames_round_trip_and_reject_garbage() {
        let mut buf = Vec::new();
        write_frame(&mut buf, "map\t1").unwrap();
        write_frame(&mut buf, "").unwrap();
        let mut r = buf.as_slice();
        assert_eq!(read_frame(&mut r).unwrap().as_deref(), Some("map\t1"));
        assert_eq!(read_frame(&mut r).unwrap().as_deref(), Some(""));
        assert_eq!(read_frame(&mut r).unwrap(), None);
        assert!(read_frame(&mut [0xffu8, 0xff, 0xff, 0xff].as_slice()).is_err());
        assert!(Request::decode("map\tx").is_err());
        assert!(Reply::decode("done\t1\t1").is_err());
    }
}
