//! [`Rotating`]: the file a rotating handler writes, renamed aside and reopened at its path
//! when its [`Rotation`] says so, and the names rotated files take.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::DateTime;

use super::rotate::{Period, Rotation};
use super::tidy::Tidy;

/// The open file of a rotating handler and what its triggers need. Used under the handler's
/// lock, so a rotation falls between two records.
pub(super) struct Rotating {
    rotation: Rotation,
    file: Option<File>,
    /// Bytes toward the size trigger: the open file's length, restarted at each rotation (a
    /// failed one too, so that it is tried again after another `max_size`, not at each record).
    size: u64,
    /// The period of the open file's records, for the time trigger.
    span: Option<Span>,
    /// The period and counter of the last name given, where the next in that period counts on.
    last: Option<(String, u32)>,
    /// Pruning and compression, started at the first rotation when there are any.
    tidy: Option<Arc<Tidy>>,
}

/// A UTC period: its name in rotated files (`2026-11-26`, `2026-11-26-09`) and when it ends.
struct Span {
    stamp: String,
    ends: i64,
}

impl Span {
    fn of(period: Period, at: i64) -> Span {
        let (length, format) = match period {
            Period::Daily => (86_400, "%Y-%m-%d"),
            Period::Hourly => (3_600, "%Y-%m-%d-%H"),
        };
        let start = at - at.rem_euclid(length);
        Span {
            stamp: DateTime::from_timestamp(start, 0)
                .unwrap_or_default()
                .format(format)
                .to_string(),
            ends: start + length,
        }
    }
}

fn seconds(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |since| {
        i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
    })
}

impl Rotating {
    pub(super) fn new(rotation: Rotation) -> Self {
        Rotating {
            rotation,
            file: None,
            size: 0,
            span: None,
            last: None,
            tidy: None,
        }
    }

    fn open(&mut self, path: &Path) -> io::Result<&mut File> {
        let file = match self.file.take() {
            Some(file) => file,
            None => {
                let file = OpenOptions::new().create(true).append(true).open(path)?;
                let meta = file.metadata()?;
                self.size = meta.len();
                if let Some(period) = self.rotation.period {
                    // Records already in the file keep their period: if it is over, the first
                    // record rotates them.
                    let written = match meta.modified() {
                        Ok(at) if meta.len() > 0 => at,
                        _ => SystemTime::now(),
                    };
                    self.span = Some(Span::of(period, seconds(written)));
                }
                file
            }
        };
        Ok(self.file.insert(file))
    }

    /// Whether to rotate before a record of `next` bytes joins `buffered` ones not yet written:
    /// when it would take the file past the size, or its period is over. An empty file is not
    /// rotated; it takes the new period.
    pub(super) fn due(&mut self, path: &Path, buffered: usize, next: usize) -> bool {
        if self.file.is_none() && self.open(path).is_err() {
            // The write says why.
            return false;
        }
        let held = self.size + buffered as u64;
        let by_size = self
            .rotation
            .max_size
            .is_some_and(|max| held + next as u64 > max);
        let by_time = self
            .span
            .as_ref()
            .is_some_and(|span| seconds(SystemTime::now()) >= span.ends);
        if held == 0 {
            if let (true, Some(period)) = (by_time, self.rotation.period) {
                self.span = Some(Span::of(period, seconds(SystemTime::now())));
            }
            return false;
        }
        by_size || by_time
    }

