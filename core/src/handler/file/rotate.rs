//! [`Rotation`]: when a [`FileHandler`](super::FileHandler) moves its file aside and starts a new
//! one, how many moved files it keeps and whether it compresses them; and its text form.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// When a file handler rotates its file (by size, by time, or by whichever comes first), how many
/// rotated files it keeps, and whether it compresses them.
///
/// The file being written always keeps its path (`app.log`). A rotated file is named after the
/// UTC period its records belong to: `app.log.2026-11-26` (daily, or by size alone: the day it
/// was rotated) or `app.log.2026-11-26-09` (hourly); a further file of the same period adds a
/// counter, `app.log.2026-11-26.1`, `.2`, and so on, so `ls -v` lists them oldest first. A
/// rotated file is not renamed again (compression adds `.gz`). Time rotation happens at the first
/// record of a new period, and a file that still holds an earlier period's records when the
/// handler starts is rotated then. A record is never split between two files.
///
/// [`keep`](Rotation::keep) counts rotated files whatever moved them; pruning the oldest and
/// gzip [`compression`](Rotation::compress) (`app.log.2026-11-26.gz`) run in a thread of
/// their own, so logging threads never wait on them. Read one from text with [`str::parse`]:
///
/// ```
/// use dynlog_core::handler::Rotation;
///
/// let both: Rotation = "daily,size:10MB,keep:7,gzip".parse()?;
/// assert_eq!(both, Rotation::daily().max_size(10 * 1024 * 1024).keep(7).compress());
/// let by_size: Rotation = "size:10MB,keep:5".parse()?;
/// assert_eq!(by_size, Rotation::size(10 * 1024 * 1024).keep(5));
/// assert!("size:10XB".parse::<Rotation>().is_err());
/// assert!("daily,daily".parse::<Rotation>().is_err());
/// # Ok::<(), dynlog_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    pub(super) period: Option<Period>,
    pub(super) max_size: Option<u64>,
    pub(super) keep: Option<u64>,
    pub(super) compress: bool,
}

/// A time rotation's period, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Period {
    Daily,
    Hourly,
}

impl Period {
    fn name(self) -> &'static str {
        match self {
            Period::Daily => "daily",
            Period::Hourly => "hourly",
        }
    }
}

/// The most rotated files a handler may keep, and the smallest and largest sizes it rotates at:
/// far outside what a service needs, so a value past them is a mistake.
const MAX_KEEP: u64 = 10_000;
const MIN_SIZE: u64 = 1024;
const MAX_SIZE: u64 = 1024 * 1024 * 1024 * 1024;

impl Rotation {
    /// A new file before a record would take the file past `bytes` (from 1 KiB).
    pub fn size(bytes: u64) -> Self {
        Rotation {
            period: None,
            max_size: None,
            keep: None,
            compress: false,
        }
        .max_size(bytes)
    }

    /// A new file at the first record after each UTC midnight.
    pub fn daily() -> Self {
        Rotation {
            period: Some(Period::Daily),
            max_size: None,
            keep: None,
            compress: false,
        }
    }

    /// A new file at the first record of each hour (UTC).
    pub fn hourly() -> Self {
        Rotation {
            period: Some(Period::Hourly),
            max_size: None,
            keep: None,
            compress: false,
        }
    }

    /// Also a new file before a record would take the file past `bytes` (from 1 KiB to 1 TiB):
    /// `Rotation::daily().max_size(10 << 20)` rotates at midnight and at every 10 MiB.
    pub fn max_size(mut self, bytes: u64) -> Self {
        self.max_size = Some(bytes.clamp(MIN_SIZE, MAX_SIZE));
        self
    }

    /// Keeps the `n` newest rotated files and removes older ones (all are kept otherwise).
    pub fn keep(mut self, n: u64) -> Self {
        self.keep = Some(n.clamp(1, MAX_KEEP));
        self
    }

    /// Compresses rotated files with gzip (`app.log.2026-11-26.gz`).
    pub fn compress(mut self) -> Self {
        self.compress = true;
        self
    }
}

impl fmt::Display for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(period) = self.period {
            parts.push(period.name().to_owned());
        }
        if let Some(bytes) = self.max_size {
            parts.push(format!("size:{bytes}B"));
        }
        if let Some(keep) = self.keep {
            parts.push(format!("keep:{keep}"));
        }
        if self.compress {
            parts.push("gzip".into());
        }
        f.write_str(&parts.join(","))
    }
}

