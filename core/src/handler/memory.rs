//! [`MemoryHandler`]: a bounded ring of records, for the admin's live tail and for tests.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use log::Record;
use serde::Serialize;

use super::{Handler, lock};

/// A record as the memory handler keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CapturedRecord {
    /// Its place in this handler's sequence, from 1.
    pub seq: u64,
    /// When it was handled.
    pub at: DateTime<Utc>,
    /// Its level.
    pub level: crate::Level,
    /// Its target.
    pub target: String,
    /// Its formatted message.
    pub message: String,
    /// Its key-values (`info!(user = 42; "paid")`), as text, in the order given: at most
    /// [`MAX_MEMORY_KV`] pairs, each key and value cut as a message is, at 256 bytes.
    pub kv: Vec<(String, String)>,
}

impl CapturedRecord {
    /// The message followed by its key-values as the text format writes them: `paid user=42`.
    pub fn message_and_kv(&self) -> String {
        let mut line = self.message.clone();
        for (key, value) in &self.kv {
            line.push(' ');
            line.push_str(key);
            line.push('=');
            line.push_str(value);
        }
        line
    }
}

/// The most key-values of a record the memory handler keeps.
pub const MAX_MEMORY_KV: usize = 32;

/// The most bytes of a key or a value the memory handler keeps.
const MAX_KV_TEXT: usize = 256;

/// Collects a record's key-values, bounded.
struct Pairs(Vec<(String, String)>);

impl<'kvs> log::kv::VisitSource<'kvs> for Pairs {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        if self.0.len() < MAX_MEMORY_KV {
            self.0.push((
                bounded(format_args!("{key}"), MAX_KV_TEXT),
                bounded(format_args!("{value}"), MAX_KV_TEXT),
            ));
        }
        Ok(())
    }
}

/// The most bytes of a message the memory handler keeps: a longer one is cut at a character
/// boundary at or below it and ends with `… [truncated from N bytes]`, so that one huge message
/// (say, a username a client sent) cannot fill the ring or the live tail.
pub const MAX_MEMORY_MESSAGE: usize = 8 * 1024;

/// Formats a message, keeping at most [`MAX_MEMORY_MESSAGE`] bytes of it as it is written (a
/// huge message is never held whole) and counting the rest.
struct Truncating {
    kept: String,
    total: usize,
    max: usize,
}

impl fmt::Write for Truncating {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.total += s.len();
        let room = self.max.saturating_sub(self.kept.len());
        if room > 0 {
            let mut end = room.min(s.len());
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            self.kept.push_str(&s[..end]);
        }
        Ok(())
    }
}

/// `args` formatted, cut to [`MAX_MEMORY_MESSAGE`] bytes with a marker when longer.
fn bounded_message(args: &fmt::Arguments<'_>) -> String {
    bounded(*args, MAX_MEMORY_MESSAGE)
}

/// `args` formatted, cut to `max` bytes with a marker when longer.
fn bounded(args: fmt::Arguments<'_>, max: usize) -> String {
    let mut out = Truncating {
        kept: String::new(),
        total: 0,
        max,
    };
    // A `Display` impl that fails leaves what it wrote, as `to_string` would panic instead.
    let _ = fmt::write(&mut out, args);
    if out.total > out.kept.len() {
        out.kept
            .push_str(&format!("… [truncated from {} bytes]", out.total));
    }
    out.kept
}

/// Keeps the most recent records in a bounded ring, for the admin's live tail and for tests.
///
/// Each message is kept to at most [`MAX_MEMORY_MESSAGE`] bytes, plus a marker saying how long
/// it was.
///
/// Read it with [`MemoryHandler::snapshot`] or [`MemoryHandler::since`], or follow it with
/// [`MemoryHandler::subscribe`]. Clones share one ring.
#[derive(Clone)]
pub struct MemoryHandler {
    inner: Arc<MemoryInner>,
}

struct MemoryInner {
    capacity: usize,
    ring: Mutex<Ring>,
}

struct Ring {
    records: VecDeque<CapturedRecord>,
    next_seq: u64,
    subscribers: Vec<SyncSender<CapturedRecord>>,
}

impl MemoryHandler {
    /// Keeps the last `capacity` records.
    pub fn new(capacity: usize) -> Self {
        MemoryHandler {
            inner: Arc::new(MemoryInner {
                capacity: capacity.max(1),
                ring: Mutex::new(Ring {
                    records: VecDeque::with_capacity(capacity.clamp(1, 4096)),
                    next_seq: 1,
                    subscribers: Vec::new(),
                }),
            }),
        }
    }

    /// The records kept, oldest first.
    pub fn snapshot(&self) -> Vec<CapturedRecord> {
        lock(&self.inner.ring).records.iter().cloned().collect()
    }

    /// The records kept whose sequence number is above `seq`, oldest first.
    pub fn since(&self, seq: u64) -> Vec<CapturedRecord> {
        let ring = lock(&self.inner.ring);
        ring.records
            .iter()
            .filter(|r| r.seq > seq)
            .cloned()
            .collect()
    }