    /// Renames the file to its rotated name and opens a new one at `path`, then asks for the
    /// rotated files to be pruned and compressed. On an error the records stay in the file.
    pub(super) fn rotate(&mut self, path: &Path) -> io::Result<()> {
        let now = seconds(SystemTime::now());
        let stamp = match self.span.take() {
            Some(span) => span.stamp,
            None => Span::of(Period::Daily, now).stamp,
        };
        // Closed before the rename, which some systems refuse for an open file.
        self.file = None;
        let moved = self.free_name(path, &stamp).and_then(|(target, n)| {
            fs::rename(path, &target).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("rotating {} to {}: {e}", path.display(), target.display()),
                )
            })?;
            self.last = Some((stamp, n));
            Ok(())
        });
        let opened = self.open(path).map(|_| ());
        if moved.is_err() {
            self.size = 0;
            if let Some(period) = self.rotation.period {
                self.span = Some(Span::of(period, now));
            }
            return moved;
        }
        if self.tidy.is_none() {
            self.tidy = Tidy::start(path, &self.rotation);
        }
        let tidied = self.tidy.as_ref().map_or(Ok(()), |tidy| tidy.ask());
        opened.and(tidied)
    }

    /// The first name of `stamp`'s period after every one taken, so names sort as the files
    /// were rotated even after older ones were pruned.
    fn free_name(&self, path: &Path, stamp: &str) -> io::Result<(PathBuf, u32)> {
        let mut n = match &self.last {
            Some((last, n)) if last == stamp => n + 1,
            _ => {
                let (dir, base) = split(path)?;
                let mut highest = None;
                for entry in fs::read_dir(dir)? {
                    let name = entry?.file_name();
                    if let Some((s, n, _)) = parse_rotated(&base, &name.to_string_lossy())
                        && s == stamp
                    {
                        highest = highest.max(Some(n));
                    }
                }
                highest.map_or(0, |n| n + 1)
            }
        };
        loop {
            let target = rotated_path(path, stamp, n);
            let mut gz = target.clone().into_os_string();
            gz.push(".gz");
            if !target.exists() && !Path::new(&gz).exists() {
                return Ok((target, n));
            }
            n += 1;
        }
    }

    pub(super) fn write_all(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let written = self.open(path)?.write_all(bytes);
        match written {
            Ok(()) => self.size += bytes.len() as u64,
            // Reopened on the next write: the file may have been removed or the disk freed.
            Err(_) => self.file = None,
        }
        written
    }

    pub(super) fn sync(&self) -> io::Result<()> {
        self.file.as_ref().map_or(Ok(()), File::sync_data)
    }

    /// The pruning and compression to wait for at a flush, if any has started.
    pub(super) fn tidy(&self) -> Option<Arc<Tidy>> {
        self.tidy.clone()
    }

    /// Ends the next time rotation's period now.
    #[cfg(test)]
    pub(super) fn end_period(&mut self) {
        if let Some(span) = &mut self.span {
            span.ends = 0;
        }
    }
}

impl Drop for Rotating {
    fn drop(&mut self) {
        if let Some(tidy) = &self.tidy {
            tidy.close();
        }
    }
}

/// The directory of `path` and its file name (lossy, as names read from the directory are).
pub(super) fn split(path: &Path) -> io::Result<(&Path, String)> {
    let base = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} names no file", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    Ok((dir, base.to_string_lossy().into_owned()))
}

/// `app.log.2026-11-26`, then `app.log.2026-11-26.1`, `.2`, …
fn rotated_path(path: &Path, stamp: &str, n: u32) -> PathBuf {
    let mut name = OsString::from(path);
    name.push(".");
    name.push(stamp);
    if n > 0 {
        name.push(format!(".{n}"));
    }
    name.into()
}

/// A rotated file's period, counter and whether it is compressed, from its name: `base`, a
/// period (`2026-11-26` or `2026-11-26-09`), an optional `.N`, an optional `.gz`.
pub(super) fn parse_rotated(base: &str, name: &str) -> Option<(String, u32, bool)> {
    let rest = name.strip_prefix(base)?.strip_prefix('.')?;
    let (rest, gz) = match rest.strip_suffix(".gz") {
        Some(rest) => (rest, true),
        None => (rest, false),
    };
    let (stamp, n) = match rest.split_once('.') {
        Some((stamp, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (stamp, n.parse().ok()?)
        }
        Some(_) => return None,
        None => (rest, 0),
    };
    let shaped = stamp.len() == 10 || stamp.len() == 13;
    let fits = stamp.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 | 10 => b == b'-',
        _ => b.is_ascii_digit(),
    });
    (shaped && fits).then(|| (stamp.to_owned(), n, gz))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_rotated_names() {
        // 2026-11-26T09:30:00Z
        let at = 1_795_685_400;
        let day = Span::of(Period::Daily, at);
        assert_eq!(
            (day.stamp.as_str(), day.ends),
            ("2026-11-26", 1_795_737_600)
        );
        let hour = Span::of(Period::Hourly, at);
        assert_eq!(
            (hour.stamp.as_str(), hour.ends),
            ("2026-11-26-09", 1_795_687_200)
        );
        let path = Path::new("logs/app.log");
        assert_eq!(
            rotated_path(path, "2026-11-26", 0),
            Path::new("logs/app.log.2026-11-26")
        );
        assert_eq!(
            rotated_path(path, "2026-11-26-09", 12),
            Path::new("logs/app.log.2026-11-26-09.12")
        );
        for (name, parsed) in [
            ("app.log.2026-11-26", Some(("2026-11-26", 0, false))),
            ("app.log.2026-11-26.3.gz", Some(("2026-11-26", 3, true))),
            ("app.log.2026-11-26-09.gz", Some(("2026-11-26-09", 0, true))),
            ("app.log", None),
            ("app.log.1", None),
            ("app.log.2026-11-26.gz.part", None),
            ("app.log.2026-11-26.", None),
            ("app.log.2026-11-2x", None),
            ("app.logs.2026-11-26", None),
            ("other.log.2026-11-26", None),
        ] {
            assert_eq!(
                parse_rotated("app.log", name),
                parsed.map(|(s, n, gz)| (s.to_owned(), n, gz)),
                "{name}"
            );
        }
    }
}
