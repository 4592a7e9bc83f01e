//! [`Rotation`]: when a [`FileHandler`](super::FileHandler) starts a new file, how many it keeps
//! and whether it compresses them, carried out by the `logroller` crate.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use logroller::{LogRoller, LogRollerBuilder, RotationAge, RotationSize, TimeZone};

use crate::error::{Error, Result};

/// When a file handler starts a new file, how many rotated files it keeps, and whether it
/// compresses them (gzip, in a thread of its own, so logging threads never wait on it).
///
/// By size, the file keeps its path and rotated files are `app.log.1` (the newest) to
/// `app.log.N`; by time (UTC), the file being written is `app.log.2026-11-26` (daily) or
/// `app.log.2026-11-26-09` (hourly). Read one from text with [`str::parse`]:
///
/// ```
/// use dynlog_core::handler::Rotation;
///
/// let by_size: Rotation = "size:10MB,keep:5".parse()?;
/// assert_eq!(by_size, Rotation::size(10 * 1024 * 1024).keep(5));
/// let daily: Rotation = "daily,keep:7,gzip".parse()?;
/// assert_eq!(daily, Rotation::daily().keep(7).compress());
/// assert!("size:10XB".parse::<Rotation>().is_err());
/// # Ok::<(), dynlog_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    when: When,
    keep: Option<u64>,
    compress: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum When {
    Size(u64),
    Daily,
    Hourly,
}

/// The most rotated files a handler may keep, and the smallest size it rotates at: far
/// outside what a service needs, so a value past them is a mistake.
const MAX_KEEP: u64 = 10_000;
const MIN_SIZE: u64 = 1024;

impl Rotation {
    /// A new file once the file reaches `bytes` (a record is never split between two files).
    pub fn size(bytes: u64) -> Self {
        Rotation {
            when: When::Size(bytes.max(MIN_SIZE)),
            keep: None,
            compress: false,
        }
    }

    /// A new file at each UTC midnight.
    pub fn daily() -> Self {
        Rotation {
            when: When::Daily,
            keep: None,
            compress: false,
        }
    }

    /// A new file at each hour (UTC).
    pub fn hourly() -> Self {
        Rotation {
            when: When::Hourly,
            keep: None,
            compress: false,
        }
    }

    /// Keeps the `n` newest rotated files and removes older ones (all are kept otherwise).
    pub fn keep(mut self, n: u64) -> Self {
        self.keep = Some(n.clamp(1, MAX_KEEP));
        self
    }

    /// Compresses rotated files with gzip (`app.log.1.gz`).
    pub fn compress(mut self) -> Self {
        self.compress = true;
        self
    }

    /// The writer that rotates `path`.
    pub(super) fn open(&self, path: &Path) -> std::io::Result<LogRoller> {
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => ".".into(),
        };
        let file = path.file_name().map(Path::new).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{} names no file", path.display()),
            )
        })?;
        let mut builder = LogRollerBuilder::new(directory.as_path(), file)
            .time_zone(TimeZone::UTC)
            .rotation(match self.when {
                When::Size(bytes) => logroller::Rotation::SizeBased(RotationSize::Bytes(bytes)),
                When::Daily => logroller::Rotation::AgeBased(RotationAge::Daily),
                When::Hourly => logroller::Rotation::AgeBased(RotationAge::Hourly),
            })
            // A flush (explicit or at shutdown) waits for compression and pruning to finish.
            .graceful_shutdown(true);
        if let Some(keep) = self.keep {
            builder = builder.max_keep_files(keep);
        }
        if self.compress {
            builder = builder.compression(logroller::Compression::Gzip);
        }
        builder.build().map_err(std::io::Error::other)
    }
}

impl fmt::Display for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.when {
            When::Size(bytes) => write!(f, "size:{bytes}B")?,
            When::Daily => f.write_str("daily")?,
            When::Hourly => f.write_str("hourly")?,
        }
        if let Some(keep) = self.keep {
            write!(f, ",keep:{keep}")?;
        }
        if self.compress {
            f.write_str(",gzip")?;
        }
        Ok(())
    }
}

impl FromStr for Rotation {
    type Err = Error;

    /// `size:10MB`, `daily` or `hourly`, then optionally `,keep:N` and `,gzip`. Sizes take
    /// `B`, `KB`, `MB` or `GB` (powers of 1024), from 1 KB to 1024 GB.
    fn from_str(text: &str) -> Result<Self> {
        let refuse = |reason: String| Error::Invalid {
            field: "rotation",
            value: text.chars().take(100).collect(),
            reason,
        };
        let mut parts = text.split(',').map(str::trim);
        let mut rotation = match parts.next().unwrap_or("") {
            "daily" => Rotation::daily(),
            "hourly" => Rotation::hourly(),
            part => match part.strip_prefix("size:") {
                Some(size) => Rotation::size(parse_size(size).map_err(refuse)?),
                None => {
                    return Err(refuse(
                        "starts with size:<n>(B|KB|MB|GB), daily or hourly".into(),
                    ));
                }
            },
        };
        for part in parts {
            if part == "gzip" {
                rotation.compress = true;
            } else if let Some(n) = part.strip_prefix("keep:") {
                match n.parse::<u64>() {
                    Ok(n) if (1..=MAX_KEEP).contains(&n) => rotation.keep = Some(n),
                    _ => {
                        return Err(refuse(format!(
                            "keep takes a whole number from 1 to {MAX_KEEP}, not {n:?}"
                        )));
                    }
                }
            } else {
                return Err(refuse(format!(
                    "unknown part {part:?} (expected keep:<n> or gzip)"
                )));
            }
        }
        Ok(rotation)
    }
}

fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_bytes: u64 = match unit.to_ascii_uppercase().as_str() {
        "B" | "" => 1,
        "KB" | "K" => 1024,
        "MB" | "M" => 1024 * 1024,
        "GB" | "G" => 1024 * 1024 * 1024,
        _ => {
            return Err(format!(
                "unknown size unit {unit:?} (expected B, KB, MB or GB)"
            ));
        }
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_bytes))
        .filter(|n| (MIN_SIZE..=1024 * 1024 * 1024 * 1024).contains(n))
        .ok_or_else(|| format!("a size from 1KB to 1024GB, not {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_parse_and_bad_ones_say_why() {
        assert_eq!(
            "size:10MB,keep:5".parse::<Rotation>().unwrap(),
            Rotation::size(10 << 20).keep(5)
        );
        assert_eq!(
            " hourly , gzip ".parse::<Rotation>().unwrap(),
            Rotation::hourly().compress()
        );
        assert_eq!(
            "size:2048".parse::<Rotation>().unwrap().to_string(),
            "size:2048B"
        );
        for (bad, why) in [
            ("weekly", "starts with"),
            ("size:10XB", "unknown size unit"),
            ("size:0MB", "from 1KB"),
            ("size:99999999999999GB", "from 1KB"),
            ("daily,keep:0", "keep takes"),
            ("daily,keep:-1", "keep takes"),
            ("daily,zip", "unknown part"),
            ("", "starts with"),
        ] {
            let err = bad.parse::<Rotation>().unwrap_err().to_string();
            assert!(
                err.contains(why) && err.contains("rotation"),
                "{bad}: {err}"
            );
        }
    }
}