    /// The messages kept, oldest first: handy in tests.
    pub fn messages(&self) -> Vec<String> {
        lock(&self.inner.ring)
            .records
            .iter()
            .map(|r| r.message.clone())
            .collect()
    }

    /// Forgets every record kept.
    pub fn clear(&self) {
        lock(&self.inner.ring).records.clear();
    }

    /// Records from now on, as they are handled. A subscriber that falls `buffer` records
    /// behind misses records rather than slowing the logging threads; one that is dropped is
    /// forgotten at the next record.
    pub fn subscribe(&self, buffer: usize) -> Receiver<CapturedRecord> {
        let (sender, receiver) = sync_channel(buffer.max(1));
        lock(&self.inner.ring).subscribers.push(sender);
        receiver
    }
}

impl fmt::Debug for MemoryHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryHandler")
            .field("capacity", &self.inner.capacity)
            .finish_non_exhaustive()
    }
}

impl Handler for MemoryHandler {
    fn handle(&self, record: &Record<'_>) -> io::Result<()> {
        let message = bounded_message(record.args());
        let mut pairs = Pairs(Vec::new());
        let kvs = record.key_values();
        if kvs.count() > 0 {
            let _ = kvs.visit(&mut pairs);
        }
        let mut ring = lock(&self.inner.ring);
        let captured = CapturedRecord {
            seq: ring.next_seq,
            at: Utc::now(),
            level: record.level().into(),
            target: record.target().to_string(),
            message,
            kv: pairs.0,
        };
        ring.next_seq += 1;
        if ring.records.len() == self.inner.capacity {
            ring.records.pop_front();
        }
        ring.subscribers.retain(|s| {
            !matches!(
                s.try_send(captured.clone()),
                Err(TrySendError::Disconnected(_))
            )
        });
        ring.records.push_back(captured);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::tests::record_at;

    #[test]
    fn memory_ring_is_bounded_and_subscribable() {
        let memory = MemoryHandler::new(3);
        let follow = memory.subscribe(10);
        for i in 0..5 {
            record_at(log::Level::Info, "t", &format!("m{i}"), |r| {
                memory.handle(r).unwrap()
            });
        }
        assert_eq!(memory.messages(), ["m2", "m3", "m4"]);
        assert_eq!(memory.since(4).len(), 1);
        assert_eq!(memory.snapshot()[0].seq, 3);
        let followed: Vec<String> = follow.try_iter().map(|r| r.message).collect();
        assert_eq!(followed, ["m0", "m1", "m2", "m3", "m4"]);
        drop(follow);
        record_at(log::Level::Info, "t", "m5", |r| memory.handle(r).unwrap());
        assert!(lock(&memory.inner.ring).subscribers.is_empty());
    }

    #[test]
    fn memory_keeps_key_values_bounded() {
        let memory = MemoryHandler::new(10);
        let long = "v".repeat(1000);
        let kvs: Vec<(String, &str)> = (0..40)
            .map(|i| (format!("k{i}"), if i == 1 { long.as_str() } else { "x" }))
            .collect();
        let kvs: Vec<(&str, &str)> = kvs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        memory
            .handle(
                &Record::builder()
                    .level(log::Level::Info)
                    .args(format_args!("paid"))
                    .key_values(&kvs)
                    .build(),
            )
            .unwrap();
        let record = &memory.snapshot()[0];
        assert_eq!(record.kv.len(), MAX_MEMORY_KV);
        assert_eq!(record.kv[0], ("k0".to_string(), "x".to_string()));
        assert!(record.kv[1].1.ends_with("… [truncated from 1000 bytes]"));
        assert!(record.message_and_kv().starts_with("paid k0=x k1=vvv"));
    }

    #[test]
    fn memory_messages_are_truncated_at_a_char_boundary_with_a_marker() {
        let memory = MemoryHandler::new(10);
        let exact = "a".repeat(MAX_MEMORY_MESSAGE);
        // 'é' is two bytes: the cut falls inside one and must step back.
        let huge = format!("x{}", "é".repeat(1024 * 1024));
        for message in [&exact, &huge, &"short".to_string()] {
            record_at(log::Level::Warn, "t", message, |r| {
                memory.handle(r).unwrap()
            });
        }
        let kept = memory.messages();
        assert_eq!(
            kept[0], exact,
            "a message of exactly the limit is kept whole"
        );
        assert_eq!(kept[2], "short");
        let marker = format!("… [truncated from {} bytes]", huge.len());
        let cut = kept[1].strip_suffix(&marker).expect("the marker");
        assert_eq!(cut.len(), MAX_MEMORY_MESSAGE - 1, "x, then whole é's only");
        assert!(huge.starts_with(cut));
        // Written in pieces (format arguments), the limit holds across them.
        let pieces = "y".repeat(MAX_MEMORY_MESSAGE);
        memory
            .handle(
                &Record::builder()
                    .level(log::Level::Info)
                    .args(format_args!("{pieces}{pieces}"))
                    .build(),
            )
            .unwrap();
        let last = memory.messages().pop().unwrap();
        assert_eq!(
            last,
            format!(
                "{pieces}… [truncated from {} bytes]",
                2 * MAX_MEMORY_MESSAGE
            )
        );
    }
}