impl FromStr for Rotation {
    type Err = Error;

    /// Comma-separated parts in any order, each at most once: `daily` or `hourly`,
    /// `size:<n>` (`B`, `KB`, `MB` or `GB`, powers of 1024, from 1 KB to 1024 GB), `keep:<n>`
    /// and `gzip`; at least one of the period and the size. `daily,size:10MB,keep:7,gzip`.
    fn from_str(text: &str) -> Result<Self> {
        let refuse = |reason: String| Error::Invalid {
            field: "rotation",
            value: text.chars().take(100).collect(),
            reason,
        };
        let mut rotation = Rotation {
            period: None,
            max_size: None,
            keep: None,
            compress: false,
        };
        for part in text.split(',').map(str::trim) {
            let (key, value) = part.split_once(':').unwrap_or((part, ""));
            let key = key.to_ascii_lowercase();
            let repeated = match key.as_str() {
                "daily" | "hourly" if value.is_empty() => {
                    let period = if key == "daily" {
                        Period::Daily
                    } else {
                        Period::Hourly
                    };
                    rotation.period.replace(period).is_some()
                }
                "size" => rotation
                    .max_size
                    .replace(parse_size(value).map_err(refuse)?)
                    .is_some(),
                "keep" => match value.parse::<u64>() {
                    Ok(n) if (1..=MAX_KEEP).contains(&n) => rotation.keep.replace(n).is_some(),
                    _ => {
                        return Err(refuse(format!(
                            "keep takes a whole number from 1 to {MAX_KEEP}, not {value:?}"
                        )));
                    }
                },
                "gzip" if value.is_empty() => std::mem::replace(&mut rotation.compress, true),
                _ => {
                    return Err(refuse(format!(
                        "unknown part {part:?} (expected daily, hourly, size:<n>(B|KB|MB|GB), \
                         keep:<n> or gzip)"
                    )));
                }
            };
            if repeated {
                let what = match key.as_str() {
                    "daily" | "hourly" => "the period",
                    other => other,
                };
                return Err(refuse(format!(
                    "{part:?} repeats {what} (each part at most once)"
                )));
            }
        }
        if rotation.period.is_none() && rotation.max_size.is_none() {
            return Err(refuse(
                "says neither when nor at what size to rotate (add daily, hourly or size:<n>)"
                    .into(),
            ));
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
        .filter(|n| (MIN_SIZE..=MAX_SIZE).contains(n))
        .ok_or_else(|| format!("size takes 1KB to 1024GB, not {text:?}"))
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
        let both = Rotation::daily().max_size(10 << 20).keep(7).compress();
        for text in ["daily,size:10MB,keep:7,gzip", "gzip,keep:7,size:10mb,Daily"] {
            assert_eq!(text.parse::<Rotation>().unwrap(), both, "{text}");
        }
        assert_eq!(both.to_string(), "daily,size:10485760B,keep:7,gzip");
        assert_eq!(both.to_string().parse::<Rotation>().unwrap(), both);
        assert_eq!(
            "size:2048".parse::<Rotation>().unwrap().to_string(),
            "size:2048B"
        );
        for (bad, why) in [
            ("weekly", "unknown part \"weekly\""),
            ("size:10XB", "unknown size unit \"XB\""),
            ("size:0", "not \"0\""),
            ("size:0MB", "not \"0MB\""),
            ("size:99999999999999GB", "size takes"),
            ("daily,keep:0", "not \"0\""),
            ("daily,keep:-1", "not \"-1\""),
            ("daily,keep", "not \"\""),
            ("daily,zip", "unknown part \"zip\""),
            ("daily:3", "unknown part \"daily:3\""),
            ("daily,,gzip", "unknown part \"\""),
            ("daily,daily", "\"daily\" repeats the period"),
            ("daily,hourly", "\"hourly\" repeats the period"),
            ("size:1MB,daily,size:2MB", "\"size:2MB\" repeats size"),
            ("daily,keep:3,keep:4", "\"keep:4\" repeats keep"),
            ("daily,gzip,gzip", "\"gzip\" repeats gzip"),
            ("keep:5,gzip", "neither when nor at what size"),
            ("", "unknown part \"\""),
        ] {
            let err = bad.parse::<Rotation>().unwrap_err().to_string();
            assert!(
                err.contains(why) && err.starts_with(&format!("invalid rotation {bad:?}")),
                "{bad}: {err}"
            );
        }
    }
}
